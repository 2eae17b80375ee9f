package scan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// authWorld: a regency's site (Kabupaten Bandung, 32.04) shared with BSSN,
// and the people who may or may not authorise its test.
type authWorld struct {
	db    *store.DB
	who   map[string]auth.Principal
	asset asset.Asset
	st    *scan.Store
	now   time.Time
}

var authPeople = []auth.NewUser{
	{Username: "rina", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"},
	{Username: "adi", Org: "kpu-32.04", Role: "analyst", Scope: "32.04"},
	{Username: "prov", Org: "kpu-32", Role: "coordinator", Scope: "32"},
	{Username: "budi", Org: "bssn", Role: "coordinator", Scope: ""},
	{Username: "dewi", Org: "bssn", Role: "analyst", Scope: ""},
	{Username: "sari", Org: "kpu-33", Role: "coordinator", Scope: "33"},
	{Username: "room32", Org: "diskominfo-32", Role: "coordinator", Scope: "32"},
}

func newAuthWorld(t *testing.T, db *store.DB) *authWorld { return newAuthWorldB(t, db) }

func newAuthWorldB(t testing.TB, db *store.DB) *authWorld {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	// 2026-03-02 16:00 UTC is 23:00 WIB.
	w := &authWorld{db: db, who: map[string]auth.Principal{}, now: time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)}
	var users []auth.User
	for _, p := range authPeople {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	name, kind := "Portal KPU Kabupaten Bandung", "site"
	urls, hosts := []string{"https://kpu-bandung.test", "http://127.0.0.1:8080/portal"}, []string{"www.kpu-bandung.test"}
	if w.asset, err = asset.Create(ctx, db, w.who["rina"], tree, asset.Input{Name: &name, Kind: &kind, URLs: &urls, Hostnames: &hosts}); err != nil {
		t.Fatal(err)
	}
	bssn, _ := tree.BySlug("bssn")
	if err := participant.Add(ctx, db, asset.RecordKind, w.asset.ID, participant.Set{Orgs: []int64{bssn.ID}}); err != nil {
		t.Fatal(err)
	}
	w.st = scan.NewStore(db)
	w.st.Now = func() time.Time { return w.now }
	return w
}

func (w *authWorld) input() scan.AuthorizationInput {
	return scan.AuthorizationInput{Scope: []string{"https://kpu-bandung.test", "127.0.0.1:8080"}, Mode: scan.Passive,
		WindowStart: 22, WindowEnd: 5, RatePerSecond: 5, Concurrency: 2, ExpiresAt: w.now.Add(30 * 24 * time.Hour)}
}

func (w *authWorld) count(query string, args ...any) int {
	var n int
	if err := w.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		panic(err)
	}
	return n
}

// TestWhoMayAuthorize: a coordinator of the owner, of the province above
// it, or of BSSN; nobody else, and a refusal changes nothing.
func TestWhoMayAuthorize(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		for _, c := range []struct {
			user string
			code problem.Code // "" = accepted
		}{
			{"rina", ""}, {"prov", ""}, {"budi", ""},
			{"adi", problem.Forbidden},   // an analyst of the owner
			{"dewi", problem.Forbidden},  // an analyst of BSSN
			{"room32", problem.NotFound}, // a coordinator who may not read the asset
			{"sari", problem.NotFound},   // another province
		} {
			before := w.count(`SELECT COUNT(*) FROM scan_authorizations`)
			a, err := w.st.Give(ctx, w.who[c.user], w.asset.ID, w.input())
			switch {
			case c.code == "" && err != nil:
				t.Errorf("%s: %v", c.user, err)
			case c.code == "" && (a.GivenBy != c.user || a.GivenOrg != w.who[c.user].Org.Slug || a.ID == 0):
				t.Errorf("%s: given as %+v", c.user, a)
			case c.code != "" && !problem.Is(err, c.code):
				t.Errorf("%s: %v, want %s", c.user, err, c.code)
			case c.code != "" && w.count(`SELECT COUNT(*) FROM scan_authorizations`) != before:
				t.Errorf("%s: a refusal stored something", c.user)
			}
			if c.code == problem.Forbidden && !strings.Contains(err.Error(), "only a coordinator of kpu-32.04") {
				t.Errorf("%s: unclear refusal %q", c.user, err)
			}
		}
		if n := w.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'scan_authorization.give'`); n != 3 {
			t.Errorf("audited gives: %d, want 3", n)
		}
		// The audit trail is read under the asset's visibility.
		for user, want := range map[string]int{"rina": 3, "prov": 3, "sari": 0, "room32": 0} {
			got, err := audit.ListFor(ctx, db, w.who[user].Viewer, audit.Filter{Kind: scan.AuthorizationKind, Limit: 50})
			if err != nil || len(got) != want {
				t.Errorf("%s reads %d authorisation entries, want %d (%v)", user, len(got), want, err)
			}
		}
	})
}

// TestAuthorizationInput: bad input is refused with the field named, and
// an authorisation cannot reach beyond its asset.
func TestAuthorizationInput(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		for _, c := range []struct {
			name, field string
			change      func(*scan.AuthorizationInput)
		}{
			{"no scope", "scope", func(in *scan.AuthorizationInput) { in.Scope = nil }},
			{"another host", "scope", func(in *scan.AuthorizationInput) { in.Scope = []string{"kpu.go.id"} }},
			{"another URL", "scope", func(in *scan.AuthorizationInput) { in.Scope = []string{"https://evil.test/kpu-bandung.test"} }},
			{"another host:port", "scope", func(in *scan.AuthorizationInput) { in.Scope = []string{"127.0.0.2:8080"} }},
			{"bad port", "scope", func(in *scan.AuthorizationInput) { in.Scope = []string{"127.0.0.1:70000"} }},
			{"ftp URL", "scope", func(in *scan.AuthorizationInput) { in.Scope = []string{"ftp://kpu-bandung.test"} }},
			{"mode", "mode", func(in *scan.AuthorizationInput) { in.Mode = "aggressive" }},
			{"window", "window_start", func(in *scan.AuthorizationInput) { in.WindowEnd = 25 }},
			{"negative window", "window_start", func(in *scan.AuthorizationInput) { in.WindowStart = -1 }},
			{"no rate", "rate_per_second", func(in *scan.AuthorizationInput) { in.RatePerSecond = 0 }},
			{"rate above ceiling", "rate_per_second", func(in *scan.AuthorizationInput) { in.RatePerSecond = 51 }},
			{"no concurrency", "concurrency", func(in *scan.AuthorizationInput) { in.Concurrency = 0 }},
			{"concurrency 11", "concurrency", func(in *scan.AuthorizationInput) { in.Concurrency = 11 }},
			{"expired", "expires_at", func(in *scan.AuthorizationInput) { in.ExpiresAt = w.now.Add(-time.Hour) }},
			{"over a year", "expires_at", func(in *scan.AuthorizationInput) { in.ExpiresAt = w.now.Add(366 * 24 * time.Hour) }},
		} {
			in := w.input()
			c.change(&in)
			_, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, in)
			if p := problem.As(err); p == nil || p.Code != problem.Invalid || p.Field != c.field {
				t.Errorf("%s: %v, want a %s error", c.name, err, c.field)
			}
		}
		if n := w.count(`SELECT COUNT(*) FROM scan_authorizations`); n != 0 {
			t.Fatalf("bad input stored %d", n)
		}
		in := w.input()
		in.Scope = []string{"WWW.KPU-BANDUNG.TEST", "http://127.0.0.1:8080/portal/", "kpu-bandung.test:443"}
		in.Mode, in.RatePerSecond, in.Concurrency = scan.Active, 50, 10
		a, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(a.Scope, " ") != "www.kpu-bandung.test http://127.0.0.1:8080/portal/ kpu-bandung.test:443" {
			t.Errorf("scope kept as %q", a.Scope)
		}
		for target, want := range map[string]bool{
			"https://www.kpu-bandung.test/login":     true,
			"http://127.0.0.1:8080/portal/x":         true,
			"http://127.0.0.1:8080/admin":            false,
			"https://kpu-bandung.test/":              true, // :443
			"http://kpu-bandung.test/":               false,
			"kpu-bandung.test:443":                   true,
			"https://evil.test/www.kpu-bandung.test": false,
			"127.0.0.1:8080":                         true,  // the URL entry's own port (TLS)
			"127.0.0.1:22":                           false, // another port needs a host entry
			"127.0.0.1":                              true,  // DNS of the URL entry's host
			"kpu-bandung.test":                       false, // only host:443 was named
		} {
			if a.Covers(target) != want {
				t.Errorf("Covers(%s) = %v", target, !want)
			}
		}
	})
}

// TestValid: the runner's question, answered with the exact reason.
func TestValid(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		refusal := func(now time.Time, want string) {
			t.Helper()
			_, err := w.st.Valid(ctx, w.asset.ID, now)
			var r *scan.Refusal
			if !errors.As(err, &r) || !strings.Contains(err.Error(), want) {
				t.Errorf("at %s: %v, want a refusal saying %q", now.Format(time.RFC3339), err, want)
			}
		}
		refusal(w.now, "no scan authorisation was ever given")
		given, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, w.input()) // 22-05 WIB
		if err != nil {
			t.Fatal(err)
		}
		if a, err := w.st.Valid(ctx, w.asset.ID, w.now); err != nil || a.ID != given.ID || a.RatePerSecond != 5 || a.Concurrency != 2 {
			t.Fatalf("23:00 WIB: %+v, %v", a, err)
		}
		if _, err := w.st.Valid(ctx, w.asset.ID, w.now.Add(5*time.Hour)); err != nil { // 04:00 WIB
			t.Errorf("04:00 WIB: %v", err)
		}
		refusal(w.now.Add(-9*time.Hour), "it is 14:00 WIB, outside the window 22-05 WIB")
		refusal(w.now.Add(6*time.Hour), "it is 05:00 WIB, outside the window 22-05 WIB")
		refusal(given.ExpiresAt.Add(time.Minute), "expired at "+given.ExpiresAt.In(time.FixedZone("WIB", 7*3600)).Format("2006-01-02 15:04")+" WIB")
		if _, err := w.st.Revoke(ctx, w.who["adi"], given.ID, "site retired"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an analyst revoked: %v", err)
		}
		if _, err := w.st.Revoke(ctx, w.who["budi"], given.ID, ""); !problem.Is(err, problem.Invalid) {
			t.Errorf("revoked without a reason: %v", err)
		}
		w.now = w.now.Add(time.Hour)
		if _, err := w.st.Revoke(ctx, w.who["budi"], given.ID, "the site moves to a new host"); err != nil {
			t.Fatal(err)
		}
		refusal(w.now, "revoked at 2026-03-03 00:00 WIB by budi: the site moves to a new host")
		if _, err := w.st.Revoke(ctx, w.who["budi"], given.ID, "again"); !problem.Is(err, problem.Conflict) {
			t.Errorf("revoked twice: %v", err)
		}
		list, err := w.st.List(ctx, w.who["prov"], w.asset.ID)
		if err != nil || len(list) != 1 || list[0].RevokedBy != "budi" {
			t.Errorf("list: %+v, %v", list, err)
		}
		if _, err := w.st.List(ctx, w.who["sari"], w.asset.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province listed: %v", err)
		}
	})
}

// TestBeginRefuses: a scan without a valid authorisation is refused and
// recorded as refused with the reason; with one it runs under it.
func TestBeginRefuses(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAuthWorld(t, db)
		id, az, err := w.st.Begin(ctx, w.asset.ID, scan.TriggerSchedule, "")
		var r *scan.Refusal
		if !errors.As(err, &r) || id == 0 || az.ID != 0 {
			t.Fatalf("begin without authorisation: %d, %+v, %v", id, az, err)
		}
		sc, err := w.st.GetScan(ctx, w.who["rina"], id)
		if err != nil || sc.Status != scan.StatusRefused || !strings.Contains(sc.Error, "no scan authorisation was ever given") {
			t.Fatalf("refused scan recorded as %+v, %v", sc, err)
		}
		if _, _, err := w.st.Begin(ctx, w.asset.ID, "cron", ""); !problem.Is(err, problem.Invalid) {
			t.Errorf("bad trigger: %v", err)
		}
		if _, _, err := w.st.Begin(ctx, 999999, scan.TriggerManual, "rina"); !problem.Is(err, problem.NotFound) {
			t.Errorf("no such asset: %v", err)
		}
		given, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, w.input())
		if err != nil {
			t.Fatal(err)
		}
		id, az, err = w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
		if err != nil || az.ID != given.ID || az.Mode != scan.Passive {
			t.Fatalf("begin: %+v, %v", az, err)
		}
		if err := w.st.Progress(ctx, id, 3, 2, 1); !problem.Is(err, problem.Invalid) {
			t.Errorf("done above total: %v", err)
		}
		if err := w.st.Progress(ctx, id, 1, 2, 17); err != nil {
			t.Fatal(err)
		}
		// A result outside the scope is dropped and said so.
		out := scan.Result{TemplateID: "x", Info: scan.Info{Name: "x", Severity: scan.SeverityHigh}, Host: "kpu.go.id", MatchedAt: "https://kpu.go.id/"}
		if err := w.st.Finish(ctx, id, scan.StatusDone, []scan.Result{out}, nil); err != nil {
			t.Fatal(err)
		}
		sc, _ = w.st.GetScan(ctx, w.who["budi"], id)
		if sc.Status != scan.StatusDone || sc.TargetsDone != 1 || sc.TargetsTotal != 2 || sc.Requests != 17 || sc.Results != 1 ||
			sc.Trigger != scan.TriggerManual || sc.RequestedBy != "rina" || sc.FinishedAt == nil || !strings.Contains(sc.Error, "outside the authorised scope") {
			t.Fatalf("finished scan: %+v", sc)
		}
		if n := w.count(`SELECT COUNT(*) FROM findings`); n != 0 {
			t.Errorf("an out-of-scope result became %d findings", n)
		}
		if err := w.st.Progress(ctx, id, 2, 2, 20); !problem.Is(err, problem.Conflict) {
			t.Errorf("progress after finish: %v", err)
		}
		list, err := w.st.Scans(ctx, w.who["prov"], scan.ScanFilter{AssetID: w.asset.ID})
		if err != nil || len(list) != 2 || list[0].ID != id {
			t.Errorf("scans: %d, %v", len(list), err)
		}
		if list, _ := w.st.Scans(ctx, w.who["sari"], scan.ScanFilter{}); len(list) != 0 {
			t.Errorf("another province sees %d scans", len(list))
		}
		if _, err := w.st.GetScan(ctx, w.who["sari"], id); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province reads a scan: %v", err)
		}
		if n := w.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('scan.refuse', 'scan.begin', 'scan.finish')`); n != 3 {
			t.Errorf("audited scan steps: %d, want 3", n)
		}
	})
}
