package alert_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestGroups: the alerts of one attacker on one asset (a scenario, a
// Sigma rule, another scenario) are one group, whose figures count only
// the alerts the reader may read.
func TestGroups(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		sqli := sig("http-sqli", "203.0.113.5", w.jabar, 0, 3)
		xss := sig("http-xss", "203.0.113.5", w.jabar, time.Minute, 1)
		xss.Severity = "medium"
		sigma := sig("sigma-xss-strings", "203.0.113.5", w.jabar, 2*time.Minute, 1)
		sigma.Title, sigma.Severity = "Cross Site Scripting Strings", "critical"
		// Same attacker and asset, but told of in a region the Jawa Barat
		// analyst may not read: counted for BSSN only.
		elsewhere := sig("http-probing", "203.0.113.5", w.jabar, 3*time.Minute, 1)
		elsewhere.Region = "33"
		other := sig("http-sqli", "198.51.100.7", w.jabar, 4*time.Minute, 1)
		if _, _, err := alert.Record(ctx, db, []alert.Signal{sqli, xss, sigma, elsewhere, other}); err != nil {
			t.Fatal(err)
		}
		for user, want := range map[string]struct {
			count   int
			classes []string
			asset   string // BSSN may read the alerts but not KPU Jawa Barat's asset
		}{
			"bssn.analyst":  {4, []string{alert.ClassSQLi, alert.ClassXSS, alert.ClassProbing}, ""},
			"jabar.analyst": {3, []string{alert.ClassSQLi, alert.ClassXSS}, "KPU Jabar"},
		} {
			groups, err := alert.Groups(ctx, db, w.who[user], alert.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 2 || groups[0].SourceIP != "198.51.100.7" {
				t.Fatalf("%s: %d groups %+v", user, len(groups), groups)
			}
			g := groups[1]
			if g.Count != want.count || len(g.Alerts) != want.count || g.Severity != "critical" || g.AssetID != w.jabar || g.Asset != want.asset {
				t.Errorf("%s: group %+v", user, g)
			}
			if !slices.Equal(g.Classes, want.classes) {
				t.Errorf("%s: classes %v", user, g.Classes)
			}
			if g.Events != int64(want.count+2) || !g.FirstSeen.Equal(t0) {
				t.Errorf("%s: %d events, first seen %v", user, g.Events, g.FirstSeen)
			}
			// The group of any of its alerts is the same group.
			one, err := alert.GroupOf(ctx, db, w.who[user], alert.Filter{}, g.Alerts[0].ID)
			if err != nil || one.Key != g.Key || one.Count != want.count {
				t.Errorf("%s: group of alert %d: %+v %v", user, g.Alerts[0].ID, one, err)
			}
		}
		// Paging by the newest alert; filters apply to the members.
		page, _ := alert.Groups(ctx, db, w.who["bssn.analyst"], alert.Filter{Limit: 1})
		if len(page) != 2 { // the page and one more
			t.Fatalf("first page: %d", len(page))
		}
		next, _ := alert.Groups(ctx, db, w.who["bssn.analyst"], alert.Filter{Limit: 1, Before: page[0].Latest})
		if len(next) != 1 || next[0].SourceIP != "203.0.113.5" {
			t.Fatalf("next page: %+v", next)
		}
		high, _ := alert.Groups(ctx, db, w.who["bssn.analyst"], alert.Filter{Severity: "critical"})
		if len(high) != 1 || high[0].Count != 1 {
			t.Fatalf("critical only: %+v", high)
		}
		if _, err := alert.GroupOf(ctx, db, w.who["jateng.analyst"], alert.Filter{}, page[0].Latest); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province reads a group: %v", err)
		}
		key, err := alert.ParseGroupKey(high[0].Key)
		if err != nil || key != high[0].Alerts[0].Group() {
			t.Errorf("key %q: %+v %v", high[0].Key, key, err)
		}
	})
}

func TestClass(t *testing.T) {
	for _, c := range []struct {
		a    alert.Alert
		want string
	}{
		{alert.Alert{Scenario: "http-sqli"}, alert.ClassSQLi},
		{alert.Alert{Scenario: "credential-stuffing"}, alert.ClassBruteForce},
		{alert.Alert{Scenario: "sigma-1", Title: "Cross Site Scripting Strings"}, alert.ClassXSS},
		{alert.Alert{Scenario: "sigma-2", Title: "SQL Injection Strings In URI"}, alert.ClassSQLi},
		{alert.Alert{Scenario: "sigma-3", Title: "Path Traversal Exploitation Attempts"}, alert.ClassTraversal},
		{alert.Alert{Scenario: "sigma-4", Title: "Something new", Technique: "T1190"}, alert.ClassWebAttack},
		{alert.Alert{Scenario: "sigma-6", Title: "Suspicious User-Agents Related To Recon Tools", Technique: "T1190"}, alert.ClassScanner},
		{alert.Alert{Scenario: "sigma-7", Title: "Server Side Template Injection Strings", Technique: "T1221"}, alert.ClassRCE},
		{alert.Alert{Scenario: "sigma-8", Title: "Source Code Enumeration Detection by Keyword", Technique: "T1083"}, alert.ClassProbing},
		{alert.Alert{Scenario: "sigma-9", Title: "CVE-2021-41773 Exploitation Attempt", Technique: "T1190"}, alert.ClassWebAttack},
		{alert.Alert{Scenario: "sigma-5", Title: "Something new"}, alert.ClassOther},
	} {
		if got := c.a.Class(); got != c.want {
			t.Errorf("%s %q: %s, want %s", c.a.Scenario, c.a.Title, got, c.want)
		}
	}
}

// BenchmarkGroups reads the first page of a national queue of 3,000 open
// alerts from 500 attackers.
func BenchmarkGroups(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	w := newWorld(b, db)
	var sigs []alert.Signal
	for i := range 3000 {
		s := sig([]string{"http-sqli", "http-xss", "http-probing", "http-scanner", "http-rce", "sigma-x"}[i%6],
			"198.51."+strconv.Itoa(i/6/250)+"."+strconv.Itoa(i/6%250), w.jabar, time.Duration(i)*time.Second, 1)
		sigs = append(sigs, s)
	}
	if _, _, err := alert.Record(ctx, db, sigs); err != nil {
		b.Fatal(err)
	}
	who := w.who["bssn.analyst"]
	b.ResetTimer()
	for b.Loop() {
		groups, err := alert.Groups(ctx, db, who, alert.Filter{Status: []alert.Status{alert.New, alert.Acknowledged}})
		if err != nil || len(groups) != 51 || groups[0].Count != 6 {
			b.Fatalf("%d groups: %v", len(groups), err)
		}
	}
}
