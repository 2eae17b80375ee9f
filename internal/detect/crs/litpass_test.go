package crs

import (
	"io/fs"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// TestRuleAutomaton: the shared literal pass marks exactly the rules one
// of whose literals occurs in the value (ASCII case folded), by
// strings.Contains over every literal, on the hostile sample's values
// and random strings built from the literals' bytes.
func TestRuleAutomaton(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := d.fast
	if f == nil {
		t.Fatal("no fast path")
	}
	// The literals by rule, as the plan reads them.
	want := func(v string) []uint64 {
		bits := slices.Clone(f.always)
		lv := strings.ToLower(v)
		for i, r := range f.e.rules {
			for _, l := range r.lits {
				if strings.Contains(lv, strings.ToLower(l)) {
					bits[i>>6] |= 1 << (i & 63)
					break
				}
			}
		}
		return bits
	}
	var values []string
	for _, ev := range hostileSample(t) {
		s := f.pool.Get().(*fastState)
		s.req.fill(d, ev)
		values = append(values, s.req.uriRaw, s.req.line, strings.ToUpper(s.req.uriRaw))
		values = append(values, s.req.argValues...)
		f.pool.Put(s)
	}
	var alphabet []byte
	for _, r := range f.e.rules {
		for _, l := range r.lits {
			for i := 0; i < len(l); i++ {
				if !slices.Contains(alphabet, l[i]) {
					alphabet = append(alphabet, l[i], l[i]&^0x20)
				}
			}
		}
	}
	rnd := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		b := make([]byte, rnd.IntN(60))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		values = append(values, string(b))
	}
	differ := 0
	for _, v := range values {
		got := slices.Clone(f.always)
		f.lit.mark(v, got)
		if w := want(v); !slices.Equal(got, w) {
			differ++
			if differ < 5 {
				t.Errorf("%q: got %x, want %x", v, got, w)
			}
		}
	}
	t.Logf("%d values, %d differ", len(values), differ)
}

// TestPhraseMatcher: the @pm and @pmFromFile matcher finds a phrase where
// Coraza's Aho-Corasick (built as Coraza builds it) does, for every such
// operator of CRS's rules, on the corpus's values, their upper-cased
// forms and random strings of the phrases' bytes.
func TestPhraseMatcher(t *testing.T) {
	texts, err := ruleTexts(coreruleset.FS, ruleFiles())
	if err != nil {
		t.Fatal(err)
	}
	values := rxValues(t)
	for _, v := range values[:min(len(values), 5000)] {
		values = append(values, strings.ToUpper(v))
	}
	rnd := rand.New(rand.NewPCG(7, 13))
	operators, compared, differ := 0, 0, 0
	for _, raw := range texts {
		r, ok := parseRule(raw)
		if !ok || r.op != "pm" && r.op != "pmFromFile" && r.op != "pmf" {
			continue
		}
		var phrases []string
		if r.op == "pm" {
			phrases = strings.Split(strings.ToLower(r.opArg), " ")
		} else {
			b, err := fs.ReadFile(coreruleset.FS, path.Join("@owasp_crs", r.opArg))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
					phrases = append(phrases, strings.ToLower(l))
				}
			}
		}
		if slices.Contains(phrases, "") {
			continue
		}
		operators++
		builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{AsciiCaseInsensitive: true,
			MatchKind: ahocorasick.LeftMostLongestMatch, DFA: r.op == "pm"})
		ac := builder.Build(phrases)
		ours := newPhraseMatcher(phrases)
		vals := values
		for range 2000 {
			// A phrase inside random bytes of the phrases, cased at random.
			p := phrases[rnd.IntN(len(phrases))]
			q := phrases[rnd.IntN(len(phrases))]
			b := []byte(p[:rnd.IntN(len(p)+1)] + q[rnd.IntN(len(q)+1):] + p)
			if rnd.IntN(2) == 0 {
				b = b[:rnd.IntN(len(b)+1)]
			}
			for i := range b {
				if rnd.IntN(3) == 0 && 'a' <= b[i] && b[i] <= 'z' {
					b[i] -= 32
				}
			}
			vals = append(vals, string(b))
		}
		for _, v := range vals {
			compared++
			if a, b := ours.any(v), ac.Iter(v).Next() != nil; a != b {
				differ++
				if differ <= 10 {
					t.Errorf("rule %d on %q: ours %v, Coraza's %v", r.id, v, a, b)
				}
			}
		}
	}
	t.Logf("%d operators, %d comparisons, %d differ", operators, compared, differ)
	if operators == 0 {
		t.Error("no @pm operator")
	}
}
