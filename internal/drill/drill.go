// Package drill holds the operation rooms' drills (diklat): BSSN composes a
// drill from simulated attack traffic (the simulator's classes) or a log
// file, schedules it into one room or many, and each room's run is replayed
// through the detection engine (the same rules and the same aggregation the
// live pipeline uses). The room then works the drill's alerts as it would
// real ones: it acknowledges them, escalates to the level it judges right,
// and reports. Garda measures the time to acknowledge, whether the
// escalation went to the expected level and the time to the report, scores
// the room, and keeps a training record for each person who took part; a
// room's readiness counts its members with a record.
//
// What it must never do: let a drill's alerts out. They are kept in their
// own tables (drill_alerts under drill_runs), never in alerts, never
// published on the bus as alerts, never handed to the decision rules: so
// no bouncer, no DNS blocklist, no real count, no daily report and no other
// room ever sees them. A run is read only by those who read its room's
// internals (package room's rule); another province's runs are not found.
package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names drills in the audit log; RunKind their runs.
const (
	RecordKind = "drill"
	RunKind    = "drill_run"
)

// Sources of a drill's traffic.
const (
	Simulated = "simulated"
	LogFile   = "log"
)

// Run statuses.
const (
	Scheduled = "scheduled"
	Running   = "running"
	Finished  = "finished"
)

// Drill is a composed exercise.
type Drill struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Source      string    `json:"source"`
	Classes     []string  `json:"classes,omitempty"`
	LogFormat   string    `json:"log_format,omitempty"`
	ExpectLevel string    `json:"expect_level"` // province, national; "" no escalation expected
	CreatedAt   time.Time `json:"created_at"`
	logText     string
}

// NewDrill is what BSSN composes: simulator classes, or a log file (then
// Classes is ignored) in a known format (default nginx).
type NewDrill struct {
	Name        string   `json:"name"`
	Classes     []string `json:"classes"`
	Log         string   `json:"log"`
	LogFormat   string   `json:"log_format"`
	ExpectLevel string   `json:"expect_level"`
}

// maxLog bounds a drill's log file.
const maxLog = 8 << 20

// mayRun reports whether who composes and schedules drills: a
// coordinator or administrator of the national room's organisation
// (BSSN), with the national scope.
func mayRun(ctx context.Context, q store.Querier, who auth.Principal) error {
	var nat int64
	err := q.QueryRow(ctx, `SELECT org_id FROM rooms WHERE level = ?`, room.National).Scan(&nat)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	role := policy.Role(who.User.Role)
	if nat == 0 || who.Viewer.OrgID != nat || who.Viewer.Scope != "" || (role != policy.RoleCoordinator && role != policy.RoleAdmin) {
		return problem.New(problem.Forbidden, "drills are composed and scheduled by BSSN's coordinators")
	}
	return nil
}

// Compose stores a drill.
func Compose(ctx context.Context, db *store.DB, who auth.Principal, in NewDrill) (Drill, error) {
	if err := mayRun(ctx, db, who); err != nil {
		return Drill{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return Drill{}, problem.Field("name", "needs 1-200 characters")
	}
	switch in.ExpectLevel {
	case "", room.Province, room.National:
	default:
		return Drill{}, problem.Field("expect_level", "must be province, national or empty")
	}
	d := Drill{Name: in.Name, ExpectLevel: in.ExpectLevel, CreatedAt: store.Now()}
	if in.Log != "" {
		if len(in.Log) > maxLog {
			return Drill{}, problem.Field("log", "at most %d MiB", maxLog>>20)
		}
		if in.LogFormat == "" {
			in.LogFormat = "nginx"
		}
		if _, ok := format.Lookup(in.LogFormat); !ok {
			return Drill{}, problem.Field("log_format", "unknown log format %q", in.LogFormat)
		}
		d.Source, d.LogFormat, d.logText = LogFile, in.LogFormat, in.Log
	} else {
		if len(in.Classes) == 0 {
			return Drill{}, problem.Field("classes", "name the simulator's attack classes (%s) or send a log", strings.Join(simulate.Classes(), ", "))
		}
		for _, c := range in.Classes {
			if !slices.Contains(simulate.Classes(), c) {
				return Drill{}, problem.Field("classes", "unknown class %q (%s)", c, strings.Join(simulate.Classes(), ", "))
			}
		}
		d.Source, d.Classes = Simulated, slices.Compact(slices.Sorted(slices.Values(in.Classes)))
	}
	classes, _ := json.Marshal(d.Classes)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO drills (name, source, classes, log_text, log_format, expect_level, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.Name, d.Source, string(classes), d.logText, d.LogFormat, d.ExpectLevel,
			who.User.ID, d.CreatedAt).Scan(&d.ID)
		if err != nil {
			return fmt.Errorf("insert drill: %w", err)
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.compose", RecordKind, d.ID, map[string]any{
			"name": d.Name, "source": d.Source, "classes": d.Classes, "expect_level": d.ExpectLevel})
	})
	return d, err
}

func getDrill(ctx context.Context, q store.Querier, id int64) (Drill, error) {
	var d Drill
	var classes string
	err := q.QueryRow(ctx, `SELECT id, name, source, classes, log_text, log_format, expect_level, created_at FROM drills WHERE id = ?`, id).
		Scan(&d.ID, &d.Name, &d.Source, &classes, &d.logText, &d.LogFormat, &d.ExpectLevel, &d.CreatedAt)
	if errors.Is(err, store.ErrNotFound) {
		return Drill{}, problem.New(problem.NotFound, "no drill %d", id)
	} else if err != nil {
		return Drill{}, err
	}
	if err := json.Unmarshal([]byte(classes), &d.Classes); err != nil {
		return Drill{}, fmt.Errorf("drill %d: classes: %w", id, err)
	}
	return d, nil
}

// MaxSpeed is the fastest a drill's traffic is replayed: sixty times its
// own pace (a day of traffic in 24 minutes).
const MaxSpeed = 60

// Schedule puts a drill into rooms at a moment; each room gets its own run.
// speed is the pace of the replay: 1 the traffic's own timing, n n times
// faster (a drill of 30 minutes of traffic at 2 raises its last alert 15
// minutes in); 0 raises every alert when the run starts.
func Schedule(ctx context.Context, db *store.DB, who auth.Principal, drillID int64, roomIDs []int64, at time.Time, speed int) ([]int64, error) {
	if err := mayRun(ctx, db, who); err != nil {
		return nil, err
	}
	if speed < 0 || speed > MaxSpeed {
		return nil, problem.Field("speed", "0 (all alerts at the start) or 1-%d (times the traffic's own pace)", MaxSpeed)
	}
	if _, err := getDrill(ctx, db, drillID); err != nil {
		return nil, err
	}
	if len(roomIDs) == 0 || len(roomIDs) > 600 {
		return nil, problem.Field("rooms", "name 1-600 rooms")
	}
	if at.IsZero() {
		at = store.Now()
	}
	var ids []int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ids = nil
		for _, rid := range slices.Compact(slices.Sorted(slices.Values(roomIDs))) {
			if _, err := room.Get(ctx, tx, who, rid); err != nil {
				if problem.Is(err, problem.NotFound) {
					return problem.Field("rooms", "no room %d", rid)
				}
				return err
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO drill_runs (drill_id, room_id, scheduled_at, status, speed) VALUES (?, ?, ?, ?, ?) RETURNING id`,
				drillID, rid, at.UTC(), Scheduled, speed).Scan(&id); err != nil {
				return fmt.Errorf("insert drill run: %w", err)
			}
			if err := audit.Record(ctx, tx, who.Actor(), "drill.schedule", RunKind, id, map[string]any{"drill_id": drillID, "room_id": rid, "at": at.UTC(), "speed": speed}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// simulatedLines is how much traffic a simulated drill replays: enough
// for one attacker of each class among citizens' browsing. A flood is
// about a thousand lines, and the simulator leaves attackers out once
// their lines would pass a third of the batch: floodLines with a flood,
// and perClassLines more for each class past the first.
const (
	simulatedLines = 1200
	floodLines     = 3600
	perClassLines  = 600
)

// traffic is the drill's log for a run starting at start, and the moment
// its traffic begins (zero for a log file: its first attack is taken).
func (d Drill) traffic(runID int64, start time.Time) ([]byte, format.Format, time.Time, error) {
	f, _ := format.Lookup("nginx")
	if d.Source == LogFile {
		lf, ok := format.Lookup(d.LogFormat)
		if !ok {
			return nil, f, time.Time{}, fmt.Errorf("drill %d: unknown log format %q", d.ID, d.LogFormat)
		}
		return []byte(d.logText), lf, time.Time{}, nil
	}
	opts := d.simulation(runID, start)
	sim, err := simulate.New(opts)
	if err != nil {
		return nil, f, time.Time{}, err
	}
	var buf bytes.Buffer
	if _, err := sim.WriteLog(&buf); err != nil {
		return nil, f, time.Time{}, err
	}
	return buf.Bytes(), f, opts.Start, nil
}

// simulation is the simulator's batch for a run: one attacker of each of
// the drill's classes among citizens' browsing, over the quarter hour
// before the run starts.
func (d Drill) simulation(runID int64, start time.Time) simulate.Options {
	lines := simulatedLines
	if slices.Contains(d.Classes, simulate.Flood) {
		lines = floodLines
	}
	lines += perClassLines * (len(d.Classes) - 1)
	return simulate.Options{Classes: d.Classes, Seed: uint64(d.ID)<<20 | uint64(runID), Lines: lines, Attackers: len(d.Classes),
		Start: start.Add(-15 * time.Minute), Span: 15 * time.Minute}
}

// RunDue replays every run whose time has come; it returns how many it
// started. The drill's traffic goes through the detection engine; the
// alerts it raises are the run's, stored apart from the real ones.
func RunDue(ctx context.Context, db *store.DB, eng *detect.Engine, now time.Time) (int, error) {
	rows, err := db.Query(ctx, `SELECT id FROM drill_runs WHERE status = ? AND scheduled_at <= ? ORDER BY id`, Scheduled, now.UTC())
	if err != nil {
		return 0, err
	}
	due, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range due {
		started, err := replay(ctx, db, eng, id, now)
		if err != nil {
			return n, err
		}
		if started {
			n++
		}
	}
	return n, nil
}

// raiseKey is what the detection aggregates an alert by.
type raiseKey struct{ scenario, source, user string }

func replay(ctx context.Context, db *store.DB, eng *detect.Engine, runID int64, now time.Time) (bool, error) {
	var drillID int64
	var reg string
	var speed int
	if err := db.QueryRow(ctx, `SELECT r.drill_id, m.region, r.speed FROM drill_runs r JOIN rooms m ON m.id = r.room_id WHERE r.id = ?`, runID).
		Scan(&drillID, &reg, &speed); err != nil {
		return false, err
	}
	d, err := getDrill(ctx, db, drillID)
	if err != nil {
		return false, err
	}
	log, f, origin, err := d.traffic(runID, now)
	if err != nil {
		return false, err
	}
	// When the detection raised each alert, in the traffic's own time: the
	// first signal of its scenario from its source (one worker: in order).
	raised := map[raiseKey]time.Time{}
	perEvent := func(_ *event.Event, sigs []alert.Signal) {
		for _, s := range sigs {
			k := raiseKey{s.Scenario, s.SourceIP, s.UserName}
			if t, ok := raised[k]; !ok || s.Time.Before(t) {
				raised[k] = s.Time
			}
		}
	}
	res, err := eng.Replay(ctx, bytes.NewReader(log), detect.ReplayOptions{Format: f, Region: reg, Workers: 1, PerEvent: perEvent})
	if err != nil {
		return false, fmt.Errorf("drill run %d: replay: %w", runID, err)
	}
	at := raiseTimes(res.Alerts, raised, origin, now, speed)
	started := false
	err = db.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE drill_runs SET status = ?, started_at = ? WHERE id = ? AND status = ?`, Running, now.UTC(), runID, Scheduled)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil // another instance started it
		}
		started = true
		for i, a := range res.Alerts {
			rules, _ := json.Marshal(a.RuleIDs)
			// Each alert shows for the room from the moment the replay raises
			// it (at the traffic's pace, scaled), not before; the room works it
			// in its own time, which is what is measured.
			if _, err := tx.Exec(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, technique, source_ip, rule_ids, event_count,
				first_seen, last_seen, status, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)`,
				runID, a.Scenario, a.Title, a.Severity, a.Technique, a.SourceIP, string(rules), a.Count, at[i], at[i], at[i]); err != nil {
				return fmt.Errorf("insert drill alert: %w", err)
			}
		}
		return audit.Record(ctx, tx, audit.System, "drill.start", RunKind, runID, map[string]any{"alerts": len(res.Alerts), "lines": res.Lines, "speed": speed})
	})
	return started, err
}

// raiseTimes is when each alert shows for the room: the run's start plus
// the time from the traffic's beginning (origin; zero: its first attack)
// to the alert's raising, divided by speed; with speed 0 all at the start.
func raiseTimes(alerts []*alert.Alert, raised map[raiseKey]time.Time, origin, start time.Time, speed int) []time.Time {
	out := make([]time.Time, len(alerts))
	moments := make([]time.Time, len(alerts))
	first := origin
	for i, a := range alerts {
		t, ok := raised[raiseKey{a.Scenario, a.SourceIP, a.UserName}]
		if !ok {
			t = a.FirstSeen
		}
		moments[i] = t
		if origin.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	for i := range alerts {
		out[i] = start.UTC().Truncate(time.Microsecond)
		if d := moments[i].Sub(first); speed > 0 && d > 0 {
			out[i] = start.Add(d / time.Duration(speed)).UTC().Truncate(time.Microsecond)
		}
	}
	return out
}

// List returns the drills, newest first (BSSN only: the drills are its
// exercises; rooms see their own runs).
func List(ctx context.Context, q store.Querier, who auth.Principal) ([]Drill, error) {
	if err := mayRun(ctx, q, who); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, name, source, classes, '', log_format, expect_level, created_at FROM drills ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, func(s store.Scanner) (Drill, error) {
		var d Drill
		var classes string
		if err := s.Scan(&d.ID, &d.Name, &d.Source, &classes, &d.logText, &d.LogFormat, &d.ExpectLevel, &d.CreatedAt); err != nil {
			return d, err
		}
		return d, json.Unmarshal([]byte(classes), &d.Classes)
	})
	if out == nil {
		out = []Drill{}
	}
	return out, err
}

// MayRun reports whether who composes and schedules drills (for pages to
// offer the forms).
func MayRun(ctx context.Context, q store.Querier, who auth.Principal) bool {
	return mayRun(ctx, q, who) == nil
}
