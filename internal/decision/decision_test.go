package decision_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// people makes the accounts the tests act as.
func people(t *testing.T, db *store.DB) map[string]auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]auth.Principal{}
	for _, n := range []auth.NewUser{
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst"},
		{Username: "bssn.coord", Org: "bssn", Role: "coordinator"},
		{Username: "bssn.admin", Org: "bssn", Role: "admin"},
		{Username: "kpu.viewer", Org: "kpu", Role: "viewer"},
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
	} {
		n.Password = "password-" + n.Username
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		if out[n.Username], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func verifyAudit(t *testing.T, db *store.DB) {
	t.Helper()
	n, err := audit.Verify(context.Background(), db)
	if err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	if n == 0 {
		t.Fatal("audit chain is empty: the writes were not audited")
	}
}

func mustDecide(t *testing.T, db *store.DB, p decision.Proposal, outcome string) decision.Decision {
	t.Helper()
	d, err := decision.Decide(context.Background(), db, p)
	if err != nil {
		t.Fatalf("Decide(%+v): %v", p, err)
	}
	if d.Outcome != outcome {
		t.Fatalf("Decide(%+v): outcome %q (%s), want %q", p, d.Outcome, d.Why, outcome)
	}
	return d
}

func countFor(t *testing.T, db *store.DB, value string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM decisions WHERE value = ?`, value).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// age moves a decision into the past, as the passing of time would.
func age(t *testing.T, db *store.DB, id int64, by time.Duration) {
	t.Helper()
	ctx := context.Background()
	var until time.Time
	if err := db.QueryRow(ctx, `SELECT until FROM decisions WHERE id = ?`, id).Scan(&until); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE decisions SET until = ? WHERE id = ?`, until.Add(-by), id); err != nil {
		t.Fatal(err)
	}
}

func near(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil, want about %s", what, want)
	}
	if d := got.Sub(want); d < -5*time.Second || d > 5*time.Second {
		t.Fatalf("%s: %s, want about %s", what, got, want)
	}
}

func TestParseTarget(t *testing.T) {
	for _, c := range []struct{ in, value, scope string }{
		{"192.0.2.7", "192.0.2.7", "Ip"},
		{" 192.0.2.7 ", "192.0.2.7", "Ip"},
		{"192.0.2.7/32", "192.0.2.7", "Ip"},
		{"192.0.2.7/24", "192.0.2.0/24", "Range"},
		{"::ffff:192.0.2.7", "192.0.2.7", "Ip"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24", "Range"},
		{"2001:DB8::1", "2001:db8::1", "Ip"},
		{"2001:db8::1/128", "2001:db8::1", "Ip"},
		{"2001:db8:1:2::9/48", "2001:db8:1::/48", "Range"},
	} {
		got, err := decision.ParseTarget(c.in)
		if err != nil || got.String() != c.value || got.Scope() != c.scope {
			t.Errorf("ParseTarget(%q) = %s %s, %v; want %s %s", c.in, got, got.Scope(), err, c.value, c.scope)
		}
	}
	for _, bad := range []string{"", "kpu.go.id", "1.2.3.4/33", "1.2.3", "fe80::1%eth0", "2001:db8::/129", "::ffff:1.2.3.4/64"} {
		if got, err := decision.ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) = %s, want an error", bad, got)
		}
	}
	a, _ := decision.ParseTarget("10.1.0.0/16")
	b, _ := decision.ParseTarget("10.1.2.3")
	if !a.Contains(b) || b.Contains(a) || !a.Overlaps(b) {
		t.Error("10.1.0.0/16 should contain 10.1.2.3 and not the other way round")
	}
}

func TestRules(t *testing.T) {
	r := decision.DefaultRules()
	for _, id := range []string{"http-sqli", "http-rce", "http-scanner", "http-probing", "http-sensitive-files", "http-bruteforce",
		"auth-bruteforce", "credential-stuffing", "http-flood", "voter-data-scraping", "http-path-traversal", "http-xss", "http-web-attack"} {
		rule, ok := r.Scenarios[id]
		if !ok {
			t.Errorf("no default rule for %s", id)
			continue
		}
		if rule.Duration < time.Minute || !rule.Type.Valid() {
			t.Errorf("%s: %+v", id, rule)
		}
	}
	if r.For("http-sqli").Mode != decision.ModeAuto || r.For("voter-data-scraping").Mode != decision.ModePropose ||
		r.For("something-new").Mode != decision.ModePropose || r.For("http-flood").Type != decision.Captcha {
		t.Errorf("defaults changed: sqli %v, scraping %v, unknown %v, flood %v", r.For("http-sqli"), r.For("voter-data-scraping"),
			r.For("something-new"), r.For("http-flood"))
	}

	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := decision.LoadRules(write("scenarios:\n  http-sqli: {duration: 2d}\n  http-probing: {mode: propose}\n  my-rule: {mode: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sqli := got.For("http-sqli"); sqli.Mode != decision.ModeAuto || sqli.Duration != 48*time.Hour {
		t.Errorf("override of duration only: %+v", sqli)
	}
	if p := got.For("http-probing"); p.Mode != decision.ModePropose || p.Duration != time.Hour {
		t.Errorf("override of mode only: %+v", p)
	}
	if m := got.For("my-rule"); m.Mode != decision.ModeOff {
		t.Errorf("new scenario: %+v", m)
	}
	for _, bad := range []string{
		"scenarios:\n  http-sqli: {mode: sometimes}\n",
		"scenarios:\n  http-sqli: {type: tarpit}\n",
		"scenarios:\n  http-sqli: {duration: 10s}\n",
		"scenarios:\n  http-sqli: {duration: forever}\n",
		"scenarios:\n  http-sqli: {mood: auto}\n",
	} {
		if _, err := decision.LoadRules(write(bad)); err == nil {
			t.Errorf("LoadRules accepted %q", bad)
		}
	}
	if got, err := decision.LoadRules(write("# nothing overridden\n")); err != nil || got.For("http-sqli") != r.For("http-sqli") {
		t.Errorf("an empty rules file: %v", err)
	}
	if b, err := json.Marshal(r.For("http-sqli")); err != nil || string(b) != `{"mode":"auto","type":"ban","duration":"4h0m0s"}` {
		t.Errorf("rule as JSON: %s, %v", b, err)
	}
	if d, err := decision.ParseDuration("2d"); err != nil || d != 48*time.Hour {
		t.Errorf("ParseDuration(2d) = %s, %v", d, err)
	}
}

// TestPolicyAutoAndProposed: the scenario's rule decides whether a ban is
// made at once or waits for a person, and for how long.
func TestPolicyAutoAndProposed(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		d := mustDecide(t, db, decision.Proposal{IP: "198.51.100.10", Scenario: "http-sqli", Reason: "UNION SELECT on cekdptonline", AlertID: 41, Region: "32"}, decision.OutcomeCreated)
		if d.Status != decision.Active || d.Type != decision.Ban || d.Origin != decision.OriginGarda || d.Scenario != "http-sqli" ||
			d.Scope != decision.ScopeIP || d.AlertID == nil || *d.AlertID != 41 || d.Region == nil || *d.Region != "32" || d.CreatedBy != "system" {
			t.Fatalf("auto decision: %+v", d)
		}
		near(t, "until", d.Until, now.Add(4*time.Hour))

		p := mustDecide(t, db, decision.Proposal{IP: "198.51.100.11", Scenario: "voter-data-scraping"}, decision.OutcomeProposed)
		if p.Status != decision.Proposed || p.Until != nil || p.Duration != "24h0m0s" || p.Reason != "voter-data-scraping" {
			t.Fatalf("proposal: %+v", p)
		}
		mustDecide(t, db, decision.Proposal{IP: "198.51.100.12", Scenario: "never-heard-of-it"}, decision.OutcomeProposed)
		f := mustDecide(t, db, decision.Proposal{IP: "2001:db8::beef", Scenario: "http-flood"}, decision.OutcomeCreated)
		if f.Type != decision.Captcha || f.Value != "2001:db8::beef" {
			t.Fatalf("flood: %+v", f)
		}
		near(t, "flood until", f.Until, now.Add(30*time.Minute))

		off := decision.DefaultRules()
		off.Scenarios["http-probing"] = decision.Rule{Mode: decision.ModeOff, Type: decision.Ban}
		got, err := off.Decide(ctx, db, decision.Proposal{IP: "198.51.100.13", Scenario: "http-probing"})
		if err != nil || got.Outcome != decision.OutcomeIgnored || got.ID != 0 || countFor(t, db, "198.51.100.13") != 0 {
			t.Fatalf("off rule: %+v, %v", got, err)
		}

		for _, bad := range []decision.Proposal{
			{IP: "not-an-ip", Scenario: "http-sqli"},
			{IP: "127.0.0.1", Scenario: "http-sqli"},
			{IP: "10.0.0.0/8", Scenario: "http-sqli"},
			{IP: "198.51.100.14", Scenario: ""},
			{IP: "198.51.100.14", Scenario: "http-sqli", Region: "99"},
			{IP: "198.51.100.14", Scenario: "http-sqli", Asset: 999},
		} {
			if d, err := decision.Decide(ctx, db, bad); problem.As(err) == nil {
				t.Errorf("Decide(%+v) = %+v, %v; want a user-facing error", bad, d, err)
			}
		}
		verifyAudit(t, db)
	})
}

// TestAllowListWins: an allowed address gets no decision, whether it is
// named alone, lies inside an allowed range, or is IPv6; adding an entry
// ends the live decisions it covers.
func TestAllowListWins(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		cdn, err := decision.AddAllow(ctx, db, who["bssn.coord"], decision.AllowInput{Value: "203.0.113.0/24", Reason: "national CDN edge"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decision.AddAllowBy(ctx, db, audit.System, decision.AllowInput{Value: "2001:db8:cafe::/48", Reason: "KPU scanners (IPv6)"}); err != nil {
			t.Fatal(err)
		}
		if _, err := decision.AddAllow(ctx, db, who["bssn.analyst"], decision.AllowInput{Value: "192.0.2.1", Reason: "x"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("an analyst changed the allow-list: %v", err)
		}
		if _, err := decision.AddAllow(ctx, db, who["bssn.admin"], decision.AllowInput{Value: "203.0.113.0/24", Reason: "again"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("duplicate entry: %v", err)
		}

		d := mustDecide(t, db, decision.Proposal{IP: "203.0.113.77", Scenario: "http-sqli"}, decision.OutcomeAllowlisted)
		if !strings.Contains(d.Why, "203.0.113.0/24") || !strings.Contains(d.Why, "national CDN edge") || d.ID != 0 {
			t.Fatalf("allow-listed result should say why: %+v", d)
		}
		mustDecide(t, db, decision.Proposal{IP: "2001:db8:cafe:1::7", Scenario: "http-rce"}, decision.OutcomeAllowlisted)
		mustDecide(t, db, decision.Proposal{IP: "::ffff:203.0.113.8", Scenario: "http-rce"}, decision.OutcomeAllowlisted)
		mustDecide(t, db, decision.Proposal{IP: "2001:db8:beef::7", Scenario: "http-rce"}, decision.OutcomeCreated)
		if n := countFor(t, db, "203.0.113.77") + countFor(t, db, "2001:db8:cafe:1::7") + countFor(t, db, "203.0.113.8"); n != 0 {
			t.Fatalf("%d decisions for allowed addresses", n)
		}
		// A range that would block an allowed address is refused whole.
		_, err = decision.Create(ctx, db, who["bssn.analyst"], decision.Input{Value: "203.0.0.0/16", Reason: "noisy network"})
		if !problem.Is(err, problem.Conflict) || !strings.Contains(err.Error(), "allow-listed") {
			t.Fatalf("range over an allowed address: %v", err)
		}

		// Adding an entry ends what it covers: the active ban is revoked,
		// the waiting proposal rejected.
		ban := mustDecide(t, db, decision.Proposal{IP: "198.51.100.20", Scenario: "http-sqli"}, decision.OutcomeCreated)
		prop := mustDecide(t, db, decision.Proposal{IP: "198.51.100.21", Scenario: "http-xss"}, decision.OutcomeProposed)
		other := mustDecide(t, db, decision.Proposal{IP: "198.51.100.99", Scenario: "http-sqli"}, decision.OutcomeCreated)
		e, err := decision.AddAllow(ctx, db, who["bssn.coord"], decision.AllowInput{Value: "198.51.100.16/28", Reason: "KPU's pentest team", ExpiresIn: "30d"})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Ended) != 2 || e.ExpiresAt == nil {
			t.Fatalf("entry ended %v, want the two decisions in 198.51.100.16/28; %+v", e.Ended, e)
		}
		for id, want := range map[int64]decision.Status{ban.ID: decision.Revoked, prop.ID: decision.Rejected, other.ID: decision.Active} {
			got, err := decision.Get(ctx, db, who["bssn.analyst"], id)
			if err != nil || got.Status != want {
				t.Fatalf("decision %d: %s, %v; want %s", id, got.Status, err, want)
			}
			if want != decision.Active && !strings.Contains(got.EndReason, "allow-listed by entry") {
				t.Errorf("decision %d: end reason %q", id, got.EndReason)
			}
		}

		// Entries as wide as 0.0.0.0/1 and 128.0.0.0/1 would end every
		// block: wider than a decision may be, they are refused, and end
		// nothing.
		for _, v := range []string{"0.0.0.0/1", "128.0.0.0/1", "198.0.0.0/15", "0.0.0.0/0", "2001::/16", "::/0"} {
			_, err := decision.AddAllow(ctx, db, who["bssn.coord"], decision.AllowInput{Value: v, Reason: "everything"})
			if !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "wider than") {
				t.Fatalf("allow-list entry %s: %v, want it refused as too wide", v, err)
			}
		}
		if got, err := decision.Get(ctx, db, who["bssn.analyst"], other.ID); err != nil || got.Status != decision.Active {
			t.Fatalf("a refused wide entry ended decision %d: %s, %v", other.ID, got.Status, err)
		}
		if wide, err := decision.AddAllowBy(ctx, db, audit.System, decision.AllowInput{Value: "198.18.0.0/16", Reason: "benchmark network"}); err != nil {
			t.Fatalf("a /16 is as wide as a decision, so allowed: %v", err)
		} else if err := decision.RemoveAllowBy(ctx, db, audit.System, wide.ID); err != nil {
			t.Fatal(err)
		}

		// An expired or removed entry no longer wins.
		if _, err := db.Exec(ctx, `UPDATE allowlist SET expires_at = ? WHERE id = ?`, store.Now().Add(-time.Second), e.ID); err != nil {
			t.Fatal(err)
		}
		mustDecide(t, db, decision.Proposal{IP: "198.51.100.20", Scenario: "http-sqli"}, decision.OutcomeCreated)
		if err := decision.RemoveAllow(ctx, db, who["bssn.admin"], cdn.ID); err != nil {
			t.Fatal(err)
		}
		if err := decision.RemoveAllow(ctx, db, who["bssn.admin"], cdn.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		mustDecide(t, db, decision.Proposal{IP: "203.0.113.77", Scenario: "http-sqli"}, decision.OutcomeCreated)
		live, err := decision.ListAllow(ctx, db, who["bssn.analyst"], false)
		if err != nil || len(live) != 1 || live[0].Value != "2001:db8:cafe::/48" {
			t.Fatalf("live allow-list: %+v, %v", live, err)
		}
		all, _ := decision.ListAllow(ctx, db, who["bssn.analyst"], true)
		if len(all) != 4 {
			t.Fatalf("whole allow-list: %d entries", len(all))
		}
		if _, err := decision.ListAllow(ctx, db, who["kpu.viewer"], false); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer read the allow-list: %v", err)
		}
		verifyAudit(t, db)
	})
}

// TestNoDuplicates: a second decision for a live value extends, or is
// covered by, the first; an automatic decision supersedes a proposal.
func TestNoDuplicates(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		now := time.Now()
		first := mustDecide(t, db, decision.Proposal{IP: "198.51.100.30", Scenario: "http-sqli"}, decision.OutcomeCreated)
		longer := mustDecide(t, db, decision.Proposal{IP: "198.51.100.30", Scenario: "http-rce", AlertID: 7}, decision.OutcomeExtended)
		if longer.ID != first.ID {
			t.Fatalf("extension made decision %d, want %d extended", longer.ID, first.ID)
		}
		near(t, "extended until", longer.Until, now.Add(24*time.Hour))
		covered := mustDecide(t, db, decision.Proposal{IP: "198.51.100.30", Scenario: "http-probing"}, decision.OutcomeCovered)
		if covered.ID != first.ID || !covered.Until.Equal(*longer.Until) {
			t.Fatalf("shorter ban changed the decision: %+v", covered)
		}
		// A proposal for a blocked address does not lengthen it.
		mustDecide(t, db, decision.Proposal{IP: "198.51.100.30", Scenario: "voter-data-scraping"}, decision.OutcomeCovered)
		// A person's ban of the same address extends too.
		manual, err := decision.Create(ctx, db, who["bssn.analyst"], decision.Input{Value: "198.51.100.30", Duration: "3d", Reason: "repeat offender"})
		if err != nil || manual.ID != first.ID || manual.Outcome != decision.OutcomeExtended {
			t.Fatalf("manual ban of a banned address: %+v, %v", manual, err)
		}
		if n := countFor(t, db, "198.51.100.30"); n != 1 {
			t.Fatalf("%d decisions for one address", n)
		}

		// captcha, then ban: the decision becomes a ban.
		c := mustDecide(t, db, decision.Proposal{IP: "198.51.100.31", Scenario: "http-flood"}, decision.OutcomeCreated)
		b := mustDecide(t, db, decision.Proposal{IP: "198.51.100.31", Scenario: "http-sqli"}, decision.OutcomeExtended)
		if b.ID != c.ID || b.Type != decision.Ban {
			t.Fatalf("captcha then ban: %+v", b)
		}

		// An address inside a banned range is already blocked.
		rng, err := decision.Create(ctx, db, who["bssn.analyst"], decision.Input{Value: "192.0.2.0/24", Duration: "48h", Reason: "botnet range"})
		if err != nil || rng.Scope != decision.ScopeRange || rng.Outcome != decision.OutcomeCreated {
			t.Fatalf("range: %+v, %v", rng, err)
		}
		in := mustDecide(t, db, decision.Proposal{IP: "192.0.2.200", Scenario: "http-sqli"}, decision.OutcomeCovered)
		if in.ID != rng.ID {
			t.Fatalf("covered by %d, want the range %d", in.ID, rng.ID)
		}
		// IPv6 too.
		v6, err := decision.Create(ctx, db, who["bssn.analyst"], decision.Input{Value: "2001:db8:1::/48", Reason: "v6 botnet"})
		if err != nil {
			t.Fatal(err)
		}
		if in6 := mustDecide(t, db, decision.Proposal{IP: "2001:db8:1:2::3", Scenario: "http-probing"}, decision.OutcomeCovered); in6.ID != v6.ID {
			t.Fatalf("v6 covered by %d, want %d", in6.ID, v6.ID)
		}

		// A proposal is not made twice; an automatic ban supersedes it.
		p := mustDecide(t, db, decision.Proposal{IP: "198.51.100.32", Scenario: "voter-data-scraping"}, decision.OutcomeProposed)
		if again := mustDecide(t, db, decision.Proposal{IP: "198.51.100.32", Scenario: "http-xss"}, decision.OutcomeAlreadyProposed); again.ID != p.ID {
			t.Fatalf("second proposal %d, want %d", again.ID, p.ID)
		}
		auto := mustDecide(t, db, decision.Proposal{IP: "198.51.100.32", Scenario: "http-sqli"}, decision.OutcomeCreated)
		old, err := decision.Get(ctx, db, who["bssn.analyst"], p.ID)
		if err != nil || old.Status != decision.Rejected || !strings.Contains(old.EndReason, "superseded") || auto.ID == p.ID {
			t.Fatalf("superseded proposal: %+v, %v", old, err)
		}
		live, err := decision.List(ctx, db, who["bssn.analyst"], decision.Filter{Value: "198.51.100.32", Status: "live"})
		if err != nil || len(live) != 1 || live[0].ID != auto.ID {
			t.Fatalf("live decisions for the address: %+v, %v", live, err)
		}
		verifyAudit(t, db)
	})
}

// TestLifecycle: approve, reject, revoke, expiry on read, roles and scope.
func TestLifecycle(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		analyst, jabar, viewer := who["bssn.analyst"], who["jabar.analyst"], who["kpu.viewer"]

		if _, err := decision.Create(ctx, db, viewer, decision.Input{Value: "198.51.100.40", Reason: "x"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer made a decision: %v", err)
		}
		for _, bad := range []decision.Input{
			{Value: "198.51.100.40"},
			{Value: "198.51.100.40", Reason: "x", Duration: "10s"},
			{Value: "198.51.100.40", Reason: "x", Duration: "soon"},
			{Value: "198.51.100.40", Reason: "x", Type: "tarpit"},
			{Value: "0.0.0.0/0", Reason: "x"},
		} {
			if _, err := decision.Create(ctx, db, analyst, bad); problem.As(err) == nil {
				t.Errorf("Create(%+v): %v, want a user-facing error", bad, err)
			}
		}
		if _, err := decision.Create(ctx, db, jabar, decision.Input{Value: "198.51.100.40", Reason: "x", Region: ptr("33")}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("decision outside the person's scope: %v", err)
		}
		jd, err := decision.Create(ctx, db, jabar, decision.Input{Value: "198.51.100.41", Reason: "defacement attempt on kpu-jabar", Type: "captcha", Duration: "90m"})
		if err != nil || jd.Region == nil || *jd.Region != "32" || jd.Type != decision.Captcha || jd.Duration != "1h30m0s" || jd.Origin != decision.OriginManual || jd.CreatedBy != "jabar.analyst" {
			t.Fatalf("provincial decision: %+v, %v", jd, err)
		}
		national := mustDecide(t, db, decision.Proposal{IP: "198.51.100.42", Scenario: "http-xss"}, decision.OutcomeProposed)
		// The province's analyst sees its own region only; a national
		// decision is "not found" to it, not "forbidden".
		if _, err := decision.Get(ctx, db, jabar, national.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("province read a national decision: %v", err)
		}
		if _, err := decision.Approve(ctx, db, jabar, national.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("province approved a national decision: %v", err)
		}
		if _, err := decision.Approve(ctx, db, viewer, national.ID); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer approved: %v", err)
		}
		list, err := decision.List(ctx, db, jabar, decision.Filter{})
		if err != nil || len(list) != 1 || list[0].ID != jd.ID {
			t.Fatalf("province's list: %+v, %v", list, err)
		}

		before := time.Now()
		ok, err := decision.Approve(ctx, db, analyst, national.ID)
		if err != nil || ok.Status != decision.Active || ok.DecidedBy != "bssn.analyst" {
			t.Fatalf("approve: %+v, %v", ok, err)
		}
		near(t, "approved until", ok.Until, before.Add(4*time.Hour))
		if _, err := decision.Approve(ctx, db, analyst, national.ID); !problem.Is(err, problem.Conflict) {
			t.Fatalf("approved twice: %v", err)
		}
		p2 := mustDecide(t, db, decision.Proposal{IP: "198.51.100.43", Scenario: "voter-data-scraping"}, decision.OutcomeProposed)
		rej, err := decision.Reject(ctx, db, analyst, p2.ID, "a cybercafe in Bandung, not a scraper")
		if err != nil || rej.Status != decision.Rejected || rej.EndReason == "" {
			t.Fatalf("reject: %+v, %v", rej, err)
		}
		if _, err := decision.Revoke(ctx, db, analyst, p2.ID, "x"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("revoked a rejected proposal: %v", err)
		}
		rv, err := decision.Revoke(ctx, db, analyst, ok.ID, "false positive")
		if err != nil || rv.Status != decision.Revoked || rv.EndedBy != "bssn.analyst" || rv.EndReason != "false positive" || rv.EndedAt == nil {
			t.Fatalf("revoke: %+v, %v", rv, err)
		}
		if _, err := decision.Revoke(ctx, db, analyst, ok.ID, "again"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("revoked twice: %v", err)
		}
		if _, err := decision.Revoke(ctx, db, analyst, 99999, "x"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("revoked a missing decision: %v", err)
		}

		// Expiry is computed on read.
		e := mustDecide(t, db, decision.Proposal{IP: "198.51.100.44", Scenario: "http-sqli"}, decision.OutcomeCreated)
		age(t, db, e.ID, 5*time.Hour)
		got, err := decision.Get(ctx, db, analyst, e.ID)
		if err != nil || got.Status != decision.Expired {
			t.Fatalf("aged decision: %s, %v", got.Status, err)
		}
		for status, want := range map[string]bool{"expired": true, "active": false, "live": false, "": true} {
			l, err := decision.List(ctx, db, analyst, decision.Filter{Status: status, Value: "198.51.100.44"})
			if err != nil || (len(l) == 1) != want {
				t.Errorf("list status=%q: %d, %v", status, len(l), err)
			}
		}
		if _, err := decision.Revoke(ctx, db, analyst, e.ID, "x"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("revoked an expired decision: %v", err)
		}
		// An expired decision is not extended: a new one is made.
		if again := mustDecide(t, db, decision.Proposal{IP: "198.51.100.44", Scenario: "http-sqli"}, decision.OutcomeCreated); again.ID == e.ID {
			t.Fatal("an expired decision was extended")
		}
		// A proposal for an address allowed since it was made is not approved.
		p3 := mustDecide(t, db, decision.Proposal{IP: "198.51.100.45", Scenario: "http-xss"}, decision.OutcomeProposed)
		if _, err := db.Exec(ctx, `INSERT INTO allowlist (value, reason, created_at, created_by) VALUES ('198.51.100.45', 'test', ?, 'test')`, store.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := decision.Approve(ctx, db, analyst, p3.ID); !problem.Is(err, problem.Conflict) {
			t.Fatalf("approved an allow-listed address: %v", err)
		}

		// Filters and pages.
		for f, want := range map[decision.Filter]int{
			{IP: "198.51.100.44"}:           2,
			{Origin: "manual"}:              1,
			{Scenario: "http-xss"}:          2,
			{Status: "rejected"}:            1,
			{Status: "revoked"}:             1,
			{Type: "captcha"}:               1,
			{Region: "32"}:                  1,
			{Status: "proposed"}:            1,
			{Limit: 2}:                      3, // limit+1 tells the caller there is more
			{Before: jd.ID + 1}:             1,
			{IP: "198.51.100.0/24"}:         0, // no decision holds the whole /24
			{Value: "::ffff:198.51.100.44"}: 2,
		} {
			l, err := decision.List(ctx, db, analyst, f)
			if err != nil || len(l) != want {
				t.Errorf("List(%+v): %d, %v; want %d", f, len(l), err, want)
			}
		}
		if _, err := decision.List(ctx, db, analyst, decision.Filter{Status: "pending"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("unknown status: %v", err)
		}

		// The CLI's path: an actor without a principal.
		cli, err := decision.CreateBy(ctx, db, audit.System, decision.Input{Value: "198.51.100.46", Duration: "4h", Reason: "operator"})
		if err != nil || cli.CreatedBy != "system" {
			t.Fatalf("CreateBy: %+v, %v", cli, err)
		}
		if _, err := decision.RevokeBy(ctx, db, audit.System, cli.ID, "done"); err != nil {
			t.Fatal(err)
		}

		verifyAudit(t, db)
		entries, err := audit.List(ctx, db, audit.Filter{Kind: decision.RecordKind, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action] = true
		}
		for _, a := range []string{"decision.create", "decision.propose", "decision.approve", "decision.reject", "decision.revoke"} {
			if !seen[a] {
				t.Errorf("no %s in the audit chain", a)
			}
		}
	})
}

func TestBouncerRegistry(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key, b, err := decision.AddBouncer(ctx, db, audit.System, "nginx-kpu-1")
		if err != nil || len(key) != 64 || b.Name != "nginx-kpu-1" {
			t.Fatalf("add: %q %+v %v", key, b, err)
		}
		var stored string
		if err := db.QueryRow(ctx, `SELECT key_hash FROM bouncers WHERE id = ?`, b.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == key || strings.Contains(stored, key) || len(stored) != 64 {
			t.Fatalf("the key is stored as %q", stored)
		}
		if _, _, err := decision.AddBouncer(ctx, db, audit.System, "nginx-kpu-1"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("same name twice: %v", err)
		}
		if _, _, err := decision.AddBouncer(ctx, db, audit.System, "bad name!"); !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad name: %v", err)
		}
		if err := decision.DeleteBouncer(ctx, db, audit.System, "nginx-kpu-1"); err != nil {
			t.Fatal(err)
		}
		if err := decision.DeleteBouncer(ctx, db, audit.System, "nginx-kpu-1"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		key2, _, err := decision.AddBouncer(ctx, db, audit.System, "nginx-kpu-1")
		if err != nil || key2 == key {
			t.Fatalf("re-add after delete: %v", err)
		}
		live, _ := decision.ListBouncers(ctx, db, false)
		all, _ := decision.ListBouncers(ctx, db, true)
		if len(live) != 1 || len(all) != 2 {
			t.Fatalf("bouncers: %d live, %d in all", len(live), len(all))
		}
		verifyAudit(t, db)
	})
}

// TestDecisionsReadUnderTheirAlert: a decision made from an alert is read
// by those who may read the alert, not by everyone in its region; a
// person's block without an alert is read by region.
func TestDecisionsReadUnderTheirAlert(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := people(t, db)
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		a, err := asset.Create(ctx, db, who["jabar.analyst"], tree, asset.Input{Name: ptr("Sirekap Jabar"), Kind: ptr("web_app"),
			Region: ptr("32"), TLP: ptr("AMBER+STRICT")})
		if err != nil {
			t.Fatal(err)
		}
		created, _, err := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-sqli", Title: "SQL injection", Severity: "high",
			SourceIP: "192.0.2.123", AssetID: a.ID, Region: "32", Time: store.Now(), Count: 30}})
		if err != nil || len(created) != 1 {
			t.Fatalf("alert: %v %v", created, err)
		}
		d := mustDecide(t, db, decision.Proposal{IP: "192.0.2.123", Scenario: "http-sqli", AlertID: created[0], Region: "32", Asset: a.ID,
			Batch: "b-1", Sender: "key:edge"}, decision.OutcomeCreated)
		if d.Batch != "b-1" || d.Sender != "key:edge" {
			t.Fatalf("decision does not name its batch and sender: %+v", d)
		}
		manual, err := decision.Create(ctx, db, who["bssn.analyst"], decision.Input{Value: "198.51.100.7", Reason: "scanner", Region: ptr("32")})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user  string
			reads bool
		}{
			{"jabar.analyst", true}, // the owner
			{"bssn.analyst", true},  // the national CSIRT takes part
			{"kpu.viewer", false},   // national, in the owner's parent: not AMBER+STRICT's
		} {
			got, err := decision.Get(ctx, db, who[c.user], d.ID)
			if c.reads != (err == nil) {
				t.Errorf("%s reads decision of an AMBER+STRICT alert: %v (%+v), want %v", c.user, err, got, c.reads)
			}
			if !c.reads && !problem.Is(err, problem.NotFound) {
				t.Errorf("%s: %v, want not found", c.user, err)
			}
			list, err := decision.List(ctx, db, who[c.user], decision.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			if want := []int64{manual.ID}; c.reads {
				want = []int64{manual.ID, d.ID}
				if len(ids) != 2 {
					t.Errorf("%s lists %v, want %v", c.user, ids, want)
				}
			} else if len(ids) != 1 || ids[0] != manual.ID {
				t.Errorf("%s lists %v, want only the manual block %v", c.user, ids, want)
			}
		}
		// Writing needs reading: the viewer's organisation cannot end it
		// either (its role could not anyway; a coordinator's scope check
		// is the same fragment).
		if _, err := decision.Revoke(ctx, db, who["kpu.viewer"], d.ID, "x"); !problem.Is(err, problem.NotFound) {
			t.Errorf("revoke by a reader of the region only: %v", err)
		}
	})
}
