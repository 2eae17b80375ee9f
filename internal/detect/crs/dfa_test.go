package crs

import (
	"math/rand/v2"
	"regexp"
	"sync"
	"testing"
)

// TestDFAMatchesRegexp compares the DFA with Go's regexp (Coraza's
// engine) for every @rx pattern CRS loads, on the values of
// TestEnginesAgree, random ASCII strings, and random strings of bytes
// outside ASCII (valid UTF-8 or not): those that pass the pattern's cheap
// conditions (where matches are) and others.
func TestDFAMatchesRegexp(t *testing.T) {
	// First (each pattern compares a bounded number): runes outside
	// ASCII that CRS's patterns name (U+00A0, U+2018, U+FF1C), that fold
	// to ASCII letters (U+212A to k, U+017F to s), U+FFFD, and bytes of
	// broken sequences, among bytes the patterns look for.
	values := randomStrings(17, 1500, 80, "sSkKa<'\"=/ (;\n\xc2\xa0\xe2\x80\x98\xef\xbc\x9c\xe2\x84\xaa\xc5\xbf\xef\xbf\xbd\xff\xc3\xa9")
	values = append(values, "\xe2\x84\xaa", "union \xc2\xa0select", "\xffselect\xff")
	values = append(values, engineValues(t)...)
	values = append(values, randomStrings(15, 3000, 200, "abcSELECTunion<>/\\\"'()=;:|&$`{}[]-_.,!?*#%@\n\r\t 0123456789\x0b")...)
	values = append(values, "", "\n", "\n\n", "a", " ", "a\nb")
	perPattern, other := 3000, 500
	if raceEnabled {
		perPattern, other = 300, 50
	}
	patterns, compared, outside, matched, differ := 0, 0, 0, 0, 0
	rxCache.Range(func(k, v any) bool {
		o := v.(*rxOperator)
		if o.bin != nil {
			return true
		}
		d := o.lazyDFA()
		if d == nil {
			t.Errorf("pattern %.60q: no DFA", k)
			return true
		}
		patterns++
		passed, failed := 0, 0
		for _, val := range values {
			if o.short(val) || o.need != nil && !o.need.Any(val) {
				if failed++; failed > other {
					continue
				}
			} else if passed++; passed > perPattern {
				continue
			}
			compared++
			if !ascii(val) {
				outside++
			}
			got, ok := d.matchString(val)
			want := o.std.MatchString(val)
			if want {
				matched++
			}
			if !ok || got != want {
				differ++
				if differ <= 10 {
					t.Errorf("pattern %.60q on %q: DFA %v (ok %v), Go %v", k, val, got, ok, want)
				}
			}
		}
		return true
	})
	t.Logf("%d patterns, %d values, %d comparisons (%d outside ASCII, %d matches), %d differ", patterns, len(values), compared, outside, matched, differ)
	if patterns == 0 || matched == 0 || outside == 0 {
		t.Error("nothing compared")
	}
}

// TestDFAAssertions checks the empty-width assertions, (?sm) mode, case
// folding and runes outside ASCII (and bytes outside UTF-8) against Go's
// regexp.
func TestDFAAssertions(t *testing.T) {
	values := []string{"", "a", "ab", "a b", "ab\n", "\nab", "x\nab\ny", "AB", "a\n\nb", "_a_", "a-b", "b", "\n", " ", "kK", "sS",
		"\xe2\x84\xaa", "\xc5\xbf", "\xc3\xa9", "a\xc3\xa9b", "\xc3\xa9ab", "ab\xc3\xa9", "\xff", "a\xffb", "\xe2\x80", "\xe2\x80a",
		"\xef\xbf\xbd", "\xc3\xa9\xc3\xa9", "\xc2\xa0", "\xf0\x9f\x98\x80"}
	for _, p := range []string{`^$`, `^a`, `a$`, `^ab$`, `\bab\b`, `\Ba`, `a\B`, `\Aa`, `b\z`, `a.b`, `(?s)a.b`, `(?m)^b`,
		`(?i)ab`, `(?i)k`, `(?i)s`, `(?i)[k-s]`, `x*`, `^`, `$`, `\b`, `(?:^|[^a])b`, `a{2,}`, `[^\n]+$`,
		`é`, `(?i)É`, `[à-ÿ]`, `\x{FFFD}`, `[^a]`, `.`, `^.$`, `^..$`, `\bé`, `é\b`, `[\x{a0}\s]`, `\pL`, `[^\x00-\x7f]{2}`} {
		for _, mode := range []string{"", "(?sm)"} {
			d := newLazyDFA(mode+p, true)
			re := regexp.MustCompile(mode + p)
			for _, v := range values {
				got, ok := d.matchString(v)
				if want := re.MatchString(v); !ok || got != want {
					t.Errorf("%s%s on %q: DFA %v (ok %v), Go %v", mode, p, v, got, ok, want)
				}
			}
		}
	}
	if _, ok := newLazyDFA(`a`, false).matchString("\xc3\xa9a"); ok {
		t.Error("a value outside ASCII decided by a DFA that does not read runes")
	}
}

// TestDFAFull: a pattern whose states pass the bound decides nothing
// more (the caller goes to RE2), and what it decided before holds.
func TestDFAFull(t *testing.T) {
	d := newLazyDFA(`a[ab]{16}c`, true)
	re := regexp.MustCompile(`a[ab]{16}c`)
	rnd := rand.New(rand.NewPCG(7, 16))
	undecided := 0
	for range 20000 {
		b := make([]byte, 40)
		for i := range b {
			b[i] = "ababababc"[rnd.IntN(9)]
		}
		got, ok := d.matchString(string(b))
		if !ok {
			undecided++
			continue
		}
		if want := re.MatchString(string(b)); got != want {
			t.Fatalf("%q: DFA %v, Go %v", b, got, want)
		}
	}
	if !d.full.Load() || undecided == 0 {
		t.Errorf("the states never filled (%d undecided)", undecided)
	}
}

// TestDFAConcurrent runs one DFA from several goroutines while its states
// are built (go test -race checks the table's reads and writes).
func TestDFAConcurrent(t *testing.T) {
	const pattern = `(?i)(?:\bunion\b.{0,20}\bselect\b|<script[^>]*>|\.\./)`
	d := newLazyDFA(pattern, true)
	re := regexp.MustCompile(pattern)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(7, uint64(g)))
			words := []string{"union", " ", "select", "<script", ">", "../", "x", "\n", "UNION", "/"}
			for range 2000 {
				var b []byte
				for range rnd.IntN(12) {
					b = append(b, words[rnd.IntN(len(words))]...)
				}
				got, ok := d.matchString(string(b))
				if want := re.MatchString(string(b)); !ok || got != want {
					t.Errorf("%q: DFA %v (ok %v), Go %v", b, got, ok, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
