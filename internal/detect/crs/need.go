package crs

import (
	"regexp/syntax"
	"slices"
	"strings"
)

// Cheap conditions every match of an @rx pattern meets, checked before
// its engine runs (on hostile traffic the engines were half of a
// request's CPU, most calls on values that could not match):
//   - a shortest match: a value with fewer bytes cannot match (each
//     character of a match is at least one byte, in every engine);
//   - for a value in ASCII, a set of bytes of which every match holds at
//     least n (942430: twelve of its special characters; 934120 and
//     other patterns: one of a few punctuation bytes). An alternative
//     spelled with a byte outside ASCII cannot match such a value, so it
//     does not lower n.
// Both are computed from the pattern's syntax tree, as Go's regexp/syntax
// reads it (for a binaryregexp pattern too: \xNN is one character there
// and one byte in binaryregexp, and ASCII reads alike).

// unreachable stands for "no match in an ASCII value".
const unreachable = 1 << 30

// minChars is the fewest characters a match of re holds; with in set, the
// fewest bytes of in (every alternative that needs a character outside
// ASCII unreachable).
func minChars(re *syntax.Regexp, in *[256]bool) int {
	switch re.Op {
	case syntax.OpNoMatch:
		return unreachable
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			switch {
			case in == nil:
				n++
			case r >= 0x80:
				return unreachable
			case counted(in, byte(r), re.Flags&syntax.FoldCase != 0):
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		if in == nil {
			if len(re.Rune) == 0 {
				return unreachable
			}
			return 1
		}
		// Only the class's ASCII members can match in an ASCII value.
		any, all := false, true
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= min(re.Rune[i+1], 0x7f); c++ {
				any = true
				if !in[c] {
					all = false
				}
			}
		}
		switch {
		case !any:
			return unreachable
		case all:
			return 1
		}
		return 0
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		if in == nil {
			return 1
		}
		return 0
	case syntax.OpCapture, syntax.OpPlus:
		return minChars(re.Sub[0], in)
	case syntax.OpStar, syntax.OpQuest:
		return 0
	case syntax.OpRepeat:
		if re.Min == 0 {
			return 0
		}
		return min(unreachable, re.Min*minChars(re.Sub[0], in))
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n = min(unreachable, n+minChars(sub, in))
		}
		return n
	case syntax.OpAlternate:
		n := unreachable
		for _, sub := range re.Sub {
			n = min(n, minChars(sub, in))
		}
		return n
	}
	return 0 // empty match, assertions
}

// counted reports whether a literal byte counts in the set: with case
// folding, both its cases must be in it.
func counted(in *[256]bool, c byte, fold bool) bool {
	if !in[c] {
		return false
	}
	if fold {
		return in[lowerByte[c]] && in[upperByte(c)]
	}
	return true
}

func upperByte(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 32
	}
	return c
}

// byteCount is a set of ASCII bytes and how many of them every match
// holds (see above).
type byteCount struct {
	in [256]bool
	n  int
}

// countOf picks, among the pattern's character classes and punctuation
// literals, the set of bytes every match holds most of; nil when none is
// worth a scan (none held, more than 32 bytes, or letters and digits,
// which any text has, unless a match needs three).
func countOf(re *syntax.Regexp) *byteCount {
	var cands [][256]bool
	var walk func(*syntax.Regexp)
	walk = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpCharClass:
			var s [256]bool
			any := false
			for i := 0; i+1 < len(re.Rune); i += 2 {
				for c := re.Rune[i]; c <= min(re.Rune[i+1], 0x7f); c++ {
					s[c], any = true, true
				}
			}
			if any && !slices.Contains(cands, s) {
				cands = append(cands, s)
			}
		case syntax.OpLiteral:
			for _, r := range re.Rune {
				if r < 0x80 && !isAlnum(byte(r)) {
					var s [256]bool
					s[r] = true
					if !slices.Contains(cands, s) {
						cands = append(cands, s)
					}
				}
			}
		}
		for _, sub := range re.Sub {
			walk(sub)
		}
	}
	walk(re)
	var best *byteCount
	for i := range cands {
		s := &cands[i]
		n := minChars(re, s)
		if n == 0 || n >= unreachable {
			continue // (unreachable: no ASCII value matches; left to the engine)
		}
		size, alnum := 0, false
		for c := range s {
			if s[c] {
				size++
				alnum = alnum || isAlnum(byte(c))
			}
		}
		if alnum && n < 3 || size > 32 {
			continue // (a large set: the shortest match says as much)
		}
		if best == nil || n > best.n || n == best.n && size < popcount(&best.in) {
			best = &byteCount{in: *s, n: n}
		}
	}
	return best
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func popcount(s *[256]bool) int {
	n := 0
	for _, b := range s {
		if b {
			n++
		}
	}
	return n
}

// short reports whether the value is too short for a match, or, in ASCII,
// holds too few of the counted bytes: then the pattern cannot match.
func (o *rxOperator) short(value string) bool {
	if len(value) < o.minLen {
		return true
	}
	if o.lineFirst != nil && !o.lineStarts(value) {
		return true
	}
	if o.emptyLine && !emptyLine(value) {
		return true
	}
	bc := o.count
	if bc == nil {
		return false
	}
	n := 0
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c >= 0x80 {
			return false
		}
		if bc.in[c] {
			if n++; n >= bc.n {
				return false
			}
		}
	}
	return true
}

// analyse sets the operator's cheap conditions from its pattern (re, as
// syntax.Perl parses it, simplified).
func (o *rxOperator) analyse(pattern string, re *syntax.Regexp) {
	if n := minChars(re, nil); n < unreachable {
		o.minLen = n
	}
	o.count = countOf(re)
	if pattern == "^$" {
		o.emptyLine = true
	}
	// The line anchors as the engines read them: in (?sm) mode.
	if ml, err := syntax.Parse("(?sm)"+pattern, syntax.Perl); err == nil {
		if f := firstOf(ml.Simplify()); f.anchored && !f.nullable {
			o.lineFirst = &f.bytes
		}
	}
}

// first is what a match begins with: whether it always begins at a line
// start (a ^ before its first character), the bytes its first character
// can begin with (a superset), and whether it can be empty.
type first struct {
	anchored, nullable bool
	bytes              [256]bool
}

// firstOf computes first from a pattern's syntax tree. Bytes outside
// ASCII are all counted wherever a character outside ASCII could begin
// (a class's member, a case-folded letter such as k, which (?i) matches
// as U+212A too, a byte Go's regexp reads as U+FFFD).
func firstOf(re *syntax.Regexp) first {
	var f first
	high := func() {
		for c := 0x80; c < 0x100; c++ {
			f.bytes[c] = true
		}
	}
	switch re.Op {
	case syntax.OpNoMatch:
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEndLine, syntax.OpEndText:
		f.nullable = true
	case syntax.OpBeginLine, syntax.OpBeginText:
		f.nullable, f.anchored = true, true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			f.nullable = true
			break
		}
		r := re.Rune[0]
		if r >= 0x80 || re.Flags&syntax.FoldCase != 0 {
			high()
		}
		if r < 0x80 {
			f.bytes[r] = true
			if re.Flags&syntax.FoldCase != 0 {
				f.bytes[lowerByte[r]], f.bytes[upperByte(byte(r))] = true, true
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= min(re.Rune[i+1], 0x7f); c++ {
				f.bytes[c] = true
			}
			if re.Rune[i+1] >= 0x80 {
				high()
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for c := range f.bytes {
			f.bytes[c] = re.Op == syntax.OpAnyChar || c != '\n'
		}
	case syntax.OpCapture:
		return firstOf(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		f = firstOf(re.Sub[0])
		f.nullable, f.anchored = true, false
	case syntax.OpPlus:
		return firstOf(re.Sub[0])
	case syntax.OpRepeat:
		f = firstOf(re.Sub[0])
		if re.Min == 0 {
			f.nullable, f.anchored = true, false
		}
	case syntax.OpConcat:
		// Each element's first bytes count while those before it can be
		// empty; a ^ among those empty elements anchors the match.
		f.nullable = true
		for _, sub := range re.Sub {
			s := firstOf(sub)
			for c, b := range s.bytes {
				f.bytes[c] = f.bytes[c] || b
			}
			f.anchored = f.anchored || s.anchored
			if !s.nullable {
				f.nullable = false
				break
			}
		}
	case syntax.OpAlternate:
		f.anchored = true
		for _, sub := range re.Sub {
			s := firstOf(sub)
			for c, b := range s.bytes {
				f.bytes[c] = f.bytes[c] || b
			}
			f.anchored = f.anchored && s.anchored
			f.nullable = f.nullable || s.nullable
		}
	default:
		// Unknown: anything, possibly empty, not anchored.
		for c := range f.bytes {
			f.bytes[c] = true
		}
		f.nullable = true
	}
	return f
}

// lineStarts reports whether a line of the value (its start, or after a
// newline) begins with a byte a match of an anchored pattern can begin
// with; if none does, the pattern cannot match.
func (o *rxOperator) lineStarts(v string) bool {
	if v != "" && o.lineFirst[v[0]] {
		return true
	}
	for i := 0; i < len(v)-1; i++ {
		if v[i] == '\n' && o.lineFirst[v[i+1]] {
			return true
		}
	}
	return false
}

// emptyLine is (?sm)^$: the value is empty, or holds an empty line (at
// its start, between two newlines, or after a final newline).
func emptyLine(v string) bool {
	return v == "" || v[0] == '\n' || v[len(v)-1] == '\n' || strings.Contains(v, "\n\n")
}
