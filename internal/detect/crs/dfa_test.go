package crs

import (
	"math/rand/v2"
	"regexp"
	"sync"
	"testing"
)

// TestDFAMatchesRegexp compares the ASCII DFA with Go's regexp (Coraza's
// engine) for every @rx pattern CRS loads, on the values of
// TestEnginesAgree: those that pass the pattern's cheap conditions (where
// matches are) and others.
func TestDFAMatchesRegexp(t *testing.T) {
	values := engineValues(t)
	values = append(values, randomStrings(15, 3000, 200, "abcSELECTunion<>/\\\"'()=;:|&$`{}[]-_.,!?*#%@\n\r\t 0123456789\x0b")...)
	values = append(values, "", "\n", "\n\n", "a", " ", "a\nb")
	var inASCII []string
	for _, v := range values {
		if ascii(v) {
			inASCII = append(inASCII, v)
		}
	}
	perPattern, other := 3000, 500
	if raceEnabled {
		perPattern, other = 300, 50
	}
	patterns, compared, matched, differ := 0, 0, 0, 0
	rxCache.Range(func(k, v any) bool {
		o := v.(*rxOperator)
		if o.bin != nil {
			return true
		}
		d := o.asciiDFA()
		if d == nil {
			t.Errorf("pattern %.60q: no DFA", k)
			return true
		}
		patterns++
		passed, failed := 0, 0
		for _, val := range inASCII {
			if o.short(val) || o.need != nil && !o.need.Any(val) {
				if failed++; failed > other {
					continue
				}
			} else if passed++; passed > perPattern {
				continue
			}
			compared++
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
	t.Logf("%d patterns, %d values, %d comparisons (%d matches), %d differ", patterns, len(inASCII), compared, matched, differ)
	if patterns == 0 || matched == 0 {
		t.Error("nothing compared")
	}
}

// TestDFAAssertions checks the empty-width assertions, (?sm) mode and
// case folding against Go's regexp, and values outside ASCII.
func TestDFAAssertions(t *testing.T) {
	values := []string{"", "a", "ab", "a b", "ab\n", "\nab", "x\nab\ny", "AB", "a\n\nb", "_a_", "a-b", "b", "\n", " ", "kK", "sS"}
	for _, p := range []string{`^$`, `^a`, `a$`, `^ab$`, `\bab\b`, `\Ba`, `a\B`, `\Aa`, `b\z`, `a.b`, `(?s)a.b`, `(?m)^b`,
		`(?i)ab`, `(?i)k`, `(?i)[k-s]`, `x*`, `^`, `$`, `\b`, `(?:^|[^a])b`, `a{2,}`, `[^\n]+$`} {
		for _, mode := range []string{"", "(?sm)"} {
			d := newASCIIDFA(mode + p)
			re := regexp.MustCompile(mode + p)
			for _, v := range values {
				got, ok := d.matchString(v)
				if want := re.MatchString(v); !ok || got != want {
					t.Errorf("%s%s on %q: DFA %v (ok %v), Go %v", mode, p, v, got, ok, want)
				}
			}
		}
	}
	if _, ok := newASCIIDFA(`a`).matchString("\xc3\xa9a"); ok {
		t.Error("a value outside ASCII decided")
	}
}

// TestDFAFull: a pattern whose states pass the bound decides nothing
// more (the caller goes to RE2), and what it decided before holds.
func TestDFAFull(t *testing.T) {
	d := newASCIIDFA(`a[ab]{16}c`)
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
	d := newASCIIDFA(pattern)
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
