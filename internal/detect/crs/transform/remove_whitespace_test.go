package transform

import (
	"math/rand/v2"
	"testing"
)

// TestRemoveWhitespaceASCII: the byte-by-byte path gives what Coraza's
// strings.Map gives (removeWhitespaceRunes), change flag included.
func TestRemoveWhitespaceASCII(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 1))
	alphabet := "ab \t\n\v\f\r\x00\x1c\x1d\x1e\x1f\x7f\x85\xa0\xc2\xe2\x80\x8a"
	inputs := []string{"", " ", "a", "a b", "\xc2\x85", "\xc2\xa0x y", "\xff \xfe"}
	for range 20000 {
		b := make([]byte, rnd.IntN(12))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		got, gotChanged, _ := removeWhitespace(in)
		want, wantChanged, _ := removeWhitespaceRunes(in)
		if got != want || gotChanged != wantChanged {
			t.Fatalf("%q: %q %v, strings.Map %q %v", in, got, gotChanged, want, wantChanged)
		}
	}
}
