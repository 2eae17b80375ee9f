package sitefarm_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/sitefarm"
)

func TestFarmShape(t *testing.T) {
	f := sitefarm.New(0)
	levels := map[string]int{}
	hosts := map[string]bool{}
	for _, s := range f.Sites {
		levels[s.Level]++
		if hosts[s.Host] || !strings.HasSuffix(s.Host, "kpu.test") || !strings.HasPrefix(s.IP, "127.0.") {
			t.Fatalf("site %+v: host repeated or not loopback", s)
		}
		hosts[s.Host] = true
	}
	if len(f.Sites) != 553 || levels["national"] != 1 || levels["province"] != 38 || levels["regency"] != 514 {
		t.Fatalf("%d sites %v, want 553: 1 national, 38 provincial, 514 regency", len(f.Sites), levels)
	}
	if n := f.Sites[0]; n.Host != "kpu.test" || n.Has(sitefarm.Slow) || !n.Has(sitefarm.DotEnv) {
		t.Fatalf("national site %+v", n)
	}
}

// TEST HELPER env, not Garda's fetcher.
func testEnv() *scan.Env {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &scan.Env{HTTP: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: 2}}}
}

// probe reports a path whose body holds a word.
type probe struct {
	id, path, word string
	inHeader       bool
}

func (p probe) ID() string   { return p.id }
func (p probe) Active() bool { return p.path != "/" }
func (p probe) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+p.path, nil)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s", resp.Status)
	}
	hay := string(body)
	if p.inHeader {
		hay = resp.Header.Get("Server")
	}
	if resp.StatusCode == 200 && strings.Contains(hay, p.word) {
		emit(scan.Result{Host: t.URL, MatchedAt: req.URL.String(), Info: scan.Info{Severity: scan.SeverityHigh}})
	}
	return nil
}

// TestRoundOverTheFarm scans all 553 sites with four probes and finds
// exactly what was planted, the flaky sites on their retry.
func TestRoundOverTheFarm(t *testing.T) {
	if testing.Short() {
		t.Skip("553 loopback sites")
	}
	f := sitefarm.New(0)
	if err := f.Listen(0); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checks := []scan.Check{
		probe{id: "version", path: "/", word: "/2.4.49", inHeader: true},
		probe{id: "dotenv", path: "/.env", word: "DB_PASSWORD="},
		probe{id: "git", path: "/.git/config", word: "[core]"},
		probe{id: "status", path: "/server-status", word: "Apache Server Status"},
	}
	want := map[string]sitefarm.Weakness{"version": sitefarm.ServerVersion, "dotenv": sitefarm.DotEnv, "git": sitefarm.GitConfig, "status": sitefarm.ServerStatus}
	var targets []scan.Target
	byURL := map[string]*sitefarm.Site{}
	for _, s := range f.Sites {
		targets = append(targets, scan.Target{URL: s.URL, Mode: scan.Active})
		byURL[s.URL] = s
	}
	var mu sync.Mutex
	found := map[string]bool{}
	failed := scan.ScanTargets(context.Background(), testEnv(), targets, checks,
		scan.HostOptions{MaxHosts: 64, PerHost: 2, Retries: 1, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
		func(r scan.Result) {
			mu.Lock()
			found[r.Host+" "+r.TemplateID] = true
			mu.Unlock()
		}, nil)
	if len(failed) != 0 {
		t.Fatalf("failed hosts: %v", failed)
	}
	for _, s := range f.Sites {
		for id, w := range want {
			if found[s.URL+" "+id] != s.Has(w) {
				t.Errorf("%s (%v): %s found %v", s.Host, s.Weaknesses, id, found[s.URL+" "+id])
			}
		}
	}
	st := f.Stats()
	// Four probes a site; each flaky site (every 97th) answers its first
	// request of every path with 503, so those four are asked again.
	flaky := 0
	for _, s := range f.Sites {
		if s.Has(sitefarm.Flaky) {
			flaky++
		}
	}
	if st.Requests != 4*553+4*flaky || st.PeakInFlight > 2 {
		t.Fatalf("farm saw %d requests (want %d), at most %d at once on a site (want ≤ 2)", st.Requests, 4*553+4*flaky, st.PeakInFlight)
	}
}
