package intel

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValidLabelAsRegexp checks the hand-written label and text checks
// against the regular expression and the rune scan they replace, on
// random strings over the bytes that matter.
func TestValidLabelAsRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "az09-.A_\x00\x7f\xc3\xa9\xff "
	for i := 0; i < 200000; i++ {
		n := r.IntN(6)
		if r.IntN(20) == 0 {
			n = 60 + r.IntN(8)
		}
		var b strings.Builder
		for range n {
			if r.IntN(3) == 0 {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			} else {
				b.WriteByte("abcxyz0189-"[r.IntN(11)])
			}
		}
		s := b.String()
		if got, want := validLabel(s), re.MatchString(s); got != want {
			t.Fatalf("validLabel(%q) = %v, the regexp says %v", s, got, want)
		}
		want := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
		if got := printable(s); got != want {
			t.Fatalf("printable(%q) = %v, want %v", s, got, want)
		}
	}
	for _, d := range []string{"a..b", "a.", ".a", "-a.b", "a-.b", "a.b-", strings.Repeat("a", 64) + ".id", "A.b"} {
		if _, err := Normalize(Domain, d); err == nil && d != "A.b" {
			t.Errorf("Normalize(domain %q) accepted it", d)
		}
	}
	if v, err := Normalize(Domain, "Www.Evil-1.co.id."); err != nil || v != "www.evil-1.co.id" {
		t.Errorf("Normalize = %q, %v", v, err)
	}
}
