package report

import (
	"bytes"
	"fmt"
	"strings"
)

// PDF is a minimal PDF 1.4 writer: A4 pages of text in the standard
// Helvetica fonts (WinAnsi encoding, so nothing is embedded), lines and
// table rows laid out top to bottom, with a page break when a page is full.
// Content streams are not compressed.
type PDF struct {
	pages []*bytes.Buffer
	y     float64
}

// Page geometry, in points.
const (
	pageW, pageH = 595.0, 842.0
	margin       = 50.0
)

// NewPDF starts a document with one empty page.
func NewPDF() *PDF {
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
	fmt.Fprintf(p.pages[len(p.pages)-1], "BT /%s %.1f Tf %.2f %.2f Td (%s) Tj ET\n", font(bold), size, x, p.y, pdfString(s))
}

// Text writes one line (longer lines are wrapped at words).
func (p *PDF) Text(s string, size float64, bold bool) {
	for _, line := range wrap(s, int((pageW-2*margin)/(size*0.5))) {
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
// text width), cut to fit their column.
func (p *PDF) Row(cells []string, cols []float64, bold bool) {
	const size = 9.0
	p.space(size * 1.5)
	width := pageW - 2*margin
	for i, c := range cells {
		if i >= len(cols) {
			break
		}
		end := 1.0
		if i+1 < len(cols) {
			end = cols[i+1]
		}
		maxChars := int((end - cols[i]) * width / (size * 0.52))
		if r := []rune(c); len(r) > maxChars && maxChars > 1 {
			c = string(r[:maxChars-1]) + "."
		}
		p.text(margin+cols[i]*width, c, size, bold)
	}
	if bold {
		fmt.Fprintf(p.pages[len(p.pages)-1], "0.5 w %.2f %.2f m %.2f %.2f l S\n", margin, p.y-3, pageW-margin, p.y-3)
	}
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
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.Bytes()))
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

// pdfString encodes s as a PDF literal string's body in WinAnsi:
// characters WinAnsi lacks lose their accents or become '?'.
func pdfString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		case winAnsi[r] != 0:
			fmt.Fprintf(&b, "\\%03o", winAnsi[r])
		default:
			b.WriteString(transliterate(r))
		}
	}
	return b.String()
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

// wrap splits s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := ""
	for _, w := range words {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return append(lines, line)
}
