package takedown_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
)

// site is a loopback site whose pages the test takes down one by one, and
// hostile pages: slow, endless, a redirect loop.
type site struct {
	*httptest.Server
	removed atomic.Value // map[string]string: path -> how it was removed (404, 410, page)
}

const removalText = "Konten ini tidak tersedia di negara Anda"

func newSite(t *testing.T) *site {
	s := &site{}
	s.removed.Store(map[string]string{})
	stop := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch how := s.removed.Load().(map[string]string)[r.URL.Path]; how {
		case "404":
			http.NotFound(w, r)
			return
		case "410":
			w.WriteHeader(http.StatusGone)
			return
		case "page":
			fmt.Fprintf(w, "<html><body><h1>%s</h1></body></html>", removalText)
			return
		}
		switch {
		case r.URL.Path == "/lambat":
			select {
			case <-time.After(10 * time.Second):
			case <-stop:
			case <-r.Context().Done():
			}
			fmt.Fprint(w, "akhirnya")
		case r.URL.Path == "/tanpa-akhir":
			w.Header().Set("Content-Type", "text/html")
			chunk := []byte(strings.Repeat("hoaks ", 1000))
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case r.URL.Path == "/putar/a":
			http.Redirect(w, r, "/putar/b", http.StatusFound)
		case r.URL.Path == "/putar/b":
			http.Redirect(w, r, "/putar/a", http.StatusFound)
		default:
			fmt.Fprintf(w, "<html><body>Surat suara sudah dicoblos! %s</body></html>", r.URL.Path)
		}
	}))
	t.Cleanup(func() { close(stop); s.Server.Close() })
	return s
}

func (s *site) remove(path, how string) {
	m := map[string]string{}
	for k, v := range s.removed.Load().(map[string]string) {
		m[k] = v
	}
	m[path] = how
	s.removed.Store(m)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testFetcher() *fetch.Fetcher {
	return fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(),
		Limits:  fetch.Limits{Dial: time.Second, Header: 2 * time.Second, Total: 3 * time.Second, MaxBody: 256 << 10, MaxRedirects: 5},
		PerHost: fetch.HostLimit{Conns: 4}, ArrivalSpread: -1, CloseGrace: -1})
}

// seedSitePlatform registers the hosting provider of the loopback site,
// with its removal page's text.
func seedSitePlatform(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := takedown.SeedPlatform(context.Background(), db, takedown.NewPlatform{Slug: "situs-uji", Name: "Situs Uji Hosting", Kind: "hosting",
		Email: "abuse@situs-uji.example.id", Domains: []takedown.Domain{{Domain: "situs-uji.example.id"}}, RemovalText: removalText}); err != nil {
		t.Fatal(err)
	}
}

func TestOutcomeChecks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		seedSitePlatform(t, db)
		s := newSite(t)
		gone := "http://" + closedPort(t) + "/hilang"
		urls := []string{s.URL + "/pos/1", s.URL + "/pos/2", s.URL + "/pos/3", s.URL + "/pos/4", gone,
			s.URL + "/lambat", s.URL + "/tanpa-akhir", s.URL + "/putar/a"}
		r, err := w.lc.Create(ctx, w.who["adi"], takedown.New{Platform: "situs-uji", URLs: urls, Category: "phishing",
			LegalBasis: []string{"uu_ite_35"}, Urgency: takedown.Normal, Summary: "Situs tiruan KPU"})
		if err != nil {
			t.Fatal(err)
		}
		c := &takedown.Checker{DB: db, Fetch: testFetcher(), Now: func() time.Time { return w.now }, Workers: 8}
		if _, err := c.CheckRequest(ctx, w.who["adi"], r.ID); problem.As(err) == nil || problem.As(err).Code != problem.Conflict {
			t.Fatalf("check of a draft: %v", err)
		}
		if _, err := w.lc.Approve(ctx, w.who["rina"], r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.lc.Send(ctx, w.who["adi"], r.ID, takedown.ChannelEmail); err != nil {
			t.Fatal(err)
		}
		sent := w.now
		if _, err := c.CheckRequest(ctx, w.who["meta"], r.ID); problem.As(err) == nil {
			t.Fatal("another platform's liaison checked the request")
		}
		results := func(checks []takedown.Check) map[string]takedown.Check {
			out := map[string]takedown.Check{}
			for _, ch := range checks {
				out[strings.TrimPrefix(strings.TrimPrefix(ch.URL, s.URL), "http://")] = ch
			}
			return out
		}
		// Before anything is removed: online, gone, and a clear error for
		// each hostile page; the rest goes on.
		w.now = sent.Add(time.Hour)
		checks, err := c.CheckRequest(ctx, w.who["adi"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := results(checks)
		for path, want := range map[string]string{"/pos/1": takedown.CheckOnline, "/pos/4": takedown.CheckOnline,
			strings.TrimPrefix(gone, "http://"): takedown.CheckGone, "/lambat": takedown.CheckError, "/tanpa-akhir": takedown.CheckError,
			"/putar/a": takedown.CheckError} {
			if got[path].Result != want {
				t.Errorf("%s: %s (%s), want %s", path, got[path].Result, got[path].Detail, want)
			}
		}
		for path, word := range map[string]string{"/lambat": "too slow", "/tanpa-akhir": "cut", "/putar/a": "redirect loop"} {
			if !strings.Contains(got[path].Detail, word) {
				t.Errorf("%s: detail %q lacks %q", path, got[path].Detail, word)
			}
		}
		// The platform says /pos/1-4 are removed; it takes down three of them.
		s.remove("/pos/1", "404")
		s.remove("/pos/2", "410")
		s.remove("/pos/3", "page")
		for _, u := range urls[:4] {
			if _, err := w.lc.Answer(ctx, w.who["adi"], r.ID, takedown.Answer{URL: u, Outcome: takedown.Removed}); err != nil {
				t.Fatal(err)
			}
		}
		w.now = sent.Add(2 * time.Hour)
		if _, err := c.Round(ctx); err != nil {
			t.Fatal(err)
		}
		req, err := takedown.Get(ctx, db, w.who["adi"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		state := map[string]string{}
		for _, u := range req.URLs {
			v := "up"
			if u.GoneAt != nil {
				v = "down@" + u.GoneAt.Sub(sent).String()
			}
			if u.StillOnline {
				v += ",flagged"
			}
			state[strings.TrimPrefix(strings.TrimPrefix(u.URL, s.URL), "http://")] = v
		}
		want := map[string]string{"/pos/1": "down@2h0m0s", "/pos/2": "down@2h0m0s", "/pos/3": "down@2h0m0s", "/pos/4": "up,flagged",
			strings.TrimPrefix(gone, "http://"): "down@1h0m0s", "/lambat": "up", "/tanpa-akhir": "up", "/putar/a": "up"}
		for k, v := range want {
			if state[k] != v {
				t.Errorf("%s: %s, want %s", k, state[k], v)
			}
		}
		// A URL seen down is not fetched again by the rounds; the rest
		// rest for Every before the next round fetches them.
		before := count(t, db, "takedown_checks")
		if _, err := c.Round(ctx); err != nil {
			t.Fatal(err)
		}
		if after := count(t, db, "takedown_checks"); after != before {
			t.Fatalf("a second round at once fetched %d URLs", after-before)
		}
		w.now = sent.Add(3 * time.Hour)
		round, err := c.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(round) != 4 { // /pos/4 and the three hostile pages
			t.Fatalf("round checked %d URLs: %+v", len(round), round)
		}
		list, err := takedown.Checks(ctx, db, w.who["adi"], r.ID)
		if err != nil || len(list) != count(t, db, "takedown_checks") {
			t.Fatalf("checks listed %d, %v", len(list), err)
		}
	})
}
