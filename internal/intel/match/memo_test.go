package match_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
)

// TestMatchShortcuts checks what each line's shortcuts must not change:
// the per-inspector memo of hosts (case, ports, a host in the Referer and
// in the Host header, more hosts than it holds, a set swapped under it),
// the URL lookup made only on a URL indicator's host, and the /16 bitmap
// before the address map and range table (edges of blocks and ranges).
func TestMatchShortcuts(t *testing.T) {
	entries := []match.Entry{
		{ID: 1, Kind: intel.Domain, Value: "evil.example"},
		{ID: 2, Kind: intel.URL, Value: "https://Evil.example:443/a/b?x=1"},
		{ID: 3, Kind: intel.URL, Value: "http://other.example:8080/p"},
		{ID: 4, Kind: intel.IPv4, Value: "10.0.0.0/8"},
		{ID: 5, Kind: intel.IPv4, Value: "100.64.1.2"},
		{ID: 6, Kind: intel.IPv4, Value: "172.16.255.0/24"},
		{ID: 7, Kind: intel.IPv4, Value: "192.0.0.0/3"},
		{ID: 8, Kind: intel.URL, Value: "https://evil.example/"},
	}
	m := match.New(match.Compile(entries), nil)
	c := m.NewCheck()
	type want struct {
		ip, host, ref, target string
		hits                  []string // "id in"
	}
	cases := []want{
		{ref: "https://kpu.example.id/"},
		{ref: "https://www.evil.example/a/b?x=1", hits: []string{"1 http.request.referrer"}}, // a URL's host is exact
		{ref: "https://evil.example/a/b?x=1", hits: []string{"1 http.request.referrer", "2 http.request.referrer"}},
		{ref: "https://kpu.example.id/"},
		{ref: "https://u:p@EVIL.example:443/a/b?x=1#f", hits: []string{"1 http.request.referrer", "2 http.request.referrer"}},
		{ref: "https://evil.example", hits: []string{"1 http.request.referrer", "8 http.request.referrer"}},
		{ref: "https://evil.example?q", hits: []string{"1 http.request.referrer", "8 http.request.referrer"}},
		{host: "EVIL.example:443", target: "/a/b?x=1", hits: []string{"1 url.domain", "2 url.original"}},
		{host: "evil.example:8443", target: "/a/b?x=1", hits: []string{"1 url.domain"}},
		{host: "other.example:8080", target: "/p", hits: []string{"3 url.original"}},
		{host: "other.example", target: "/p"},
		{host: "other.example:8080", target: "/p?z=2", hits: []string{"3 url.original"}},
		{host: "evil.example", ref: "https://evil.example/x", hits: []string{"1 http.request.referrer"}},
		{target: "/go?u=https://evil.example/a/b?x=1&y", hits: []string{"1 url.original", "2 url.original"}},
		{target: "/go?u=https%3A%2F%2Fother.example%3A8080%2Fp", hits: []string{"3 url.original"}},
		{ip: "10.255.255.255", hits: []string{"4 source.ip"}},
		{ip: "11.0.0.0"},
		{ip: "100.64.1.2", hits: []string{"5 source.ip"}},
		{ip: "100.64.1.3"},
		{ip: "100.65.1.2"},
		{ip: "172.16.255.255", hits: []string{"6 source.ip"}},
		{ip: "172.16.254.255"},
		{ip: "172.17.0.0"},
		{ip: "191.255.255.255"},
		{ip: "192.0.0.0", hits: []string{"7 source.ip"}},
		{ip: "223.255.255.255", hits: []string{"7 source.ip"}},
		{ip: "224.0.0.0"},
		{ip: "::ffff:10.1.2.3", hits: []string{"4 source.ip"}},
	}
	// More hosts than the memo holds, between the cases and after them.
	for i := range 20 {
		cases = append(cases, want{ref: fmt.Sprintf("https://site%d.example/", i)}, want{host: fmt.Sprintf("h%d.evil.example", i), hits: []string{"1 url.domain"}})
	}
	cases = append(cases, cases[:15]...)
	run := func(w want) []string {
		var ev event.Event
		if w.ip != "" {
			ev.IP = netip.MustParseAddr(w.ip)
		}
		ev.Set(event.URLDomain, w.host)
		ev.Set(event.Referrer, w.ref)
		ev.Set(event.URLOriginal, w.target)
		var got []string
		for _, h := range c.Check(&ev, []detect.Hit(nil)) {
			got = append(got, h.Fields[match.FieldID]+" "+h.Fields[match.FieldWhere])
		}
		slices.Sort(got)
		return got
	}
	for i, w := range cases {
		if got := run(w); !slices.Equal(got, w.hits) {
			t.Errorf("case %d %+v: hits %q, want %q", i, w, got, w.hits)
		}
	}
	// A new set: what the memo remembered of the old one is gone.
	m.Swap(match.Compile([]match.Entry{{ID: 9, Kind: intel.Domain, Value: "kpu.example.id"}}))
	for _, w := range []want{
		{ref: "https://www.evil.example/a/b?x=1"},
		{ref: "https://kpu.example.id/", hits: []string{"9 http.request.referrer"}},
		{ip: "10.1.2.3"},
	} {
		if got := run(w); !slices.Equal(got, w.hits) {
			t.Errorf("after the swap, %+v: hits %q, want %q", w, got, w.hits)
		}
	}
}
