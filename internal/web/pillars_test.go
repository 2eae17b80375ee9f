package web

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/garda-id/garda/internal/store/storetest"
)

// pentestRoutes are the penetration-test pillar's routes as they were
// when the pillar lived in package web: moving it into its own pages
// package must keep every one, at the same pattern.
var pentestRoutes = []string{
	"GET /uji-penetrasi",
	"GET /uji-penetrasi/temuan/{id}",
	"POST /uji-penetrasi/temuan/{id}/keputusan",
	"POST /uji-penetrasi/temuan/{id}/insiden",
	"GET /uji-penetrasi/temuan/{id}/bukti/{eid}",
	"GET /uji-penetrasi/situs/{id}",
	"POST /uji-penetrasi/situs/{id}/pindai",
	"POST /uji-penetrasi/situs/{id}/izin",
	"POST /uji-penetrasi/situs/{id}/izin/{aid}/cabut",
	"GET /uji-penetrasi/pindaian/{id}",
	"GET /api/v1/findings",
	"GET /api/v1/findings/{id}",
	"POST /api/v1/findings/{id}/decision",
	"POST /api/v1/findings/{id}/promote",
	"GET /api/v1/findings/{id}/evidence",
	"GET /api/v1/findings/{id}/evidence/{eid}",
	"GET /api/v1/findings/{id}/evidence/{eid}/custody",
	"GET /api/v1/scans",
	"GET /api/v1/scans/{id}",
	"GET /api/v1/scans/{id}/events",
	"POST /api/v1/assets/{id}/scans",
	"GET /api/v1/assets/{id}/scan-authorizations",
	"POST /api/v1/assets/{id}/scan-authorizations",
	"DELETE /api/v1/assets/{id}/scan-authorizations/{aid}",
}

// takedownRoutes are the content-takedown pillar's, as they were in
// package web.
var takedownRoutes = []string{
	"GET /penurunan-konten",
	"GET /penurunan-konten/baru",
	"POST /penurunan-konten/baru",
	"GET /penurunan-konten/{id}",
	"POST /penurunan-konten/{id}/{step}",
	"GET /penurunan-konten/platform/{slug}",
	"GET /penurunan-konten/{id}/surat/{kind}",
	"GET /penurunan-konten/{id}/surat/{kind}/pdf",
	"POST /penurunan-konten/{id}/periksa",
	"GET /api/v1/platforms",
	"POST /api/v1/platforms",
	"GET /api/v1/takedowns",
	"POST /api/v1/takedowns",
	"GET /api/v1/takedowns/{id}",
	"POST /api/v1/takedowns/{id}/approve",
	"POST /api/v1/takedowns/{id}/send",
	"POST /api/v1/takedowns/{id}/acknowledge",
	"POST /api/v1/takedowns/{id}/answers",
	"POST /api/v1/takedowns/{id}/decisions",
	"GET /api/v1/takedowns/{id}/letters",
	"GET /api/v1/takedowns/{id}/letters/{kind}",
	"GET /api/v1/takedowns/{id}/checks",
	"POST /api/v1/takedowns/{id}/checks",
	"GET /api/v1/platforms/{slug}/compliance",
}

// patrolRoutes are the cyber-patrol pillar's (its fact-check pages too),
// as they were in package web.
var patrolRoutes = []string{
	"GET /patroli",
	"GET /patroli/item/{id}",
	"GET /patroli/item/{id}/baris",
	"GET /patroli/item/{id}/salinan",
	"POST /patroli/item/{id}/label",
	"POST /patroli/item/{id}/klaim",
	"POST /patroli/item/{id}/insiden",
	"GET /patroli/sumber",
	"POST /patroli/sumber",
	"GET /patroli/sumber/{id}",
	"POST /patroli/sumber/{id}/jalankan",
	"POST /patroli/sumber/{id}/jeda",
	"POST /patroli/sumber/{id}/impor",
	"GET /patroli/mingguan",
	"GET /aduan-konten",
	"POST /aduan-konten",
	"GET /aduan-konten/cek",
	"GET /klaim",
	"GET /klaim/baru",
	"POST /klaim/baru",
	"POST /klaim/impor",
	"GET /klaim/{id}",
	"GET /api/v1/patrol/items",
	"POST /api/v1/patrol/items",
	"GET /api/v1/patrol/items/stream",
	"GET /api/v1/patrol/items/{id}",
	"POST /api/v1/patrol/items/{id}/label",
	"GET /api/v1/patrol/sources",
	"POST /api/v1/patrol/sources",
	"POST /api/v1/patrol/sources/{id}/import",
	"GET /api/v1/claims",
	"POST /api/v1/claims",
	"POST /api/v1/claims/import",
	"POST /api/v1/claims/match",
	"GET /api/v1/claims/{id}",
	"GET /api/v1/claims/{id}/claimreview",
}

var wildcard = regexp.MustCompile(`\{[a-z]+\}`)

// TestPillarRoutes asks the server's mux which pattern answers a request
// to each of a pillar's routes (its wildcards filled in): the pillar's own
// pattern, not the UI's or the API's catch-all 404.
func TestPillarRoutes(t *testing.T) {
	srv, err := New(Deps{DB: storetest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range slices.Concat(pentestRoutes, takedownRoutes, patrolRoutes) {
		var method, path string
		for i := range route {
			if route[i] == ' ' {
				method, path = route[:i], route[i+1:]
				break
			}
		}
		r := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "7"), nil)
		if _, got := srv.mux.Handler(r); got != route {
			t.Errorf("%s %s is answered by %q, want %q", method, r.URL.Path, got, route)
		}
	}
}

// TestPillarTemplates: a pillar's pages parse on the shared layout with
// its own partials, keyed by the pillar's name; a partial of the pillar
// that would redefine one of the shell's is refused at start.
func TestPillarTemplates(t *testing.T) {
	srv, err := New(Deps{DB: storetest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	page := &fstest.MapFile{Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1>{{template "own-list" .}}{{template "pager" .}}{{end}}`)}
	good := fstest.MapFS{
		"templates/list.html":  page,
		"templates/parts.html": {Data: []byte(`{{define "own-list"}}<ul></ul>{{end}}`)},
	}
	ps := &pillarShell{name: "contoh", p: srv.pages}
	if err := ps.Templates(good); err != nil {
		t.Fatal(err)
	}
	if srv.pages.tmpl["contoh/list.html"] == nil || srv.pages.tmpl["contoh/parts.html"] != nil || srv.pages.tmpl["list.html"] != nil {
		t.Errorf("the pillar's pages are not keyed contoh/<file> alone")
	}
	bad := fstest.MapFS{
		"templates/list.html":  page,
		"templates/parts.html": {Data: []byte(`{{define "own-list"}}<ul></ul>{{end}}{{define "pager"}}mine{{end}}`)},
	}
	if err := (&pillarShell{name: "lain", p: srv.pages}).Templates(bad); err == nil || !strings.Contains(err.Error(), `"pager"`) {
		t.Errorf("a pillar redefining the shell's pager: %v, want refused", err)
	}
	if err := (&pillarShell{name: "kosong", p: srv.pages}).Templates(fstest.MapFS{}); err == nil {
		t.Error("a pillar without templates was mounted")
	}
}
