package drill

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/report"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

var (
	engineOnce sync.Once
	engine     *detect.Engine
	engineErr  error
)

// realEngine is the detection engine with its shipped rules, built once.
func realEngine(t *testing.T) *detect.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = detect.New(detect.Options{}) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

type world struct {
	t     *testing.T
	db    *store.DB
	rooms map[string]int64
	who   map[string]auth.Principal
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := room.Ensure(ctx, db, audit.System); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, rooms: map[string]int64{}, who: map[string]auth.Principal{}}
	rows, err := db.Query(ctx, `SELECT region, id FROM rooms`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var reg string
		var id int64
		rows.Scan(&reg, &id)
		w.rooms[reg] = id
	}
	rows.Close()
	for _, n := range []auth.NewUser{
		{Username: "bssn.coord", Org: "bssn", Role: "coordinator"},
		{Username: "jabar.op", Org: org.DiskominfoSlug("32"), Role: "operator", Scope: "32"},
		{Username: "jabar.op2", Org: org.DiskominfoSlug("32"), Role: "operator", Scope: "32"},
		{Username: "jateng.op", Org: org.DiskominfoSlug("33"), Role: "operator", Scope: "33"},
	} {
		n.DisplayName, n.Password = n.Username, "pw-"+n.Username+"-long-enough"
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bssn.coord", "jabar.op", "jabar.op2", "jateng.op"} {
		u, err := auth.UserByName(ctx, db, name)
		if err != nil {
			t.Fatal(err)
		}
		if w.who[name], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	for name, reg := range map[string]string{"jabar.op": "32", "jabar.op2": "32", "jateng.op": "33"} {
		if err := room.AddMember(ctx, db, audit.System, w.rooms[reg], w.who[name].User.ID, "member"); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) count(q string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestDrillEndToEnd: BSSN composes a drill from the simulator's SQL
// injection and probing classes and schedules it into West and Central
// Java's rooms; both runs are replayed through the detection engine and
// raise the same alerts, marked as drills. West Java acknowledges within
// minutes, escalates to the national level as expected and reports;
// Central Java ignores it. West Java scores high, Central Java 0; West
// Java's two operators... one took part and has a training record, its
// room counts one trained member. Nothing reached the real alerts, the
// decisions a bouncer pulls, the DNS blocklist, the daily report, or the
// other room.
func TestDrillEndToEnd(t *testing.T) {
	eng := realEngine(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		in := newInstance(t, db, eng, false)
		bssn, jabar, jateng := w.who["bssn.coord"], w.who["jabar.op"], w.who["jateng.op"]

		// Only BSSN composes; bad input is refused.
		if _, err := Compose(ctx, db, jabar, NewDrill{Name: "x", Classes: []string{simulate.SQLi}}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a province's operator composed a drill: %v", err)
		}
		if _, err := Compose(ctx, db, bssn, NewDrill{Name: "x", Classes: []string{"teleport"}}); !problem.Is(err, problem.Invalid) {
			t.Errorf("an unknown class: %v", err)
		}
		d, err := Compose(ctx, db, bssn, NewDrill{Name: "Serangan ke situs KPU", Classes: []string{simulate.SQLi, simulate.Probe}, ExpectLevel: room.National})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().UTC().Truncate(time.Second)
		// Replayed at twice the traffic's pace: the simulator's quarter hour
		// of traffic raises its alerts over the run's first 7.5 minutes.
		runs, err := Schedule(ctx, db, bssn, d.ID, []int64{w.rooms["32"], w.rooms["33"]}, t0.Add(time.Minute), 2)
		if err != nil || len(runs) != 2 {
			t.Fatalf("schedule: %v %v", runs, err)
		}
		// Not due yet; then due.
		if n, err := in.runDue(t0); err != nil || n != 0 {
			t.Fatalf("runs started before their time: %d %v", n, err)
		}
		start := t0.Add(time.Minute)
		if n, err := in.runDue(start); err != nil || n != 2 {
			t.Fatalf("due runs started: %d %v", n, err)
		}
		if n, _ := in.runDue(start); n != 0 {
			t.Errorf("a run started twice")
		}
		jabarRun, jatengRun := runs[0], runs[1]
		// Replayed through the pipeline: over the bus's drills stream to the
		// drill detector, never the events stream or live detection; the
		// alerts are the engine's over the same traffic.
		in.checkOverBus(eng, jabarRun, jatengRun)
		// The fake clock walks the replay: the alerts show one after
		// another, at the traffic's timing halved, never before the start
		// or after 7.5 minutes.
		all := start.Add(15*time.Minute/2 + time.Second)
		ja, err := Alerts(ctx, db, jabar, jabarRun, all)
		if err != nil || len(ja) < 2 {
			t.Fatalf("West Java's drill raised %d alerts: %v", len(ja), err)
		}
		first, last := ja[0].FirstSeen, ja[0].FirstSeen
		for _, a := range ja {
			if a.FirstSeen.Before(start) || a.FirstSeen.After(all) {
				t.Errorf("drill alert %d raised at %s, outside the run's first 7.5 minutes from %s", a.ID, a.FirstSeen, start)
			}
			if a.FirstSeen.Before(first) {
				first = a.FirstSeen
			}
			if a.FirstSeen.After(last) {
				last = a.FirstSeen
			}
		}
		if last.Sub(first) < time.Minute {
			t.Errorf("the alerts were raised within %s of each other: not at the traffic's pace", last.Sub(first))
		}
		seen := 0
		for m := start; !m.After(all); m = m.Add(30 * time.Second) {
			l, err := Alerts(ctx, db, jabar, jabarRun, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(l) < seen {
				t.Fatalf("at %s fewer alerts (%d) than before (%d)", m, len(l), seen)
			}
			for _, a := range l {
				if a.FirstSeen.After(m) {
					t.Errorf("at %s the room sees alert %d raised at %s", m, a.ID, a.FirstSeen)
				}
			}
			seen = len(l)
		}
		if l, _ := Alerts(ctx, db, jabar, jabarRun, last.Add(-time.Microsecond)); len(l) >= len(ja) {
			t.Errorf("every alert showed before the last was raised")
		}
		var firstAlert, lastAlert Alert
		for _, a := range ja {
			if a.FirstSeen.Equal(first) && firstAlert.ID == 0 {
				firstAlert = a
			}
			if a.FirstSeen.Equal(last) {
				lastAlert = a
			}
		}
		if err := Acknowledge(ctx, db, jabar, jabarRun, lastAlert.ID, last.Add(-time.Second)); !problem.Is(err, problem.NotFound) {
			t.Errorf("an alert acknowledged before it was raised: %v", err)
		}
		jt, err := Alerts(ctx, db, jateng, jatengRun, all)
		if err != nil || len(jt) != len(ja) {
			t.Fatalf("Central Java's drill raised %d alerts, West Java's %d (%v)", len(jt), len(ja), err)
		}
		scen := map[string]bool{}
		for _, a := range ja {
			scen[a.Scenario] = true
			if !a.Drill {
				t.Errorf("drill alert %d is not marked as a drill", a.ID)
			}
		}
		if !scen[simulate.Scenario(simulate.SQLi)] {
			t.Errorf("the replay did not detect the SQL injection: %v", scen)
		}
		// Another room's run is not found; its alerts neither.
		if _, err := Alerts(ctx, db, jateng, jabarRun, all); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java reads West Java's drill: %v", err)
		}
		if err := Acknowledge(ctx, db, jateng, jabarRun, ja[0].ID, start); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java acknowledges West Java's drill alert: %v", err)
		}
		if l, _ := ForRoom(ctx, db, jateng, w.rooms["32"]); len(l) != 0 {
			t.Errorf("Central Java lists West Java's runs: %+v", l)
		}

		// West Java works its drill; Central Java ignores its own.
		// Acknowledged six minutes after the first alert showed.
		if err := Acknowledge(ctx, db, jabar, jabarRun, firstAlert.ID, first.Add(6*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := Escalate(ctx, db, jabar, jabarRun, room.National, start.Add(12*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := Report(ctx, db, jabar, jabarRun, "Percobaan injeksi SQL ke portal; alamat diblokir di WAF.", start.Add(40*time.Minute)); err != nil {
			t.Fatal(err)
		}
		end := start.Add(3 * time.Hour)
		if _, err := Finish(ctx, db, jabar, jabarRun, end); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a room finished its own drill: %v", err)
		}
		rj, err := Finish(ctx, db, bssn, jabarRun, end)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := Finish(ctx, db, bssn, jatengRun, end)
		if err != nil {
			t.Fatal(err)
		}
		if rj.Score.Total != 100 || rj.Score.AckSeconds != 360 || !rj.Score.RightLevel || rj.Score.ReportSeconds != 2400 {
			t.Errorf("West Java's score: %+v", rj.Score)
		}
		if rt.Score.Total != 0 || rt.Score.RightLevel {
			t.Errorf("Central Java ignored the drill, scores %+v", rt.Score)
		}
		if err := Acknowledge(ctx, db, jateng, jatengRun, jt[0].ID, end); !problem.Is(err, problem.Conflict) {
			t.Errorf("acknowledged in a finished run: %v", err)
		}
		// BSSN sees both scores; each room only its own.
		if l, _ := Runs(ctx, db, bssn, d.ID); len(l) != 2 {
			t.Errorf("BSSN sees %d runs, want 2", len(l))
		}
		if l, _ := Runs(ctx, db, jateng, d.ID); len(l) != 1 || l[0].RoomID != w.rooms["33"] {
			t.Errorf("Central Java sees runs %+v", l)
		}

		// Training records and readiness: jabar.op took part, jabar.op2 and
		// jateng.op did not.
		if tr, err := TrainingOf(ctx, db, jabar, "jabar.op"); err != nil || len(tr) != 1 || tr[0].RunID == nil || *tr[0].RunID != jabarRun {
			t.Errorf("jabar.op's training: %+v %v", tr, err)
		}
		if tr, _ := TrainingOf(ctx, db, bssn, "jateng.op"); len(tr) != 0 {
			t.Errorf("jateng.op has training records: %+v", tr)
		}
		if _, err := TrainingOf(ctx, db, jateng, "jabar.op"); !problem.Is(err, problem.NotFound) {
			t.Errorf("Central Java reads a West Java person's record: %v", err)
		}
		rmJabar, _ := room.Get(ctx, db, bssn, w.rooms["32"])
		rmJateng, _ := room.Get(ctx, db, bssn, w.rooms["33"])
		if rmJabar.StaffTrained != 1 || rmJabar.LastDrillAt == nil || rmJateng.StaffTrained != 0 || rmJateng.LastDrillAt == nil {
			t.Errorf("readiness: jabar trained %d last %v; jateng trained %d last %v", rmJabar.StaffTrained, rmJabar.LastDrillAt, rmJateng.StaffTrained, rmJateng.LastDrillAt)
		}
		if _, err := RecordCourse(ctx, db, bssn, "jabar.op2", "Pelatihan deteksi dini BSSN", end); err != nil {
			t.Fatal(err)
		}
		if rmJabar, _ = room.Get(ctx, db, bssn, w.rooms["32"]); rmJabar.StaffTrained != 2 {
			t.Errorf("after a course, jabar counts %d trained, want 2", rmJabar.StaffTrained)
		}

		// Nothing left the drill.
		if n := w.count(`SELECT COUNT(*) FROM drill_alerts`); n != 2*len(ja) {
			t.Errorf("%d drill alerts stored, want %d", n, 2*len(ja))
		}
		for table, q := range map[string]string{
			"alerts": `SELECT COUNT(*) FROM alerts`, "decisions (what bouncers pull)": `SELECT COUNT(*) FROM decisions`,
			"DNS blocklist": `SELECT COUNT(*) FROM rpz_entries`,
		} {
			if n := w.count(q); n != 0 {
				t.Errorf("the drill reached %s: %d rows", table, n)
			}
		}
		for _, who := range []auth.Principal{bssn, jabar, jateng} {
			if l, err := alert.List(ctx, db, who, alert.Filter{}); err != nil || len(l) != 0 {
				t.Errorf("%s's real alert queue holds %d (%v)", who.User.Username, len(l), err)
			}
			if m, err := alert.OpenByProvince(ctx, db, who); err != nil || len(m) != 0 {
				t.Errorf("%s's real counts by province: %v (%v)", who.User.Username, m, err)
			}
		}
		rep, err := report.Build(ctx, db, bssn, report.Params{Labels: labels{}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Alerts.Raised != 0 || rep.Alerts.Open != 0 || rep.Blocks.Made != 0 {
			t.Errorf("the daily report counts the drill: alerts %+v blocks %+v", rep.Alerts, rep.Blocks)
		}
	})
}

type labels struct{}

func (labels) L(group, code string) string           { return code }
func (labels) ScenarioTitle(id, title string) string { return title }

// TestScore: the scoring's bounds.
func TestScore(t *testing.T) {
	s := time.Date(2024, 2, 14, 1, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := s.Add(d); return &x }
	for _, c := range []struct {
		name                string
		ack, esc, rep       *time.Time
		to, expect          string
		want, ackP, escP, r int
	}{
		{"perfect", at(10 * time.Minute), at(20 * time.Minute), at(time.Hour), "national", "national", 100, 40, 30, 30},
		{"ignored", nil, nil, nil, "", "national", 0, 0, 0, 0},
		{"ignored, nothing to escalate", nil, nil, nil, "", "", 30, 0, 30, 0},
		{"wrong level", at(10 * time.Minute), at(20 * time.Minute), nil, "province", "national", 50, 40, 10, 0},
		{"slow", at(AckFull + (AckNone-AckFull)/2), nil, at(ReportNone), "", "province", 20, 20, 0, 0},
		{"too late", at(3 * time.Hour), nil, at(30 * time.Hour), "", "", 30, 0, 30, 0},
	} {
		got := ScoreOf(s, nil, c.ack, c.esc, c.to, c.expect, c.rep)
		if got.Total != c.want || got.Ack != c.ackP || got.Escalation != c.escP || got.Report != c.r {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
}

// TestFinishExpired: a run nobody worked is finished by the platform a day
// after it started, scored 0, and counted as the room's last drill; a log
// file's drill replays its lines.
func TestFinishExpired(t *testing.T) {
	eng := realEngine(t)
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	var log string
	for i := 0; i < 40; i++ {
		log += fmt.Sprintf("203.0.113.9 - - [14/Feb/2024:10:%02d:00 +0700] \"GET /cek?nik=1%%27%%20OR%%201=1-- HTTP/1.1\" 200 512 \"-\" \"sqlmap/1.7\"\n", i)
	}
	d, err := Compose(ctx, db, w.who["bssn.coord"], NewDrill{Name: "Log sqlmap", Log: log, ExpectLevel: room.Province})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	ids, err := Schedule(ctx, db, w.who["bssn.coord"], d.ID, []int64{w.rooms["33"]}, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, db, eng, false)
	if n, err := in.runDue(start); err != nil || n != 1 {
		t.Fatalf("run due: %d %v", n, err)
	}
	in.checkOverBus(eng, ids[0])
	if a, err := Alerts(ctx, db, w.who["jateng.op"], ids[0], start); err != nil || len(a) == 0 {
		t.Fatalf("the log's drill raised no alerts: %v", err)
	}
	if n, _ := FinishExpired(ctx, db, start.Add(Length-time.Minute)); n != 0 {
		t.Error("a run finished before its day was over")
	}
	if n, err := FinishExpired(ctx, db, start.Add(Length)); err != nil || n != 1 {
		t.Fatalf("finish expired: %d %v", n, err)
	}
	r, err := Get(ctx, db, w.who["jateng.op"], ids[0])
	if err != nil || r.Status != Finished || r.Score == nil || r.Score.Total != 0 {
		t.Errorf("expired run: %+v %v", r, err)
	}
	if rm, _ := room.Get(ctx, db, w.who["bssn.coord"], w.rooms["33"]); rm.LastDrillAt == nil {
		t.Error("the room's last drill was not recorded")
	}
}

// TestSimulationHasEveryClass: a drill of every class gets an attacker of
// each, the flood included (the simulator leaves out an attacker whose
// lines pass a third of the batch).
func TestSimulationHasEveryClass(t *testing.T) {
	noFlood := slices.DeleteFunc(simulate.Classes(), func(c string) bool { return c == simulate.Flood })
	for _, classes := range [][]string{simulate.Classes(), noFlood, {simulate.Flood}, {simulate.SQLi}} {
		d := Drill{ID: 7, Source: Simulated, Classes: classes}
		sim, err := simulate.New(d.simulation(3, time.Date(2024, 2, 14, 6, 0, 0, 0, time.UTC)))
		if err != nil {
			t.Fatal(err)
		}
		truth, err := sim.WriteLog(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, c := range truth.Attackers {
			got[c] = true
		}
		for _, c := range classes {
			if !got[c] {
				t.Errorf("a drill of %v has no %s attacker (%d lines)", classes, c, truth.Lines)
			}
		}
	}
}

// TestDrillExternalNATS: a drill replayed through the pipeline on an
// external NATS server (GARDA_TEST_NATS), as instances of garda serve
// sharing one do: over the drills stream to the drill detector, the
// alerts the engine's, nothing on the events stream.
func TestDrillExternalNATS(t *testing.T) {
	if os.Getenv("GARDA_TEST_NATS") == "" {
		t.Skip("GARDA_TEST_NATS not set (a nats:// URL): skipping the drill over an external NATS server")
	}
	eng := realEngine(t)
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	in := newInstance(t, db, eng, true)
	d, err := Compose(ctx, db, w.who["bssn.coord"], NewDrill{Name: "Pemindaian", Classes: []string{simulate.SQLi, simulate.Probe}, ExpectLevel: room.Province})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	ids, err := Schedule(ctx, db, w.who["bssn.coord"], d.ID, []int64{w.rooms["32"]}, start, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := in.runDue(start); err != nil || n != 1 {
		t.Fatalf("run due: %d %v", n, err)
	}
	in.checkOverBus(eng, ids[0])
	if a, err := Alerts(ctx, db, w.who["jabar.op"], ids[0], start.Add(8*time.Minute)); err != nil || len(a) == 0 {
		t.Fatalf("the run's alerts: %d %v", len(a), err)
	}
}

// TestDrillPublishedAgain: a run started whose traffic did not reach the
// bus (the bus failed) is published again by the next call of the job,
// with the same traffic, and detected once; a run the previous version
// started (replayed whole, never on the bus) is left alone.
func TestDrillPublishedAgain(t *testing.T) {
	eng := realEngine(t)
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	in := newInstance(t, db, eng, false)
	d, err := Compose(ctx, db, w.who["bssn.coord"], NewDrill{Name: "Injeksi", Classes: []string{simulate.SQLi}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	ids, err := Schedule(ctx, db, w.who["bssn.coord"], d.ID, []int64{w.rooms["32"], w.rooms["33"]}, start, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Central Java's run as the previous version left it during a rolling
	// upgrade: running, replayed whole, nothing published.
	if _, err := db.Exec(ctx, `UPDATE drill_runs SET status = ?, started_at = ? WHERE id = ?`, Running, start, ids[1]); err != nil {
		t.Fatal(err)
	}
	closed, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if n, err := RunDue(ctx, db, closed, start); err == nil || n != 1 {
		t.Fatalf("started on a closed bus: %d %v", n, err)
	}
	if r, _ := Get(ctx, db, w.who["bssn.coord"], ids[0]); r.Status != Running {
		t.Fatalf("the run is %s", r.Status)
	}
	// A minute later: published again, not started again.
	if n, err := in.runDue(start.Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("the next call: %d started %v", n, err)
	}
	in.checkOverBus(eng, ids[0])
	if r, _ := Get(ctx, db, w.who["bssn.coord"], ids[0]); r.StartedAt == nil || !r.StartedAt.Equal(start) {
		t.Errorf("the run's start moved: %v", r.StartedAt)
	}
	if n := w.count(`SELECT COUNT(*) FROM drill_alerts WHERE run_id = ?`, ids[1]); n != 0 {
		t.Errorf("the previous version's run got %d alerts from the bus", n)
	}
	if n, _ := Undetected(ctx, db); n != 0 {
		t.Errorf("%d runs undetected", n)
	}
}
