package geo

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ExampleIndonesia() {
	m, err := Indonesia()
	if err != nil {
		panic(err)
	}
	jabar, _ := m.Province("32")
	fmt.Println(len(m.Provinces), "provinces in", m.ViewBox)
	fmt.Printf("<path data-region=%q d=\"%.12s…\">\n", jabar.Code, jabar.D)
	// Output:
	// 38 provinces in 0 0 1000 363
	// <path data-region="32" d="M249.6,280.3…">
}

// renderSVG draws a whole map as a standalone SVG document. Pages draw the
// map themselves; this exists so that a person can look at the geometry.
func renderSVG(m *Map) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="%s" width="%g" height="%g">`+"\n", m.ViewBox, m.Width, m.Height)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#ddeeff"/>`+"\n", m.Width, m.Height)
	for i, p := range m.Provinces {
		fill := [...]string{"#7fb77e", "#b5d99c"}[i%2]
		fmt.Fprintf(&b, `<path data-region="%s" d="%s" fill="%s" stroke="#ffffff" stroke-width="0.5"><title>%s</title></path>`+"\n",
			html.EscapeString(p.Code), p.D, fill, html.EscapeString(p.Name))
	}
	for _, p := range m.Provinces {
		fmt.Fprintf(&b, `<circle cx="%g" cy="%g" r="1.5" fill="#aa0000"/>`, p.LabelX, p.LabelY)
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="8" font-family="sans-serif" text-anchor="middle">%s</text>`+"\n",
			p.LabelX, p.LabelY-3, html.EscapeString(p.Code))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// TestPreview writes the map as SVG, and as PNG when rsvg-convert (Debian
// package librsvg2-bin) is installed, then checks the PNG: land at every
// label point and sea in the corners. Set GARDA_GEO_PREVIEW to a directory
// to keep the files and look at them.
func TestPreview(t *testing.T) {
	m, err := Indonesia()
	if err != nil {
		t.Fatal(err)
	}
	doc := renderSVG(m)
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("rendered SVG is not well-formed XML: %v", err)
		}
	}

	dir := os.Getenv("GARDA_GEO_PREVIEW")
	if dir == "" {
		dir = t.TempDir()
	}
	svgPath, pngPath := filepath.Join(dir, "indonesia.svg"), filepath.Join(dir, "indonesia.png")
	if err := os.WriteFile(svgPath, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", svgPath)

	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		t.Skip("rsvg-convert not installed (apt-get install librsvg2-bin): checked the SVG only")
	}
	const zoom = 2
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, rsvg, "-z", fmt.Sprint(zoom), "-o", pngPath, svgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("rsvg-convert: %v\n%s", err, out)
	}
	t.Logf("wrote %s", pngPath)

	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", pngPath, err)
	}
	if got, want := img.Bounds().Dx(), int(m.Width*zoom); got != want {
		t.Errorf("PNG is %d pixels wide, want %d", got, want)
	}
	isSea := func(x, y float64) bool {
		return color.RGBAModel.Convert(img.At(int(x*zoom), int(y*zoom))) == color.RGBA{0xdd, 0xee, 0xff, 0xff} // #ddeeff
	}
	for _, p := range m.Provinces {
		if isSea(p.LabelX, p.LabelY) {
			t.Errorf("province %s (%s): the PNG shows sea at its label point (%g, %g)", p.Code, p.Name, p.LabelX, p.LabelY)
		}
	}
	// Top left and bottom right of Indonesia's bounding box are open sea.
	for _, c := range [][2]float64{{2, 2}, {m.Width - 3, m.Height - 3}} {
		if !isSea(c[0], c[1]) {
			t.Errorf("the PNG shows land at (%g, %g), where there is sea", c[0], c[1])
		}
	}
}
