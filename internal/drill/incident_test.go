package drill

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/report"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDrillIncident: West Java's operator promotes two of the drill's
// alerts to an incident (a LAT- one, marked as a drill), asks for its
// escalation, and West Java's coordinator escalates it through the
// incident desk to the national desk; the run's score reads that
// escalation (right level, its time). The incident is read by the room and
// by BSSN's trainers only: Central Java does not find it, no real list,
// count, map, report, inbox or webhook holds it, it cannot be linked with a
// real incident, and the real numbering keeps no gap.
func TestDrillIncident(t *testing.T) {
	eng := realEngine(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "jabar.coord", DisplayName: "jabar.coord",
			Password: "pw-jabar.coord-long-enough", Org: org.DiskominfoSlug("32"), Role: "coordinator", Scope: "32"})
		if err != nil {
			t.Fatal(err)
		}
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		coord, err := auth.PrincipalOf(u, tree)
		if err != nil {
			t.Fatal(err)
		}
		if err := room.AddMember(ctx, db, audit.System, w.rooms["32"], u.ID, "lead"); err != nil {
			t.Fatal(err)
		}
		bssn, jabar, jateng := w.who["bssn.coord"], w.who["jabar.op"], w.who["jateng.op"]

		d, err := Compose(ctx, db, bssn, NewDrill{Name: "Injeksi SQL ke Sirekap", Classes: []string{simulate.SQLi, simulate.Probe}, ExpectLevel: room.National})
		if err != nil {
			t.Fatal(err)
		}
		// The run started half an hour ago: the incident desk stamps its
		// entries with the real time.
		start := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)
		runs, err := Schedule(ctx, db, bssn, d.ID, []int64{w.rooms["32"], w.rooms["33"]}, start, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := newInstance(t, db, eng, false).runDue(start); err != nil || n != 2 {
			t.Fatalf("runs started: %d %v", n, err)
		}
		jabarRun, jatengRun := runs[0], runs[1]
		ja, err := Alerts(ctx, db, jabar, jabarRun, start)
		if err != nil || len(ja) < 2 {
			t.Fatalf("West Java's drill alerts: %d %v", len(ja), err)
		}

		// Central Java cannot promote West Java's alerts; nothing or a
		// stranger's alert is refused.
		if _, err := Promote(ctx, db, jateng, tree, jabarRun, []int64{ja[0].ID}, start.Add(time.Minute)); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java promoted West Java's drill alert: %v", err)
		}
		jt, _ := Alerts(ctx, db, jateng, jatengRun, start)
		if _, err := Promote(ctx, db, jabar, tree, jabarRun, []int64{jt[0].ID}, start.Add(time.Minute)); !problem.Is(err, problem.Invalid) {
			t.Errorf("West Java promoted Central Java's alert into its run: %v", err)
		}
		inc, err := Promote(ctx, db, jabar, tree, jabarRun, []int64{ja[0].ID, ja[1].ID}, start.Add(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !inc.Drill || inc.DrillRunID != jabarRun || !strings.HasPrefix(inc.HumanID, "LAT-") || inc.Region != "32" {
			t.Errorf("the drill incident: drill %v run %d id %s region %q", inc.Drill, inc.DrillRunID, inc.HumanID, inc.Region)
		}
		if !strings.HasPrefix(inc.Title, "LATIHAN") {
			t.Errorf("the drill incident's title does not say so: %q", inc.Title)
		}
		if _, err := Promote(ctx, db, jabar, tree, jabarRun, []int64{ja[0].ID}, start.Add(6*time.Minute)); !problem.Is(err, problem.Conflict) {
			t.Errorf("a drill alert promoted twice: %v", err)
		}

		// BSSN's trainers watch it before it reaches them.
		if _, err := incident.Get(ctx, db, bssn, inc.HumanID); err != nil {
			t.Errorf("BSSN's trainer cannot read the drill incident before its escalation: %v", err)
		}
		// Worked on the desk: the operator asks, the coordinator escalates.
		if _, err := incident.Escalate(ctx, db, jabar, tree, inc.HumanID, "meluas"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an operator escalated: %v", err)
		}
		if _, err := incident.RequestEscalation(ctx, db, jabar, inc.HumanID, "serangan ke Sirekap meluas"); err != nil {
			t.Fatal(err)
		}
		esc, err := incident.Escalate(ctx, db, coord, tree, inc.HumanID, "serangan ke Sirekap meluas")
		escAt := time.Now().UTC()
		if err != nil {
			t.Fatal(err)
		}
		if esc.Escalation != incident.EscalatedNational {
			t.Errorf("escalated to %q", esc.Escalation)
		}

		// Who reads it: the room and BSSN; not Central Java.
		for name, who := range map[string]auth.Principal{"jabar.op": jabar, "jabar.coord": coord, "bssn.coord": bssn} {
			if _, err := incident.Get(ctx, db, who, inc.HumanID); err != nil {
				t.Errorf("%s cannot read the drill incident: %v", name, err)
			}
		}
		if _, err := incident.Get(ctx, db, jateng, inc.HumanID); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java reads West Java's drill incident: %v", err)
		}
		if _, err := Incidents(ctx, db, jateng, jabarRun); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java lists West Java's drill incidents: %v", err)
		}
		if l, err := Incidents(ctx, db, bssn, jabarRun); err != nil || len(l) != 1 || l[0].Escalation != incident.EscalatedNational {
			t.Errorf("BSSN's view of the run's incidents: %+v %v", l, err)
		}

		// Nothing real holds it.
		for _, who := range []auth.Principal{bssn, jabar, coord, jateng} {
			if l, err := incident.List(ctx, db, who, incident.Filter{}); err != nil || len(l) != 0 {
				t.Errorf("%s's real incident list holds %d (%v)", who.User.Username, len(l), err)
			}
			if l, err := incident.List(ctx, db, who, incident.Filter{Text: "LATIHAN"}); err != nil || len(l) != 0 {
				t.Errorf("%s's incident search finds the drill: %d (%v)", who.User.Username, len(l), err)
			}
			if m, err := incident.OpenByProvince(ctx, db, who); err != nil || len(m) != 0 {
				t.Errorf("%s's open incidents by province: %v (%v)", who.User.Username, m, err)
			}
		}
		rep, err := report.Build(ctx, db, bssn, report.Params{Labels: labels{}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Incidents.Opened != 0 || rep.Incidents.Open != 0 {
			t.Errorf("the daily report counts the drill incident: %+v", rep.Incidents)
		}
		if n := w.count(`SELECT COUNT(*) FROM notifications WHERE incident_id = ?`, inc.ID); n != 0 {
			t.Errorf("%d inbox entries about the drill incident", n)
		}
		if n := w.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE incident_id = ?`, inc.ID); n != 0 {
			t.Errorf("%d webhook deliveries of the drill incident", n)
		}
		missed, err := incident.MissedClocks(ctx, db, time.Now().Add(30*24*time.Hour-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range missed {
			if m.IncidentID == inc.ID {
				t.Errorf("the notifier would tell of the drill incident's missed %s clock", m.Clock)
			}
		}
		// A real incident keeps the real numbering, and stays apart.
		title := "Defacement situs KPU Kota Bandung"
		real, err := incident.Create(ctx, db, coord, tree, incident.Input{Title: &title})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(real.HumanID, "-000001") || real.Drill {
			t.Errorf("the first real incident is %s (drill %v)", real.HumanID, real.Drill)
		}
		if err := incident.LinkRelated(ctx, db, coord, real.HumanID, inc.HumanID, "sama"); !problem.Is(err, problem.Invalid) {
			t.Errorf("a real incident linked with a drill's: %v", err)
		}
		if l, _ := incident.List(ctx, db, coord, incident.Filter{}); len(l) != 1 || l[0].ID != real.ID {
			t.Errorf("the real list: %+v", l)
		}

		// The score reads the escalation from the incident.
		rj, err := Finish(ctx, db, bssn, jabarRun, start.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		rt, err := Finish(ctx, db, bssn, jatengRun, start.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := int64(escAt.Sub(start) / time.Second)
		if !rj.Score.RightLevel || rj.Score.Escalation != 30 || rj.Score.AckSeconds != 300 || rj.Score.EscalationSeconds < want-60 || rj.Score.EscalationSeconds > want {
			t.Errorf("West Java's score: %+v (escalated about %d s in)", rj.Score, want)
		}
		if rj.Score.Total != 70 || rt.Score.Total != 0 {
			t.Errorf("scores: West Java %d, Central Java %d; want 70 and 0", rj.Score.Total, rt.Score.Total)
		}
		if rj.EscalatedTo != room.National {
			t.Errorf("the run's escalation: %q", rj.EscalatedTo)
		}
		// The coordinator who escalated on the desk took part.
		if tr, err := TrainingOf(ctx, db, coord, "jabar.coord"); err != nil || len(tr) != 1 {
			t.Errorf("jabar.coord's training: %+v %v", tr, err)
		}
	})
}
