package sigma

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case folding. Rule literals are lower-cased once at compile time with
// lowerString; an event's value is compared through foldTab when it is
// ASCII (the common case, no copy), or lower-cased into scratch space
// with appendLower when it is not. Both lower-case rune by rune, so a
// lower-cased substring is a substring of the lower-cased whole, which is
// what lets the prefilter look for lower-cased literals.

var foldTab = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// appendLower appends s lower-cased rune by rune; bytes that are not valid
// UTF-8 are kept as they are (so that encoded values such as UTF-16 stay
// byte for byte).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, foldTab[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}

func lowerString(s string) string { return string(appendLower(nil, s)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// The fold* functions compare a text (ASCII, or already lower-cased) with
// a lower-cased literal, folding ASCII case in the text.

func foldEqual(text, lit string) bool {
	return len(text) == len(lit) && foldPrefixAt(text, 0, lit)
}

func foldHasPrefix(text, lit string) bool {
	return len(text) >= len(lit) && foldPrefixAt(text, 0, lit)
}

func foldHasSuffix(text, lit string) bool {
	return len(text) >= len(lit) && foldPrefixAt(text, len(text)-len(lit), lit)
}

func foldPrefixAt(text string, at int, lit string) bool {
	t := text[at : at+len(lit)]
	for i := 0; i < len(lit); i++ {
		if foldTab[t[i]] != lit[i] {
			return false
		}
	}
	return true
}

// foldIndex returns the first index of lit in text, or -1.
func foldIndex(text, lit string) int {
	if len(lit) == 0 {
		return 0
	}
	first := lit[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	for i := 0; i+len(lit) <= len(text); i++ {
		if c := text[i]; c != first && c != upper {
			// Skip ahead to the next possible first byte.
			j := indexEither(text[i+1:len(text)-len(lit)+1], first, upper)
			if j < 0 {
				return -1
			}
			i += j
			continue
		}
		if foldPrefixAt(text, i, lit) {
			return i
		}
	}
	return -1
}

func indexEither(s string, a, b byte) int {
	i := strings.IndexByte(s, a)
	if a == b {
		return i
	}
	j := strings.IndexByte(s, b)
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

// foldEqualBoth compares two texts that are each ASCII or lower-cased.
func foldEqualBoth(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldTab[a[i]] != foldTab[b[i]] {
			return false
		}
	}
	return true
}

// glob is a Sigma string with * and ? split at its stars, ready to match.
// ? is one character (rune). Segments between stars are matched leftmost,
// which is exact when the only variable-length element is *.
type glob struct {
	lead, trail bool   // starts / ends with *
	segs        []sstr // star-free runs of literals and ?
}

func newGlob(g sstr) glob {
	gl := glob{
		lead:  len(g) > 0 && g[0].kind == partStar,
		trail: len(g) > 0 && g[len(g)-1].kind == partStar,
	}
	start := 0
	for i, p := range g {
		if p.kind == partStar {
			if i > start {
				gl.segs = append(gl.segs, g[start:i])
			}
			start = i + 1
		}
	}
	if start < len(g) {
		gl.segs = append(gl.segs, g[start:])
	}
	return gl
}

// match matches text; fold says whether to fold ASCII case in text (the
// literals are then lower-cased).
func (g *glob) match(text string, fold bool) bool {
	if len(g.segs) == 0 {
		return g.lead || len(text) == 0
	}
	pos := 0
	for si, seg := range g.segs {
		first, last := si == 0, si == len(g.segs)-1
		switch {
		case first && !g.lead && last && !g.trail:
			return segMatchAt(seg, text, 0, fold) == len(text)
		case first && !g.lead:
			end := segMatchAt(seg, text, 0, fold)
			if end < 0 {
				return false
			}
			pos = end
		case last && !g.trail:
			for p := pos; p <= len(text); p++ {
				if segMatchAt(seg, text, p, fold) == len(text) {
					return true
				}
			}
			return false
		default:
			found := false
			for p := pos; p <= len(text); p++ {
				if end := segMatchAt(seg, text, p, fold); end >= 0 {
					pos, found = end, true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// segMatchAt matches a segment (literals and ?) at text[at:], returning
// the end offset or -1.
func segMatchAt(seg sstr, text string, at int, fold bool) int {
	for _, p := range seg {
		switch p.kind {
		case partLit:
			if len(text)-at < len(p.text) {
				return -1
			}
			if fold {
				if !foldPrefixAt(text, at, p.text) {
					return -1
				}
			} else if text[at:at+len(p.text)] != p.text {
				return -1
			}
			at += len(p.text)
		case partOne:
			if at >= len(text) {
				return -1
			}
			_, size := utf8.DecodeRuneInString(text[at:])
			at += size
		}
	}
	return at
}

// parseNumber parses a decimal number (optional sign, digits, optional
// fraction) without allocating.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	var v float64
	digits := 0
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + float64(s[i]-'0')
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		scale := 0.1
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			v += float64(s[i]-'0') * scale
			scale /= 10
			digits++
		}
	}
	if digits == 0 || i != len(s) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
