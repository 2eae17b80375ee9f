package crs

import (
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"testing"
	"unicode/utf8"

	re2 "github.com/wasilibs/go-re2"

	"github.com/garda-id/garda/internal/shareddata"
)

// engineValues is what the engine-equivalence tests feed every pattern:
// the payload lists' lines (when ../shared is here), the recall corpus's,
// and rxValues.
func engineValues(t *testing.T) []string {
	var values []string
	if root, ok := shareddata.Root(); ok {
		values = append(values, paramValues(t, filepath.Join(root, "data", "payloads"))...)
	}
	values = append(values, paramValues(t, "../testdata/params")...)
	return append(values, rxValues(t)...)
}

// randomStrings is n strings of fewer than maxLen bytes drawn from
// alphabet by a PCG seeded 7 and stream: the same strings each run.
func randomStrings(stream uint64, n, maxLen int, alphabet string) []string {
	rnd := rand.New(rand.NewPCG(7, stream))
	out := make([]string, n)
	for k := range out {
		b := make([]byte, rnd.IntN(maxLen))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		out[k] = string(b)
	}
	return out
}

// rxValues is what the @rx operators see on the corpus: random strings
// made of the bytes each pattern's count looks for (so that values near
// the count's threshold occur), then every group's values, transformed
// as the fast path transforms them.
func rxValues(t *testing.T) []string {
	t.Helper()
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := d.fast
	if f == nil {
		t.Fatal("no fast path")
	}
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	s := f.pool.Get().(*fastState)
	defer f.pool.Put(s)
	evs := fastCorpus(t)
	if raceEnabled {
		evs = evs[:len(evs)/8]
	}
	for _, ev := range evs {
		s.req.fill(d, ev)
		s.begin(f.prefixes)
		for gi := range f.groups {
			g := &f.groups[gi]
			eg := f.e.groups[gi]
			s.eachValue(g.sels, eg.perf, eg.multiMatch, g.chain, g.funcs, func(v string, _ int32) { add(v) })
		}
	}
	corpus := out
	out = nil
	rnd := rand.New(rand.NewPCG(7, 10))
	rxCache.Range(func(_, v any) bool {
		o := v.(*rxOperator)
		if o.lineFirst != nil {
			// Lines that begin with the bytes a match can begin with.
			var in []byte
			for c := range o.lineFirst {
				if o.lineFirst[c] && c < 0x80 {
					in = append(in, byte(c))
				}
			}
			filler := []byte("ab\n( )0.:?")
			for range 40 {
				b := make([]byte, rnd.IntN(24))
				for i := range b {
					if rnd.IntN(2) == 0 && len(in) > 0 {
						b[i] = in[rnd.IntN(len(in))]
					} else {
						b[i] = filler[rnd.IntN(len(filler))]
					}
				}
				add(string(b))
			}
		}
		if o.count == nil {
			return true
		}
		var in []byte
		for c := range o.count.in {
			if o.count.in[c] {
				in = append(in, byte(c))
			}
		}
		filler := []byte("abc xyz 019")
		for range 40 {
			b := make([]byte, rnd.IntN(3*o.count.n+8))
			for i := range b {
				if rnd.IntN(2) == 0 {
					b[i] = in[rnd.IntN(len(in))]
				} else {
					b[i] = filler[rnd.IntN(len(filler))]
				}
			}
			add(string(b))
		}
		return true
	})
	return append(out, corpus...)
}

// TestCheapConditionsHold: no value an @rx pattern matches is one its
// cheap conditions (need.go: the shortest match, the bytes counted)
// reject, on every value of the corpus each pattern could see, checked
// with the engine Coraza uses (Go's regexp, or binaryregexp).
func TestCheapConditionsHold(t *testing.T) {
	values := rxValues(t)
	patterns, rejected, wrong := 0, 0, 0
	rxCache.Range(func(k, v any) bool {
		o := v.(*rxOperator)
		patterns++
		n := 0
		for _, val := range values {
			if !o.short(val) {
				continue
			}
			// The random values (first) and 3,000 of the corpus's a
			// pattern (Go's regexp is slow on CRS's largest ones).
			if n++; n > 3000+40 {
				break
			}
			rejected++
			var m bool
			if o.bin != nil {
				m = o.bin.MatchString(val)
			} else {
				m = o.std.MatchString(val)
			}
			if m {
				wrong++
				if wrong <= 10 {
					t.Errorf("pattern %.60q matches %q, which its conditions reject (min %d)", k, val, o.minLen)
				}
			}
		}
		return true
	})
	t.Logf("%d patterns, %d values: %d pairs rejected by the conditions, %d of them wrongly", patterns, len(values), rejected, wrong)
	if rejected == 0 {
		t.Error("the conditions rejected nothing")
	}
}

// TestBinaryEngines: a binaryregexp pattern run on RE2 for an ASCII value
// (rxOperator.binMatch) and on its DFA (rxOperator.binDFA) match exactly
// where binaryregexp does, and the DFA decides every ASCII value.
func TestBinaryEngines(t *testing.T) {
	values := engineValues(t)
	values = append(values, rxValues(t)...)
	values = append(values, randomStrings(16, 3000, 120, "ab_Z09$#{}()[]/*<>!'\"`^~=-.@ \n\t\x0b\x7f")...)
	values = append(values, "", "\n", "<a>", "$a()", "$ {x}(y)", "$a\n()", "$a/*x*/()", "'a'b'c'", "php://x", "PHP://x")
	patterns, compared, matched, differ := 0, 0, 0, 0
	rxCache.Range(func(k, v any) bool {
		o := v.(*rxOperator)
		if o.bin == nil {
			return true
		}
		d := newLazyDFA(o.binSrc, false)
		if d == nil {
			t.Errorf("pattern %.60q: no DFA", k)
			return true
		}
		patterns++
		for _, val := range values {
			if !ascii(val) {
				continue
			}
			compared++
			want := o.bin.MatchString(val)
			if want {
				matched++
			}
			re2 := o.binMatch(val)
			dfa, ok := d.matchString(val)
			if re2 != want || !ok || dfa != want {
				differ++
				if differ <= 10 {
					t.Errorf("pattern %.60q on %q: RE2 %v, DFA %v (ok %v), binaryregexp %v", k, val, re2, dfa, ok, want)
				}
			}
		}
		return true
	})
	t.Logf("%d binary patterns, %d comparisons (%d matches), %d differ", patterns, compared, matched, differ)
	if patterns == 0 || matched == 0 {
		t.Error("nothing compared")
	}
}

// TestMinChars checks the analysis on patterns whose answers are known.
func TestMinChars(t *testing.T) {
	var special [256]bool
	for _, c := range []byte("!<>") {
		special[c] = true
	}
	for _, tc := range []struct {
		pattern  string
		min, cnt int // cnt: bytes of "!<>"
	}{
		{`abc`, 3, 0},
		{`a|bc`, 1, 0},
		{`(?:x[!<>]){3}`, 6, 3},
		{`[<>]+y*`, 1, 1},
		{`\x{e2}\x80|<`, 1, 1}, // the alternative outside ASCII cannot match an ASCII value
		{`\x{e2}\x80`, 2, unreachable},
		{`(?i)!a.`, 3, 1},
		{`^$`, 0, 0},
	} {
		re, err := syntax.Parse(tc.pattern, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		re = re.Simplify()
		if got := minChars(re, nil); got != tc.min {
			t.Errorf("%s: shortest %d, want %d", tc.pattern, got, tc.min)
		}
		if got := minChars(re, &special); got != tc.cnt {
			t.Errorf("%s: counted %d, want %d", tc.pattern, got, tc.cnt)
		}
	}
}

// TestInvalidUTF8OnRE2: for a value outside UTF-8, RE2 on runeBytes (the
// fast path's engine) matches exactly where Go's regexp (Coraza's) does
// on the value, for every pattern not on binaryregexp: the corpus's
// values outside UTF-8, and corpus values with bytes outside UTF-8 put in
// at random places (lone continuation bytes, truncated sequences, bytes
// 0xf8-0xff, a valid U+FFFD beside them).
func TestInvalidUTF8OnRE2(t *testing.T) {
	values := rxValues(t)
	rnd := rand.New(rand.NewPCG(7, 12))
	bad := []string{"\x80", "\xbf", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xff", "\xfe\xfe", "\xed\xa0\x80", "\xc0\xaf", "\ufffd\x80", "\xa0"}
	var invalid []string
	for _, v := range values {
		if !utf8.ValidString(v) {
			invalid = append(invalid, v)
		}
	}
	fromCorpus := len(invalid)
	for i := 0; len(invalid) < fromCorpus+3000; i++ {
		v := values[rnd.IntN(len(values))]
		for range 1 + rnd.IntN(3) {
			at := rnd.IntN(len(v) + 1)
			v = v[:at] + bad[rnd.IntN(len(bad))] + v[at:]
		}
		invalid = append(invalid, v)
	}
	patterns, compared, differ := 0, 0, 0
	eachOnRE2(func(k any, o *rxOperator) {
		patterns++
		for i, val := range invalid {
			if raceEnabled && i%10 != 0 {
				continue // a tenth under the race detector: the comparison is pure Go, slowed tenfold
			}
			compared++
			if a, b := o.re.MatchString(runeBytes(val)), o.std.MatchString(val); a != b {
				differ++
				if differ <= 10 {
					t.Errorf("pattern %.60q on %q: RE2 %v, Go %v", k, val, a, b)
				}
			}
		}
	})
	t.Logf("%d patterns, %d values outside UTF-8 (%d of the corpus), %d comparisons, %d differ", patterns, len(invalid), fromCorpus, compared, differ)
	if patterns == 0 || fromCorpus == 0 {
		t.Error("nothing compared")
	}
}

// TestLineFirst checks the line-start condition on patterns whose answers
// are known, with Go's regexp in (?sm) mode as the reference.
func TestLineFirst(t *testing.T) {
	for _, tc := range []struct {
		pattern  string
		anchored bool
		values   []string
	}{
		{`^\(\s*\)\s+\{`, true, []string{"() {", "x\n() {", "x() {", "(", "\n(", "a\n\n( ) {"}},
		{`(?:^([\d.]+|\[[\da-f:]+\]|[\da-f:]+)(:[\d]+)?$)`, true, []string{"localhost", "10.0.0.1", "x\n::1", "[::1]:80", "fe80::1"}},
		{`^(?i:file|ftps?|https?).*?\?+$`, true, []string{"HTTP://x?", "\nfile?", "xhttp://?", "\u212aile?"}},
		{`(?i)^k`, true, []string{"\u212a", "K", "k", "xk"}},
		{`^a|^b`, true, []string{"a", "xb", "\nb"}},
		{`^a|b`, false, nil},
		{`^?a`, false, nil},
		{`[\n]*^b`, true, []string{"x\nb", "\n\nb", "b"}},
		{`x^b`, false, nil},
		{`^.`, true, []string{"\x80", "\n\xff", "ab"}},
		{`^`, false, nil}, // nullable: not used
	} {
		o, err := buildRx(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if (o.lineFirst != nil) != tc.anchored {
			t.Errorf("%s: anchored %v, want %v", tc.pattern, o.lineFirst != nil, tc.anchored)
			continue
		}
		std := regexp.MustCompile("(?sm)" + tc.pattern)
		for _, v := range tc.values {
			if std.MatchString(v) && o.short(v) {
				t.Errorf("%s matches %q, which the condition rejects", tc.pattern, v)
			}
		}
	}
	for _, v := range []string{"", "\n", "a", "a\n", "\na", "a\n\nb", "a\nb", "\r\n"} {
		if got, want := emptyLine(v), regexp.MustCompile(`(?sm)^$`).MatchString(v); got != want {
			t.Errorf("emptyLine(%q) = %v, Go's regexp %v", v, got, want)
		}
	}
}

// TestEnginesAgree: RE2 (on runeBytes for a value outside UTF-8) and Go's
// regexp give the same answer, for every pattern not on binaryregexp, on
// the values that reach an engine (past the cheap conditions and the
// literal check): every group's values of the corpus (CRS's regression
// cases, the hostile sample from the payload lists, genlog's benign
// sample), the payload lists' and recall corpus's lines as they are,
// and random strings; up to 3,000 values a pattern, the random ones and
// those of the payload lists first. The fast path runs RE2 where Coraza
// runs Go's regexp: this is the premise, checked pattern by pattern.
func TestEnginesAgree(t *testing.T) {
	values := append(randomStrings(14, 3000, 200, "abcSELECTunion<>/\\\"'()=;:|&$`{}[]-_.,!?*#%@\n\r\t 0123456789\x0b\xc3\xa9"), engineValues(t)...)
	perPattern := 3000
	if raceEnabled {
		perPattern = 300 // the race detector slows the engines tenfold
	}
	patterns, compared, differ := 0, 0, 0
	eachOnRE2(func(k any, o *rxOperator) {
		patterns++
		n := 0
		for _, val := range values {
			if o.short(val) || o.need != nil && ascii(val) && !o.need.Any(val) {
				continue
			}
			if n++; n > perPattern {
				break
			}
			compared++
			runes := val
			if !utf8.ValidString(val) {
				runes = runeBytes(val)
			}
			if a, b := o.re.MatchString(runes), o.std.MatchString(val); a != b {
				differ++
				if differ <= 10 {
					t.Errorf("pattern %.60q on %q: RE2 %v, Go %v", k, val, a, b)
				}
			}
		}
	})
	t.Logf("%d patterns, %d values, %d comparisons, %d differ", patterns, len(values), compared, differ)
	if patterns == 0 || compared == 0 {
		t.Error("nothing compared")
	}
}

// eachOnRE2 calls f with every cached @rx operator that runs on RE2 (not a
// byte pattern), compiled.
func eachOnRE2(f func(k any, o *rxOperator)) {
	rxCache.Range(func(k, v any) bool {
		o := v.(*rxOperator)
		if o.bin != nil {
			return true
		}
		o.reOnce.Do(func() {
			if re, err := re2.Compile(o.data); err == nil {
				o.re = re
			}
		})
		if o.re != nil {
			f(k, o)
		}
		return true
	})
}
