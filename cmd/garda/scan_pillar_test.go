package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestWiredScanRound runs the round garda serve schedules, wired as it is
// (the registered engines, package fetch's Env under a loopback guard,
// the scan store), against a loopback site with a planted .git/config:
// the authorised asset is due, scanned, and its findings are opened; the
// next round finds nothing due.
func TestWiredScanRound(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.git/config":
			w.Write([]byte("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n[remote \"origin\"]\n\turl = git@example.com:kpu/portal.git\n"))
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><head><title>KPU</title></head><body>Portal</body></html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "rina", Password: "pw-rina-long-enough", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rina, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	name, kind, urls := "Portal KPU Kabupaten Bandung", "site", []string{site.URL}
	a, err := asset.Create(ctx, db, rina, tree, asset.Input{Name: &name, Kind: &kind, URLs: &urls})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := wireScanPillar(db, scheduleFlags{scanAllow: []string{"127.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	sp.keepEvidence(t.TempDir()) // as garda serve does, with its data directory
	if len(sp.Checks) < 10 {
		t.Fatalf("%d checks loaded: want the nuclei set and the built-in checks", len(sp.Checks))
	}
	due, err := sp.Due(ctx, time.Now())
	if err != nil || len(due) != 0 {
		t.Fatalf("due before any authorisation: %v, %v", due, err)
	}
	if _, err := sp.Auth.(*scan.Store).Give(ctx, rina, a.ID, scan.AuthorizationInput{Scope: []string{site.URL}, Mode: scan.Active,
		WindowStart: 0, WindowEnd: 24, RatePerSecond: 50, Concurrency: 4, ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := sp.runner(scan.HostOptions{MaxHosts: 4, HostTimeout: 2 * time.Minute}, slog.New(slog.DiscardHandler))
	rep, err := r.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Assets != 1 || rep.Scanned+rep.Partial != 1 || rep.Results == 0 {
		t.Fatalf("round %+v: want the one authorised asset scanned with results", rep)
	}
	fs, err := finding.List(ctx, db, rina, finding.Filter{AssetID: a.ID, Status: []finding.Status{finding.Open}})
	if err != nil {
		t.Fatal(err)
	}
	var git bool
	for _, f := range fs {
		if f.Severity != "" && f.Location != "" && strings.Contains(f.Location, ".git/config") {
			git = true
			// The response that showed it is the finding's evidence.
			if files, err := finding.Files(ctx, db, rina, f.ID); err != nil || len(files) == 0 {
				t.Errorf("%s at %s: evidence files %v, %v", f.CheckKey, f.Location, files, err)
			}
		}
	}
	if len(fs) == 0 || !git {
		t.Fatalf("%d open findings %+v: want one at /.git/config", len(fs), fs)
	}
	if due, err = sp.Due(ctx, time.Now()); err != nil || len(due) != 0 {
		t.Fatalf("due right after its scan: %v, %v", due, err)
	}
	t.Logf("round %+v, %d open findings", rep, len(fs))
}
