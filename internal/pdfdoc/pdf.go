// Package pdfdoc is Garda's one PDF writer, shared by the daily report
// (internal/report) and the takedown letters (internal/takedown).
package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
)

// PDF is a minimal PDF 1.4 writer: A4 pages of text in the standard
// Helvetica fonts (WinAnsi encoding, so nothing is embedded), lines and
// table rows laid out top to bottom, with a page break when a page is full.
// Text is measured with the fonts' own widths: it wraps within its line or
// table cell, and only what must stay on one line (the running header) is
// cut, with an ellipsis. Every page carries a running header (Title, and
// the Marking, such as a TLP label) and "Halaman N dari M" at its foot.
// Content streams are not compressed.
type PDF struct {
	Title   string   // the running header's text
	Marking *Marking // on every page's header and foot, when set
	pages   []*bytes.Buffer
	y       float64
}

// Marking is a label every page carries, in its colours (RGB, 0 to 1):
// text on a filled box (black by default), as TLP labels are printed.
type Marking struct {
	Text   string
	Fg, Bg [3]float64
}

// Page geometry, in points.
const (
	pageW, pageH = 595.0, 842.0
	margin       = 50.0
	textW        = pageW - 2*margin
	cellPad      = 4.0 // between a table's columns
)

// New starts a document with one empty page.
func New() *PDF {
	p := &PDF{}
	p.newPage()
	return p
}

func (p *PDF) newPage() {
	p.pages = append(p.pages, &bytes.Buffer{})
	p.y = pageH - margin
}

// space moves down by h, breaking the page first if h does not fit.
func (p *PDF) space(h float64) {
	if p.y-h < margin {
		p.newPage()
	}
	p.y -= h
}

func font(bold bool) string {
	if bold {
		return "F2"
	}
	return "F1"
}

func (p *PDF) text(x float64, s string, size float64, bold bool) {
	fmt.Fprintf(p.pages[len(p.pages)-1], "BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET\n", font(bold), size, x, p.y, pdfString(encode(s)))
}

// Text writes a paragraph, wrapped at words to the text width.
func (p *PDF) Text(s string, size float64, bold bool) {
	for _, line := range wrap(s, textW, size, bold) {
		p.space(size * 1.4)
		p.text(margin, line, size, bold)
	}
}

// Gap leaves vertical space.
func (p *PDF) Gap(h float64) {
	if p.y-h < margin {
		p.newPage()
		return
	}
	p.y -= h
}

// Row writes one table row: cells at column offsets (fractions of the
// text width), each wrapped within its column, the row as tall as its
// tallest cell and never split across pages. A bold row (a table's head)
// is underlined.
func (p *PDF) Row(cells []string, cols []float64, bold bool) {
	const size, lead = 9.0, 9.0 * 1.3
	lines := make([][]string, min(len(cells), len(cols)))
	rows := 1
	for i := range lines {
		end := 1.0
		if i+1 < len(cols) {
			end = cols[i+1]
		}
		lines[i] = wrap(cells[i], (end-cols[i])*textW-cellPad, size, bold)
		rows = max(rows, len(lines[i]))
	}
	p.space(size*0.2 + lead*float64(rows))
	bottom := p.y
	p.y += lead * float64(rows-1)
	top := p.y
	for i, ls := range lines {
		p.y = top
		for _, l := range ls {
			p.text(margin+cols[i]*textW, l, size, bold)
			p.y -= lead
		}
	}
	p.y = bottom
	if bold {
		fmt.Fprintf(p.pages[len(p.pages)-1], "0.5 w %.2f %.2f m %.2f %.2f l S\n", margin, p.y-3, pageW-margin, p.y-3)
	}
}

// frame draws page n of total's running header and foot.
func (p *PDF) frame(n, total int) []byte {
	var b bytes.Buffer
	const size = 8.0
	top, foot := pageH-margin+22, margin-28.0
	var markW float64
	if m := p.Marking; m != nil {
		markW = width(encode(m.Text), size, true) + 8
		for _, y := range []float64{top, foot} {
			fmt.Fprintf(&b, "%.3f %.3f %.3f rg %.2f %.2f %.2f %.2f re f\n", m.Bg[0], m.Bg[1], m.Bg[2], pageW-margin-markW, y-3, markW, size+5)
			fmt.Fprintf(&b, "%.3f %.3f %.3f rg BT /F2 %.1f Tf %.2f %.2f Td (%s) Tj ET\n", m.Fg[0], m.Fg[1], m.Fg[2], size, pageW-margin-markW+4, y, pdfString(encode(m.Text)))
		}
	}
	b.WriteString("0.35 0.35 0.35 rg\n")
	if p.Title != "" {
		title := fit(p.Title, textW-markW-12, size, false)
		fmt.Fprintf(&b, "BT /F1 %.1f Tf %.2f %.2f Td (%s) Tj ET\n", size, margin, top, pdfString(title))
	}
	pageNo := encode(fmt.Sprintf("Halaman %d dari %d", n, total))
	fmt.Fprintf(&b, "BT /F1 %.1f Tf %.2f %.2f Td (%s) Tj ET\n", size, (pageW-width(pageNo, size, false))/2, foot, pdfString(pageNo))
	fmt.Fprintf(&b, "0.6 0.6 0.6 RG 0.4 w %.2f %.2f m %.2f %.2f l S\n", margin, top-6, pageW-margin, top-6)
	b.WriteString("0 0 0 rg 0 0 0 RG\n")
	return b.Bytes()
}

// Bytes writes the document: catalog, page tree, two fonts, and a page and
// content stream per page, with a cross-reference table of exact offsets.
func (p *PDF) Bytes() []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(p.pages)
	kids := make([]string, n)
	for i := range p.pages {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	for i, c := range p.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
			pageW, pageH, 6+2*i))
		content := append(p.frame(i+1, n), c.Bytes()...)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// winAnsi maps the characters outside Latin-1 that WinAnsi has.
var winAnsi = map[rune]byte{
	'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, '‰': 0x89, '‹': 0x8b,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99, '›': 0x9b,
}

// encode writes s in WinAnsi: characters WinAnsi lacks lose their
// accents or become '?'; control characters become spaces.
func encode(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b = append(b, ' ')
		case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
			b = append(b, byte(r))
		case winAnsi[r] != 0:
			b = append(b, winAnsi[r])
		default:
			b = append(b, transliterate(r)...)
		}
	}
	return b
}

// pdfString writes WinAnsi text as a PDF literal string's body.
func pdfString(b []byte) string {
	var out strings.Builder
	for _, c := range b {
		switch {
		case c == '(' || c == ')' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			out.WriteByte(c)
		default:
			fmt.Fprintf(&out, "\\%03o", c)
		}
	}
	return out.String()
}

// width is how wide WinAnsi text is set in Helvetica at size, in points.
func width(b []byte, size float64, bold bool) float64 {
	table := &helvetica
	if bold {
		table = &helveticaBold
	}
	var w int
	for _, c := range b {
		if c >= 0x20 {
			w += int(table[c-0x20])
		}
	}
	return float64(w) * size / 1000
}

// latin folds the Latin Extended-A letters to ASCII, by code point from
// U+0100 (Ā ā Ă ă Ą ą Ć ć ...).
const latin = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi??JjKkkLlLlLlLlLlNnNnNn???OoOoOo??RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"

// transliterate writes a character WinAnsi lacks as ASCII: Latin
// Extended-A letters lose their accents, quotes and dashes become their
// ASCII forms, anything else becomes '?'.
func transliterate(r rune) string {
	switch {
	case r >= 0x100 && int(r-0x100) < len(latin):
		return string(latin[r-0x100])
	case r == '\u2032' || r == '\u2033':
		return "'"
	case r >= 0x2010 && r <= 0x2015:
		return "-"
	case r == '\u00b7' || r == '\u2219':
		return "."
	}
	return "?"
}

// wrap splits s into lines no wider than w points, at spaces; a word
// wider than a line is broken where the line ends.
func wrap(s string, w, size float64, bold bool) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := ""
	for _, word := range words {
		if line != "" && width(encode(line+" "+word), size, bold) <= w {
			line += " " + word
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for r := []rune(word); ; {
			n := len(r)
			for n > 1 && width(encode(string(r[:n])), size, bold) > w {
				n--
			}
			if n == len(r) {
				line = string(r)
				break
			}
			lines, r = append(lines, string(r[:n])), r[n:]
		}
	}
	return append(lines, line)
}

// fit is s on one line of at most w points, cut with an ellipsis when
// longer, in WinAnsi.
func fit(s string, w, size float64, bold bool) []byte {
	b := encode(s)
	if width(b, size, bold) <= w {
		return b
	}
	ellipsis := []byte{winAnsi['…']}
	for len(b) > 0 && width(append(b, ellipsis...), size, bold) > w {
		b = b[:len(b)-1]
	}
	return append(bytes.TrimRight(b, " "), ellipsis...)
}
