package incident_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type world struct {
	db    *store.DB
	tree  *org.Tree
	who   map[string]auth.Principal
	jabar int64 // an asset of KPU Jawa Barat
}

func newWorld(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, _ := org.Load(ctx, db)
	w := &world{db: db, tree: tree, who: map[string]auth.Principal{}}
	for _, n := range []auth.NewUser{
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "jabar.coord", Org: "kpu-32", Role: "coordinator", Scope: "32"},
		{Username: "jabar.viewer", Org: "kpu-32", Role: "viewer", Scope: "32"},
		{Username: "bandung.analyst", Org: "kpu-32.04", Role: "analyst", Scope: "32.04"},
		{Username: "bandung.coord", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"},
		{Username: "bandung.operator", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
		{Username: "jateng.analyst", Org: "kpu-33", Role: "analyst", Scope: "33"},
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
		{Username: "jabar.room", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		{Username: "kpu.coord", Org: "kpu", Role: "coordinator", Scope: ""},
	} {
		n.Password = "password-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		w.who[n.Username], _ = auth.PrincipalOf(u, tree)
	}
	name, kind, reg := "KPU Jabar", "site", "32"
	a, err := asset.Create(ctx, db, w.who["jabar.analyst"], tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	w.jabar = a.ID
	return w
}

func str(s string) *string { return &s }

func (w *world) create(t *testing.T, user string, in incident.Input) incident.Incident {
	t.Helper()
	i, err := incident.Create(context.Background(), w.db, w.who[user], w.tree, in)
	if err != nil {
		t.Fatalf("create as %s: %v", user, err)
	}
	return i
}

func (w *world) sees(user string, ref string) bool {
	_, err := incident.Get(context.Background(), w.db, w.who[user], ref)
	return err == nil
}

func (w *world) count(t *testing.T, table string) int {
	var n int
	if err := w.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateReadVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		year := time.Now().UTC().Year()
		a := w.create(t, "jabar.analyst", incident.Input{Title: str("Defacement of the KPU Jabar site"), Category: str("intrusions"),
			Severity: str("high"), AssetIDs: []int64{w.jabar}})
		if a.HumanID != fmt.Sprintf("INC-%d-000001", year) || a.Region != "32" || a.Owner != "kpu-32" || a.Status != incident.New || a.TLP != "AMBER" {
			t.Fatalf("created %+v", a)
		}
		if len(a.AssetIDs) != 1 || a.AssetIDs[0] != w.jabar || a.Participants == nil || a.Participants.Users[0] != "jabar.analyst" {
			t.Fatalf("links %+v %+v", a.AssetIDs, a.Participants)
		}
		b := w.create(t, "jabar.analyst", incident.Input{Title: str("Second"), Region: str("32.04")})
		if b.HumanID != fmt.Sprintf("INC-%d-000002", year) {
			t.Fatalf("second human id %s", b.HumanID)
		}
		// Both ids reach the same incident.
		for _, ref := range []string{strconv.FormatInt(a.ID, 10), a.HumanID, "inc-" + a.HumanID[4:]} {
			if got, err := incident.Get(ctx, db, w.who["jabar.viewer"], ref); err != nil || got.ID != a.ID {
				t.Fatalf("get %s: %v", ref, err)
			}
		}
		// Central Java sees nothing of West Java: 404, and an empty list.
		if _, err := incident.Get(ctx, db, w.who["jateng.analyst"], a.HumanID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("Central Java read West Java's incident: %v", err)
		}
		if l, err := incident.List(ctx, db, w.who["jateng.analyst"], incident.Filter{}); err != nil || len(l) != 0 {
			t.Fatalf("Central Java lists %d (%v)", len(l), err)
		}
		// A regency user sees neither the province-level incident (scope) nor
		// the province's AMBER incident in its regency (the province is above
		// it, not below); BSSN, not a participant, does not see AMBER.
		if w.sees("bandung.analyst", a.HumanID) || w.sees("bandung.analyst", b.HumanID) || w.sees("bssn.analyst", a.HumanID) {
			t.Fatal("scope or AMBER rule broken")
		}
		// RED: named users only.
		red := w.create(t, "jabar.analyst", incident.Input{Title: str("Leak"), TLP: str("RED"), Participants: &incident.Participants{Users: []string{"bssn.analyst"}}})
		if !w.sees("jabar.analyst", red.HumanID) || !w.sees("bssn.analyst", red.HumanID) || w.sees("jabar.viewer", red.HumanID) || w.sees("kpu.coord", red.HumanID) {
			t.Fatal("RED seen by someone not named, or hidden from a named user")
		}
		// Lists: filters and the cursor.
		l, err := incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Limit: 1})
		if err != nil || len(l) != 2 || l[0].ID != red.ID {
			t.Fatalf("list page: %d %v", len(l), err)
		}
		l, _ = incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Before: b.ID})
		if len(l) != 1 || l[0].ID != a.ID {
			t.Fatalf("after cursor: %+v", l)
		}
		l, _ = incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Region: "32.04"})
		if len(l) != 1 || l[0].ID != b.ID {
			t.Fatalf("region filter: %d", len(l))
		}
		l, _ = incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Severity: "high", Category: "intrusions", Status: []incident.Status{incident.New}})
		if len(l) != 1 || l[0].ID != a.ID {
			t.Fatalf("severity/category filter: %d", len(l))
		}
		if _, err := incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Status: []incident.Status{"bogus"}}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad status filter: %v", err)
		}
		// A viewer may not report.
		if _, err := incident.Create(ctx, db, w.who["jabar.viewer"], w.tree, incident.Input{Title: str("x")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer created: %v", err)
		}
		// An operator (report) may.
		w.create(t, "bandung.operator", incident.Input{Title: str("Phishing at the regency office"), Category: str("fraud")})
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		future := time.Now().Add(time.Hour)
		for name, in := range map[string]incident.Input{
			"no title":       {},
			"category":       {Title: str("x"), Category: str("hacking")},
			"severity":       {Title: str("x"), Severity: str("urgent")},
			"tlp":            {Title: str("x"), TLP: str("PURPLE")},
			"pap":            {Title: str("x"), PAP: str("WHITE")},
			"region unknown": {Title: str("x"), Region: str("99")},
			"out of scope":   {Title: str("x"), Region: str("33")},
			"owner above":    {Title: str("x"), Owner: str("kpu")},
			"asset hidden":   {Title: str("x"), AssetIDs: []int64{9999}},
			"alert hidden":   {Title: str("x"), AlertIDs: []int64{9999}},
			"assignee":       {Title: str("x"), Assignee: str("nobody")},
			"future":         {Title: str("x"), DetectedAt: &future},
			"participant":    {Title: str("x"), Participants: &incident.Participants{Orgs: []string{"nope"}}},
		} {
			if _, err := incident.Create(ctx, db, w.who["jabar.analyst"], w.tree, in); !problem.Is(err, problem.Invalid) {
				t.Errorf("%s: %v, want bad request", name, err)
			}
		}
		if n := w.count(t, "incidents"); n != 0 {
			t.Fatalf("%d incidents after bad input", n)
		}
		i := w.create(t, "jabar.analyst", incident.Input{Title: str("ok")})
		for name, up := range map[string]incident.Update{
			"status":         {Status: str("done")},
			"resolve bare":   {Status: str("resolved")},
			"resolution bad": {Status: str("resolved"), Resolution: str("maybe")},
			"title empty":    {Title: str(" ")},
		} {
			if _, err := incident.Edit(ctx, db, w.who["jabar.analyst"], i.HumanID, up); !problem.Is(err, problem.Invalid) {
				t.Errorf("%s: %v, want bad request", name, err)
			}
		}
		for _, bad := range []string{"", "  "} {
			if _, err := incident.Comment(ctx, db, w.who["jabar.analyst"], i.HumanID, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("empty comment: %v", err)
			}
			if _, err := incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, i.HumanID, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("escalation without a reason: %v", err)
			}
		}
		got, _ := incident.Get(ctx, db, w.who["jabar.analyst"], i.HumanID)
		if got.Status != incident.New || got.Title != "ok" || w.count(t, "incident_timeline") != 1 {
			t.Fatalf("bad input changed the incident: %+v", got)
		}
	})
}

func TestPromoteAlerts(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		t0 := time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)
		var sigs []alert.Signal
		for i, sc := range []string{"http-sqli", "http-xss"} {
			sigs = append(sigs, alert.Signal{Scenario: sc, Title: sc, Severity: []string{"high", "critical"}[i], SourceIP: "103.1.1.1",
				AssetID: w.jabar, Time: t0.Add(time.Duration(i) * time.Minute), Count: 1})
		}
		created, _, err := alert.Record(ctx, db, sigs)
		if err != nil || len(created) != 2 {
			t.Fatalf("record: %v %v", created, err)
		}
		// A user who cannot read the alerts cannot promote them.
		if _, err := incident.Create(ctx, db, w.who["jateng.analyst"], w.tree, incident.Input{AlertIDs: created}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("Central Java promoted West Java's alerts: %v", err)
		}
		// An operator reports but does not triage.
		if _, err := incident.Create(ctx, db, w.who["jabar.room"], w.tree, incident.Input{AlertIDs: created}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("operator promoted: %v", err)
		}
		i := w.create(t, "jabar.analyst", incident.Input{AlertIDs: created, Category: str("intrusion-attempts")})
		if len(i.AlertIDs) != 2 || i.Region != "32" || i.Severity != "critical" || !i.DetectedAt.Equal(t0) ||
			i.Title != "Serangan injeksi SQL dari 103.1.1.1 ke KPU Jabar" {
			t.Fatalf("promoted incident %+v", i)
		}
		for _, id := range created {
			a, err := alert.Get(ctx, db, w.who["jabar.analyst"], id)
			if err != nil || a.Status != alert.Promoted {
				t.Fatalf("alert %d: %s %v", id, a.Status, err)
			}
		}
		// Promoted alerts do not go into a second incident.
		if _, err := incident.Create(ctx, db, w.who["jabar.analyst"], w.tree, incident.Input{AlertIDs: created[:1]}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("second promotion: %v", err)
		}
	})
}

// TestAssigneeGrantsNoReading: an analyst assigns an incident only to
// someone who already reads it (assigning is triage, adding participants
// a coordinator's decision), on creation and on edit, and a refusal
// changes nothing; a coordinator's assignee joins the incident.
func TestAssigneeGrantsNoReading(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		before := w.count(t, "incidents")
		if _, err := incident.Create(ctx, db, w.who["jabar.analyst"], w.tree, incident.Input{Title: str("x"), Category: str("other"), Assignee: str("jabar.room")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst created for an outsider: %v", err)
		}
		if n := w.count(t, "incidents"); n != before {
			t.Fatalf("refused create stored an incident: %d", n)
		}
		// A reader may be assigned by an analyst; the assignee then works it.
		i := w.create(t, "jabar.analyst", incident.Input{Title: str("x"), Category: str("other"), Assignee: str("jabar.coord")})
		if i.Assignee != "jabar.coord" {
			t.Fatalf("assignee %q", i.Assignee)
		}
		if _, err := incident.Edit(ctx, db, w.who["jabar.analyst"], i.HumanID, incident.Update{Assignee: str("jabar.room")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst assigned an outsider: %v", err)
		}
		if w.sees("jabar.room", i.HumanID) {
			t.Fatal("a refused assignment let the outsider read the incident")
		}
		if got, _ := incident.Get(ctx, db, w.who["jabar.analyst"], i.HumanID); got.Assignee != "jabar.coord" {
			t.Fatalf("refused assignment changed the assignee: %q", got.Assignee)
		}
		// A coordinator may add participants, so their assignee joins.
		if _, err := incident.Edit(ctx, db, w.who["jabar.coord"], i.HumanID, incident.Update{Assignee: str("jabar.room")}); err != nil {
			t.Fatal(err)
		}
		c := w.create(t, "jabar.coord", incident.Input{Title: str("y"), Category: str("other"), Assignee: str("jabar.room")})
		if !w.sees("jabar.room", i.HumanID) || !w.sees("jabar.room", c.HumanID) {
			t.Fatal("a coordinator's assignee does not read the incident")
		}
	})
}

func TestStatusTimesAndTimeline(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		i := w.create(t, "jabar.analyst", incident.Input{Title: str("DDoS on the tally site"), Category: str("availability")})
		if i.FirstResponseAt != nil || i.ContainedAt != nil || i.ResolvedAt != nil || i.DetectedAt.IsZero() || i.ReportedAt.IsZero() {
			t.Fatalf("new incident times %+v", i)
		}
		edit := func(user string, up incident.Update) (incident.Incident, error) {
			return incident.Edit(ctx, db, w.who[user], i.HumanID, up)
		}
		// A viewer does not work incidents; an analyst does not relabel or close.
		if _, err := edit("jabar.viewer", incident.Update{Status: str("triage")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer: %v", err)
		}
		if _, err := edit("jabar.analyst", incident.Update{TLP: str("RED")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst TLP: %v", err)
		}
		// Assigning someone who cannot read it would add a participant: a
		// coordinator's decision, which the analyst does not take.
		if _, err := edit("jabar.analyst", incident.Update{Status: str("triage"), Assignee: str("bandung.analyst")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst assigned an outsider: %v", err)
		}
		got, err := edit("jabar.coord", incident.Update{Status: str("triage"), Assignee: str("bandung.analyst")})
		if err != nil || got.FirstResponseAt == nil || got.ContainedAt != nil || got.Assignee != "bandung.analyst" {
			t.Fatalf("triage: %+v %v", got, err)
		}
		if _, err := incident.Comment(ctx, db, w.who["jabar.analyst"], i.HumanID, "Traffic from 3 ASNs; CDN engaged."); err != nil {
			t.Fatal(err)
		}
		if _, err := incident.Comment(ctx, db, w.who["jabar.viewer"], i.HumanID, "me too"); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer commented: %v", err)
		}
		if got, err = edit("jabar.analyst", incident.Update{Status: str("containment")}); err != nil || got.ContainedAt != nil {
			t.Fatalf("containment: %v", err)
		}
		if got, err = edit("jabar.analyst", incident.Update{Status: str("eradication")}); err != nil || got.ContainedAt == nil {
			t.Fatalf("eradication: %+v %v", got, err)
		}
		if _, err = edit("jabar.analyst", incident.Update{Status: str("closed"), Resolution: str("true_positive")}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst closed: %v", err)
		}
		if got, err = edit("jabar.analyst", incident.Update{Status: str("resolved"), Resolution: str("true_positive")}); err != nil || got.ResolvedAt == nil || got.ClosedAt != nil {
			t.Fatalf("resolved: %+v %v", got, err)
		}
		if got, err = edit("jabar.coord", incident.Update{Status: str("closed"), TLP: str("GREEN")}); err != nil || got.ClosedAt == nil || got.TLP != "GREEN" || got.Resolution != "true_positive" {
			t.Fatalf("closed: %+v %v", got, err)
		}
		// By the list filter on the assignee.
		l, _ := incident.List(ctx, db, w.who["jabar.analyst"], incident.Filter{Assignee: "bandung.analyst"})
		if len(l) != 1 {
			t.Fatalf("assignee filter: %d", len(l))
		}
		tl, err := incident.Timeline(ctx, db, w.who["jabar.viewer"], strconv.FormatInt(i.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		kinds := ""
		for _, e := range tl {
			kinds += e.Kind + " "
		}
		if kinds != "created updated comment updated updated updated updated " {
			t.Fatalf("timeline kinds %q", kinds)
		}
		if tl[2].Body != "Traffic from 3 ASNs; CDN engaged." || tl[2].Actor != "jabar.analyst" || tl[2].ActorOrg != "kpu-32" {
			t.Fatalf("comment entry %+v", tl[2])
		}
		last := tl[len(tl)-1]
		if last.Actor != "jabar.coord" || last.Changes["status"] == nil || last.Changes["tlp"] == nil {
			t.Fatalf("last entry %+v", last)
		}
		for k := 1; k < len(tl); k++ {
			if tl[k].At.Before(tl[k-1].At) || tl[k].ID <= tl[k-1].ID {
				t.Fatal("timeline out of order")
			}
		}
		if _, err := incident.Timeline(ctx, db, w.who["jateng.analyst"], i.HumanID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden timeline: %v", err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Fatalf("audit chain: %d %v", n, err)
		}
	})
}

func TestEscalation(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		i := w.create(t, "bandung.analyst", incident.Input{Title: str("Ransomware at KPU Kabupaten Bandung"), Category: str("malicious-code")})
		if i.Region != "32.04" || i.Owner != "kpu-32.04" {
			t.Fatalf("regency incident %+v", i)
		}
		if w.sees("jabar.room", i.HumanID) || w.sees("bssn.analyst", i.HumanID) {
			t.Fatal("province operation room or BSSN sees an AMBER regency incident before escalation")
		}
		if _, err := incident.Escalate(ctx, db, w.who["bandung.analyst"], w.tree, i.HumanID, "need help"); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst escalated: %v", err)
		}
		got, err := incident.Escalate(ctx, db, w.who["bandung.coord"], w.tree, i.HumanID, "spreading to the province's network")
		if err != nil || got.Region != "32.04" || got.Escalation != incident.EscalatedProvince {
			t.Fatalf("escalate: %+v %v", got, err)
		}
		has := func(xs []string, x string) bool {
			for _, y := range xs {
				if y == x {
					return true
				}
			}
			return false
		}
		if !has(got.Participants.Orgs, "kpu-32") || !has(got.Participants.Orgs, "diskominfo-32") || has(got.Participants.Orgs, "bssn") {
			t.Fatalf("participants after the first escalation %v", got.Participants.Orgs)
		}
		if !w.sees("jabar.room", i.HumanID) || w.sees("bssn.analyst", i.HumanID) {
			t.Fatal("province did not gain the incident, or BSSN did too early")
		}
		got, err = incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, i.HumanID, "national impact")
		if err != nil || !has(got.Participants.Orgs, "bssn") || got.Escalation != incident.EscalatedNational {
			t.Fatalf("second escalation: %+v %v", got, err)
		}
		if !w.sees("bssn.analyst", i.HumanID) {
			t.Fatal("BSSN does not see the escalated incident")
		}
		if _, err := incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, i.HumanID, "again"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("third escalation: %v", err)
		}
		// A province's incident goes straight to the national desk.
		p := w.create(t, "jabar.analyst", incident.Input{Title: str("Province"), Category: str("intrusions")})
		if got, err = incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, p.HumanID, "vital infrastructure"); err != nil || !has(got.Participants.Orgs, "bssn") {
			t.Fatalf("province escalation: %v", err)
		}
		tl, _ := incident.Timeline(ctx, db, w.who["jabar.coord"], i.HumanID)
		if len(tl) != 3 || tl[1].Kind != "escalated" || tl[1].Body != "spreading to the province's network" || tl[1].Actor != "bandung.coord" || tl[1].ActorOrg != "kpu-32.04" {
			t.Fatalf("escalation timeline %+v", tl)
		}
		// Participants.
		if _, err := incident.AddParticipants(ctx, db, w.who["bandung.analyst"], w.tree, p.HumanID, incident.Participants{Orgs: []string{"polri"}}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("out-of-scope participant add: %v", err)
		}
		if _, err := incident.AddParticipants(ctx, db, w.who["jabar.analyst"], w.tree, p.HumanID, incident.Participants{Orgs: []string{"polri"}}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("analyst added participants: %v", err)
		}
		got, err = incident.AddParticipants(ctx, db, w.who["jabar.coord"], w.tree, p.HumanID, incident.Participants{Orgs: []string{"komdigi"}, Users: []string{"jateng.analyst"}})
		if err != nil || !has(got.Participants.Orgs, "komdigi") || !has(got.Participants.Users, "jateng.analyst") {
			t.Fatalf("add participants: %+v %v", got.Participants, err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Fatalf("audit chain: %d %v", n, err)
		}
	})
}
