package geo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/region"
)

// rings parses path data written by writeRing back into rings of points.
func rings(t *testing.T, d string) [][]point {
	t.Helper()
	var out [][]point
	for sub := range strings.SplitSeq(strings.TrimSuffix(d, "Z"), "Z") {
		if !strings.HasPrefix(sub, "M") {
			t.Fatalf("subpath %.20q does not start with M", sub)
		}
		f := strings.FieldsFunc(sub, func(r rune) bool { return r == 'M' || r == 'L' || r == ',' || r == ' ' })
		if len(f)%2 != 0 || len(f) < 6 {
			t.Fatalf("subpath %.40q has %d numbers, want an even number, at least 6", sub, len(f))
		}
		var ring []point
		for i := 0; i < len(f); i += 2 {
			x, errX := strconv.ParseFloat(f[i], 64)
			y, errY := strconv.ParseFloat(f[i+1], 64)
			if errX != nil || errY != nil {
				t.Fatalf("subpath %.40q: bad number %q,%q", sub, f[i], f[i+1])
			}
			for _, s := range f[i : i+2] {
				if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > 1 {
					t.Errorf("coordinate %s has more than one decimal", s)
				}
			}
			ring = append(ring, point{x, y})
		}
		out = append(out, ring)
	}
	return out
}

func TestIndonesia(t *testing.T) {
	m, err := Indonesia()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("0 0 %g %g", m.Width, m.Height); m.ViewBox != want {
		t.Errorf("ViewBox = %q, want %q", m.ViewBox, want)
	}
	if m.Width != 1000 || m.Height < 300 || m.Height > 450 {
		t.Errorf("size %gx%g, want 1000 wide and about 2.7 times wider than high", m.Width, m.Height)
	}
	if len(m.Provinces) != 38 {
		t.Fatalf("%d provinces, want 38", len(m.Provinces))
	}
	if !slices.IsSortedFunc(m.Provinces, func(a, b Province) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("provinces are not sorted by code")
	}

	total := 0
	for _, p := range m.Provinces {
		if r, ok := region.Lookup(p.Code); !ok || r.Level != region.LevelProvince {
			t.Errorf("province %q (%s) is not a province code in package region", p.Code, p.Name)
		}
		if p.Name == "" {
			t.Errorf("province %s has no name", p.Code)
		}
		if !strings.HasPrefix(p.D, "M") || !strings.HasSuffix(p.D, "Z") {
			t.Errorf("province %s: path data %.30q… does not start with M and end with Z", p.Code, p.D)
		}
		total += len(p.D)
		labelInside := false
		for _, ring := range rings(t, p.D) {
			for _, q := range ring {
				if q.x < 0 || q.x > m.Width || q.y < 0 || q.y > m.Height {
					t.Errorf("province %s: point %v outside the view box", p.Code, q)
				}
			}
			if area(ring) <= 0 {
				t.Errorf("province %s: ring is not clockwise on screen (area %g)", p.Code, area(ring))
			}
			labelInside = labelInside || inside(point{p.LabelX, p.LabelY}, ring)
		}
		if !labelInside {
			t.Errorf("province %s: label point (%g, %g) is not inside any of its rings", p.Code, p.LabelX, p.LabelY)
		}
	}
	// Every province in the catalogue has a shape.
	for _, r := range region.Provinces() {
		if _, ok := m.Province(r.Code); !ok {
			t.Errorf("province %s (%s) is missing from the map", r.Code, r.Name)
		}
	}
	if total > 200_000 {
		t.Errorf("path data totals %d bytes, want under 200 KB", total)
	}
	t.Logf("view box %s, %d bytes of path data", m.ViewBox, total)
}

// TestIndonesiaOrientation catches a mirrored or rotated projection: north
// is up and west is left.
func TestIndonesiaOrientation(t *testing.T) {
	m, err := Indonesia()
	if err != nil {
		t.Fatal(err)
	}
	at := func(code string) Province {
		p, ok := m.Province(code)
		if !ok {
			t.Fatalf("province %s missing", code)
		}
		return p
	}
	aceh, jakarta, jatim, ntt, papua, sulut := at("11"), at("31"), at("35"), at("53"), at("91"), at("71")
	if !(aceh.LabelX < jakarta.LabelX && jakarta.LabelX < jatim.LabelX && jatim.LabelX < papua.LabelX) {
		t.Error("west-to-east order Aceh, Jakarta, Jawa Timur, Papua is not left to right")
	}
	if !(aceh.LabelY < jakarta.LabelY && sulut.LabelY < ntt.LabelY) {
		t.Error("Aceh is not above Jakarta, or Sulawesi Utara is not above Nusa Tenggara Timur")
	}
	if aceh.LabelX > m.Width/5 || papua.LabelX < m.Width*4/5 {
		t.Errorf("Aceh at x=%g and Papua at x=%g do not span the map", aceh.LabelX, papua.LabelX)
	}
}

func TestIndonesiaReturnsCopies(t *testing.T) {
	a, err := Indonesia()
	if err != nil {
		t.Fatal(err)
	}
	a.Provinces[0].D = "changed"
	a.Provinces = nil
	b, err := Indonesia()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Provinces) != 38 || b.Provinces[0].D == "changed" {
		t.Error("changing a returned map changed the shared one")
	}
}

func TestBuild(t *testing.T) {
	// A square with a hole; an island wound the wrong way; a ring that
	// rounding collapses to one point; a ring of two points. Latitudes are
	// symmetric about the equator, so the projection is 10 units a degree
	// both ways.
	const fc = `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"REGION_CODE":"02","name":"B"},"geometry":{"type":"MultiPolygon","coordinates":[
	   [[[9,-0.5],[10,-0.5],[10,0.5],[9,0.5],[9,-0.5]]],
	   [[[5,0],[5.000001,0],[5,0.000001],[5,0]]],
	   [[[6,0],[7,1],[6,0]]]
	 ]}},
	 {"type":"Feature","properties":{"REGION_CODE":"01","name":"A"},"geometry":{"type":"Polygon","coordinates":[
	   [[0,-2],[4,-2],[4,2],[0,2],[0,-2]],
	   [[1,-1],[1,1],[3,1],[3,-1],[1,-1]]
	 ]}}
	]}`
	m, err := build([]byte(fc), 110, 5)
	if err != nil {
		t.Fatal(err)
	}
	if m.ViewBox != "0 0 110 50" || m.Width != 110 || m.Height != 50 {
		t.Errorf("ViewBox = %q (%gx%g), want 0 0 110 50", m.ViewBox, m.Width, m.Height)
	}
	if len(m.Provinces) != 2 || m.Provinces[0].Code != "01" || m.Provinces[1].Code != "02" {
		t.Fatalf("provinces = %+v, want 01 and 02 in order", m.Provinces)
	}
	a, b := m.Provinces[0], m.Provinces[1]
	if ra := rings(t, a.D); len(ra) != 2 || area(ra[0]) <= 0 || area(ra[1]) >= 0 {
		t.Errorf("A = %q: want an outer ring clockwise and a hole counter-clockwise", a.D)
	}
	if a.Name != "A" {
		t.Errorf("A is named %q", a.Name)
	}
	// Only the island is left, turned clockwise, north up.
	if want := "M95,20L105,20 105,30 95,30Z"; b.D != want {
		t.Errorf("B = %q, want %q", b.D, want)
	}
	if b.LabelX != 100 || b.LabelY != 25 {
		t.Errorf("B label = (%g, %g), want the centre (100, 25)", b.LabelX, b.LabelY)
	}
}

func TestBuildRejects(t *testing.T) {
	feature := func(code, geometry string) string {
		return `{"type":"Feature","properties":{"REGION_CODE":"` + code + `"},"geometry":` + geometry + `}`
	}
	square := `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`
	collection := func(features ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
	}
	tests := []struct{ name, json, wantErr string }{
		{"not json", "{", "parse geojson"},
		{"no features", collection(), "FeatureCollection"},
		{"point", collection(feature("11", `{"type":"Point","coordinates":[1,2]}`)), "not Polygon or MultiPolygon"},
		{"bad position", collection(feature("11", `{"type":"Polygon","coordinates":[[[1],[2,3],[4,5]]]}`)), "bad position"},
		{"no code", collection(feature("", square)), "no REGION_CODE"},
		{"duplicate", collection(feature("11", square), feature("11", square)), "duplicate"},
		{"only degenerate", collection(feature("11", square), feature("12", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}`)), "no drawable ring"},
		{"no extent", collection(feature("11", `{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0]]]}`)), "no extent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build([]byte(tt.json), 100, 5)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("build error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLabelPointConcave(t *testing.T) {
	// A U shape whose centroid falls in the gap between its arms.
	u := []point{{0, 0}, {10, 0}, {10, 10}, {8, 10}, {8, 2}, {2, 2}, {2, 10}, {0, 10}}
	if c := centroid(u); inside(c, u) {
		t.Fatalf("centroid %v is inside; the test shape is wrong", c)
	}
	if p := labelPoint(u); !inside(p, u) {
		t.Errorf("labelPoint = %v, not inside the U", p)
	}
}

func BenchmarkBuild(b *testing.B) {
	data := []byte(provincesJSON)
	for b.Loop() {
		if _, err := build(data, mapWidth, mapMargin); err != nil {
			b.Fatal(err)
		}
	}
}
