package scan_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// testEnv is a TEST HELPER, not Garda's fetcher (package fetch builds the
// real Env, with politeness and the address guard): plain net/http and a
// net.Dialer with short timeouts, enough to reach loopback servers.
func testEnv(scan.Authorization) *scan.Env {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &scan.Env{
		HTTP: &http.Client{
			Timeout:   5 * time.Second,
			Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Dial: d.DialContext,
	}
}

// getCheck fetches a path and reports when want says so: the simplest
// check there is, passive for "/" and active for anything else.
type getCheck struct {
	id, path string
	want     func(*http.Response, string) bool
	sev      scan.Severity
}

func (c getCheck) ID() string   { return c.id }
func (c getCheck) Active() bool { return c.path != "/" }
func (c getCheck) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.URL, "/")+c.path, nil)
	if err != nil {
		return err
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("server error %s", resp.Status)
	}
	if c.want(resp, string(body)) {
		emit(scan.Result{TemplateID: c.id, Info: scan.Info{Name: c.id, Severity: c.sev}, Type: "http",
			Host: t.URL, MatchedAt: req.URL.String(), MatcherStatus: true})
	}
	return nil
}

var (
	serverHeader = getCheck{id: "test-server-version", path: "/", sev: scan.SeverityInfo,
		want: func(r *http.Response, _ string) bool { return strings.Contains(r.Header.Get("Server"), "/") }}
	dotEnv = getCheck{id: "test-dotenv", path: "/.env", sev: scan.SeverityHigh,
		want: func(r *http.Response, b string) bool {
			return r.StatusCode == 200 && strings.Contains(b, "DB_PASSWORD=")
		}}
)

// site is a loopback web server with planted weaknesses.
func site(t *testing.T, env bool, h func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h != nil && h(w, r) {
			return
		}
		w.Header().Set("Server", "Apache/2.4.49")
		if r.URL.Path == "/.env" && env {
			fmt.Fprintln(w, "DB_PASSWORD=hunter2")
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "<h1>KPU</h1>")
	}))
	t.Cleanup(srv.Close)
	return srv
}

type auths map[int64]scan.Authorization

func (a auths) Valid(_ context.Context, id int64, _ time.Time) (scan.Authorization, error) {
	au, ok := a[id]
	if !ok {
		return scan.Authorization{}, errors.New("never given")
	}
	return au, nil
}

type finished struct {
	asset   int64
	status  string
	results []scan.Result
	err     error
}

// recorder keeps scans in memory, as the finding store would in tables.
type recorder struct {
	auth     scan.Authorizations
	mu       sync.Mutex
	next     int64
	asset    map[int64]int64
	progress map[int64][]scan.Progress
	done     map[int64]finished
}

func newRecorder(a scan.Authorizations) *recorder {
	return &recorder{auth: a, asset: map[int64]int64{}, progress: map[int64][]scan.Progress{}, done: map[int64]finished{}}
}

func (r *recorder) Begin(ctx context.Context, asset int64, trigger, by string) (int64, scan.Authorization, error) {
	au, err := r.auth.Valid(ctx, asset, time.Now())
	if err != nil {
		return 0, au, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.asset[r.next] = asset
	return r.next, au, nil
}

func (r *recorder) Progress(_ context.Context, id int64, done, total, requests int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress[id] = append(r.progress[id], scan.Progress{Done: done, Total: total, Requests: requests})
	return nil
}

func (r *recorder) Finish(_ context.Context, id int64, status string, results []scan.Result, runErr error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, twice := r.done[id]; twice {
		return errors.New("finished twice")
	}
	r.done[id] = finished{asset: r.asset[id], status: status, results: results, err: runErr}
	return nil
}

func (r *recorder) byAsset(asset int64) finished {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.done {
		if f.asset == asset {
			return f
		}
	}
	return finished{status: "never finished"}
}

func ids(rs []scan.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.TemplateID)
	}
	return out
}

func authFor(id int64, mode scan.Mode, srv ...*httptest.Server) scan.Authorization {
	a := scan.Authorization{ID: id * 10, AssetID: id, Mode: mode, RatePerSecond: 5, Concurrency: 2}
	for _, s := range srv {
		a.Scope = append(a.Scope, s.URL)
	}
	return a
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestRoundModesRetriesAndFailures(t *testing.T) {
	weak := site(t, true, nil)
	// flaky fails its first two requests for /.env: retried, then found.
	var flakyHits atomic.Int32
	flaky := site(t, true, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/.env" && flakyHits.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	// hung never answers within the host timeout.
	stop := make(chan struct{})
	hung := site(t, true, func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
		return true
	})
	defer close(stop)
	// down refuses connections.
	down := site(t, true, nil)
	downURL := down.URL
	down.Close()

	a := auths{
		1: authFor(1, scan.Passive, weak),
		2: authFor(2, scan.Active, weak),
		3: authFor(3, scan.Active, flaky),
		4: authFor(4, scan.Active, hung),
		5: authFor(5, scan.Active, weak, hung),
		6: {ID: 60, AssetID: 6, Mode: scan.Active, Scope: []string{downURL}},
	}
	rec := newRecorder(a)
	r := &scan.Runner{
		Auth: a, Recorder: rec, Env: testEnv,
		Due:    func(context.Context, time.Time) ([]int64, error) { return []int64{1, 2, 3, 4, 5, 6, 7}, nil },
		Checks: []scan.Check{serverHeader, dotEnv},
		Hosts:  scan.HostOptions{MaxHosts: 3, HostTimeout: 300 * time.Millisecond, Retries: 2, Sleep: noSleep},
	}
	rep, err := r.Round(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := scan.RoundReport{Assets: 7, Scanned: 3, Partial: 1, Failed: 2, Refused: 1}
	if rep.Assets != want.Assets || rep.Scanned != want.Scanned || rep.Partial != want.Partial || rep.Failed != want.Failed || rep.Refused != want.Refused {
		t.Fatalf("round %+v, want %+v", rep, want)
	}

	if f := rec.byAsset(1); f.status != scan.StatusDone || strings.Join(ids(f.results), ",") != "test-server-version" {
		t.Errorf("passive scan: %s %v %v, want only the passive check's result", f.status, ids(f.results), f.err)
	}
	if f := rec.byAsset(2); f.status != scan.StatusDone || len(f.results) != 2 {
		t.Errorf("active scan: %s %v %v, want both results", f.status, ids(f.results), f.err)
	}
	if f := rec.byAsset(3); f.status != scan.StatusDone || len(f.results) != 2 || flakyHits.Load() != 3 {
		t.Errorf("flaky host: %s %v %v after %d hits of /.env, want found on the third", f.status, ids(f.results), f.err, flakyHits.Load())
	}
	if f := rec.byAsset(4); f.status != scan.StatusFailed || f.err == nil || !strings.Contains(f.err.Error(), "after 3 attempts") ||
		!strings.Contains(f.err.Error(), "no answer within 300ms") {
		t.Errorf("hung host: %s %v, want failed after 3 attempts, timed out", f.status, f.err)
	}
	if f := rec.byAsset(5); f.status != scan.StatusPartial || len(f.results) != 2 || !strings.Contains(fmt.Sprint(f.err), hung.URL) {
		t.Errorf("one hung target of two: %s %v %v, want partial with the other's results and the hung one named", f.status, ids(f.results), f.err)
	}
	if f := rec.byAsset(6); f.status != scan.StatusFailed || !strings.Contains(fmt.Sprint(f.err), "refused") {
		t.Errorf("down host: %s %v, want failed, connection refused", f.status, f.err)
	}
	// Progress ends at done == total for every scan, with requests counted.
	for id, ps := range rec.progress {
		last := ps[len(ps)-1]
		if last.Done != last.Total || last.Total == 0 {
			t.Errorf("scan %d (asset %d): last progress %+v, want done == total", id, rec.asset[id], last)
		}
		if rec.asset[id] == 2 && last.Requests != 2 {
			t.Errorf("active scan of one host with two checks counted %d requests, want 2", last.Requests)
		}
	}
}

func TestRefusedWithoutAuthorisation(t *testing.T) {
	rec := newRecorder(auths{})
	r := &scan.Runner{Auth: auths{}, Recorder: rec, Env: testEnv, Checks: []scan.Check{serverHeader}}
	_, err := r.ScanAsset(context.Background(), 9, scan.TriggerManual, "budi")
	if !errors.Is(err, scan.ErrNotAuthorized) || !strings.Contains(err.Error(), "never given") {
		t.Fatalf("err %v, want refused saying why", err)
	}
	if len(rec.done) != 0 || rec.next != 0 {
		t.Fatal("a refused scan was recorded as run")
	}
}

func TestGlobalCeilingOnHosts(t *testing.T) {
	var active, most atomic.Int32
	gate := func(w http.ResponseWriter, r *http.Request) bool {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return false
	}
	a := auths{}
	var due []int64
	for i := int64(1); i <= 12; i++ {
		a[i] = authFor(i, scan.Passive, site(t, false, gate))
		due = append(due, i, i) // the same asset twice is scanned once
	}
	rec := newRecorder(a)
	r := &scan.Runner{Auth: a, Recorder: rec, Env: testEnv, Checks: []scan.Check{serverHeader},
		Due:   func(context.Context, time.Time) ([]int64, error) { return due, nil },
		Hosts: scan.HostOptions{MaxHosts: 3, PerHost: 1}}
	rep, err := r.Round(context.Background())
	if err != nil || rep.Scanned != 12 || rep.Results != 12 {
		t.Fatalf("round %+v %v, want 12 scanned with 12 results", rep, err)
	}
	if most.Load() > 3 {
		t.Fatalf("%d hosts answered at once, over the ceiling of 3", most.Load())
	}
}

// TestChecksPerHostFollowTheAuthorisation: an authorisation allowing one
// connection gets one check at a time.
func TestChecksPerHostFollowTheAuthorisation(t *testing.T) {
	for _, conc := range []int{1, 3} {
		var active, most atomic.Int32
		srv := site(t, true, func(w http.ResponseWriter, r *http.Request) bool {
			n := active.Add(1)
			defer active.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(30 * time.Millisecond)
			return false
		})
		au := authFor(1, scan.Active, srv)
		au.Concurrency = conc
		a := auths{1: au}
		var checks []scan.Check
		for i := 0; i < 6; i++ {
			checks = append(checks, getCheck{id: fmt.Sprintf("c%d", i), path: fmt.Sprintf("/p%d", i), want: func(*http.Response, string) bool { return false }})
		}
		r := &scan.Runner{Auth: a, Recorder: newRecorder(a), Env: testEnv, Checks: checks}
		if _, err := r.ScanAsset(context.Background(), 1, scan.TriggerManual, "budi"); err != nil {
			t.Fatal(err)
		}
		if int(most.Load()) > conc {
			t.Errorf("concurrency %d: %d requests at once", conc, most.Load())
		}
	}
}

// noisy reports far more than the cap, with huge evidence.
type noisy struct{}

func (noisy) ID() string   { return "test-noisy" }
func (noisy) Active() bool { return false }
func (noisy) Run(ctx context.Context, _ *scan.Env, t scan.Target, emit func(scan.Result)) error {
	big := strings.Repeat("A", 1<<20)
	for i := 0; i < 100000; i++ {
		emit(scan.Result{Host: t.URL, MatchedAt: fmt.Sprintf("%s/%d", t.URL, i), Response: big})
	}
	return nil
}

type panics struct{}

func (panics) ID() string   { return "test-panics" }
func (panics) Active() bool { return false }
func (panics) Run(context.Context, *scan.Env, scan.Target, func(scan.Result)) error {
	var m map[string]int
	m["x"]++
	return nil
}

func TestResultsCappedAndPanicsContained(t *testing.T) {
	var got []scan.Result
	var mu sync.Mutex
	failed := scan.ScanTargets(context.Background(), testEnv(scan.Authorization{}),
		[]scan.Target{{URL: "http://127.0.0.1:9", Mode: scan.Passive}}, []scan.Check{noisy{}, panics{}},
		scan.HostOptions{MaxResultsPerCheck: 50, MaxEvidence: 1024, Retries: -1},
		func(r scan.Result) { mu.Lock(); got = append(got, r); mu.Unlock() }, nil)
	if len(got) != 50 {
		t.Errorf("%d results kept, want the cap of 50", len(got))
	}
	for _, r := range got {
		if len(r.Response) > 1100 || r.TemplateID != "test-noisy" || r.Timestamp.IsZero() {
			t.Fatalf("result not clipped or stamped: %d bytes, id %q, time %v", len(r.Response), r.TemplateID, r.Timestamp)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error(), "panicked") {
		t.Fatalf("failed %v, want the panicking check reported", failed)
	}
}

func TestTargetsFromScope(t *testing.T) {
	got, err := scan.Targets(scan.Authorization{Mode: scan.Passive, Scope: []string{
		"kpu.go.id", "https://kpu.go.id/pemilu", "jdih.kpu.go.id:8080", "127.0.0.1:8443", "kpu.go.id:443", "kpu.go.id"}})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, g := range got {
		urls = append(urls, g.URL)
	}
	want := "https://kpu.go.id https://kpu.go.id/pemilu http://jdih.kpu.go.id:8080 https://127.0.0.1:8443"
	if strings.Join(urls, " ") != want {
		t.Fatalf("targets %v, want %s", urls, want)
	}
	for _, bad := range [][]string{{}, {"ftp://kpu.go.id"}, {"kpu.go.id/x y"}, {":80"}} {
		if _, err := scan.Targets(scan.Authorization{Mode: scan.Active, Scope: bad}); err == nil {
			t.Errorf("scope %q accepted", bad)
		}
	}
	if _, err := scan.Targets(scan.Authorization{Mode: "aggressive", Scope: []string{"kpu.go.id"}}); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestIsDue(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago    time.Duration
		never  bool
		urgent bool
		want   bool
	}{
		{never: true, want: true},
		{ago: 23 * time.Hour, want: false},
		{ago: 24 * time.Hour, want: true},
		{ago: 11 * time.Hour, urgent: true, want: false},
		{ago: 12 * time.Hour, urgent: true, want: true},
	} {
		last := now.Add(-c.ago)
		if c.never {
			last = time.Time{}
		}
		if got := scan.IsDue(last, c.urgent, now); got != c.want {
			t.Errorf("last %v ago (never %v), urgent %v: due %v, want %v", c.ago, c.never, c.urgent, got, c.want)
		}
	}
}

// TestEvidenceBudgetAndStop: a scan keeps the evidence of its results up
// to its budget only, and a stopped round finishes its scans as failed.
func TestEvidenceBudgetAndStop(t *testing.T) {
	srv := site(t, false, nil)
	a := auths{1: authFor(1, scan.Passive, srv)}
	rec := newRecorder(a)
	r := &scan.Runner{Auth: a, Recorder: rec, Env: testEnv, Checks: []scan.Check{noisy{}},
		Hosts: scan.HostOptions{MaxResultsPerCheck: 100, MaxEvidence: 1000}, MaxEvidence: 10 * 1100}
	if _, err := r.ScanAsset(context.Background(), 1, scan.TriggerManual, "budi"); err != nil {
		t.Fatal(err)
	}
	f := rec.byAsset(1)
	kept := 0
	for _, res := range f.results {
		if strings.HasPrefix(res.Response, "AAAA") {
			kept++
		}
	}
	if len(f.results) != 100 || kept != 10 {
		t.Fatalf("%d results, %d with their evidence; want 100 and 10 (the budget)", len(f.results), kept)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec2 := newRecorder(a)
	r.Recorder = rec2
	r.Checks = []scan.Check{serverHeader}
	if _, err := r.ScanAsset(ctx, 1, scan.TriggerManual, "budi"); err == nil {
		t.Fatal("a stopped scan reported no error")
	}
	if f := rec2.byAsset(1); f.status != scan.StatusFailed || !strings.Contains(fmt.Sprint(f.err), "scan stopped") {
		t.Fatalf("stopped scan recorded as %s %v", f.status, f.err)
	}
}
