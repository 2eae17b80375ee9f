package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A Sigma string is literal text with wildcards and, after |expand,
// placeholders.
type partKind uint8

const (
	partLit partKind = iota
	partStar
	partOne // ?: exactly one character
	partPlaceholder
)

type part struct {
	kind partKind
	text string // literal text, or the placeholder name
}

type sstr []part

// parseSigmaString splits a value into literals and wildcards. A backslash
// escapes *, ? and itself; before anything else it is a plain backslash
// (Sigma specification, "Escaping").
func parseSigmaString(s string) sstr {
	var out sstr
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*':
			flush()
			if len(out) == 0 || out[len(out)-1].kind != partStar {
				out = append(out, part{kind: partStar})
			}
		case '?':
			flush()
			out = append(out, part{kind: partOne})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

// plainText returns the string when it has no wildcards or placeholders.
func (s sstr) plainText() (string, bool) {
	var b strings.Builder
	for _, p := range s {
		if p.kind != partLit {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

func (s sstr) hasPlaceholder() bool {
	for _, p := range s {
		if p.kind == partPlaceholder {
			return true
		}
	}
	return false
}

func (s sstr) startsWithStar() bool { return len(s) > 0 && s[0].kind == partStar }
func (s sstr) endsWithStar() bool   { return len(s) > 0 && s[len(s)-1].kind == partStar }

func (s sstr) withStars(lead, trail bool) sstr {
	out := make(sstr, 0, len(s)+2)
	if lead && !s.startsWithStar() {
		out = append(out, part{kind: partStar})
	}
	out = append(out, s...)
	if trail && !out.endsWithStar() {
		out = append(out, part{kind: partStar})
	}
	return out
}

// mapLiterals transforms every literal part, keeping wildcards.
func (s sstr) mapLiterals(f func(string) string) sstr {
	out := make(sstr, len(s))
	for i, p := range s {
		if p.kind == partLit {
			p.text = f(p.text)
		}
		out[i] = p
	}
	return out
}

// String renders the value back in Sigma syntax.
func (s sstr) String() string {
	var b strings.Builder
	for _, p := range s {
		switch p.kind {
		case partLit:
			for i := 0; i < len(p.text); i++ {
				if c := p.text[i]; c == '*' || c == '?' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(p.text[i])
			}
		case partStar:
			b.WriteByte('*')
		case partOne:
			b.WriteByte('?')
		case partPlaceholder:
			b.WriteString("%" + p.text + "%")
		}
	}
	return b.String()
}

// condType is what a field condition compares: text (with wildcards), a
// regular expression, a network, a number, presence, or another field.
type condType uint8

const (
	ctString condType = iota
	ctRegex
	ctCIDR
	ctNumber
	ctExists
	ctFieldRef
)

type cmpOp uint8

const (
	cmpGT cmpOp = iota
	cmpGTE
	cmpLT
	cmpLTE
)

// position is where a literal must sit (for fieldref, which has no
// wildcards to express it).
type position uint8

const (
	posEqual position = iota
	posPrefix
	posSuffix
	posContains
)

// condSpec is a validated field condition, independent of field mapping
// and placeholders: Parse builds it, Compile specialises it.
type condSpec struct {
	field   string
	keyword bool
	typ     condType
	all     bool
	neq     bool
	cased   bool
	vals    []specVal
}

// specVal is one value of a condition after its modifiers.
type specVal struct {
	orig string // as written
	null bool
	alts []sstr // ctString: alternatives (OR) after transformations

	re     *regexp.Regexp
	pfx    netip.Prefix
	cmp    cmpOp
	num    float64
	exists bool
	ref    string
	refPos position
}

// Modifiers, by name. Time modifiers (minute, hour, ...) are known but
// unsupported: an event has no date field to take them from.
var (
	transformMods = map[string]bool{
		"base64": true, "base64offset": true, "utf16le": true, "utf16be": true,
		"utf16": true, "wide": true, "windash": true, "expand": true,
	}
	positionMods = map[string]position{"contains": posContains, "startswith": posPrefix, "endswith": posSuffix}
	typeMods     = map[string]condType{
		"re": ctRegex, "cidr": ctCIDR, "gt": ctNumber, "gte": ctNumber, "lt": ctNumber, "lte": ctNumber,
		"exists": ctExists, "fieldref": ctFieldRef,
	}
	flagMods  = map[string]bool{"all": true, "cased": true, "neq": true}
	reFlags   = map[string]bool{"i": true, "m": true, "s": true}
	timeMods  = map[string]bool{"minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true}
	cmpByName = map[string]cmpOp{"gt": cmpGT, "gte": cmpGTE, "lt": cmpLT, "lte": cmpLTE}
)

// maxAlternatives bounds how many values one value may expand to
// (windash permutations, placeholders), so that a rule cannot blow up
// memory.
const maxAlternatives = 4096

func isPositionMod(m string) bool { _, ok := positionMods[m]; return ok }
func isTypeMod(m string) bool     { _, ok := typeMods[m]; return ok }

func newCondSpec(fc *FieldCond) (*condSpec, error) {
	cs := &condSpec{field: fc.Field, keyword: fc.Field == "", typ: ctString}
	var typeMod, posMod string
	var reFlagSet string
	for _, m := range fc.Modifiers {
		switch {
		case transformMods[m], flagMods[m]:
		case isPositionMod(m):
			if posMod != "" && posMod != m {
				return nil, fmt.Errorf("conflicting modifiers %s and %s", posMod, m)
			}
			posMod = m
		case isTypeMod(m):
			if typeMod != "" && typeMod != m {
				return nil, fmt.Errorf("conflicting modifiers %s and %s", typeMod, m)
			}
			typeMod = m
			cs.typ = typeMods[m]
		case reFlags[m]:
			if !strings.Contains(reFlagSet, m) {
				reFlagSet += m
			}
		case timeMods[m]:
			return nil, fmt.Errorf("unsupported modifier %q: time modifiers need a date field, which events do not have", m)
		default:
			return nil, fmt.Errorf("unknown modifier %q", m)
		}
		switch m {
		case "all":
			cs.all = true
		case "cased":
			cs.cased = true
		case "neq":
			cs.neq = true
		}
	}
	if reFlagSet != "" && cs.typ != ctRegex {
		return nil, fmt.Errorf("modifiers %s need re", strings.Join(strings.Split(reFlagSet, ""), ", "))
	}
	if cs.typ != ctString {
		for _, m := range fc.Modifiers {
			if transformMods[m] || isPositionMod(m) && cs.typ != ctFieldRef {
				return nil, fmt.Errorf("%s cannot be combined with %s", typeMod, m)
			}
		}
	}
	if cs.keyword && cs.typ != ctString && cs.typ != ctRegex {
		return nil, fmt.Errorf("a keyword search cannot use %s", typeMod)
	}
	if cs.keyword && cs.neq {
		return nil, errors.New("a keyword search cannot use neq")
	}
	switch cs.typ {
	case ctString:
		for _, v := range fc.Values {
			sv, err := stringValue(v, fc.Modifiers, cs.keyword && posMod == "")
			if err != nil {
				return nil, err
			}
			cs.vals = append(cs.vals, sv)
		}
	case ctRegex:
		flags := reFlagSet
		for _, v := range fc.Values {
			sv := specVal{orig: v.Text, null: v.Kind == KindNull}
			if !sv.null {
				expr := v.Text
				if flags != "" {
					expr = "(?" + flags + ")" + expr
				}
				re, err := regexp.Compile(expr)
				if err != nil {
					return nil, fmt.Errorf("regular expression %q: %w (RE2 syntax: no lookaround or backreferences)", v.Text, err)
				}
				sv.re = re
			}
			cs.vals = append(cs.vals, sv)
		}
	case ctCIDR:
		for _, v := range fc.Values {
			sv := specVal{orig: v.Text, null: v.Kind == KindNull}
			if !sv.null {
				p, err := netip.ParsePrefix(strings.TrimSpace(v.Text))
				if err != nil {
					return nil, fmt.Errorf("cidr %q: %w", v.Text, err)
				}
				sv.pfx = p.Masked()
			}
			cs.vals = append(cs.vals, sv)
		}
	case ctNumber:
		for _, v := range fc.Values {
			f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64)
			if v.Kind == KindNull || v.Kind == KindBool || err != nil {
				return nil, fmt.Errorf("%s needs a number, not %q", typeMod, v.Text)
			}
			cs.vals = append(cs.vals, specVal{orig: v.Text, cmp: cmpByName[typeMod], num: f})
		}
	case ctExists:
		if len(fc.Values) != 1 {
			return nil, errors.New("exists takes one value, true or false")
		}
		v := fc.Values[0]
		b, err := strconv.ParseBool(v.Text)
		if v.Kind == KindNull || err != nil {
			return nil, fmt.Errorf("exists needs true or false, not %q", v.Text)
		}
		cs.vals = append(cs.vals, specVal{orig: v.Text, exists: b})
	case ctFieldRef:
		pos := posEqual
		if posMod != "" {
			pos = positionMods[posMod]
		}
		for _, v := range fc.Values {
			if v.Kind == KindNull || v.Text == "" {
				return nil, errors.New("fieldref needs a field name")
			}
			cs.vals = append(cs.vals, specVal{orig: v.Text, ref: v.Text, refPos: pos})
		}
	}
	return cs, nil
}

// stringValue applies a chain of modifiers to one value, in the order
// written (Sigma specification: "applied in the given order").
func stringValue(v Value, mods []string, implicitContains bool) (specVal, error) {
	sv := specVal{orig: v.Text}
	if v.Kind == KindNull {
		sv.null = true
		return sv, nil
	}
	alts := []sstr{parseSigmaString(v.Text)}
	for _, m := range mods {
		var err error
		switch m {
		case "contains":
			alts = mapAlts(alts, func(s sstr) sstr { return s.withStars(true, true) })
		case "startswith":
			alts = mapAlts(alts, func(s sstr) sstr { return s.withStars(false, true) })
		case "endswith":
			alts = mapAlts(alts, func(s sstr) sstr { return s.withStars(true, false) })
		case "base64":
			alts, err = encodeAlts(alts, m, func(s string) []string {
				return []string{base64.StdEncoding.EncodeToString([]byte(s))}
			})
		case "base64offset":
			alts, err = encodeAlts(alts, m, base64Offsets)
		case "utf16le", "wide":
			alts = mapAlts(alts, func(s sstr) sstr { return s.mapLiterals(utf16LE) })
		case "utf16be":
			alts = mapAlts(alts, func(s sstr) sstr { return s.mapLiterals(utf16BE) })
		case "utf16":
			alts = mapAlts(alts, func(s sstr) sstr {
				out := s.mapLiterals(utf16LE)
				return append(sstr{{kind: partLit, text: "\xff\xfe"}}, out...)
			})
		case "windash":
			var next []sstr
			for _, a := range alts {
				next = append(next, windash(a)...)
				if len(next) > maxAlternatives {
					return sv, fmt.Errorf("windash: value %q has too many permutations", v.Text)
				}
			}
			alts = next
		case "expand":
			alts = mapAlts(alts, insertPlaceholders)
		}
		if err != nil {
			return sv, err
		}
	}
	if implicitContains {
		alts = mapAlts(alts, func(s sstr) sstr { return s.withStars(true, true) })
	}
	sv.alts = alts
	return sv, nil
}

func mapAlts(alts []sstr, f func(sstr) sstr) []sstr {
	out := make([]sstr, len(alts))
	for i, a := range alts {
		out[i] = f(a)
	}
	return out
}

func encodeAlts(alts []sstr, mod string, enc func(string) []string) ([]sstr, error) {
	var out []sstr
	for _, a := range alts {
		plain, ok := a.plainText()
		if !ok {
			return nil, fmt.Errorf("%s: cannot encode a value with wildcards or placeholders (%q); put contains after it", mod, a.String())
		}
		for _, e := range enc(plain) {
			out = append(out, sstr{{kind: partLit, text: e}})
		}
	}
	return out, nil
}

// base64Offsets returns the three encodings of s at byte offsets 0, 1 and
// 2 within a longer base64 text, trimmed to the characters that do not
// depend on the surrounding bytes (pySigma's algorithm).
func base64Offsets(s string) []string {
	start := [3]int{0, 2, 3}
	endTrim := [3]int{0, 3, 2}
	out := make([]string, 0, 3)
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(" ", i) + s))
		end := len(enc) - endTrim[(len(s)+i)%3]
		if start[i] < end {
			out = append(out, enc[start[i]:end])
		}
	}
	return out
}

func utf16LE(s string) string { return utf16Encode(s, false) }
func utf16BE(s string) string { return utf16Encode(s, true) }

func utf16Encode(s string, bigEndian bool) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// windashChars are the characters Windows accepts as an option prefix.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windash returns every permutation of option dashes in s: a dash-like
// character starting a word (at the start or after a non-word character,
// and followed by a word character) may be any of windashChars. This
// follows pySigma, which leaves dashes inside words ("a-b") alone.
func windash(s sstr) []sstr {
	out := []sstr{nil}
	for _, p := range s {
		if p.kind != partLit {
			for j := range out {
				out[j] = append(out[j], p)
			}
			continue
		}
		pieces := splitDashes(p.text)
		for _, pc := range pieces {
			choices := []string{pc}
			if slices.Contains(windashChars, pc) {
				choices = windashChars
			}
			next := make([]sstr, 0, len(out)*len(choices))
			for _, o := range out {
				for _, c := range choices {
					n := append(append(sstr(nil), o...), part{kind: partLit, text: c})
					next = append(next, n)
				}
			}
			out = next
			if len(out) > maxAlternatives {
				return out
			}
		}
	}
	for i := range out {
		out[i] = mergeLiterals(out[i])
	}
	return out
}

// splitDashes cuts text into runs and single option-dash characters.
func splitDashes(text string) []string {
	var out []string
	last := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		d := string(r)
		if slices.Contains(windashChars, d) && (i == 0 || !isWordByte(text[i-1])) && i+size < len(text) && isWordByte(text[i+size]) {
			if last < i {
				out = append(out, text[last:i])
			}
			out = append(out, d)
			last = i + size
		}
		i += size
	}
	if last < len(text) {
		out = append(out, text[last:])
	}
	return out
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

func mergeLiterals(s sstr) sstr {
	var out sstr
	for _, p := range s {
		if p.kind == partLit && len(out) > 0 && out[len(out)-1].kind == partLit {
			out[len(out)-1].text += p.text
			continue
		}
		if p.kind == partLit && p.text == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// insertPlaceholders turns %name% in literal text into placeholders; \%
// is a plain percent sign (Sigma specification, "Placeholders").
func insertPlaceholders(s sstr) sstr {
	var out sstr
	for _, p := range s {
		if p.kind != partLit {
			out = append(out, p)
			continue
		}
		var lit strings.Builder
		t := p.text
		for i := 0; i < len(t); i++ {
			switch {
			case t[i] == '\\' && i+1 < len(t) && t[i+1] == '%':
				lit.WriteByte('%')
				i++
			case t[i] == '%':
				j := i + 1
				for j < len(t) && isPlaceholderByte(t[j]) {
					j++
				}
				if j < len(t) && t[j] == '%' && j > i+1 {
					if lit.Len() > 0 {
						out = append(out, part{kind: partLit, text: lit.String()})
						lit.Reset()
					}
					out = append(out, part{kind: partPlaceholder, text: t[i+1 : j]})
					i = j
				} else {
					lit.WriteByte('%')
				}
			default:
				lit.WriteByte(t[i])
			}
		}
		if lit.Len() > 0 {
			out = append(out, part{kind: partLit, text: lit.String()})
		}
	}
	return mergeLiterals(out)
}

func isPlaceholderByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
