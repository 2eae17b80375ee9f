package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/format"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store/storetest"
)

// cliTestEnv is a TEST HELPER, not Garda's fetcher: plain net/http to
// reach loopback servers.
func cliTestEnv(scan.Authorization) *scan.Env {
	d := &net.Dialer{Timeout: time.Second}
	return &scan.Env{HTTP: &http.Client{Timeout: 2 * time.Second,
		Transport: &http.Transport{DialContext: d.DialContext}}, Dial: d.DialContext}
}

// pathCheck reports a path that answers 200: active unless it is "/".
type pathCheck struct{ id, path string }

func (c pathCheck) ID() string   { return c.id }
func (c pathCheck) Active() bool { return c.path != "/" }
func (c pathCheck) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+c.path, nil)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		emit(scan.Result{TemplateID: c.id, Type: "http", Host: t.URL, MatchedAt: req.URL.String(),
			Info: scan.Info{Name: "=" + c.id, Severity: scan.SeverityHigh}, ExtractedResults: []string{resp.Header.Get("Server")}})
	}
	return nil
}

func cliDeps() scanDeps {
	return scanDeps{Env: cliTestEnv, Checks: func(templates string) ([]scan.Check, error) {
		if templates == "missing" {
			return nil, errors.New("open missing: no such folder")
		}
		return []scan.Check{pathCheck{"test-home", "/"}, pathCheck{"test-git-config", "/.git/config"}}, nil
	}}
}

func TestScanCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.18.0")
		if r.URL.Path != "/" && r.URL.Path != "/.git/config" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	sarif, csvFile := filepath.Join(dir, "out.sarif"), filepath.Join(dir, "out.csv")
	var out, errb bytes.Buffer
	err := scanTargets(context.Background(), []string{"--i-am-authorised", srv.URL, "--jsonl", "--mode", "active",
		"--sarif", sarif, "--csv", csvFile, "--progress", "always"}, &out, &errb, cliDeps())
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r scan.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		ids = append(ids, r.TemplateID)
	}
	if len(ids) != 2 {
		t.Fatalf("results %v, want both checks' (active mode)", ids)
	}
	if !strings.Contains(errb.String(), "2/2 checks") || !strings.Contains(errb.String(), "scanned 1 of 1 targets") {
		t.Fatalf("stderr %q: want the progress bar and the summary", errb.String())
	}
	for _, f := range []string{sarif, csvFile} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(csvFile)
	if !strings.Contains(string(b), "'=test-git-config") {
		t.Fatalf("csv not defused:\n%s", b)
	}

	// Passive by default: the active check does not run; plain lines.
	out.Reset()
	errb.Reset()
	if err := scanTargets(context.Background(), []string{srv.URL, "--i-am-authorised"}, &out, &errb, cliDeps()); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("[test-home] [http] [high] %s/ [nginx/1.18.0]\n", srv.URL); out.String() != want {
		t.Fatalf("passive output %q, want %q", out.String(), want)
	}
	if strings.Contains(errb.String(), "\r[") {
		t.Fatal("progress bar drawn on a stderr that is not a terminal")
	}
}

func TestScanCommandRefusals(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	for name, c := range map[string]struct {
		args []string
		deps scanDeps
		code int
		says string
	}{
		"not authorised": {[]string{"http://127.0.0.1:1"}, cliDeps(), 2, "--i-am-authorised is required"},
		"no target":      {[]string{"--i-am-authorised"}, cliDeps(), 2, "at least one target"},
		"bad mode":       {[]string{"--i-am-authorised", "--mode", "aggressive", "http://127.0.0.1:1"}, cliDeps(), 2, "want passive or active"},
		"bad target":     {[]string{"--i-am-authorised", "ftp://127.0.0.1"}, cliDeps(), 2, "http:// or https://"},
		"bad rate":       {[]string{"--i-am-authorised", "--rate", "0", "http://127.0.0.1:1"}, cliDeps(), 2, "above zero"},
		"no fetcher":     {[]string{"--i-am-authorised", "http://127.0.0.1:1"}, scanDeps{Checks: cliDeps().Checks}, 1, "no fetcher"},
		"bad templates":  {[]string{"--i-am-authorised", "--templates", "missing", "http://127.0.0.1:1"}, cliDeps(), 1, "no such folder"},
		"host down":      {[]string{"--i-am-authorised", "--host-timeout", "2s", "--retries", "0", downURL}, cliDeps(), 3, "1 of 1 targets could not be scanned"},
	} {
		var out, errb bytes.Buffer
		err := scanTargets(context.Background(), c.args, &out, &errb, c.deps)
		code := 0
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			code = 1
		}
		if code != c.code || err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: exit %d %v, want %d saying %q", name, code, err, c.code, c.says)
		}
	}
}

func TestScanImport(t *testing.T) {
	dir := t.TempDir()
	sarif := filepath.Join(dir, "in.sarif")
	var out, errb bytes.Buffer
	nuclei := filepath.Join("..", "..", "internal", "scan", "format", "testdata", "nuclei.jsonl")
	nmap := filepath.Join("..", "..", "internal", "scan", "format", "testdata", "nmap-hand.xml")
	if err := scanImport([]string{nuclei, nmap, "--sarif", sarif}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	rs, err := format.ReadJSONL(&out, "stdout")
	if err != nil || len(rs) != 10 {
		t.Fatalf("%d results %v, want 3 nuclei + 7 nmap", len(rs), err)
	}
	if _, err := os.Stat(sarif); err != nil {
		t.Fatal(err)
	}
	// A bad file among good ones: an error naming it, nothing printed.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"template-id":"x","host":"h"}`+"\nnot json\n"), 0o600)
	out.Reset()
	err = scanImport([]string{nuclei, bad}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") || out.Len() != 0 {
		t.Fatalf("bad file: %v, %d bytes printed", err, out.Len())
	}
	// From stdin.
	out.Reset()
	if err := scanImport([]string{"-"}, strings.NewReader(`{"template-id":"x","host":"h","info":{"severity":"low"}}`), &out, &errb); err != nil || !strings.Contains(out.String(), `"template-id":"x"`) {
		t.Fatalf("stdin: %v %q", err, out.String())
	}
}

func TestScanDispatcher(t *testing.T) {
	if _, ok := scanCommands["import"]; !ok {
		t.Fatal("import is not a scan sub-command")
	}
	var out, errb bytes.Buffer
	code := run([]string{"scan", "http://127.0.0.1:1"}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "--i-am-authorised is required") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

type memAuths map[int64]scan.Authorization

func (a memAuths) Valid(_ context.Context, id int64, _ time.Time) (scan.Authorization, error) {
	if au, ok := a[id]; ok {
		return au, nil
	}
	return scan.Authorization{}, errors.New("never given")
}

// memScans is a TEST HELPER recorder: the finding store keeps scans in
// tables.
type memScans struct {
	auth     memAuths
	mu       sync.Mutex
	statuses []string
	results  int
}

func (m *memScans) Begin(ctx context.Context, asset int64, _, _ string) (int64, scan.Authorization, error) {
	au, err := m.auth.Valid(ctx, asset, time.Now())
	return asset, au, err
}
func (m *memScans) Progress(context.Context, int64, int, int, int) error { return nil }
func (m *memScans) Finish(_ context.Context, _ int64, status string, rs []scan.Result, _ error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statuses = append(m.statuses, status)
	m.results += len(rs)
	return nil
}

// TestScanRoundOnTheSchedule runs the round job garda serve schedules,
// from two instances on one database: one round per period.
func TestScanRoundOnTheSchedule(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	auths := memAuths{1: {ID: 1, AssetID: 1, Mode: scan.Passive, Scope: []string{srv.URL}}}
	rec := &memScans{auth: auths}
	sp := scanPillar{Auth: auths, Recorder: rec, Env: cliTestEnv,
		Due:    func(context.Context, time.Time) ([]int64, error) { return []int64{1, 2}, nil },
		Checks: []scan.Check{pathCheck{"test-home", "/"}, pathCheck{"test-git-config", "/.git/config"}}}
	db := storetest.SQLite(t)
	now := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	log := slog.New(slog.DiscardHandler)
	var instances []*schedule.Scheduler
	for _, h := range []string{"a", "b"} {
		s, err := schedule.New(db, schedule.Options{Holder: h, Now: func() time.Time { return now }},
			scanRoundJob(sp, 10*time.Minute, scan.HostOptions{MaxHosts: 4}, log))
		if err != nil {
			t.Fatal(err)
		}
		instances = append(instances, s)
	}
	for _, s := range instances {
		s.Tick(context.Background())
	}
	now = now.Add(10 * time.Minute)
	for _, s := range instances {
		s.Tick(context.Background())
	}
	if strings.Join(rec.statuses, ",") != "done,done" || rec.results != 2 {
		t.Fatalf("statuses %v (asset 2 has no authorisation: refused, not recorded), %d results; want two rounds of one scan with one passive result", rec.statuses, rec.results)
	}
}
