package web

import (
	"github.com/garda-id/garda/internal/policy"
)

// navItem is one entry of the navigation.
type navItem struct {
	Key  string // message key, also the page's Active value
	Href string
	Sub  bool // a page inside the pillar above it
	// Count is shown beside the item when above zero (unread notifications).
	Count int
}

// navGroup is a labelled block of the navigation.
type navGroup struct {
	Label string // message key; "" for none
	Items []navItem
}

func navFor(rq *req) []navGroup {
	out := []navGroup{{Items: []navItem{{Key: "nav.overview", Href: "/"}, {Key: "nav.inbox", Href: "/kotak-masuk", Count: rq.Unread}}}}
	pl := navGroup{Label: "nav.pillars"}
	pl.Items = append(pl.Items, navItem{Key: "nav.surveillance", Href: "/pemantauan"},
		navItem{Key: "nav.decisions", Href: "/pemantauan/keputusan", Sub: true})
	if mayReadAllow(rq) {
		pl.Items = append(pl.Items, navItem{Key: "nav.allowlist", Href: "/pemantauan/allowlist", Sub: true})
	}
	pl.Items = append(pl.Items, navItem{Key: "nav.incidents", Href: "/insiden"},
		navItem{Key: "nav.report", Href: "/laporan", Sub: true},
		navItem{Key: "nav.targets", Href: "/insiden/target-respons", Sub: true},
		navItem{Key: "nav.pentest", Href: "/uji-penetrasi"},
		navItem{Key: "nav.patrol", Href: "/patroli"},
		navItem{Key: "nav.patrol_sources", Href: "/patroli/sumber", Sub: true},
		navItem{Key: "nav.claims", Href: "/klaim", Sub: true})
	pl.Items = append(pl.Items, navItem{Key: "nav.takedown", Href: "/penurunan-konten"},
		navItem{Key: "nav.rpz", Href: "/blokir-dns", Sub: true})
	pl.Items = append(pl.Items, navItem{Key: "nav.intel", Href: "/intelijen"})
	pl.Items = append(pl.Items, navItem{Key: "nav.oprooms", Href: "/ruang-operasi"})
	out = append(out, pl, navGroup{Label: "nav.inventory", Items: []navItem{{Key: "nav.assets", Href: "/aset"}}})
	var admin []navItem
	if rq.Can(string(policy.ManageOrgs)) {
		admin = append(admin, navItem{Key: "nav.orgs", Href: "/admin/organisasi"})
	}
	if rq.Can(string(policy.ManageUsers)) {
		admin = append(admin, navItem{Key: "nav.users", Href: "/admin/pengguna"})
	}
	if rq.Can(string(policy.ManageSettings)) {
		admin = append(admin, navItem{Key: "nav.bouncers", Href: "/admin/bouncer"})
	}
	if rq.Can(string(policy.ViewAudit)) {
		admin = append(admin, navItem{Key: "nav.audit", Href: "/admin/audit"})
	}
	if len(admin) > 0 {
		out = append(out, navGroup{Label: "nav.admin", Items: admin})
	}
	return out
}

// pillarView is the data of a pillar's "not yet available" page.
