package scenario

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/event"
)

var t0 = time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)

func web(ip string, at time.Duration, method, target string, status int, ua string) *event.Event {
	ev := &event.Event{Time: t0.Add(at), IP: netip.MustParseAddr(ip), Status: status, Asset: "1", Dataset: "nginx.access"}
	path, query, _ := strings.Cut(target, "?")
	ev.Set(event.HTTPMethod, method)
	ev.Set(event.URLOriginal, target)
	ev.Set(event.URLPath, path)
	ev.Set(event.URLQuery, query)
	ev.Set(event.UserAgent, ua)
	return ev
}

const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

// fired runs events through a fresh engine and returns, per scenario id,
// the first signal's count and the number of signals.
func fired(t *testing.T, evs []*event.Event, classes []Class) map[string][2]int {
	t.Helper()
	e := New(DefaultConfig())
	cl := NewClassifier(DefaultConfig())
	out := map[string][2]int{}
	var sigs []Signal
	for i, ev := range evs {
		c := cl.Classify(ev)
		if classes != nil {
			c |= classes[i]
		}
		sigs = e.Observe(ev, c, sigs[:0])
		for _, s := range sigs {
			v := out[s.Scenario.ID]
			if v[1] == 0 {
				v[0] = s.Count
			}
			v[1]++
			out[s.Scenario.ID] = v
		}
	}
	return out
}

func TestScenarios(t *testing.T) {
	cases := []struct {
		name   string
		events func() []*event.Event
		want   string // scenario that must fire ("" = none)
		count  int    // first signal's count
	}{
		{"probing", func() (evs []*event.Event) {
			for i := range 12 {
				evs = append(evs, web("103.1.1.1", time.Duration(i)*2*time.Second, "GET", fmt.Sprintf("/admin/%d.php", i), 404, chrome))
			}
			return
		}, "http-probing", 10},
		{"stale links are not probing", func() (evs []*event.Event) {
			for i := range 5 {
				evs = append(evs, web("36.1.1.1", time.Duration(i)*time.Hour, "GET", fmt.Sprintf("/berita/%d/lama", i), 404, chrome))
			}
			return
		}, "", 0},
		{"probing spread over hours is not probing", func() (evs []*event.Event) {
			for i := range 30 {
				evs = append(evs, web("36.1.1.2", time.Duration(i)*time.Hour, "GET", fmt.Sprintf("/x/%d", i), 404, chrome))
			}
			return
		}, "", 0},
		{"sensitive files", func() []*event.Event {
			return []*event.Event{web("103.1.1.2", 0, "GET", "/.env", 404, chrome), web("103.1.1.2", time.Second, "GET", "/.git/config", 403, chrome)}
		}, "http-sensitive-files", 2},
		{"scanner agent", func() []*event.Event {
			return []*event.Event{web("103.1.1.3", 0, "GET", "/", 200, "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)")}
		}, "http-scanner", 1},
		{"web brute force", func() (evs []*event.Event) {
			for i := range 9 {
				evs = append(evs, web("103.1.1.4", time.Duration(i)*3*time.Second, "POST", "/login", 401, chrome))
			}
			return
		}, "http-bruteforce", 8},
		{"a few failed logins are not brute force", func() (evs []*event.Event) {
			for i := range 7 {
				evs = append(evs, web("36.1.1.4", time.Duration(i)*time.Second, "POST", "/login", 401, chrome))
			}
			return
		}, "", 0},
		{"voter scraping", func() (evs []*event.Event) {
			for i := range 12 {
				evs = append(evs, web("103.1.1.5", time.Duration(i)*time.Second, "GET", fmt.Sprintf("/api/dpt/cek?nik=31710000000000%02d", i), 200, "python-requests/2.31.0"))
			}
			return
		}, "voter-data-scraping", 10},
		{"the same NIK again and again is not scraping", func() (evs []*event.Event) {
			for i := range 30 {
				evs = append(evs, web("36.1.1.5", time.Duration(i)*time.Second, "GET", "/api/dpt/cek?nik=3171000000000001", 200, chrome))
			}
			return
		}, "", 0},
		{"flood", func() (evs []*event.Event) {
			for i := range 700 {
				evs = append(evs, web("103.1.1.6", time.Duration(i)*10*time.Millisecond, "GET", "/", 200, chrome))
			}
			return
		}, "http-flood", 600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fired(t, c.events(), nil)
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("fired %v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[c.want][1] == 0 {
				t.Fatalf("fired %v, want only %s", got, c.want)
			}
			if got[c.want][0] != c.count {
				t.Fatalf("%s first count %d, want %d", c.want, got[c.want][0], c.count)
			}
		})
	}
}

func TestClassesAndAuth(t *testing.T) {
	evs := []*event.Event{web("103.2.2.2", 0, "GET", "/cari?q=1 union select", 200, chrome), web("103.2.2.2", time.Second, "GET", "/cari?q=2", 200, chrome)}
	got := fired(t, evs, []Class{SQLi, 0})
	if got["http-sqli"] != [2]int{1, 1} || len(got) != 1 {
		t.Fatalf("sqli: %v", got)
	}
	var auth []*event.Event
	for i := range 9 {
		ev := &event.Event{Time: t0.Add(time.Duration(i) * time.Second), IP: netip.MustParseAddr("103.3.3.3"), Dataset: "system.auth"}
		ev.Set(event.EventCategory, "authentication")
		ev.Set(event.EventOutcome, "failure")
		ev.Set(event.UserName, fmt.Sprintf("user%d", i))
		auth = append(auth, ev)
	}
	got = fired(t, auth, nil)
	if got["auth-bruteforce"][0] != 8 || got["credential-stuffing"][0] != 5 {
		t.Fatalf("auth: %v", got)
	}
}

func TestIdleClientsAreForgotten(t *testing.T) {
	e := New(DefaultConfig())
	for i := range 3000 {
		e.Observe(web(fmt.Sprintf("36.0.%d.%d", i/250, i%250+1), time.Duration(i)*time.Second, "GET", "/", 200, chrome), 0, nil)
	}
	for i := range 3000 {
		e.Observe(web(fmt.Sprintf("36.1.%d.%d", i/250, i%250+1), 3*time.Hour+time.Duration(i)*time.Millisecond, "GET", "/", 200, chrome), 0, nil)
	}
	if n := e.Clients(); n > 3000 {
		t.Fatalf("%d clients kept after they went idle", n)
	}
}

// TestOutOfOrderTimes: lines whose times jump back (logs of several
// servers merged, a relay's queue, a rotated file read after the newer
// one) must never make a flood bigger than the lines seen, nor fire a
// threshold that the same lines in time order would not.
func TestOutOfOrderTimes(t *testing.T) {
	t.Run("a flood is never more than the lines seen", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for trial := range 50 {
			e := New(DefaultConfig())
			at := 3 * time.Hour
			seen := 0
			for range 2000 {
				switch rng.IntN(10) {
				case 0:
					at -= time.Duration(rng.Int64N(int64(time.Hour))) // a backward jump of up to an hour
				case 1:
					at += time.Duration(rng.Int64N(int64(time.Minute)))
				default:
					at += time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
				}
				seen++
				for _, s := range e.Observe(web("103.9.9.9", at, "GET", "/", 200, chrome), 0, nil) {
					if s.Scenario == Flood && s.Count > seen {
						t.Fatalf("trial %d: a flood of %d after %d lines", trial, s.Count, seen)
					}
				}
			}
		}
	})
	t.Run("a backward jump does not fire", func(t *testing.T) {
		// 100 lines in 10 s (the flood threshold is 600), then the same
		// after a 49-minute jump back, then again forward.
		var evs []*event.Event
		for _, base := range []time.Duration{time.Hour, 11 * time.Minute, time.Hour + 10*time.Second} {
			for i := range 100 {
				evs = append(evs, web("103.9.9.8", base+time.Duration(i)*100*time.Millisecond, "GET", "/", 200, chrome))
			}
		}
		if got := fired(t, evs, nil); len(got) != 0 {
			t.Fatalf("fired on 300 ordinary requests: %v", got)
		}
	})
	t.Run("thresholds count what lies within the window", func(t *testing.T) {
		// 8 failed logins, each 40 minutes apart but arriving newest first:
		// never 8 within 5 minutes.
		var evs []*event.Event
		for i := range 8 {
			ev := web("103.9.9.7", time.Duration(8-i)*40*time.Minute, "POST", "/login", 401, chrome)
			evs = append(evs, ev)
		}
		for i := range 12 {
			evs = append(evs, web("103.9.9.7", 7*time.Hour-time.Duration(i)*time.Hour, "GET", fmt.Sprintf("/x/%d", i), 404, chrome))
		}
		if got := fired(t, evs, nil); len(got) != 0 {
			t.Fatalf("fired on requests hours apart: %v", got)
		}
	})
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.Probing.Count = 0
	if bad.Validate() == nil {
		t.Fatal("count 0 accepted")
	}
	bad = DefaultConfig()
	bad.Flood.Window = 0
	if bad.Validate() == nil {
		t.Fatal("window 0 accepted")
	}
}

func BenchmarkObserveBenign(b *testing.B) {
	e := New(DefaultConfig())
	evs := make([]*event.Event, 4096)
	for i := range evs {
		evs[i] = web(fmt.Sprintf("36.%d.%d.%d", 64+i%8, i/250%250, i%250+1), time.Duration(i)*time.Millisecond, "GET", fmt.Sprintf("/berita/%d/judul", i), 200, chrome)
	}
	var sigs []Signal
	i := 0
	for b.Loop() {
		sigs = e.Observe(evs[i%len(evs)], 0, sigs[:0])
		i++
	}
}
