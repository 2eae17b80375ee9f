package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Promote opens a drill incident from some of a run's alerts, as the room
// would promote real ones: the incident desk's defaults (title from the
// attack class, source and region, category, highest severity), owned by
// the promoter's organisation, in the room's region, marked as the run's
// (package incident keeps it out of everything real). The alerts are
// acknowledged by it (the run's time to acknowledge counts it) and
// remember the incident. From then on the room works it on the incident
// desk: comments, tasks, a request for escalation, the coordinator's
// escalation, which the run's score reads.
func Promote(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, runID int64, alertIDs []int64, now time.Time) (incident.Incident, error) {
	if len(alertIDs) == 0 || len(alertIDs) > 100 {
		return incident.Incident{}, problem.Field("alert_ids", "name 1 to 100 of the drill's alerts")
	}
	r, err := working(ctx, db, who, runID)
	if err != nil {
		return incident.Incident{}, err
	}
	// What the desk derives an incident from, built from the drill's alerts.
	var as []alert.Alert
	for _, id := range slices.Compact(slices.Sorted(slices.Values(alertIDs))) {
		var a alert.Alert
		var promoted *int64
		err := db.QueryRow(ctx, `SELECT id, scenario, title, severity, technique, source_ip, first_seen, incident_id FROM drill_alerts
			WHERE id = ? AND run_id = ? AND `+visibleNow, id, runID, now.UTC()).
			Scan(&a.ID, &a.Scenario, &a.Title, &a.Severity, &a.Technique, &a.SourceIP, &a.FirstSeen, &promoted)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return incident.Incident{}, problem.Field("alert_ids", "no alert %d in drill run %d", id, runID)
			}
			return incident.Incident{}, err
		}
		if promoted != nil {
			return incident.Incident{}, problem.New(problem.Conflict, "drill alert %d was already promoted to an incident", id)
		}
		a.Region = r.Region
		as = append(as, a)
	}
	p := incident.FromAlerts(as)
	title, desc := truncate("LATIHAN — "+p.Title, 200), fmt.Sprintf("Insiden latihan dari diklat %q (run %d). Bukan kejadian nyata.", r.Drill, runID)
	reg, det := r.Region, p.DetectedAt
	if det.After(now) {
		det = now
	}
	in := incident.Input{Title: &title, Description: &desc, Category: &p.Category, Severity: &p.Severity, Region: &reg, DetectedAt: &det}
	return incident.CreateDrill(ctx, db, who, tree, runID, in, func(tx *store.Tx, inc incident.Incident) error {
		// Again inside the transaction: the run may have finished meanwhile.
		if _, err := working(ctx, tx, who, runID); err != nil {
			return err
		}
		ids := make([]any, 0, len(as))
		for _, a := range as {
			ids = append(ids, a.ID)
		}
		res, err := tx.Exec(ctx, `UPDATE drill_alerts SET incident_id = ? WHERE run_id = ? AND incident_id IS NULL AND id IN (`+store.In(len(ids))+`)`,
			append([]any{inc.ID, runID}, ids...)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); int(n) != len(ids) {
			return problem.New(problem.Conflict, "a drill alert was promoted meanwhile")
		}
		if _, err := tx.Exec(ctx, `UPDATE drill_alerts SET status = 'acknowledged', acked_at = ?, acked_by = ? WHERE run_id = ? AND status = 'new' AND id IN (`+store.In(len(ids))+`)`,
			append([]any{now.UTC(), who.User.ID, runID}, ids...)...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE drill_runs SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL`, now.UTC(), who.User.ID, runID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "drill.promote", RunKind, runID, map[string]any{"alerts": ids, "incident": inc.HumanID})
	})
}

// RunIncident is one of a run's drill incidents, as the run's pages show it.
type RunIncident struct {
	ID         int64     `json:"id"`
	HumanID    string    `json:"human_id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Status     string    `json:"status"`
	Escalation string    `json:"escalation,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Incidents lists a run's drill incidents, for those who read its room.
func Incidents(ctx context.Context, q store.Querier, who auth.Principal, runID int64) ([]RunIncident, error) {
	if _, err := readable(ctx, q, who, runID); err != nil {
		return nil, err
	}
	list, err := incident.List(ctx, q, who, incident.Filter{DrillRun: runID, Limit: 100})
	if err != nil {
		return nil, err
	}
	out := []RunIncident{}
	for _, i := range list {
		out = append(out, RunIncident{ID: i.ID, HumanID: i.HumanID, Title: i.Title, Severity: i.Severity, Status: string(i.Status),
			Escalation: i.Escalation, CreatedAt: i.CreatedAt})
	}
	return out, nil
}

// incidentEscalation is how the run's drill incidents were escalated on
// the incident desk: the first escalation that reached the expected level,
// else the highest level reached, with its moment; ok false when none was.
func incidentEscalation(ctx context.Context, q store.Querier, runID int64, expect string) (at time.Time, level string, ok bool, err error) {
	rows, err := q.Query(ctx, `SELECT t.at, t.changes FROM incident_timeline t JOIN incidents i ON i.id = t.incident_id
		WHERE i.drill_run_id = ? AND t.kind = 'escalated' ORDER BY t.at, t.id`, runID)
	if err != nil {
		return at, "", false, err
	}
	type esc struct {
		at time.Time
		to string
	}
	list, err := store.Collect(rows, func(s store.Scanner) (esc, error) {
		var e esc
		var changes string
		if err := s.Scan(&e.at, &changes); err != nil {
			return e, err
		}
		var c struct {
			Escalation struct {
				To string `json:"to"`
			} `json:"escalation"`
		}
		if err := json.Unmarshal([]byte(changes), &c); err != nil {
			return e, fmt.Errorf("drill run %d: escalation entry: %w", runID, err)
		}
		e.to = c.Escalation.To
		return e, nil
	})
	if err != nil || len(list) == 0 {
		return at, "", false, err
	}
	for _, e := range list {
		if e.to == expect {
			return e.at, e.to, true, nil
		}
	}
	best := list[0]
	for _, e := range list[1:] {
		if e.to == incident.EscalatedNational && best.to != incident.EscalatedNational {
			best = e
		}
	}
	return best.at, best.to, true, nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
