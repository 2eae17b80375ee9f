package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/policy"
)

// navItem is one entry of the navigation.
type navItem struct {
	Key  string // message key, also the page's Active value
	Href string
	Soon bool // a pillar that is not built yet
	Sub  bool // a page inside the pillar above it
	// Count is shown beside the item when above zero (unread notifications).
	Count int
}

// navGroup is a labelled block of the navigation.
type navGroup struct {
	Label string // message key; "" for none
	Items []navItem
}

// pillar is one of the task force's lines of work that is not built yet:
// it gets a page that says what it will do and that it is not available.
type pillar struct {
	Key  string // "incidents": messages nav.<key> and pillar.<key>.*
	Href string
}

// pillars lists the lines of work not built yet, in the navigation's
// order. Surveillance (/pemantauan) and incidents (/insiden) are built and
// come before them.
var pillars = []pillar{
	{"patrol", "/patroli"},
	{"oprooms", "/ruang-operasi"},
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
		navItem{Key: "nav.intel", Href: "/intelijen"})
	for _, p := range pillars {
		pl.Items = append(pl.Items, navItem{Key: "nav." + p.Key, Href: p.Href, Soon: true})
	}
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
type pillarView struct {
	Key     string
	Lead    string
	Bullets []string
}

func (p *pages) pillarPage(pl pillar) handler {
	return func(w http.ResponseWriter, r *http.Request, rq *req) error {
		k := "pillar." + pl.Key
		v := pillarView{Key: pl.Key, Lead: rq.T(k + ".lead"),
			Bullets: []string{rq.T(k + ".b1"), rq.T(k + ".b2"), rq.T(k + ".b3")}}
		p.render(w, r, http.StatusOK, "pillar.html", page{req: rq, Title: rq.T("nav." + pl.Key), Active: "nav." + pl.Key, Data: v})
		return nil
	}
}
