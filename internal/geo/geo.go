package geo

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// provincesJSON is indonesiaSimplified.json from indonesia-geodata 0.1.3,
// copied unmodified (MIT; see NOTICE). A string, so that nothing can
// change it.
//
//go:embed data/indonesiaSimplified.json
var provincesJSON string

// Size of the map in view-box units. The width is fixed so that pages can
// rely on it; the height follows from Indonesia's shape.
const (
	mapWidth  = 1000
	mapMargin = 10
)

// Province is one province of the map.
type Province struct {
	Code string // Kemendagri province code, e.g. "32"
	Name string // name as the geodata spells it, e.g. "Jakarta Raya"; region.Lookup has the official one
	D    string // SVG path data: one closed subpath per island, absolute coordinates

	// LabelX, LabelY is a point inside the province's largest island, for
	// a label or a marker.
	LabelX, LabelY float64
}

// Map is the national map: provinces in view-box coordinates, sorted by
// code.
type Map struct {
	ViewBox       string // "0 0 Width Height", for the svg element's viewBox attribute
	Width, Height float64
	Provinces     []Province
}

// Province returns the province with the given code.
func (m *Map) Province(code string) (Province, bool) {
	i, ok := slices.BinarySearchFunc(m.Provinces, code, func(p Province, code string) int {
		return strings.Compare(p.Code, code)
	})
	if !ok {
		return Province{}, false
	}
	return m.Provinces[i], true
}

var indonesia = sync.OnceValues(func() (*Map, error) {
	return build([]byte(provincesJSON), mapWidth, mapMargin)
})

// Indonesia returns the map of Indonesia's 38 provinces. The embedded data
// is parsed on the first call; later calls return copies of the same map.
func Indonesia() (*Map, error) {
	m, err := indonesia()
	if err != nil {
		return nil, fmt.Errorf("build map of Indonesia: %w", err)
	}
	c := *m
	c.Provinces = slices.Clone(m.Provinces)
	return &c, nil
}

// point is a position: lon/lat in the source, x/y in the view box (y down).
type point struct{ x, y float64 }

type feature struct {
	Properties struct {
		RegionCode string `json:"REGION_CODE"`
		Name       string `json:"name"`
	} `json:"properties"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// polygon is a GeoJSON polygon: its outer ring first, then any holes.
type polygon [][]point

// build parses a GeoJSON FeatureCollection of provinces and projects it
// into a view box width units wide with margin units of space on each side.
func build(data []byte, width, margin float64) (*Map, error) {
	var fc struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("parse geojson: %w", err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		return nil, errors.New("parse geojson: not a FeatureCollection with features")
	}

	shapes := make([][]polygon, len(fc.Features))
	for i, f := range fc.Features {
		polys, err := polygons(f.Geometry.Type, f.Geometry.Coordinates)
		if err != nil {
			return nil, fmt.Errorf("feature %d (%q): %w", i, f.Properties.RegionCode, err)
		}
		shapes[i] = polys
	}
	proj, height, err := fit(shapes, width, margin)
	if err != nil {
		return nil, err
	}

	m := &Map{
		ViewBox: fmt.Sprintf("0 0 %s %s", num(width), num(height)),
		Width:   width,
		Height:  height,
	}
	seen := map[string]bool{}
	for i, f := range fc.Features {
		code := f.Properties.RegionCode
		if code == "" {
			return nil, fmt.Errorf("feature %d has no REGION_CODE", i)
		}
		if seen[code] {
			return nil, fmt.Errorf("feature %d: duplicate REGION_CODE %q", i, code)
		}
		seen[code] = true
		p, err := province(code, f.Properties.Name, shapes[i], proj)
		if err != nil {
			return nil, fmt.Errorf("province %s: %w", code, err)
		}
		m.Provinces = append(m.Provinces, p)
	}
	slices.SortFunc(m.Provinces, func(a, b Province) int { return strings.Compare(a.Code, b.Code) })
	return m, nil
}

// polygons decodes Polygon and MultiPolygon coordinates.
func polygons(typ string, raw json.RawMessage) ([]polygon, error) {
	var polys [][][][]float64
	switch typ {
	case "Polygon":
		var rings [][][]float64
		if err := json.Unmarshal(raw, &rings); err != nil {
			return nil, fmt.Errorf("parse polygon: %w", err)
		}
		polys = [][][][]float64{rings}
	case "MultiPolygon":
		if err := json.Unmarshal(raw, &polys); err != nil {
			return nil, fmt.Errorf("parse multipolygon: %w", err)
		}
	default:
		return nil, fmt.Errorf("geometry type %q is not Polygon or MultiPolygon", typ)
	}
	out := make([]polygon, 0, len(polys))
	for _, rings := range polys {
		poly := make(polygon, 0, len(rings))
		for _, ring := range rings {
			pts := make([]point, 0, len(ring))
			for _, pos := range ring {
				if len(pos) < 2 || !finite(pos[0]) || !finite(pos[1]) {
					return nil, fmt.Errorf("bad position %v", pos)
				}
				pts = append(pts, point{pos[0], pos[1]})
			}
			poly = append(poly, pts)
		}
		out = append(out, poly)
	}
	return out, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// fit returns an equirectangular projection of every position in shapes
// into a view box width wide, and the height of that box. Longitude is
// scaled by the cosine of the middle latitude, which near the equator is
// close to 1: Indonesia keeps its shape.
func fit(shapes [][]polygon, width, margin float64) (project func(point) point, height float64, err error) {
	minLon, minLat := math.Inf(1), math.Inf(1)
	maxLon, maxLat := math.Inf(-1), math.Inf(-1)
	for _, polys := range shapes {
		for _, poly := range polys {
			for _, ring := range poly {
				for _, p := range ring {
					minLon, maxLon = min(minLon, p.x), max(maxLon, p.x)
					minLat, maxLat = min(minLat, p.y), max(maxLat, p.y)
				}
			}
		}
	}
	if !(maxLon > minLon && maxLat > minLat) {
		return nil, 0, errors.New("geometry has no extent")
	}
	kx := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	scale := (width - 2*margin) / ((maxLon - minLon) * kx)
	height = math.Ceil((maxLat-minLat)*scale + 2*margin)
	// Centre vertically in the whole-unit height.
	top := (height - (maxLat-minLat)*scale) / 2
	project = func(p point) point {
		return point{
			x: round1(margin + (p.x-minLon)*kx*scale),
			y: round1(top + (maxLat-p.y)*scale),
		}
	}
	return project, height, nil
}

// province projects one province's polygons and writes its path data.
func province(code, name string, polys []polygon, project func(point) point) (Province, error) {
	var d strings.Builder
	var largest []point
	largestArea := 0.0
	for _, poly := range polys {
		for i, ring := range poly {
			r := projectRing(ring, project)
			a := area(r)
			if a == 0 {
				continue // fewer than three distinct points, or a line
			}
			// Outer rings clockwise on screen, holes counter-clockwise, so
			// that holes stay empty under either SVG fill rule.
			if hole := i > 0; (a < 0) != hole {
				slices.Reverse(r)
				a = -a
			}
			writeRing(&d, r)
			if i == 0 && a > largestArea {
				largest, largestArea = r, a
			}
		}
	}
	if largest == nil {
		return Province{}, errors.New("no drawable ring")
	}
	label := labelPoint(largest)
	return Province{Code: code, Name: name, D: d.String(), LabelX: label.x, LabelY: label.y}, nil
}

// projectRing projects a ring and drops the points that rounding has made
// repeat, including the closing copy of the first point.
func projectRing(ring []point, project func(point) point) []point {
	out := make([]point, 0, len(ring))
	for _, p := range ring {
		q := project(p)
		if len(out) > 0 && out[len(out)-1] == q {
			continue
		}
		out = append(out, q)
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	return out
}

// area is the signed area of a ring by the shoelace formula: positive for a
// clockwise ring on a y-down screen, zero for a ring that encloses nothing.
func area(r []point) float64 {
	if len(r) < 3 {
		return 0
	}
	s := 0.0
	for i, p := range r {
		q := r[(i+1)%len(r)]
		s += p.x*q.y - q.x*p.y
	}
	return s / 2
}

// writeRing appends a ring as one closed subpath: "M1,2L3,4 5,6Z".
func writeRing(b *strings.Builder, r []point) {
	for i, p := range r {
		switch i {
		case 0:
			b.WriteByte('M')
		case 1:
			b.WriteByte('L')
		default:
			b.WriteByte(' ')
		}
		b.WriteString(num(p.x))
		b.WriteByte(',')
		b.WriteString(num(p.y))
	}
	b.WriteByte('Z')
}

// labelPoint returns a point inside ring r: its centroid when that lies
// inside, otherwise the middle of the widest span of r along the centroid's
// row, which for a concave island such as Sulawesi's arms is still inside.
func labelPoint(r []point) point {
	c := centroid(r)
	if inside(c, r) {
		return point{round1(c.x), round1(c.y)}
	}
	var xs []float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		if (p.y <= c.y) != (q.y <= c.y) {
			xs = append(xs, p.x+(c.y-p.y)*(q.x-p.x)/(q.y-p.y))
		}
	}
	slices.Sort(xs)
	best, bestWidth := r[0], -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestWidth {
			best, bestWidth = point{(xs[i] + xs[i+1]) / 2, c.y}, w
		}
	}
	return point{round1(best.x), round1(best.y)}
}

func centroid(r []point) point {
	var cx, cy, a2 float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		cross := p.x*q.y - q.x*p.y
		cx += (p.x + q.x) * cross
		cy += (p.y + q.y) * cross
		a2 += cross
	}
	return point{cx / (3 * a2), cy / (3 * a2)}
}

// inside reports whether p is inside ring r, by ray casting.
func inside(p point, r []point) bool {
	in := false
	for i, a := range r {
		b := r[(i+1)%len(r)]
		if (a.y <= p.y) != (b.y <= p.y) && p.x < a.x+(p.y-a.y)*(b.x-a.x)/(b.y-a.y) {
			in = !in
		}
	}
	return in
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// num formats a view-box coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(round1(f), 'f', -1, 64) }
