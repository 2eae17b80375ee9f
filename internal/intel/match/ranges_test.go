package match

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestRanges checks the segment table against a plain scan of the prefixes,
// nested and disjoint, IPv4 and IPv6, at the edges of the space too.
func TestRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var prefixes []netip.Prefix
	for _, s := range []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25", "10.2.0.0/16", "192.168.0.0/16",
		"255.255.255.0/24", "2001:db8::/32", "2001:db8:1::/48", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", "::/1"} {
		prefixes = append(prefixes, netip.MustParsePrefix(s))
	}
	for range 300 {
		var b [4]byte
		for i := range b {
			b[i] = byte(rng.IntN(4)) * 60
		}
		prefixes = append(prefixes, netip.PrefixFrom(netip.AddrFrom4(b), 8+rng.IntN(25)).Masked())
	}
	seen := map[netip.Prefix]bool{}
	var in []rangeIn
	var kept []netip.Prefix
	for _, p := range prefixes {
		if seen[p] {
			continue
		}
		seen[p] = true
		f, l := span(p)
		in = append(in, rangeIn{f, l, int32(len(kept))})
		kept = append(kept, p)
	}
	var in4, in6 []rangeIn
	for _, x := range in {
		if kept[x.slot].Addr().Is4() {
			in4 = append(in4, x)
		} else {
			in6 = append(in6, x)
		}
	}
	r4, r6 := buildRanges(in4, len(kept)), buildRanges(in6, len(kept))
	check := func(a netip.Addr) {
		r := &r6
		if a.Is4() {
			r = &r4
		}
		want := map[int32]bool{}
		for i, p := range kept {
			if p.Contains(a) {
				want[int32(i)] = true
			}
		}
		got := map[int32]bool{}
		for s := r.find(num(a)); s >= 0; s = r.parent[s] {
			got[s] = true
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %d ranges, want %d", a, len(got), len(want))
		}
		for s := range want {
			if !got[s] {
				t.Fatalf("%s: missing %s", a, kept[s])
			}
		}
	}
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "10.1.2.200", "10.1.2.127", "10.1.3.0", "9.255.255.255", "11.0.0.0",
		"2001:db8:1::1", "2001:db8:2::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::1", "7fff:ffff::1"} {
		check(netip.MustParseAddr(s))
	}
	for range 20000 {
		var b [4]byte
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 {
				b[i] = byte(rng.IntN(4)) * 60
			}
		}
		check(netip.AddrFrom4(b))
	}
}

func TestURLKey(t *testing.T) {
	for raw, want := range map[string]string{
		"https://Evil.Example/a/b.php?x=1#frag": "evil.example/a/b.php?x=1",
		"http://evil.example":                   "evil.example/",
		"http://evil.example?q":                 "evil.example/?q",
		"https://user:pw@evil.example:443/x":    "evil.example/x",
		"http://evil.example:8080/x":            "evil.example:8080/x",
		"ftp://files.example/a":                 "files.example/a",
	} {
		if got, ok := urlKey(raw); !ok || got != want {
			t.Errorf("urlKey(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{"evil.example/x", "://x", "http:///x"} {
		if got, ok := urlKey(raw); ok {
			t.Errorf("urlKey(%q) = %q, want none", raw, got)
		}
	}
}
