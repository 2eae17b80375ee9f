package scan_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/garda-id/garda/internal/scan"
)

// headerCheck fetches a path with one header set and reports what it read,
// so a test can see that every check got the whole answer.
type headerCheck struct {
	id, path, header string
	bodies           *sync.Map // id -> body read
}

func (c headerCheck) ID() string   { return c.id }
func (c headerCheck) Active() bool { return false }
func (c headerCheck) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+c.path, nil)
	if err != nil {
		return err
	}
	if c.header != "" {
		req.Header.Set("Origin", c.header)
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	c.bodies.Store(c.id, resp.Status+" "+string(b))
	emit(scan.Result{TemplateID: c.id, Info: scan.Info{Name: c.id, Severity: scan.SeverityInfo}, Type: "http", Host: t.URL})
	return nil
}

// One scan of a target asks the site once for each identical GET; a
// different header is a different question, a 5xx is asked again, a big
// body passes whole, and each target keeps its own answers.
func TestRepeatedGetsAskedOncePerTarget(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	big := strings.Repeat("x", 100<<10)
	srv := site(t, false, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		key := r.URL.Path + " origin=" + r.Header.Get("Origin")
		seen[key]++
		n := seen[key]
		mu.Unlock()
		switch r.URL.Path {
		case "/flaky":
			if n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return true
			}
			io.WriteString(w, "fine")
			return true
		case "/big":
			io.WriteString(w, big)
			return true
		}
		return false
	})
	var bodies sync.Map
	var checks []scan.Check
	for _, c := range []headerCheck{
		{id: "home-1", path: "/"}, {id: "home-2", path: "/"}, {id: "home-3", path: "/"},
		{id: "home-origin", path: "/", header: "https://evil.test"},
		{id: "flaky-1", path: "/flaky"}, {id: "flaky-2", path: "/flaky"},
		{id: "big-1", path: "/big"}, {id: "big-2", path: "/big"},
	} {
		c.bodies = &bodies
		checks = append(checks, c)
	}
	var last scan.Progress
	targets := []scan.Target{{URL: srv.URL, Mode: scan.Passive}, {URL: srv.URL, Mode: scan.Passive}}
	errs := scan.ScanTargets(context.Background(), testEnv(scan.Authorization{}), targets[:1], checks,
		scan.HostOptions{MaxHosts: 1, PerHost: 1, Retries: -1}, func(scan.Result) {}, func(p scan.Progress) { last = p })
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := map[string]int{"/ origin=": 1, "/ origin=https://evil.test": 1, "/flaky origin=": 2, "/big origin=": 2}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("the site was asked %q %d times, want %d (all: %v)", k, seen[k], n, seen)
		}
	}
	if last.Requests != 6 || last.Found != len(checks) {
		t.Errorf("progress %+v: want 6 requests counted (what the site saw) and %d results", last, len(checks))
	}
	for _, id := range []string{"home-1", "home-2", "home-3"} {
		if b, _ := bodies.Load(id); !strings.Contains(b.(string), "200 OK") || !strings.Contains(b.(string), "KPU") {
			t.Errorf("%s read %q: want the home page", id, b)
		}
	}
	if b1, _ := bodies.Load("flaky-1"); !strings.HasPrefix(b1.(string), "503") {
		t.Errorf("flaky-1 read %q: want the 503", b1)
	}
	if b2, _ := bodies.Load("flaky-2"); b2.(string) != "200 OK fine" {
		t.Errorf("flaky-2 read %q: want the second answer, asked anew", b2)
	}
	for _, id := range []string{"big-1", "big-2"} {
		if b, _ := bodies.Load(id); len(b.(string)) != len("200 OK ")+len(big) {
			t.Errorf("%s read %d bytes, want the whole body", id, len(b.(string)))
		}
	}

	// each target keeps its own answers: the same site twice is asked twice
	clear(seen)
	scan.ScanTargets(context.Background(), testEnv(scan.Authorization{}), targets, checks[:2],
		scan.HostOptions{MaxHosts: 1, PerHost: 1, Retries: -1}, func(scan.Result) {}, nil)
	if seen["/ origin="] != 2 {
		t.Errorf("two targets asked for / %d times, want once each", seen["/ origin="])
	}
}

// pathsCheck asks for many paths, each twice.
type pathsCheck struct{ n int }

func (c pathsCheck) ID() string   { return "paths" }
func (c pathsCheck) Active() bool { return false }
func (c pathsCheck) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	for round := 0; round < 2; round++ {
		for i := 0; i < c.n; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/guess-%d.bak", t.URL, i), nil)
			resp, err := env.HTTP.Do(req)
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "not found") || resp.Header.Get("Date") == "" {
				return fmt.Errorf("%s: %s %q, Date %q", req.URL, resp.Status, b, resp.Header.Get("Date"))
			}
		}
	}
	return nil
}

// TestNotFoundAnswersShareTheirText: a scan's hundreds of "not found"
// answers share one head and body, so 600 of them fit in a target's cache
// and none is asked twice.
func TestNotFoundAnswersShareTheirText(t *testing.T) {
	var asked sync.Map
	var total atomic.Int32
	srv := site(t, false, func(w http.ResponseWriter, r *http.Request) bool {
		total.Add(1)
		if _, again := asked.LoadOrStore(r.URL.Path, true); again {
			t.Errorf("%s asked twice", r.URL.Path)
		}
		return false // the site's own 404
	})
	errs := scan.ScanTargets(context.Background(), testEnv(scan.Authorization{}), []scan.Target{{URL: srv.URL, Mode: scan.Passive}},
		[]scan.Check{pathsCheck{n: 600}}, scan.HostOptions{Retries: -1}, func(scan.Result) {}, nil)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if total.Load() != 600 {
		t.Fatalf("the site was asked %d times, want 600", total.Load())
	}
}
