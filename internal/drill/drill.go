// Package drill holds the operation rooms' drills (diklat): BSSN composes a
// drill from simulated attack traffic (the simulator's classes) or a log
// file, schedules it into one room or many, and each room's run is replayed
// through the pipeline: its traffic on the bus's drills stream, detected by
// the drill detector (package pipeline) with live detection's own code, its
// alerts aggregated as live ones are (RecordBatch). The room then works the
// drill's alerts as it would real ones: it acknowledges them, escalates to
// the level it judges right, and reports. Garda measures the time to acknowledge, whether the
// escalation went to the expected level and the time to the report, scores
// the room, and keeps a training record for each person who took part; a
// room's readiness counts its members with a record.
//
// What it must never do: let a drill's alerts out. Its traffic never goes
// on the events stream (live detection refuses a drill's batch that would),
// and its alerts are kept in their own tables (drill_alerts under
// drill_runs), never in alerts, never published on the bus as alerts, never
// handed to the decision rules: so no bouncer, no DNS blocklist, no real
// count, no daily report and no other room ever sees them. A run is read only by those who read its room's
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
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/pipeline"
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

// RunDue starts every run whose time has come, and returns how many it
// started: each run's traffic is published on the bus's drills stream
// (pipeline.PublishDrill), marked with the run, and the drill detector
// (pipeline.DrillDetector, on the instances that detect) detects over it
// with live detection's code and keeps the alerts it raises as the run's
// (RecordBatch), apart from the real ones. A run started whose traffic
// did not all reach the bus (the bus or the instance failed) is published
// again at the next call.
func RunDue(ctx context.Context, db *store.DB, b *bus.Bus, now time.Time) (int, error) {
	rows, err := db.Query(ctx, `SELECT id FROM drill_runs WHERE (status = ? AND scheduled_at <= ?) OR (status = ? AND published_at IS NULL AND via_bus = 1)
		ORDER BY id`, Scheduled, now.UTC(), Running)
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
		started, err := start(ctx, db, b, id, now)
		if started {
			n++
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// start starts a scheduled run at now (or takes up a started one whose
// traffic is not all on the bus) and publishes its traffic; it reports
// whether it started the run.
func start(ctx context.Context, db *store.DB, b *bus.Bus, runID int64, now time.Time) (bool, error) {
	var drillID int64
	var reg, status string
	var speed int
	var startedAt *time.Time
	if err := db.QueryRow(ctx, `SELECT r.drill_id, m.region, r.speed, r.status, r.started_at FROM drill_runs r JOIN rooms m ON m.id = r.room_id WHERE r.id = ?`, runID).
		Scan(&drillID, &reg, &speed, &status, &startedAt); err != nil {
		return false, err
	}
	d, err := getDrill(ctx, db, drillID)
	if err != nil {
		return false, err
	}
	begin := now.UTC().Truncate(time.Microsecond)
	if startedAt != nil {
		begin = startedAt.UTC() // the same traffic again: the simulation is seeded by the run and its start
	}
	log, f, origin, err := d.traffic(runID, begin)
	if err != nil {
		return false, err
	}
	lines := numbered(log)
	started := false
	if status == Scheduled {
		var from *time.Time // a log file's: its first attack, which the detector finds
		if !origin.IsZero() {
			o := origin.UTC().Truncate(time.Microsecond)
			from = &o
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			r, err := tx.Exec(ctx, `UPDATE drill_runs SET status = ?, started_at = ?, traffic_origin = ?, via_bus = 1 WHERE id = ? AND status = ?`,
				Running, begin, from, runID, Scheduled)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return nil // another instance started it
			}
			started = true
			return audit.Record(ctx, tx, audit.System, "drill.start", RunKind, runID, map[string]any{"lines": len(lines), "speed": speed})
		})
		if err != nil || !started {
			return false, err
		}
	}
	if _, err := pipeline.PublishDrill(ctx, b, runID, pipeline.Source{Region: reg, Format: f}, lines); err != nil {
		return started, fmt.Errorf("drill run %d: %w", runID, err)
	}
	_, err = db.Exec(ctx, `UPDATE drill_runs SET published_at = ? WHERE id = ?`, store.Now(), runID)
	return started, err
}

// numbered cuts a log into its lines, numbered from 1 as a replay counts
// them.
func numbered(log []byte) []pipeline.Line {
	var out []pipeline.Line
	for n := int64(1); len(log) > 0; n++ {
		line := log
		if i := bytes.IndexByte(log, '\n'); i >= 0 {
			line, log = log[:i], log[i+1:]
		} else {
			log = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > 0 {
			out = append(out, pipeline.Line{N: n, Text: line})
		}
	}
	return out
}

// RecordBatch keeps the signals the drill detector found in a batch of a
// run's traffic as the run's alerts (pipeline.DrillDetector's Record, its
// only output), in the transaction that marks the batch detected. They are
// aggregated as live alerts are (alert.Aggregator, then joined to the
// run's alert of the same scenario, source and user within the
// aggregation window: counts, rule ids and first events as evidence), and
// nowhere else: no alert, no live view, no decision, no sighting. An
// alert shows for the room from its raising (its first signal, in the
// traffic's time from the traffic's beginning, set off from the run's
// start and divided by its speed). The run's last batch marks the run
// detected.
func RecordBatch(ctx context.Context, tx *store.Tx, bt pipeline.Batch, sigs []alert.Signal) error {
	var startedAt, origin *time.Time
	var speed int
	err := tx.QueryRow(ctx, `SELECT started_at, traffic_origin, speed FROM drill_runs WHERE id = ?`, bt.Drill).Scan(&startedAt, &origin, &speed)
	if errors.Is(err, store.ErrNotFound) {
		return bus.Permanent(fmt.Errorf("traffic of drill run %d, which does not exist", bt.Drill))
	} else if err != nil {
		return err
	}
	if startedAt == nil {
		return bus.Permanent(fmt.Errorf("traffic of drill run %d, which has not started", bt.Drill))
	}
	g := alert.NewAggregator()
	var first time.Time
	for _, s := range sigs {
		g.Add(s)
		if first.IsZero() || s.Time.Before(first) {
			first = s.Time
		}
	}
	if origin == nil && !first.IsZero() {
		// A log file's traffic begins at its first attack: the first
		// signal of its first batch that raised one.
		first = first.UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE drill_runs SET traffic_origin = ? WHERE id = ? AND traffic_origin IS NULL`, first, bt.Drill); err != nil {
			return err
		}
		origin = &first
	}
	// raise is the room's moment of a moment of the traffic.
	raise := func(t time.Time) time.Time {
		at := *startedAt
		if d := t.Sub(*origin); speed > 0 && d > 0 {
			at = at.Add(d / time.Duration(speed))
		}
		return at.UTC().Truncate(time.Microsecond)
	}
	for _, a := range g.Alerts() {
		key := alert.Signal{Scenario: a.Scenario, SourceIP: a.SourceIP, UserName: a.UserName, AssetID: a.AssetID}.Key()
		var id int64
		var rulesText, evText string
		var last time.Time
		err := tx.QueryRow(ctx, `SELECT id, rule_ids, evidence, traffic_last FROM drill_alerts WHERE run_id = ? AND dedup_key = ? AND traffic_last >= ?
			ORDER BY id DESC LIMIT 1`, bt.Drill, key, a.FirstSeen.Add(-alert.AggregationWindow)).Scan(&id, &rulesText, &evText, &last)
		switch {
		case err == nil:
			var rules []string
			var ev []alert.Evidence
			json.Unmarshal([]byte(rulesText), &rules)
			json.Unmarshal([]byte(evText), &ev)
			for _, r := range a.RuleIDs {
				if !slices.Contains(rules, r) && len(rules) < 50 {
					rules = append(rules, r)
				}
			}
			for _, e := range a.Evidence {
				if len(ev) < alert.MaxEvidence {
					e.Seq = len(ev) + 1
					ev = append(ev, e)
				}
			}
			if a.LastSeen.After(last) {
				last = a.LastSeen
			}
			rb, _ := json.Marshal(rules)
			eb, _ := json.Marshal(ev)
			if _, err := tx.Exec(ctx, `UPDATE drill_alerts SET event_count = event_count + ?, rule_ids = ?, evidence = ?, traffic_last = ?, last_seen = ?
				WHERE id = ?`, a.Count, string(rb), string(eb), last.UTC(), raise(last), id); err != nil {
				return fmt.Errorf("update drill alert %d: %w", id, err)
			}
		case errors.Is(err, store.ErrNotFound):
			rb, _ := json.Marshal(a.RuleIDs)
			ev := a.Evidence
			if ev == nil {
				ev = []alert.Evidence{}
			}
			eb, _ := json.Marshal(ev)
			at := raise(a.FirstSeen)
			// The room sees it from its raising, not before; it works it in
			// its own time, which is what is measured.
			if _, err := tx.Exec(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, technique, source_ip, user_name, rule_ids, event_count,
				first_seen, last_seen, status, raised_at, dedup_key, traffic_first, traffic_last, evidence)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)`,
				bt.Drill, a.Scenario, a.Title, a.Severity, a.Technique, a.SourceIP, a.UserName, string(rb), a.Count,
				at, raise(a.LastSeen), at, key, a.FirstSeen.UTC(), a.LastSeen.UTC(), string(eb)); err != nil {
				return fmt.Errorf("insert drill alert: %w", err)
			}
		default:
			return err
		}
	}
	if !bt.Last {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM drill_alerts WHERE run_id = ?`, bt.Drill).Scan(&n); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE drill_runs SET detected_at = ? WHERE id = ? AND detected_at IS NULL`, store.Now(), bt.Drill); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.System, "drill.detected", RunKind, bt.Drill, map[string]any{"alerts": n})
}

// Undetected counts the runs whose traffic is on the bus and whose last
// batch the drill detector has not seen yet.
func Undetected(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM drill_runs WHERE published_at IS NOT NULL AND detected_at IS NULL`).Scan(&n)
	return n, err
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
