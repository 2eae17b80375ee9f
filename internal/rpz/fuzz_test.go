package rpz

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzDomainZone: whatever is typed, NormalizeDomain either refuses it or
// gives a name that normalises to itself and that the zone writer turns
// into a zone a resolver parses back to exactly that name's two triggers.
func FuzzDomainZone(f *testing.F) {
	for _, s := range []string{"contoh.com", "Bücher.example.", "*.a.com", "192.0.2.1", "a..b", "xn--bcher-kva.example", "a.b.c.d.e.f.g", "com", "é.ü", "a\nb.com", "a;b.com", "a\"b.com", "a(b).com", "$ORIGIN.com", "@.com", "a\\.b.com"} {
		f.Add(s, "landing.example")
	}
	f.Fuzz(func(t *testing.T, in, landing string) {
		d, err := NormalizeDomain(in)
		if err != nil {
			return
		}
		if again, err := NormalizeDomain(d); err != nil || again != d {
			t.Fatalf("%q -> %q -> %q, %v", in, d, again, err)
		}
		if len(d) > MaxDomainLen || strings.ContainsAny(d, "*;\"()\\$@ \t\n") {
			t.Fatalf("%q -> %q", in, d)
		}
		e := Entry{Domain: d, Policy: NXDomain}
		if tg, err := normalize("landing", landing); err == nil {
			e.Policy, e.Target = Landing, tg
		}
		var b strings.Builder
		if err := DefaultTimers.WriteZone(&b, 7, []Entry{e}); err != nil {
			t.Fatal(err)
		}
		zp := dns.NewZoneParser(strings.NewReader(b.String()), "", "")
		var names []string
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if c, isCNAME := rr.(*dns.CNAME); isCNAME {
				names = append(names, c.Hdr.Name+" "+c.Target)
			}
		}
		if err := zp.Err(); err != nil {
			t.Fatalf("%q: zone does not parse: %v\n%s", in, err, b.String())
		}
		want := []string{d + "." + fqOrigin + " " + target(e.Policy, e.Target), "*." + d + "." + fqOrigin + " " + target(e.Policy, e.Target)}
		if strings.Join(names, "|") != strings.Join(want, "|") {
			t.Fatalf("%q: records %v, want %v", in, names, want)
		}
		// The transfer's records pack (fit a DNS message) too.
		for _, rr := range DefaultTimers.records(e.Domain, e.Policy, e.Target) {
			buf := make([]byte, dns.Len(rr)+512)
			if _, err := dns.PackRR(rr, buf, 0, nil, false); err != nil {
				t.Fatalf("%q: %v", in, err)
			}
		}
	})
}
