package auth

import (
	"strings"
	"testing"
)

// TestHashCost: a hash is made at OWASP's argon2id cost (19 MiB, 2
// passes, 1 lane) outside a test binary and at the cheap one inside, and a
// hash of either cost verifies, because each names its own parameters.
func TestHashCost(t *testing.T) {
	was := testHashCost.Load()
	t.Cleanup(func() { testHashCost.Store(was) })
	for _, c := range []struct {
		cheap bool
		want  string
	}{{false, "$m=19456,t=2,p=1$"}, {true, "$m=64,t=1,p=1$"}} {
		testHashCost.Store(c.cheap)
		h, err := HashPassword("correct horse battery")
		if err != nil || !strings.Contains(h, c.want) {
			t.Fatalf("cheap=%v: hash %q (%v), want parameters %s", c.cheap, h, err, c.want)
		}
		if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
			t.Fatalf("cheap=%v: right password refused: %v", c.cheap, err)
		}
		if ok, _ := CheckPassword(h, "correct horse batterY"); ok {
			t.Fatalf("cheap=%v: wrong password accepted", c.cheap)
		}
	}
	if !strings.Contains(dummyHash(), "$m=64,t=1,p=1$") {
		t.Errorf("in a test binary the unknown-account hash costs more than an account's: %s", dummyHash())
	}
}
