package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/demo"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/web/webtest"
)

var tileRE = regexp.MustCompile(`<a href="/ruang-operasi/(\d+)/laporan" data-tile="([0-9.]+)"><path data-region="[0-9.]+" class="([^"]+)" d="[^"]+"><title>([^<]+)</title></path><text[^>]*><tspan[^>]*>([^<]*)</tspan><tspan[^>]*>([^<]*)</tspan></text></a>`)

// TestProvinceTileMap: the demo's Jawa Barat roll-up draws its one regency
// room, Bandung's, as a square: linked to its roll-up, coloured by its
// posture (normal: the demo's clock is after every phase) and outlined as
// never reported, titled and labelled in Bahasa Indonesia, with the
// legend. Two more regency rooms (Kota Bandung in siaga, Kabupaten Bogor)
// come in code order; a regency's own roll-up has none.
func TestProvinceTileMap(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := demo.Seed(ctx, db, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := auth.SetPassword(ctx, db, audit.System, "operator.jabar", password("operator.jabar")); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{DB: db, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	s := &site{Site: &webtest.Site{T: t, DB: db, TS: ts}, t: t, db: db, ts: ts}
	rooms := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT region, id FROM rooms`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var reg string
		var id int64
		rows.Scan(&reg, &id)
		rooms[reg] = id
	}
	rows.Close()
	if rooms["32.04"] == 0 {
		t.Fatal("the demo has no room for Kabupaten Bandung")
	}

	c := s.as("operator.jabar")
	page := fmt.Sprintf("/ruang-operasi/%d/laporan", rooms["32"])
	resp, html := c.get(page)
	wantStatus(t, resp, 200, "Jawa Barat's roll-up")
	tiles := tileRE.FindAllStringSubmatch(html, -1)
	if len(tiles) != 1 || strings.Count(html, "data-tile=") != 1 {
		t.Fatalf("Jawa Barat's tile map: %d squares, want 1 (Bandung's room)", len(tiles))
	}
	bdg := tiles[0]
	if bdg[1] != fmt.Sprint(rooms["32.04"]) || bdg[2] != "32.04" || bdg[3] != "lvl-none age-stale" ||
		bdg[4] != "Kabupaten Bandung — Normal — laporan lebih dari sehari / belum ada" || bdg[5] != "Kab." || bdg[6] != "Bandung" {
		t.Errorf("Bandung's square: link %s, region %s, class %q, title %q, label %q %q", bdg[1], bdg[2], bdg[3], bdg[4], bdg[5], bdg[6])
	}
	for _, want := range []string{`class="map map-tiles map-rollup map-tiles-c1"`, "tiap kotak satu ruang operasi kabupaten/kota", `<span class="swatch age-stale"></span>`,
		`<span class="swatch lvl-medium"></span>Siaga`, `aria-label="Peta kotak ruang operasi kabupaten/kota di `} {
		if !strings.Contains(html, want) {
			t.Errorf("Jawa Barat's roll-up lacks %s", want)
		}
	}

	// Two more regency rooms: squares in code order, Kota Bandung orange.
	for _, code := range []string{"32.73", "32.01"} {
		if _, err := room.CreateRegency(ctx, db, audit.System, code); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.QueryRow(ctx, `SELECT id FROM rooms WHERE region = ?`, code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		rooms[code] = id
	}
	if _, err := db.Exec(ctx, `UPDATE rooms SET posture = 'siaga' WHERE id = ?`, rooms["32.73"]); err != nil {
		t.Fatal(err)
	}
	_, html = c.get(page)
	tiles = tileRE.FindAllStringSubmatch(html, -1)
	var got []string
	for _, m := range tiles {
		got = append(got, m[2]+" "+m[3]+" "+m[5]+" "+m[6])
	}
	want := []string{"32.01 lvl-none age-stale Kab. Bogor", "32.04 lvl-none age-stale Kab. Bandung", "32.73 lvl-medium age-stale Kota Bandung"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("squares:\n got %q\nwant %q", got, want)
	}

	// A regency has no rooms below: no squares.
	_, html = c.get(fmt.Sprintf("/ruang-operasi/%d/laporan", rooms["32.04"]))
	if strings.Contains(html, "data-tile=") {
		t.Error("a regency's roll-up draws squares: it has no rooms below")
	}
}

// TestTileLabel: a regency's kind over its name, a name too long for the
// square cut with an ellipsis (the tile's title keeps it whole).
func TestTileLabel(t *testing.T) {
	for name, want := range map[string][2]string{
		"Kabupaten Bandung":                    {"Kab.", "Bandung"},
		"Kota Bandung":                         {"Kota", "Bandung"},
		"Kabupaten Kepulauan Seribu Utara":     {"Kab.", "Kepulauan Se…"},
		"Kabupaten Penukal Abab Lematang Ilir": {"Kab.", "Penukal Abab…"},
		"Jakarta":                              {"", "Jakarta"},
	} {
		if got := tileLabel(name); got != want {
			t.Errorf("tileLabel(%q) = %q, want %q", name, got, want)
		}
	}
}
