package finding_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// findingWorld is a regency KPU (Kabupaten Bandung, 32.04) with a site, its
// coordinator and analyst, the province above it, BSSN, both provinces'
// operation rooms, and a clock the test moves.
type findingWorld struct {
	t     *testing.T
	db    *store.DB
	who   map[string]auth.Principal
	tree  *org.Tree
	asset asset.Asset
	st    *scan.Store
	now   time.Time
}

var findingPeople = []auth.NewUser{
	{Username: "rina", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"},
	{Username: "adi", Org: "kpu-32.04", Role: "analyst", Scope: "32.04"},
	{Username: "prov", Org: "kpu-32", Role: "coordinator", Scope: "32"},
	{Username: "budi", Org: "bssn", Role: "coordinator", Scope: ""},
	{Username: "room32", Org: "diskominfo-32", Role: "operator", Scope: "32"},
	{Username: "room33", Org: "diskominfo-33", Role: "operator", Scope: "33"},
	{Username: "sari", Org: "kpu-33", Role: "coordinator", Scope: "33"},
}

func newFindingWorld(t *testing.T, db *store.DB) *findingWorld {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &findingWorld{t: t, db: db, who: map[string]auth.Principal{}, now: time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)} // 23:00 WIB
	var users []auth.User
	for _, p := range findingPeople {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	var err error
	if w.tree, err = org.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, w.tree); err != nil {
			t.Fatal(err)
		}
	}
	name, kind := "Portal KPU Kabupaten Bandung", "site"
	urls, hosts := []string{"http://127.0.0.1:8080"}, []string{"portal.kpu-bandung.test"}
	if w.asset, err = asset.Create(ctx, db, w.who["rina"], w.tree, asset.Input{Name: &name, Kind: &kind, URLs: &urls, Hostnames: &hosts}); err != nil {
		t.Fatal(err)
	}
	w.st = scan.NewStore(db)
	w.st.Now = func() time.Time { return w.now }
	if _, err := w.st.Give(ctx, w.who["rina"], w.asset.ID, scan.AuthorizationInput{
		Scope: []string{"http://127.0.0.1:8080"}, Mode: scan.Active, WindowStart: 22, WindowEnd: 5,
		RatePerSecond: 5, Concurrency: 2, ExpiresAt: w.now.Add(90 * 24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// result is a nuclei-shaped result of the planted weakness.
func result(id, sev, path string) scan.Result {
	return scan.Result{TemplateID: id, Info: scan.Info{Name: "Exposed " + path, Severity: scan.Severity(sev), Remediation: "remove it"},
		Type: "http", Host: "127.0.0.1:8080", MatchedAt: "http://127.0.0.1:8080" + path, ExtractedResults: []string{"[core]"},
		Request: "GET " + path + " HTTP/1.1", Response: "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("x", 10000)}
}

// scanWith runs one scan at the world's clock that sees results.
func (w *findingWorld) scanWith(results ...scan.Result) int64 {
	w.t.Helper()
	ctx := context.Background()
	id, _, err := w.st.Begin(ctx, w.asset.ID, scan.TriggerSchedule, "")
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.Progress(ctx, id, 1, 1, 40); err != nil {
		w.t.Fatal(err)
	}
	if err := w.st.Finish(ctx, id, scan.StatusDone, results, nil); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *findingWorld) list(user string, f finding.Filter) []finding.Finding {
	w.t.Helper()
	got, err := finding.List(context.Background(), w.db, w.who[user], f)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

func (w *findingWorld) only(user string) finding.Finding {
	w.t.Helper()
	got := w.list(user, finding.Filter{})
	if len(got) != 1 {
		w.t.Fatalf("%s sees %d findings, want 1", user, len(got))
	}
	return got[0]
}

// TestLifecycle: plant, scan, finding opened with its deadline; fixed,
// rescan, mitigated by that scan; planted again, reopened with its
// original first_seen and deadline.
func TestLifecycle(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		first := w.now
		s1 := w.scanWith(result("git-config", "critical", "/.git/config"))
		f := w.only("rina")
		if f.Status != finding.Open || f.Severity != "critical" || f.FirstScanID != s1 || f.LastScanID != s1 || !f.FirstSeen.Equal(first) {
			t.Fatalf("opened: %+v", f)
		}
		if f.DueAt == nil || !f.DueAt.Equal(first.Add(15*24*time.Hour)) {
			t.Fatalf("critical deadline %v, want %v", f.DueAt, first.Add(15*24*time.Hour))
		}
		if f.CheckKey != "git-config" || f.Location != "http://127.0.0.1:8080/.git/config" || f.TLP != "AMBER" || f.Region != "32.04" || f.Owner != "kpu-32.04" {
			t.Fatalf("key and record: %+v", f)
		}
		if len(f.Evidence.Response) > finding.EvidenceLimit+100 || !strings.Contains(f.Evidence.Response, "truncated") || f.Evidence.ExtractedResults[0] != "[core]" {
			t.Fatalf("evidence not bounded or lost: %d bytes, %v", len(f.Evidence.Response), f.Evidence.ExtractedResults)
		}

		// The next night: still there. Same finding, last seen moves.
		w.now = w.now.Add(24 * time.Hour)
		s2 := w.scanWith(result("git-config", "critical", "/.git/config"))
		f = w.only("rina")
		if f.LastScanID != s2 || !f.LastSeen.Equal(w.now) || !f.FirstSeen.Equal(first) || f.Status != finding.Open {
			t.Fatalf("seen again: %+v", f)
		}

		// Fixed: the next complete scan no longer sees it.
		w.now = w.now.Add(24 * time.Hour)
		s3 := w.scanWith()
		f = w.only("rina")
		if f.Status != finding.Mitigated || f.MitigatedScanID != s3 || f.MitigatedAt == nil {
			t.Fatalf("not mitigated by scan %d: %+v", s3, f)
		}

		// Planted again: reopened, original first_seen and deadline kept.
		w.now = w.now.Add(24 * time.Hour)
		s4 := w.scanWith(result("git-config", "critical", "/.git/config"))
		f = w.only("rina")
		if f.Status != finding.Open || !f.FirstSeen.Equal(first) || f.Reopened != 1 || f.LastScanID != s4 || f.MitigatedScanID != 0 {
			t.Fatalf("reopened: %+v", f)
		}
		if !f.DueAt.Equal(first.Add(15 * 24 * time.Hour)) {
			t.Fatalf("a reopened finding's deadline moved: %v", f.DueAt)
		}
		events, err := finding.History(ctx, db, w.who["rina"], f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "opened,mitigated,reopened" || events[1].ScanID != s3 {
			t.Fatalf("history %v (mitigated by scan %d)", kinds, events[1].ScanID)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Fatalf("audit chain: %d entries, %v", n, err)
		}
	})
}

// TestNoMitigationWithoutSameScope: a failed or incomplete scan, a scan
// whose check did not run, or a passive scan after an active finding does
// not close anything.
func TestNoMitigationWithoutSameScope(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		w.scanWith(result("git-config", "high", "/.git/config"))

		// Failed.
		id, _, err := w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.st.Finish(ctx, id, scan.StatusFailed, nil, errors.New("connection refused")); err != nil {
			t.Fatal(err)
		}
		// Done, but one target of two not finished.
		id, _, _ = w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
		if err := w.st.Progress(ctx, id, 1, 2, 10); err != nil {
			t.Fatal(err)
		}
		if err := w.st.Finish(ctx, id, scan.StatusDone, nil, nil); err != nil {
			t.Fatal(err)
		}
		// Done, but the check did not run.
		id, _, _ = w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
		if err := w.st.SetChecks(ctx, id, []string{"garda-tls"}); err != nil {
			t.Fatal(err)
		}
		if err := w.st.Finish(ctx, id, scan.StatusDone, nil, nil); err != nil {
			t.Fatal(err)
		}
		if f := w.only("rina"); f.Status != finding.Open {
			t.Fatalf("closed by a scan of another scope: %+v", f)
		}
		// The check ran this time: mitigated.
		id, _, _ = w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
		if err := w.st.SetChecks(ctx, id, []string{"garda-tls", "git-config"}); err != nil {
			t.Fatal(err)
		}
		if err := w.st.Finish(ctx, id, scan.StatusDone, nil, nil); err != nil {
			t.Fatal(err)
		}
		if f := w.only("rina"); f.Status != finding.Mitigated || f.MitigatedScanID != id {
			t.Fatalf("not mitigated by the scan that ran its check: %+v", f)
		}
		// A finished scan cannot finish again.
		if err := w.st.Finish(ctx, id, scan.StatusDone, nil, nil); !problem.Is(err, problem.Conflict) {
			t.Fatalf("finished twice: %v", err)
		}
	})
}

// TestVisibility: the owner, the province above it, BSSN and the
// province's room see the finding; another province's room and KPU never.
func TestVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		w.scanWith(result("git-config", "critical", "/.git/config"), result("env-file", "high", "/.env"))
		for _, u := range []string{"rina", "adi", "prov", "budi", "room32"} {
			if got := w.list(u, finding.Filter{}); len(got) != 2 {
				t.Errorf("%s sees %d findings, want 2", u, len(got))
			}
		}
		for _, u := range []string{"room33", "sari"} {
			if got := w.list(u, finding.Filter{}); len(got) != 0 {
				t.Errorf("%s (another province) sees %d findings", u, len(got))
			}
			if got := w.list(u, finding.Filter{Overdue: true, Now: w.now.Add(400 * 24 * time.Hour)}); len(got) != 0 {
				t.Errorf("%s sees overdue findings", u)
			}
			id := w.list("rina", finding.Filter{})[0].ID
			if _, err := finding.Get(ctx, db, w.who[u], id); !problem.Is(err, problem.NotFound) {
				t.Errorf("%s reads finding %d: %v", u, id, err)
			}
		}
		for user, want := range map[string]int{"rina": 2, "room32": 2, "room33": 0, "sari": 0} {
			got, err := audit.ListFor(ctx, db, w.who[user].Viewer, audit.Filter{Kind: finding.RecordKind, Limit: 50})
			if err != nil || len(got) != want {
				t.Errorf("%s reads %d finding audit entries, want %d (%v)", user, len(got), want, err)
			}
		}
		// Filters and pages.
		if got := w.list("budi", finding.Filter{Severity: "critical"}); len(got) != 1 || got[0].CheckKey != "git-config" {
			t.Errorf("severity filter: %v", got)
		}
		if got := w.list("budi", finding.Filter{Region: "33"}); len(got) != 0 {
			t.Errorf("region 33 filter: %d", len(got))
		}
		if got := w.list("budi", finding.Filter{Region: "32", AssetID: w.asset.ID, Status: []finding.Status{finding.Open}}); len(got) != 2 {
			t.Errorf("region, asset, status filter: %d", len(got))
		}
		// Overdue: the high one (30 days) and the critical one (15 days) at 20 days: one.
		if got := w.list("budi", finding.Filter{Overdue: true, Now: w.now.Add(20 * 24 * time.Hour)}); len(got) != 1 || got[0].Severity != "critical" {
			t.Errorf("overdue at 20 days: %v", got)
		}
		page := w.list("budi", finding.Filter{Limit: 1})
		if len(page) != 2 { // one and the one that says there is more
			t.Fatalf("page of 1: %d", len(page))
		}
		next := w.list("budi", finding.Filter{Limit: 1, Before: page[0].ID})
		if len(next) != 1 || next[0].ID == page[0].ID {
			t.Fatalf("next page: %v", next)
		}
		// The map: open and overdue per province, for those who may read them.
		m, err := finding.ByProvince(ctx, db, w.who["budi"], w.now.Add(20*24*time.Hour))
		if err != nil || m["32"] != (finding.ProvinceState{Open: 2, Overdue: 1, Highest: "critical"}) {
			t.Errorf("BSSN's map: %+v, %v", m, err)
		}
		if m, err := finding.ByProvince(ctx, db, w.who["room33"], w.now.Add(20*24*time.Hour)); err != nil || len(m) != 0 {
			t.Errorf("another province's map: %+v, %v", m, err)
		}
		if ids, err := finding.AssetsWithOpen(ctx, db, "high"); err != nil || !slices.Equal(ids, []int64{w.asset.ID}) {
			t.Errorf("assets with open high findings: %v, %v", ids, err)
		}
		if ids, err := finding.AssetsWithOpen(ctx, db, "critical"); err != nil || len(ids) != 1 {
			t.Errorf("assets with open critical findings: %v, %v", ids, err)
		}
		if _, err := finding.List(ctx, db, w.who["budi"], finding.Filter{Severity: "severe"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("bad severity: %v", err)
		}
	})
}

// TestDecisions: false positive and risk acceptance need a reason and a
// coordinator's approval; a risk acceptance expires and the finding opens
// again.
func TestDecisions(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		w.scanWith(result("git-config", "critical", "/.git/config"), result("env-file", "high", "/.env"))
		var fp, ra finding.Finding
		for _, f := range w.list("rina", finding.Filter{}) {
			if f.CheckKey == "git-config" {
				fp = f
			} else {
				ra = f
			}
		}
		until := store.Now().Add(30 * 24 * time.Hour)
		for _, c := range []struct {
			name, user string
			d          finding.Decision
			code       problem.Code
		}{
			{"no reason", "rina", finding.Decision{Status: finding.FalsePositive}, problem.Invalid},
			{"analyst without approver", "adi", finding.Decision{Status: finding.FalsePositive, Reason: "a test page"}, problem.Invalid},
			{"approver not a coordinator", "adi", finding.Decision{Status: finding.FalsePositive, Reason: "a test page", Approver: "adi"}, problem.Invalid},
			{"approver of another province", "adi", finding.Decision{Status: finding.FalsePositive, Reason: "a test page", Approver: "sari"}, problem.Invalid},
			{"operator", "room32", finding.Decision{Status: finding.FalsePositive, Reason: "a test page", Approver: "rina"}, problem.Forbidden},
			{"risk without expiry", "rina", finding.Decision{Status: finding.RiskAccepted, Reason: "legacy system"}, problem.Invalid},
			{"mitigated by hand", "rina", finding.Decision{Status: finding.Mitigated, Reason: "fixed it"}, problem.Invalid},
		} {
			if _, err := finding.Decide(ctx, db, w.who[c.user], w.tree, fp.ID, c.d); !problem.Is(err, c.code) {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		if f, _ := finding.Get(ctx, db, w.who["rina"], fp.ID); f.Status != finding.Open {
			t.Fatalf("a refused decision changed the finding: %s", f.Status)
		}
		f, err := finding.Decide(ctx, db, w.who["adi"], w.tree, fp.ID, finding.Decision{Status: finding.FalsePositive, Reason: "the file is a decoy", Approver: "rina"})
		if err != nil || f.Status != finding.FalsePositive || f.ApprovedBy != "rina" || f.Reason != "the file is a decoy" {
			t.Fatalf("false positive: %+v, %v", f, err)
		}
		f, err = finding.Decide(ctx, db, w.who["budi"], w.tree, ra.ID, finding.Decision{Status: finding.RiskAccepted, Reason: "replaced next month", Until: &until})
		if err != nil || f.Status != finding.RiskAccepted || f.ApprovedBy != "budi" || f.AcceptedUntil == nil {
			t.Fatalf("risk accepted: %+v, %v", f, err)
		}
		// A rescan that still sees both keeps the rulings.
		w.now = w.now.Add(24 * time.Hour)
		w.scanWith(result("git-config", "critical", "/.git/config"), result("env-file", "high", "/.env"))
		if got := w.list("rina", finding.Filter{Status: []finding.Status{finding.Open}}); len(got) != 0 {
			t.Fatalf("a rescan undid a ruling: %v", got)
		}
		if n, err := finding.ExpireAcceptances(ctx, db, until.Add(-time.Minute)); err != nil || n != 0 {
			t.Fatalf("expired early: %d, %v", n, err)
		}
		if n, err := finding.ExpireAcceptances(ctx, db, until.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("expiry: %d, %v", n, err)
		}
		if f, _ := finding.Get(ctx, db, w.who["rina"], ra.ID); f.Status != finding.Open {
			t.Fatalf("after its acceptance expired: %s", f.Status)
		}
		// Undo the false positive.
		if f, err := finding.Decide(ctx, db, w.who["rina"], w.tree, fp.ID, finding.Decision{Status: finding.Open, Reason: "it was real after all"}); err != nil || f.Status != finding.Open || f.ApprovedBy != "" {
			t.Fatalf("reopen by hand: %+v, %v", f, err)
		}
	})
}

// TestDeadlineNotices: the owner is told once when a deadline nears and
// once when it passes, through the notifier's inbox; another province is
// never told.
func TestDeadlineNotices(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		w.scanWith(result("git-config", "critical", "/.git/config"))
		f := w.only("rina")
		n := notify.New(db, nil, notify.SMTP{})
		inbox := func(user string) []string {
			items, err := notify.Inbox(ctx, db, w.who[user], 0, false, 50)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range items {
				out = append(out, it.Event+" "+it.HumanID)
			}
			return out
		}
		if told, err := n.NotifyFindingDeadlines(ctx, f.FirstSeen.Add(time.Hour)); err != nil || told != 0 {
			t.Fatalf("fresh: %d told, %v", told, err)
		}
		near := f.DueAt.Add(-2 * 24 * time.Hour)
		if told, err := n.NotifyFindingDeadlines(ctx, near); err != nil || told != 1 {
			t.Fatalf("near: %d told, %v", told, err)
		}
		if told, _ := n.NotifyFindingDeadlines(ctx, near.Add(time.Hour)); told != 0 {
			t.Fatalf("near told twice: %d", told)
		}
		if told, err := n.NotifyFindingDeadlines(ctx, f.DueAt.Add(time.Hour)); err != nil || told != 1 {
			t.Fatalf("missed: %d told, %v", told, err)
		}
		want := []string{notify.FindingDeadlineMissed + " " + f.HumanID, notify.FindingDeadlineNear + " " + f.HumanID}
		for _, u := range []string{"rina", "adi"} {
			if got := inbox(u); !slices.Equal(got, want) {
				t.Errorf("%s's inbox %v, want %v", u, got, want)
			}
		}
		if k, err := notify.Unread(ctx, db, w.who["rina"]); err != nil || k != 2 {
			t.Errorf("rina's unread: %d, %v", k, err)
		}
		for _, u := range []string{"room33", "sari", "budi"} {
			if got := inbox(u); len(got) != 0 {
				t.Errorf("%s was told: %v", u, got)
			}
		}
		// A mitigated finding's clock is not told.
		w.now = f.DueAt.Add(48 * time.Hour)
		w.scanWith(result("env-file", "high", "/.env"))
		if told, _ := n.NotifyFindingDeadlines(ctx, w.now.Add(400*24*time.Hour)); told != 1 { // the .env one only
			t.Errorf("after the fix: %d told, want 1 (the new finding)", told)
		}
	})
}

// TestPromote: a critical open finding becomes an incident, linked back;
// anything else is refused.
func TestPromote(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		w.scanWith(result("git-config", "critical", "/.git/config"), result("env-file", "high", "/.env"))
		var crit, high finding.Finding
		for _, f := range w.list("rina", finding.Filter{}) {
			if f.Severity == "critical" {
				crit = f
			} else {
				high = f
			}
		}
		if _, err := finding.Promote(ctx, db, w.who["rina"], w.tree, high.ID); !problem.Is(err, problem.Conflict) {
			t.Fatalf("a high finding promoted: %v", err)
		}
		if _, err := finding.Promote(ctx, db, w.who["room33"], w.tree, crit.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("another province promoted: %v", err)
		}
		inc, err := finding.Promote(ctx, db, w.who["rina"], w.tree, crit.ID)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Severity != "critical" || inc.Category != "vulnerable" || inc.Owner != "kpu-32.04" || inc.Region != "32.04" ||
			!slices.Equal(inc.AssetIDs, []int64{w.asset.ID}) || !inc.DetectedAt.Equal(crit.FirstSeen) {
			t.Fatalf("incident: %+v", inc)
		}
		f, _ := finding.Get(ctx, db, w.who["rina"], crit.ID)
		if f.IncidentID != inc.ID {
			t.Fatalf("not linked back: %d", f.IncidentID)
		}
		if _, err := finding.Promote(ctx, db, w.who["rina"], w.tree, crit.ID); !problem.Is(err, problem.Conflict) {
			t.Fatalf("promoted twice: %v", err)
		}
	})
}

// TestConcurrentFinish: two scans of one asset that finish at once and saw
// the same new things make one finding of each, not an error.
func TestConcurrentFinish(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		results := []scan.Result{result("git-config", "critical", "/.git/config"), result("env-file", "high", "/.env"), result("backup", "medium", "/db.sql")}
		var ids []int64
		for i := 0; i < 2; i++ {
			id, _, err := w.st.Begin(ctx, w.asset.ID, scan.TriggerManual, "rina")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		errs := make(chan error, 2)
		for i, id := range ids {
			rs := slices.Clone(results)
			if i == 1 {
				slices.Reverse(rs)
			}
			go func() { errs <- w.st.Finish(ctx, id, scan.StatusDone, rs, nil) }()
		}
		for range ids {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got := w.list("rina", finding.Filter{}); len(got) != 3 {
			t.Fatalf("%d findings, want 3", len(got))
		}
	})
}

// TestStricterAsset: a finding is never more open than its asset: a RED
// asset's findings are RED, read by the asset's named users only.
func TestStricterAsset(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newFindingWorld(t, db)
		red := "RED"
		if _, err := asset.Update(ctx, db, w.who["rina"], w.tree, w.asset.ID, asset.Input{TLP: &red}); err != nil {
			t.Fatal(err)
		}
		w.scanWith(result("git-config", "critical", "/.git/config"))
		if f := w.only("rina"); f.TLP != "RED" {
			t.Fatalf("finding of a RED asset is %s", f.TLP)
		}
		for _, u := range []string{"adi", "prov", "budi", "room32"} {
			if got := w.list(u, finding.Filter{}); len(got) != 0 {
				t.Errorf("%s reads a RED finding without being named", u)
			}
		}
	})
}
