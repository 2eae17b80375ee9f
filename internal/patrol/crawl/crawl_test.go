package crawl

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func fetcher(rps float64) *fetch.Fetcher {
	l := fetch.DefaultLimits()
	l.MaxBody = 256 << 10
	l.Total = 5 * time.Second
	return fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(), Robots: true, Limits: l, PerHost: fetch.HostLimit{Conns: 8, RPS: rps}})
}

// crawlSite crawls a generated site of pages and checks, on the server's
// side, robots.txt and the rate; it returns the crawl's stats.
func crawlSite(t testing.TB, pages int, rps float64, claims Claimer) (Stats, SiteStats, time.Duration) {
	site := &Site{Pages: pages}
	srv := httptest.NewServer(site)
	defer srv.Close()
	c := &Crawler{Fetcher: fetcher(rps), Claims: claims}
	var visited atomic.Int64
	start := time.Now()
	st, err := c.Run(context.Background(), Config{Start: []string{srv.URL + "/p/0"}, MaxDepth: 10, MaxPages: pages, Workers: 8},
		func(_ context.Context, p Page) error {
			if !strings.Contains(p.Title, "Halaman") {
				return fmt.Errorf("page %s without its title: %q", p.URL, p.Title)
			}
			visited.Add(1)
			return nil
		})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	ss := site.Stats()
	if ss.Disallowed != 0 {
		t.Errorf("robots.txt disallows /rahasia/, yet the site served %d requests there", ss.Disallowed)
	}
	if limit := int(rps*1.1) + 2; ss.MaxPerSecond > limit {
		t.Errorf("the site saw %d requests in one second, the ceiling is %.0f/s", ss.MaxPerSecond, rps)
	}
	if int64(visited.Load()) != st.Pages {
		t.Errorf("visited %d, stats say %d", visited.Load(), st.Pages)
	}
	return st, ss, took
}

func TestCrawlPolite(t *testing.T) {
	st, ss, _ := crawlSite(t, 300, 150, nil)
	if st.Pages != 300 {
		t.Fatalf("crawled %d pages of 300: %+v", st.Pages, st)
	}
	if st.Disallowed == 0 {
		t.Error("the /rahasia/ links are counted as disallowed")
	}
	// 300 pages, robots.txt and the binary file (refused by type, counted).
	if ss.Requests != 302 || st.Failed != 1 || !strings.Contains(strings.Join(st.Errors, " "), "not a text page") {
		t.Errorf("requests %d, failed %d %q", ss.Requests, st.Failed, st.Errors)
	}
}

// TestCrawlBench is the 100,000-page crawl of scripts/bench-crawl.sh:
// GARDA_CRAWL_PAGES sets the size, GARDA_CRAWL_RPS the per-host rate. It
// prints pages/s, bytes and the process's peak RSS.
func TestCrawlBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GARDA_CRAWL_PAGES"))
	if n <= 0 {
		t.Skip("GARDA_CRAWL_PAGES not set (scripts/bench-crawl.sh sets it)")
	}
	rps, _ := strconv.ParseFloat(os.Getenv("GARDA_CRAWL_RPS"), 64)
	if rps <= 0 {
		rps = 2000
	}
	var claims Claimer
	if os.Getenv("GARDA_CRAWL_CLAIMS") == "sqlite" {
		claims = dbClaims(t, storetest.SQLite(t), "bench")
	}
	st, ss, took := crawlSite(t, n, rps, claims)
	if st.Pages != int64(n) {
		t.Errorf("crawled %d of %d pages", st.Pages, n)
	}
	fmt.Printf("crawl: %d pages in %.1f s = %.0f pages/s (ceiling %.0f/s per host; busiest second at the site %d), %d bytes, %d disallowed by robots.txt, %d requests at the site, peak RSS %s\n",
		st.Pages, took.Seconds(), float64(st.Pages)/took.Seconds(), rps, ss.MaxPerSecond, st.Bytes, st.Disallowed, ss.Requests, peakRSS())
}

func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func dbClaims(t testing.TB, db *store.DB, holder string) *DBClaims {
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	var src int64
	var komdigi int64
	if err := db.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = 'komdigi'`).Scan(&komdigi); err != nil {
		t.Fatal(err)
	}
	err := db.QueryRow(ctx, `SELECT id FROM patrol_sources WHERE name = 'uji'`).Scan(&src)
	if err != nil {
		now := store.Now()
		if err := db.QueryRow(ctx, `INSERT INTO patrol_sources (name, kind, tlp, owner_org_id, created_at, updated_at) VALUES ('uji', 'crawl', 'AMBER', ?, ?, ?) RETURNING id`,
			komdigi, now, now).Scan(&src); err != nil {
			t.Fatal(err)
		}
	}
	_ = audit.System
	return &DBClaims{DB: db, SourceID: src, Holder: holder}
}

// TestOneFetchPerURL: two instances crawl one site at once through one
// database; each page is fetched once, and a revisit is a conditional GET.
func TestOneFetchPerURL(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		site := &Site{Pages: 120}
		srv := httptest.NewServer(site)
		defer srv.Close()
		var wg sync.WaitGroup
		var pages atomic.Int64
		now := time.Now()
		clock := func() time.Time { return now }
		for _, holder := range []string{"a", "b"} {
			cl := dbClaims(t, db, holder)
			cl.Now = clock
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &Crawler{Fetcher: fetcher(0), Claims: cl}
				st, err := c.Run(context.Background(), Config{Start: []string{srv.URL + "/p/0"}, MaxDepth: 5, MaxPages: 1000},
					func(context.Context, Page) error { pages.Add(1); return nil })
				if err != nil {
					t.Error(err)
				}
				_ = st
			}()
		}
		wg.Wait()
		ss := site.Stats()
		// Each instance reads robots.txt once; each page and the binary file once in all.
		// (An instance that finds the start page taken has no links to follow
		// and never reads robots.txt.)
		if robots := ss.Requests - int(pages.Load()) - 1; pages.Load() != 120 || robots < 1 || robots > 2 {
			t.Fatalf("site served %d requests for %d pages", ss.Requests, pages.Load())
		}
		// Two hours on: every page is due again, and answers 304.
		now = now.Add(2 * time.Hour)
		cl := dbClaims(t, db, "c")
		cl.Now = clock
		c := &Crawler{Fetcher: fetcher(0), Claims: cl}
		st, err := c.Run(context.Background(), Config{Start: []string{srv.URL + "/p/0"}, MaxDepth: 5, MaxPages: 1000},
			func(context.Context, Page) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if st.NotModified != 1 || site.Stats().Conditional != 1 {
			// A 304 has no links: the revisit stops at the start page.
			t.Fatalf("revisit: %+v, site %+v", st, site.Stats())
		}
	})
}

// TestHostilePages: a huge page is cut, an endless one is bounded, a
// gzip bomb costs at most the body limit, a redirect loop is refused, and
// the crawl goes on to the good page after them.
func TestHostilePages(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/besar">a</a><a href="/tanpa-akhir">b</a><a href="/bom">c</a><a href="/putar">d</a><a href="/biner">e</a><a href="/rusak">f</a><a href="/baik">g</a>`)
	})
	mux.HandleFunc("/besar", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>" + strings.Repeat("besar ", 200_000)))
	})
	mux.HandleFunc("/tanpa-akhir", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for i := 0; i < 100_000 && r.Context().Err() == nil; i++ {
			if _, err := w.Write([]byte("<p>tanpa akhir</p>")); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/bom", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zero := bytes.Repeat([]byte(" "), 1<<20)
		for i := 0; i < 100; i++ { // 100 MiB of spaces, ~100 KiB on the wire
			zw.Write(zero)
		}
		zw.Close()
	})
	mux.HandleFunc("/putar", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/putar", http.StatusFound) })
	mux.HandleFunc("/biner", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("\x00\x01\x02ELF"))
	})
	mux.HandleFunc("/rusak", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><p>rusak <a href='/baik'<<<>>></div></html"))
	})
	mux.HandleFunc("/baik", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<title>Baik</title><p>halaman baik</p>"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Crawler{Fetcher: fetcher(0)}
	got := map[string]Page{}
	var mu sync.Mutex
	st, err := c.Run(context.Background(), Config{Start: []string{srv.URL + "/"}, MaxDepth: 1},
		func(_ context.Context, p Page) error {
			mu.Lock()
			got[strings.TrimPrefix(p.URL, srv.URL)] = p
			mu.Unlock()
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if p := got["/baik"]; p.Title != "Baik" {
		t.Errorf("the good page after the hostile ones: %+v", p)
	}
	for _, path := range []string{"/besar", "/tanpa-akhir", "/bom"} {
		if p, ok := got[path]; !ok || !p.Cut || len(p.Raw) > 256<<10 {
			t.Errorf("%s: cut at the body limit: ok %v cut %v len %d (errors %q)", path, ok, p.Cut, len(p.Raw), st.Errors)
		}
	}
	errs := strings.Join(st.Errors, "\n")
	for _, want := range []string{"redirect", "binary"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors %q, want %q among them", errs, want)
		}
	}
	if _, ok := got["/rusak"]; !ok {
		t.Error("a malformed page is still read")
	}
}
