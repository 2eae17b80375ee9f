package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// Run is a drill in one room.
type Run struct {
	ID          int64      `json:"id"`
	DrillID     int64      `json:"drill_id"`
	Drill       string     `json:"drill"`
	ExpectLevel string     `json:"expect_level"`
	RoomID      int64      `json:"room_id"`
	Room        string     `json:"room"`
	Region      string     `json:"region"`
	Status      string     `json:"status"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	AckedAt     *time.Time `json:"acked_at,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	EscalatedTo string     `json:"escalated_to,omitempty"`
	ReportedAt  *time.Time `json:"reported_at,omitempty"`
	Report      string     `json:"report,omitempty"`
	Score       *Score     `json:"score,omitempty"`
}

// Alert is a drill's alert, always marked as such.
type Alert struct {
	ID        int64      `json:"id"`
	RunID     int64      `json:"run_id"`
	Drill     bool       `json:"drill"` // always true: a drill's alert says so wherever it goes
	Scenario  string     `json:"scenario"`
	Title     string     `json:"title"`
	Severity  string     `json:"severity"`
	Technique string     `json:"technique"`
	SourceIP  string     `json:"source_ip"`
	Count     int64      `json:"count"`
	FirstSeen time.Time  `json:"first_seen"`
	Status    string     `json:"status"`
	AckedAt   *time.Time `json:"acked_at,omitempty"`
	// Incident is the drill incident it was promoted to (LAT-...).
	IncidentID int64  `json:"incident_id,omitempty"`
	Incident   string `json:"incident,omitempty"`
}

// visibleNow is the condition (one argument: now) of a drill alert the
// room sees: raised by the replay at or before now (a run replayed at the
// traffic's own pace raises its alerts one by one).
const visibleNow = `(raised_at IS NULL OR raised_at <= ?)`

const selectRun = `SELECT r.id, r.drill_id, d.name, d.expect_level, r.room_id, m.name, m.region, r.status, r.scheduled_at, r.started_at,
	r.finished_at, r.acked_at, r.escalated_at, r.escalated_to, r.reported_at, r.report, r.score, r.score_detail
	FROM drill_runs r JOIN drills d ON d.id = r.drill_id JOIN rooms m ON m.id = r.room_id`

func scanRun(s store.Scanner) (Run, error) {
	var r Run
	var score *int64
	var detail string
	err := s.Scan(&r.ID, &r.DrillID, &r.Drill, &r.ExpectLevel, &r.RoomID, &r.Room, &r.Region, &r.Status, &r.ScheduledAt, &r.StartedAt,
		&r.FinishedAt, &r.AckedAt, &r.EscalatedAt, &r.EscalatedTo, &r.ReportedAt, &r.Report, &score, &detail)
	if err != nil {
		return r, err
	}
	if score != nil {
		var sc Score
		if err := json.Unmarshal([]byte(detail), &sc); err != nil {
			return r, fmt.Errorf("drill run %d: score: %w", r.ID, err)
		}
		r.Score = &sc
	}
	return r, nil
}

// readable returns the run if who reads its room's internals (its
// members, those above it, BSSN); any other run is not found.
func readable(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Run, error) {
	r, err := scanRun(q.QueryRow(ctx, selectRun+` WHERE r.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Run{}, problem.New(problem.NotFound, "no drill run %d", id)
	} else if err != nil {
		return Run{}, err
	}
	rm, err := room.Get(ctx, q, who, r.RoomID)
	if err != nil || !rm.Internals {
		if err == nil || problem.Is(err, problem.NotFound) {
			return Run{}, problem.New(problem.NotFound, "no drill run %d", id)
		}
		return Run{}, err
	}
	return r, nil
}

// Get reads a run as who may.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Run, error) {
	return readable(ctx, q, who, id)
}

// ForRoom lists a room's runs, newest first, for those who read its
// internals.
func ForRoom(ctx context.Context, q store.Querier, who auth.Principal, roomID int64) ([]Run, error) {
	rm, err := room.Get(ctx, q, who, roomID)
	if err != nil {
		return nil, err
	}
	if !rm.Internals {
		return []Run{}, nil
	}
	rows, err := q.Query(ctx, selectRun+` WHERE r.room_id = ? ORDER BY r.id DESC LIMIT 200`, roomID)
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, scanRun)
	if out == nil {
		out = []Run{}
	}
	return out, err
}

// Runs lists a drill's runs across the rooms who reads the internals of
// (BSSN: all of them), with their scores.
func Runs(ctx context.Context, q store.Querier, who auth.Principal, drillID int64) ([]Run, error) {
	rows, err := q.Query(ctx, selectRun+` WHERE r.drill_id = ? ORDER BY r.id`, drillID)
	if err != nil {
		return nil, err
	}
	all, err := store.Collect(rows, scanRun)
	if err != nil {
		return nil, err
	}
	out := []Run{}
	for _, r := range all {
		if rm, err := room.Get(ctx, q, who, r.RoomID); err == nil && rm.Internals {
			out = append(out, r)
		} else if err != nil && !problem.Is(err, problem.NotFound) {
			return nil, err
		}
	}
	return out, nil
}

// Alerts lists a run's alerts raised by now (a run replayed at the
// traffic's pace raises them one by one).
func Alerts(ctx context.Context, q store.Querier, who auth.Principal, runID int64, now time.Time) ([]Alert, error) {
	if _, err := readable(ctx, q, who, runID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT a.id, a.run_id, a.scenario, a.title, a.severity, a.technique, a.source_ip, a.event_count, a.first_seen, a.status,
		a.acked_at, COALESCE(a.incident_id, 0), COALESCE(i.human_id, '')
		FROM drill_alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.run_id = ? AND (a.raised_at IS NULL OR a.raised_at <= ?)
		ORDER BY a.id`, runID, now.UTC())
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, func(s store.Scanner) (Alert, error) {
		a := Alert{Drill: true}
		return a, s.Scan(&a.ID, &a.RunID, &a.Scenario, &a.Title, &a.Severity, &a.Technique, &a.SourceIP, &a.Count, &a.FirstSeen, &a.Status,
			&a.AckedAt, &a.IncidentID, &a.Incident)
	})
	if out == nil {
		out = []Alert{}
	}
	return out, err
}

// working returns a running run that who works: one who reads the room's
// internals with the operation room's role (package room's ShiftLog).
func working(ctx context.Context, q store.Querier, who auth.Principal, runID int64) (Run, error) {
	r, err := readable(ctx, q, who, runID)
	if err != nil {
		return Run{}, err
	}
	if !who.Can(policy.ShiftLog) {
		return Run{}, problem.New(problem.Forbidden, "your role does not work an operation room")
	}
	if r.Status != Running {
		return Run{}, problem.New(problem.Conflict, "drill run %d is %s, not running", runID, r.Status)
	}
	return r, nil
}

// Acknowledge marks one of a run's alerts acknowledged; the run's time to
// acknowledge is its first.
func Acknowledge(ctx context.Context, db *store.DB, who auth.Principal, runID, alertID int64, now time.Time) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := working(ctx, tx, who, runID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE drill_alerts SET status = 'acknowledged', acked_at = ?, acked_by = ? WHERE id = ? AND run_id = ? AND status = 'new' AND `+visibleNow,
			now.UTC(), who.User.ID, alertID, runID, now.UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no unacknowledged alert %d in drill run %d", alertID, runID)
		}
		if _, err := tx.Exec(ctx, `UPDATE drill_runs SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL`, now.UTC(), who.User.ID, runID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.acknowledge", RunKind, runID, map[string]any{"alert": alertID})
	})
}

// Escalate records the run's escalation to a level (province, national).
func Escalate(ctx context.Context, db *store.DB, who auth.Principal, runID int64, level string, now time.Time) error {
	if level != room.Province && level != room.National {
		return problem.Field("level", "must be province or national")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := working(ctx, tx, who, runID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE drill_runs SET escalated_at = ?, escalated_to = ?, escalated_by = ? WHERE id = ? AND escalated_at IS NULL`,
			now.UTC(), level, who.User.ID, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "drill run %d is already escalated", runID)
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.escalate", RunKind, runID, map[string]any{"level": level})
	})
}

// Report records the room's report of the drill.
func Report(ctx context.Context, db *store.DB, who auth.Principal, runID int64, text string, now time.Time) error {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 20000 {
		return problem.Field("report", "needs 1-20000 characters")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := working(ctx, tx, who, runID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE drill_runs SET reported_at = ?, report = ?, reported_by = ? WHERE id = ? AND reported_at IS NULL`,
			now.UTC(), text, who.User.ID, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "drill run %d is already reported", runID)
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.report", RunKind, runID, nil)
	})
}

// Finish ends a running run (BSSN, or the platform when its time is up):
// it is scored, each person who took part gets a training record, and the
// room's readiness is brought up to date (last drill, trained staff).
func Finish(ctx context.Context, db *store.DB, who auth.Principal, runID int64, now time.Time) (Run, error) {
	if err := mayRun(ctx, db, who); err != nil {
		return Run{}, err
	}
	return finish(ctx, db, who.Actor(), runID, now)
}

func finish(ctx context.Context, db *store.DB, actor audit.Actor, runID int64, now time.Time) (Run, error) {
	var out Run
	err := db.InTx(ctx, func(tx *store.Tx) error {
		r, err := scanRun(tx.QueryRow(ctx, selectRun+` WHERE r.id = ?`, runID))
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no drill run %d", runID)
		} else if err != nil {
			return err
		}
		if r.Status != Running {
			return problem.New(problem.Conflict, "drill run %d is %s, not running", runID, r.Status)
		}
		// An escalation on the incident desk (the run's drill incidents)
		// is the room's escalation; the run's own record is for a room
		// that opened no incident.
		if at, level, ok, err := incidentEscalation(ctx, tx, runID, r.ExpectLevel); err != nil {
			return err
		} else if ok {
			r.EscalatedAt, r.EscalatedTo = &at, level
		}
		// Acknowledging is timed from the first alert the room could see.
		var first *time.Time
		if err := tx.QueryRow(ctx, `SELECT raised_at FROM drill_alerts WHERE run_id = ? AND raised_at IS NOT NULL ORDER BY raised_at LIMIT 1`, runID).
			Scan(&first); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sc := ScoreOf(*r.StartedAt, first, r.AckedAt, r.EscalatedAt, r.EscalatedTo, r.ExpectLevel, r.ReportedAt)
		detail, _ := json.Marshal(sc)
		if _, err := tx.Exec(ctx, `UPDATE drill_runs SET status = ?, finished_at = ?, score = ?, score_detail = ?,
			escalated_at = ?, escalated_to = ? WHERE id = ?`,
			Finished, now.UTC(), sc.Total, string(detail), r.EscalatedAt, r.EscalatedTo, runID); err != nil {
			return err
		}
		// Who took part: acknowledged an alert, escalated or reported.
		rows, err := tx.Query(ctx, `SELECT acked_by FROM drill_alerts WHERE run_id = ? AND acked_by IS NOT NULL
			UNION SELECT acked_by FROM drill_runs WHERE id = ? AND acked_by IS NOT NULL
			UNION SELECT escalated_by FROM drill_runs WHERE id = ? AND escalated_by IS NOT NULL
			UNION SELECT reported_by FROM drill_runs WHERE id = ? AND reported_by IS NOT NULL
			UNION SELECT t.actor_id FROM incident_timeline t JOIN incidents i ON i.id = t.incident_id
				WHERE i.drill_run_id = ? AND t.actor_id IN (SELECT user_id FROM room_members WHERE room_id = ?)`, runID, runID, runID, runID, runID, r.RoomID)
		if err != nil {
			return err
		}
		people, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
			var id int64
			return id, s.Scan(&id)
		})
		if err != nil {
			return err
		}
		for _, uid := range people {
			if _, err := tx.Exec(ctx, `INSERT INTO training_records (user_id, run_id, kind, title, trained_by, score, at) VALUES (?, ?, 'drill', ?, 'bssn', ?, ?)`,
				uid, runID, r.Drill, sc.Total, now.UTC()); err != nil {
				return err
			}
		}
		if err := updateReadiness(ctx, tx, r.RoomID, &now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "drill.finish", RunKind, runID, sc); err != nil {
			return err
		}
		r.Status, r.FinishedAt, r.Score = Finished, &now, &sc
		out = r
		return nil
	})
	return out, err
}

// updateReadiness counts the room's members with a training record, and
// moves its last drill forward.
func updateReadiness(ctx context.Context, tx *store.Tx, roomID int64, drillAt *time.Time) error {
	var trained int
	if err := tx.QueryRow(ctx, `SELECT COUNT(DISTINCT m.user_id) FROM room_members m
		WHERE m.room_id = ? AND EXISTS (SELECT 1 FROM training_records t WHERE t.user_id = m.user_id)`, roomID).Scan(&trained); err != nil {
		return err
	}
	if drillAt != nil {
		_, err := tx.Exec(ctx, `UPDATE rooms SET staff_trained = ?, last_drill_at = ? WHERE id = ?`, trained, drillAt.UTC(), roomID)
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE rooms SET staff_trained = ? WHERE id = ?`, trained, roomID)
	return err
}

// Training is one line of a person's training record.
type Training struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	RunID     *int64    `json:"run_id,omitempty"`
	Kind      string    `json:"kind"` // drill, course
	Title     string    `json:"title"`
	TrainedBy string    `json:"trained_by"`
	Score     *int64    `json:"score,omitempty"`
	At        time.Time `json:"at"`
}

// RecordCourse records that BSSN trained a person (a course, not a drill)
// and counts them in their rooms' readiness.
func RecordCourse(ctx context.Context, db *store.DB, who auth.Principal, username, title string, at time.Time) (Training, error) {
	if err := mayRun(ctx, db, who); err != nil {
		return Training{}, err
	}
	title = strings.TrimSpace(title)
	if title == "" || len(title) > 200 {
		return Training{}, problem.Field("title", "needs 1-200 characters")
	}
	u, err := auth.UserByName(ctx, db, username)
	if errors.Is(err, store.ErrNotFound) {
		return Training{}, problem.Field("username", "no user %q", username)
	} else if err != nil {
		return Training{}, err
	}
	t := Training{UserID: u.ID, Username: u.Username, Kind: "course", Title: title, TrainedBy: "bssn", At: at.UTC()}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO training_records (user_id, kind, title, trained_by, at) VALUES (?, 'course', ?, 'bssn', ?) RETURNING id`,
			u.ID, title, t.At).Scan(&t.ID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT room_id FROM room_members WHERE user_id = ?`, u.ID)
		if err != nil {
			return err
		}
		rooms, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
			var id int64
			return id, s.Scan(&id)
		})
		if err != nil {
			return err
		}
		for _, rid := range rooms {
			if err := updateReadiness(ctx, tx, rid, nil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.training", "user", u.ID, map[string]any{"title": title})
	})
	return t, err
}

// TrainingOf lists a person's training record: for the person, BSSN, and
// those whose scope contains the person's.
func TrainingOf(ctx context.Context, q store.Querier, who auth.Principal, username string) ([]Training, error) {
	u, err := auth.UserByName(ctx, q, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.New(problem.NotFound, "no user %q", username)
	} else if err != nil {
		return nil, err
	}
	if u.ID != who.User.ID && !scopeContains(who.Viewer.Scope, u.Scope) {
		return nil, problem.New(problem.NotFound, "no user %q", username)
	}
	rows, err := q.Query(ctx, `SELECT t.id, t.user_id, u.username, t.run_id, t.kind, t.title, t.trained_by, t.score, t.at
		FROM training_records t JOIN users u ON u.id = t.user_id WHERE t.user_id = ? ORDER BY t.at, t.id`, u.ID)
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, func(s store.Scanner) (Training, error) {
		var t Training
		return t, s.Scan(&t.ID, &t.UserID, &t.Username, &t.RunID, &t.Kind, &t.Title, &t.TrainedBy, &t.Score, &t.At)
	})
	if out == nil {
		out = []Training{}
	}
	return out, err
}

func scopeContains(scope, inner string) bool {
	return scope == "" || inner == scope || strings.HasPrefix(inner, scope+".")
}
