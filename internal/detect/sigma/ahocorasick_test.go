package sigma

import (
	"encoding/base64"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// findAll runs an automaton as the Matcher does: on the raw text, or on
// its lower-cased form when it is not ASCII.
func findAll(a *automaton, text string) []string {
	k := &litSink{}
	if !a.scan(text, k) {
		a.scanLower(lowerString(text), k)
	}
	var out []string
	for _, id := range k.hits {
		out = append(out, a.lits[id])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func findNaive(lits []string, text string) []string {
	low := lowerString(text)
	var out []string
	for _, l := range lits {
		if strings.Contains(low, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func randString(r *rand.Rand, alphabet []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func TestAutomatonAgainstNaive(t *testing.T) {
	alphabet := []string{"a", "b", "A", "B", "/", ".", "=", "%", "$", "{", "ü", "Ü", "\u212A", "k", " ", "\xff"}
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		nlits := 1 + r.IntN(40)
		var lits []string
		for len(lits) < nlits {
			l := lowerString(randString(r, alphabet, 1+r.IntN(9)))
			if !slices.Contains(lits, l) {
				lits = append(lits, l)
			}
		}
		a := newAutomaton(lits)
		for i := 0; i < 30; i++ {
			text := randString(r, alphabet, r.IntN(80))
			if i%3 == 0 {
				// Plant a literal, in upper case.
				l := lits[r.IntN(len(lits))]
				at := r.IntN(len(text) + 1)
				text = text[:at] + strings.ToUpper(l) + text[at:]
			}
			got, want := findAll(a, text), findNaive(lits, text)
			if !slices.Equal(got, want) {
				t.Fatalf("literals %q\ntext %q\ngot  %q\nwant %q", lits, text, got, want)
			}
		}
	}
}

func TestAutomatonWideTable(t *testing.T) {
	// Enough distinct literals that the transition table needs 32 bits.
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := strings.Split("abcdefghijklmnopqrstuvwxyz0123456789/.-_=%$", "")
	var lits []string
	for len(lits) < 4000 {
		lits = append(lits, randString(r, alphabet, 4+r.IntN(6)))
	}
	slices.Sort(lits)
	lits = slices.Compact(lits)
	a := newAutomaton(lits)
	if a.trans16 != nil {
		t.Fatalf("expected a 32-bit table, have %d states", a.states())
	}
	for i := 0; i < 200; i++ {
		text := randString(r, alphabet, r.IntN(200))
		if i%2 == 0 {
			text += strings.ToUpper(lits[r.IntN(len(lits))]) + randString(r, alphabet, 3)
		}
		if got, want := findAll(a, text), findNaive(lits, text); !slices.Equal(got, want) {
			t.Fatalf("text %q: got %q, want %q", text, got, want)
		}
	}
}

func TestWindowAvoidsCommonText(t *testing.T) {
	off, n := window("mozilla/5.0 (windows; u; windows nt 5.1; pt-pt)")
	if w := "mozilla/5.0 (windows; u; windows nt 5.1; pt-pt)"[off : off+n]; commonGrams[w] {
		t.Errorf("window %q is common web text", w)
	}
	if off, n := window("ab"); off != 0 || n != 2 {
		t.Errorf("short literal window = %d,%d", off, n)
	}
}

func TestBase64Offsets(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	// Values of three bytes or more always leave a part that does not
	// depend on their neighbours; shorter ones may not (as in pySigma).
	for i := 0; i < 500; i++ {
		value := randString(r, strings.Split("abc/ -=xyz", ""), 3+r.IntN(12))
		before := randString(r, strings.Split("PQRS", ""), r.IntN(7))
		after := randString(r, strings.Split("PQRS", ""), r.IntN(7))
		enc := base64.StdEncoding.EncodeToString([]byte(before + value + after))
		found := false
		for _, v := range base64Offsets(value) {
			if strings.Contains(enc, v) {
				found = true
			}
		}
		if !found {
			t.Fatalf("none of %q in %q (%q+%q+%q)", base64Offsets(value), enc, before, value, after)
		}
	}
	// The values pySigma gives.
	if got := base64Offsets("/bin/bash"); !slices.Equal(got, []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}) {
		t.Errorf("base64offset(/bin/bash) = %q", got)
	}
}

func TestWindash(t *testing.T) {
	got := windash(parseSigmaString("cmd -c /k a-b"))
	if len(got) != 25 {
		t.Errorf("got %d permutations, want 25 (two option dashes; the one inside a-b stays)", len(got))
	}
	var texts []string
	for _, s := range got {
		p, _ := s.plainText()
		texts = append(texts, p)
	}
	for _, want := range []string{"cmd -c /k a-b", "cmd /c -k a-b", "cmd \u2014c \u2015k a-b"} {
		if !slices.Contains(texts, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestParseSigmaString(t *testing.T) {
	cases := []struct{ in, want string }{
		{`a*b?c`, `a*b?c`},
		{`a\*b`, `a\*b`},
		{`a\\*`, `a\\*`},
		{`a\\\*`, `a\\\*`},
		{`C:\Windows\`, `C:\\Windows\\`},
		{`a**b`, `a*b`},
		{`\x\y`, `\\x\\y`},
	}
	for _, c := range cases {
		if got := parseSigmaString(c.in).String(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
	if lit, _ := parseSigmaString(`a\\\\b`).plainText(); lit != `a\\b` {
		t.Errorf(`four backslashes give %q, want two`, lit)
	}
}

// TestGlobAgainstRegexp checks the glob matcher against a regular
// expression built from the same pattern.
func TestGlobAgainstRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "b", "ab", "*", "?", "é"}
	for i := 0; i < 3000; i++ {
		pat := randString(r, pieces, r.IntN(6))
		s := parseSigmaString(pat)
		var re strings.Builder
		re.WriteString("^")
		for _, p := range normalize(s) {
			switch p.kind {
			case partLit:
				re.WriteString(regexp.QuoteMeta(p.text))
			case partStar:
				re.WriteString("(?s:.*)")
			case partOne:
				re.WriteString("(?s:.)")
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String())
		g := newGlob(normalize(s))
		for j := 0; j < 20; j++ {
			text := randString(r, []string{"a", "b", "é", "c"}, r.IntN(7))
			if got := g.match(text, false); got != want.MatchString(text) {
				t.Fatalf("glob %q on %q: %v, regexp says %v", pat, text, got, !got)
			}
		}
	}
}

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"200", 200, true}, {"-1.5", -1.5, true}, {" 7 ", 7, true}, {"+3", 3, true}, {"1.", 1, true},
		{"", 0, false}, {"abc", 0, false}, {"1e3", 0, false}, {"-", 0, false}, {"1.2.3", 0, false},
	}
	for _, c := range cases {
		got, ok := parseNumber(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("parseNumber(%q) = %v, %v", c.in, got, ok)
		}
	}
}

func TestRegexLiterals(t *testing.T) {
	cases := []struct {
		re   string
		want []string
	}{
		{`\?d=[0-9]{1,3}\.[0-9]{1,3}`, []string{"?d="}},
		{`\.(zip|asp)\?d=`, []string{".zip?d=", ".asp?d="}},
		{`-[a-z0-9]{3}\.[a-z0-9-]{3,}-s-account\.workers\.dev|\.up\.railway\.app`, []string{"-s-account.workers.dev", ".up.railway.app"}},
		{`(?i)IPFS\.io/`, []string{"ipfs.io/"}},
		{`.{150}`, nil},
		{`a|.*`, nil},
	}
	for _, c := range cases {
		got, ok := regexLiterals(c.re)
		if !ok {
			got = nil
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.re, got, c.want)
		}
	}
}
