package pii

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// confusable maps what OCR and typists put in place of digits. Only these
// letters are read as digits, and only inside a run that is mostly digits.
var confusable = [256]byte{
	'O': '0', 'o': '0', 'D': '0',
	'I': '1', 'l': '1',
	'S': '5', 's': '5',
	'B': '8',
	'Z': '2', 'z': '2',
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// group is one run of digits (and confusable letters) in a line.
type group struct {
	start, end  int    // byte offsets in the line
	digits      []byte // the run with confusables read as digits
	letterLeft  bool   // a letter touches the run on the left
	letterRight bool
}

// findGroups splits a line into digit runs. Confusable letters at the edge of
// a run that touches a word are trimmed ("BIS 3204" is not "8153204"), and a
// run must be at least half real digits.
func findGroups(line string, buf []byte, out []group) ([]group, []byte) {
	n := len(line)
	for i := 0; i < n; {
		c := line[i]
		if !isDigit(c) && confusable[c] == 0 {
			i++
			continue
		}
		j := i
		for j < n && (isDigit(line[j]) || confusable[line[j]] != 0) {
			j++
		}
		s, e := i, j
		// A letter (or any non-ASCII byte, which is part of a word) next to
		// the run: its confusable edge belongs to that word.
		if letterBefore(line, s) {
			for s < e && !isDigit(line[s]) {
				s++
			}
		}
		if letterAt(line, e) {
			for e > s && !isDigit(line[e-1]) {
				e--
			}
		}
		i = j
		if s == e {
			continue
		}
		// Trimmed edges of a mostly-letter run: "SOS" trims to nothing;
		// "BOS3" still needs half digits.
		real := 0
		for k := s; k < e; k++ {
			if isDigit(line[k]) {
				real++
			}
		}
		if real == 0 || 2*real < e-s {
			continue
		}
		b0 := len(buf)
		for k := s; k < e; k++ {
			c := line[k]
			if !isDigit(c) {
				c = confusable[c]
			}
			buf = append(buf, c)
		}
		out = append(out, group{
			start: s, end: e, digits: buf[b0:len(buf):len(buf)],
			letterLeft:  letterBefore(line, s),
			letterRight: letterAt(line, e),
		})
	}
	return out, buf
}

// letterAt reports whether a letter (of any script) starts at byte i;
// punctuation, spaces (a no-break space included) and emoji are not.
func letterAt(line string, i int) bool {
	if i >= len(line) {
		return false
	}
	if c := line[i]; c < utf8.RuneSelf {
		return isLetter(c)
	}
	r, _ := utf8.DecodeRuneInString(line[i:])
	return unicode.IsLetter(r)
}

// letterBefore reports whether a letter ends just before byte i.
func letterBefore(line string, i int) bool {
	if i == 0 {
		return false
	}
	if c := line[i-1]; c < utf8.RuneSelf {
		return isLetter(c)
	}
	r, _ := utf8.DecodeLastRuneInString(line[:i])
	return unicode.IsLetter(r)
}

// joins reports whether the text between two runs may sit inside one number:
// up to three bytes of spaces, dots, dashes and brackets with at most two
// that are not spaces ("3204 0123", "01.312", "0812-3456", "(021) 555").
func joins(gap string) bool {
	if len(gap) == 0 || len(gap) > 3 {
		return false
	}
	marks := 0
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case ' ':
		case '.', '-', '(', ')':
			marks++
		default:
			return false
		}
	}
	return marks <= 2
}

// Line counts what one line holds, by category (mentions, not distinct
// values).
type Line struct {
	Line  int `json:"line"`
	NIK   int `json:"nik"`
	KK    int `json:"kk"`
	NPWP  int `json:"npwp"`
	Phone int `json:"phone"`
}

// header is what a table's header line says about its columns.
type header struct {
	delim   byte   // ',', ';', '\t', '|'; 0 for a table aligned by spaces
	columns []kind // kind per column (delimited tables)
	ids     []kind // kinds of the 16-digit columns in order (space-aligned tables)
}

// Scanner reads text line by line, keeping what a table header said for the
// rows under it. It is not safe for concurrent use.
type Scanner struct {
	res     Result
	seen    map[Category]map[uint64]struct{} // distinct values, as numbers: a fifth of the memory of strings
	nSeen   int
	maxSeen int
	hdr     *header
	carry   kind // a label alone on the previous line
	lineNo  int
	groups  []group
	digits  []byte
	scratch []byte
}

// NewScanner returns a scanner with nothing counted yet.
func NewScanner() *Scanner {
	return &Scanner{seen: map[Category]map[uint64]struct{}{}, maxSeen: MaxDistinct}
}

// NextFile starts a new input: line numbers restart and a table header
// seen before no longer applies; counts and distinct values carry on.
func (s *Scanner) NextFile() {
	s.hdr = nil
	s.lineNo = 0
}

// Scan reads every line of text and summarises what it found.
func Scan(text string) Result {
	s := NewScanner()
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			s.Line(text)
			break
		}
		s.Line(text[:i])
		text = text[i+1:]
	}
	return s.Result()
}

// Line scans one line (without its newline) and returns its counts.
func (s *Scanner) Line(line string) Line {
	s.lineNo++
	line = strings.TrimSuffix(line, "\r")
	out := Line{Line: s.lineNo}
	s.groups, s.digits = findGroups(line, s.digits[:0], s.groups[:0])
	gs := s.groups

	if s.maybeHeader(line, gs) {
		s.carry = kindNone
		return out
	}
	// A label alone on the line before ("NIK" then the number below it, as
	// forms and PDFs without layout come out) names this line's first number.
	carry := s.carry
	s.carry = kindNone
	if len(gs) == 0 {
		if k, end := lastKeyword(line, 0, len(line)); k != kindNone && len(strings.TrimRight(line[end:], " :.\t")) == 0 {
			s.carry = k
		}
	}
	idOrdinal := 0 // which 16-digit number of the row this is (space-aligned tables)
	prevEnd := 0
	prevCtx := kindNone
	for i := 0; i < len(gs); {
		ctx, kwEnd := lastKeyword(line, prevEnd, gs[i].start)
		if ctx != kindNone && gs[i].start-kwEnd > contextReach {
			ctx = kindNone
		}
		if ctx == kindNone && i == 0 && carry != kindNone && strings.TrimSpace(line[:gs[0].start]) == "" {
			ctx = carry
		}
		// "INV/2024/0001...": a number tagged as not personal carries the
		// tag to the numbers chained to it by punctuation.
		if ctx == kindNone && prevCtx == kindNegative && i > 0 && chained(line[prevEnd:gs[i].start]) {
			ctx = kindNegative
		}
		prevCtx = ctx
		if ctx == kindNegative {
			// Everything joined to a tagged number is that number.
			j := i + 1
			for j < len(gs) && joins(line[gs[j-1].end:gs[j].start]) {
				j++
			}
			prevEnd = gs[j-1].end
			i = j
			continue
		}
		// A run glued to a word counts only after a context word ("NIK3204...").
		if gs[i].letterLeft && (kwEnd != gs[i].start || ctx == kindNone || ctx == kindNegative) {
			prevEnd = gs[i].end
			i++
			continue
		}
		col := kindNone
		if s.hdr != nil && s.hdr.delim != 0 {
			if c := column(line, gs[i].start, s.hdr.delim); c >= 0 && c < len(s.hdr.columns) {
				col = s.hdr.columns[c]
			}
		}
		f, next := s.window(line, gs, i, ctx, col, &idOrdinal)
		if next <= i {
			prevEnd = gs[i].end
			i++
			continue
		}
		if f.candidate {
			s.res.Candidates++
		}
		if f.valid {
			s.res.Valid++
			s.add(f)
			switch f.cat {
			case NIK:
				out.NIK++
			case KK:
				out.KK++
			case NPWP:
				out.NPWP++
			case Phone:
				out.Phone++
			}
		}
		prevEnd = gs[next-1].end
		i = next
	}
	return out
}

// find is one classified number. value never leaves the package.
type find struct {
	cat       Category
	value     string
	woman     bool
	candidate bool // shaped like personal data (counts toward the validation share)
	valid     bool
	card      bool // a payment card number: consume it whole
}

// window tries the numbers that start at run i, joined with the runs after
// it, and returns the best reading and the index of the first run after it
// (i itself when nothing there is shaped like personal data).
func (s *Scanner) window(line string, gs []group, i int, ctx, col kind, idOrdinal *int) (find, int) {
	var best, shaped find
	bestNext, shapedNext := i, i
	total := 0
	s.scratch = s.scratch[:0]
	for j := i; j < len(gs); j++ {
		if j > i && !joins(line[gs[j-1].end:gs[j].start]) {
			break
		}
		total += len(gs[j].digits)
		if total > 16 {
			break
		}
		s.scratch = append(s.scratch, gs[j].digits...)
		if gs[j].letterRight && !(j+1 < len(gs) && gs[j+1].start == gs[j].end) {
			// A number glued to a word on its right is part of a code
			// ("3204...0001ABC"); it may still be shaped, never valid.
			if total >= 9 && shaped.cat == "" {
				shaped = find{cat: "?", candidate: total == 16}
				shapedNext = j + 1
			}
			break
		}
		f := s.classify(line, gs[i:j+1], s.scratch, ctx, col, *idOrdinal)
		if f.card {
			// A payment card: none of its groups is anything else.
			return find{}, j + 1
		}
		if f.valid {
			// One run read whole wins; otherwise the longest reading.
			if j == i {
				best, bestNext = f, j+1
				break
			}
			best, bestNext = f, j+1
		} else if f.candidate {
			shaped, shapedNext = f, j+1
		}
	}
	if best.valid {
		if len(best.value) >= 15 {
			*idOrdinal++
		}
		return best, bestNext
	}
	if shaped.candidate {
		if total >= 15 {
			*idOrdinal++
		}
		shaped.valid = false
		return shaped, shapedNext
	}
	return find{}, i
}

// classify decides what the digits d read from runs gs are.
func (s *Scanner) classify(line string, gs []group, d []byte, ctx, col kind, idOrdinal int) find {
	if ctx == kindNone {
		ctx = col
		if ctx == kindNone && s.hdr != nil && s.hdr.delim == 0 && len(d) >= 15 && idOrdinal < len(s.hdr.ids) {
			ctx = s.hdr.ids[idOrdinal]
		}
	}
	if ctx == kindNegative {
		return find{}
	}
	switch len(d) {
	case 16:
		if ctx == kindNone && cardLike(gs, d) {
			return find{card: true}
		}
		f := find{candidate: true}
		switch ctx {
		case kindKK:
			if kkOK(d) {
				f.cat, f.value, f.valid = KK, string(d), true
			}
		case kindNPWP:
			if nikOK(d) || (d[0] == '0' && npwpOK(d[1:])) {
				f.cat, f.value, f.valid = NPWP, string(d), true
			}
		default:
			if nikOK(d) {
				f.cat, f.value, f.valid, f.woman = NIK, string(d), true, nikWoman(d)
			} else if d[0] == '0' && npwpOK(d[1:]) && ctx == kindNone && npwpShape(gs[1:]) {
				f.cat, f.value, f.valid = NPWP, string(d), true
			}
		}
		return f
	case 15:
		if ctx != kindNPWP && !npwpShape(gs) {
			return find{}
		}
		f := find{candidate: true}
		if npwpOK(d) {
			f.cat, f.value, f.valid = NPWP, "0"+string(d), true
		}
		return f
	}
	if len(d) < 9 || len(d) > 14 {
		return find{}
	}
	// Spreadsheets store numbers as numbers and drop the leading zero: an
	// NPWP of 14 digits, a phone of 8xx..., under a column or word that
	// names them.
	if ctx == kindNPWP && len(d) == 14 {
		z := append([]byte{'0'}, d...)
		f := find{candidate: true}
		if npwpOK(z) {
			f.cat, f.value, f.valid = NPWP, "0"+string(z), true
		}
		return f
	}
	if ctx == kindPhone && d[0] == '8' && len(d) >= 9 && len(d) <= 12 {
		return find{cat: Phone, value: "62" + string(d), candidate: true, valid: mobilePrefix(d[:3])}
	}
	landline := ctx == kindPhone
	if start := gs[0].start; start > 0 && (line[start-1] == '+' || line[start-1] == '(') {
		landline = true
	}
	canon, shaped, valid := phoneCanon(d, landline)
	if !shaped {
		return find{}
	}
	return find{cat: Phone, value: canon, candidate: true, valid: valid}
}

// npwpShape reports whether runs are laid out as an NPWP is written:
// 99.999.999.9-999.999.
func npwpShape(gs []group) bool {
	want := [...]int{2, 3, 3, 1, 3, 3}
	if len(gs) != len(want) {
		return false
	}
	for k, g := range gs {
		if len(g.digits) != want[k] {
			return false
		}
	}
	return true
}

// cardLike reports a payment card number: four groups of four that pass the
// Luhn check, from a card network's range (3 Amex/JCB, 4 Visa, 5 Mastercard,
// 6 Discover/UnionPay).
func cardLike(gs []group, d []byte) bool {
	if len(gs) != 4 || d[0] < '3' || d[0] > '6' {
		return false
	}
	for _, g := range gs {
		if len(g.digits) != 4 {
			return false
		}
	}
	return luhnOK(d)
}

// column returns the index of the delimited column that byte offset at lies
// in, honouring double quotes; delim '<' counts HTML cells.
func column(line string, at int, delim byte) int {
	if delim == '<' {
		return len(htmlCells(line[:min(at, len(line))])) - 1
	}
	c, quoted := 0, false
	for i := 0; i < at && i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case delim:
			if !quoted {
				c++
			}
		}
	}
	return c
}

// maybeHeader recognises a table header ("nik,no_kk,nama,no_hp" or
// "NO  NKK  NIK  NAMA") and remembers it for the rows below; it reports
// whether line was one.
func (s *Scanner) maybeHeader(line string, gs []group) bool {
	for _, g := range gs {
		if len(g.digits) >= 9 {
			return false
		}
	}
	if cells := htmlCells(line); len(cells) >= 2 && shortCells(cells) {
		h := &header{delim: '<', columns: make([]kind, len(cells))}
		ids := 0
		for i, c := range cells {
			h.columns[i] = firstKeyword(stripTags(c))
			if h.columns[i] != kindNone && h.columns[i] != kindNegative {
				ids++
			}
		}
		if ids > 0 {
			s.hdr = h
			return true
		}
		return false
	}
	delim, most := byte(0), 0
	for _, d := range []byte{',', ';', '\t', '|'} {
		if n := strings.Count(line, string(d)); n > most {
			delim, most = d, n
		}
	}
	if delim != 0 {
		cells := strings.Split(line, string(delim))
		if len(cells) < 2 || !shortCells(cells) {
			return s.listHeader(line)
		}
		h := &header{delim: delim, columns: make([]kind, len(cells))}
		ids := 0
		for i, c := range cells {
			h.columns[i] = firstKeyword(c)
			if h.columns[i] != kindNone && h.columns[i] != kindNegative {
				ids++
			}
		}
		if ids > 0 {
			s.hdr = h
			return true
		}
		return false
	}
	// A space-aligned header: two or more identity columns named in order.
	if !strings.Contains(line, "  ") {
		return false
	}
	var ids []kind
	var distinct [kindNegative + 1]bool
	n := 0
	for w := range strings.FieldsSeq(line) {
		k := firstKeyword(w)
		if k == kindNIK || k == kindKK || k == kindNPWP {
			ids = append(ids, k)
		}
		if k != kindNone && k != kindNegative && !distinct[k] {
			distinct[k] = true
			n++
		}
	}
	if len(ids) > 0 && n >= 2 {
		s.hdr = &header{ids: ids}
		return true
	}
	return false
}

// MaxDistinct bounds the distinct values one Scanner remembers (about 20
// bytes each), so that a dump of a hundred million rows cannot exhaust
// memory; past it Result.Capped is set and the distinct counts are lower
// bounds, while Mentions keeps counting.
const MaxDistinct = 1 << 24

func (s *Scanner) add(f find) {
	s.res.Mentions++
	m := s.seen[f.cat]
	if m == nil {
		m = map[uint64]struct{}{}
		s.seen[f.cat] = m
	}
	v := digitsValue(f.value)
	if _, dup := m[v]; dup {
		return
	}
	if s.nSeen >= s.maxSeen {
		s.res.Capped = true
		return
	}
	s.nSeen++
	m[v] = struct{}{}
	switch f.cat {
	case NIK:
		s.res.NIK++
		if f.woman {
			s.res.Women++
		}
	case KK:
		s.res.KK++
	case NPWP:
		s.res.NPWP++
	case Phone:
		s.res.Phone++
	}
}

// digitsValue reads up to 19 digits as a number. NIK, KK and NPWP values
// are 16 digits (zero-padded back by valueString); phones start with 62.
func digitsValue(d string) uint64 {
	var n uint64
	for i := 0; i < len(d); i++ {
		n = n*10 + uint64(d[i]-'0')
	}
	return n
}

// valueString is digitsValue undone for a category.
func valueString(cat Category, v uint64) string {
	if cat == Phone {
		return strconv.FormatUint(v, 10)
	}
	return fmt.Sprintf("%016d", v)
}

// listHeader recognises columns named in a sentence, as a sale post
// describes its sample: "format CSV (NIK, NKK, nama, alamat)": two or more
// identity columns among short comma-separated items. The rows below get
// them in order, as under a space-aligned header.
func (s *Scanner) listHeader(line string) bool {
	items := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '(' || r == ')' || r == ';' })
	var ids []kind
	for _, it := range items {
		if len(strings.Fields(it)) > 2 {
			continue
		}
		switch k := firstKeyword(it); k {
		case kindNIK, kindKK, kindNPWP:
			ids = append(ids, k)
		}
	}
	if len(ids) < 2 {
		return false
	}
	s.hdr = &header{ids: ids}
	return true
}

// shortCells reports whether every cell reads like a column name, so that a
// sentence with a comma in it is not taken for a header.
func shortCells(cells []string) bool {
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if len(c) > 32 || len(strings.Fields(c)) > 3 {
			return false
		}
	}
	return true
}

// chained reports whether the text between two numbers only links them
// ("/", "-", ".", ":"), so they are parts of one identifier.
func chained(gap string) bool {
	if len(gap) == 0 || len(gap) > 3 {
		return false
	}
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case '/', '-', '.', ':', '_', '#':
		default:
			return false
		}
	}
	return true
}

// htmlCells splits a table row written on one line ("<tr><th>NIK</th>...")
// at its cell tags, returning the text after each <td or <th.
func htmlCells(line string) []string {
	var cells []string
	last := -1 // start of the current cell
	for i := 0; i+3 <= len(line); i++ {
		if line[i] == '<' && line[i+1]|0x20 == 't' && (line[i+2]|0x20 == 'd' || line[i+2]|0x20 == 'h') &&
			(i+3 == len(line) || line[i+3] == '>' || line[i+3] == ' ') {
			if last >= 0 {
				cells = append(cells, line[last:i])
			}
			last = i + 3
			i += 2
		}
	}
	if last >= 0 {
		cells = append(cells, line[last:])
	}
	return cells
}

// stripTags drops what lies between < and >.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '<':
			in = true
		case s[i] == '>':
			in = false
		case !in:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
