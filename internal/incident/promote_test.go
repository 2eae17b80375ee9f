package incident_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestFromAlerts: a promoted incident is named and filed by its alerts'
// most serious attack class, in Bahasa Indonesia, whichever detector
// raised them (a Sigma rule's English title is not the incident's).
func TestFromAlerts(t *testing.T) {
	t0 := time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)
	sigmaXSS := alert.Alert{Scenario: "sigma-abc", Title: "Cross Site Scripting Strings", Severity: "high", SourceIP: "203.0.113.5",
		AssetID: 1, Asset: "Portal Pemilu KPU", Region: "", FirstSeen: t0.Add(time.Minute)}
	sqli := alert.Alert{Scenario: "http-sqli", Title: "SQL injection attempt", Severity: "critical", SourceIP: "203.0.113.5",
		AssetID: 1, Asset: "Portal Pemilu KPU", Region: "", FirstSeen: t0}
	for name, c := range map[string]struct {
		alerts                         []alert.Alert
		title, category, severity, reg string
	}{
		"sigma alone":        {[]alert.Alert{sqli, sigmaXSS}[1:], "Serangan cross-site scripting (XSS) dari 203.0.113.5 ke Portal Pemilu KPU", "intrusion-attempts", "high", ""},
		"sigma and scenario": {[]alert.Alert{sigmaXSS, sqli}, "Serangan injeksi SQL dari 203.0.113.5 ke Portal Pemilu KPU", "intrusion-attempts", "critical", ""},
		"brute force by user, asset unreadable": {[]alert.Alert{{Scenario: "auth-bruteforce", Severity: "high", UserName: "root", AssetID: 3, Region: "32.04", FirstSeen: t0}},
			"Percobaan login brute force oleh pengguna root", "intrusion-attempts", "high", "32.04"},
		"flood from two sources in two regencies": {[]alert.Alert{
			{Scenario: "http-flood", Severity: "high", SourceIP: "198.51.100.1", AssetID: 4, Asset: "Sirekap", Region: "32.04", FirstSeen: t0},
			{Scenario: "http-flood", Severity: "high", SourceIP: "198.51.100.2", AssetID: 5, Asset: "Situng", Region: "32.73", FirstSeen: t0}},
			"Banjir permintaan (DoS) dari 2 sumber ke 2 aset", "availability", "high", "32"},
		"voter scraping": {[]alert.Alert{{Scenario: "voter-data-scraping", Severity: "critical", SourceIP: "198.51.100.9", Region: "33", FirstSeen: t0}},
			"Pengambilan massal data pemilih dari 198.51.100.9", "information-content-security", "critical", "33"},
	} {
		p := incident.FromAlerts(c.alerts)
		if p.Title != c.title || p.Category != c.category || p.Severity != c.severity || p.Region != c.reg || !p.DetectedAt.Equal(c.alerts[len(c.alerts)-1].FirstSeen) {
			t.Errorf("%s: %+v", name, p)
		}
	}
	// Every class files the incident in a known RSIT category.
	for _, class := range alert.Classes {
		cat := incident.FromAlerts([]alert.Alert{{Scenario: scenarioOf(class), SourceIP: "192.0.2.1", Severity: "low"}}).Category
		if !slices.Contains(incident.Categories, cat) {
			t.Errorf("class %s: category %q", class, cat)
		}
	}
}

// scenarioOf is a scenario of the class, or a Sigma-like title for the
// classes no scenario has.
func scenarioOf(class string) string {
	for _, sc := range []string{"http-rce", "http-sqli", "http-path-traversal", "http-xss", "voter-data-scraping", "http-bruteforce",
		"http-flood", "http-web-attack", "http-sensitive-files", "http-scanner", "http-probing"} {
		if (alert.Alert{Scenario: sc}).Class() == class {
			return sc
		}
	}
	return "sigma-unknown"
}

// TestAttachAlerts: alerts join an incident the analyst may work, once;
// the incident's timeline says so; hidden alerts, promoted ones and a
// closed incident are refused and change nothing.
func TestAttachAlerts(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		t0 := time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)
		created, _, err := alert.Record(ctx, db, []alert.Signal{
			{Scenario: "http-sqli", Title: "x", Severity: "high", SourceIP: "103.1.1.1", AssetID: w.jabar, Time: t0, Count: 1},
			{Scenario: "http-xss", Title: "x", Severity: "medium", SourceIP: "103.1.1.1", AssetID: w.jabar, Time: t0, Count: 1},
		})
		if err != nil || len(created) != 2 {
			t.Fatal(created, err)
		}
		inc := w.create(t, "jabar.analyst", incident.Input{Title: str("Serangan ke portal"), Category: str("intrusion-attempts")})
		attach := func(user string, ids ...int64) error {
			_, err := incident.AttachAlerts(ctx, db, w.who[user], inc.HumanID, ids)
			return err
		}
		if err := attach("jateng.analyst", created...); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province attaches to a hidden incident: %v", err)
		}
		if err := attach("jabar.viewer", created...); !problem.Is(err, problem.Forbidden) {
			t.Errorf("viewer attaches: %v", err)
		}
		if err := attach("jabar.analyst", created[0], 9999); !problem.Is(err, problem.Invalid) {
			t.Errorf("unknown alert: %v", err)
		}
		got, err := incident.AttachAlerts(ctx, db, w.who["jabar.analyst"], inc.HumanID, created)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.AlertIDs, created) || !slices.Equal(got.AssetIDs, []int64{w.jabar}) {
			t.Fatalf("attached: alerts %v assets %v", got.AlertIDs, got.AssetIDs)
		}
		for _, id := range created {
			if a, _ := alert.Get(ctx, db, w.who["jabar.analyst"], id); a.Status != alert.Promoted || a.StatusReason != "promoted to "+inc.HumanID {
				t.Errorf("alert %d: %s %q", id, a.Status, a.StatusReason)
			}
		}
		if err := attach("jabar.analyst", created[0]); !problem.Is(err, problem.Conflict) {
			t.Errorf("attached twice: %v", err)
		}
		// A resolved incident takes no more alerts.
		more, _, _ := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-rce", Title: "x", Severity: "high", SourceIP: "103.1.1.1", AssetID: w.jabar, Time: t0, Count: 1}})
		if _, err := incident.Edit(ctx, db, w.who["jabar.coord"], inc.HumanID, incident.Update{Status: str("resolved"), Resolution: str("true_positive")}); err != nil {
			t.Fatal(err)
		}
		if err := attach("jabar.analyst", more...); !problem.Is(err, problem.Conflict) {
			t.Errorf("attached to a resolved incident: %v", err)
		}
		entries, _ := incident.Timeline(ctx, db, w.who["jabar.analyst"], inc.HumanID)
		if last := entries[len(entries)-2]; last.Kind != "alerts" || last.Actor != "jabar.analyst" {
			t.Errorf("timeline: %+v", last)
		}

		// Reading a GREEN incident is not steering it: an analyst of an
		// unrelated organisation attaches nothing, even alerts they read.
		name, kind, reg := "Portal BSSN", "site", "33"
		other, err := asset.Create(ctx, db, w.who["bssn.analyst"], w.tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
		if err != nil {
			t.Fatal(err)
		}
		green := w.create(t, "jabar.analyst", incident.Input{Title: str("Pemindaian"), Category: str("intrusion-attempts"), TLP: str("GREEN")})
		theirs, _, _ := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-sqli", Title: "x", Severity: "high", SourceIP: "103.1.1.2", AssetID: other.ID, Time: t0, Count: 1}})
		if !w.sees("bssn.analyst", green.HumanID) {
			t.Fatal("GREEN incident hidden from the community")
		}
		if _, err := incident.AttachAlerts(ctx, db, w.who["bssn.analyst"], green.HumanID, theirs); !problem.Is(err, problem.Forbidden) {
			t.Errorf("unrelated analyst attaches to a GREEN incident: %v", err)
		}
		if after, _ := incident.Get(ctx, db, w.who["jabar.analyst"], green.HumanID); len(after.AlertIDs) != 0 || len(after.AssetIDs) != 0 {
			t.Errorf("refused attach changed the incident: alerts %v assets %v", after.AlertIDs, after.AssetIDs)
		}
	})
}
