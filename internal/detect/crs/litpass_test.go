package crs

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
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
