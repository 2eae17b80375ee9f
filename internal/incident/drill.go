package incident

import (
	"context"
	"errors"
	"fmt"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// Drill incidents: a room in a drill (package drill) promotes a drill's
// alert to an incident and works it through the desk as a real one (edit,
// comment, tasks, escalation), so that the drill measures the desk itself.
// Such an incident carries its run (drill_run_id) and its own numbering
// (LAT-2024-000001: the real INC- numbers keep no gaps), and it stays out
// of everything real: lists, counts, the map, the wall, the daily report,
// the roll-ups, the notifier (no inbox, e-mail or webhook), links with
// real incidents. Only those who read the run's room's internals (its
// members, those above it, BSSN's trainers) read it, and then only as the
// incident policy also allows.

// DrillHumanID formats the human id of a year's n-th drill incident.
func DrillHumanID(year int, n int64) string { return fmt.Sprintf("LAT-%04d-%06d", year, n) }

// drillSeqYear is the incident_seq key of a year's drill numbering: the
// year negated, which no real year takes. Drill incidents store their
// number negated too, so (year, seq) stays unique beside the real ones.
func drillSeqYear(year int) int { return -year }

// mayReadDrill reports whether who reads the room of drill run runID.
func mayReadDrill(ctx context.Context, q store.Querier, who auth.Principal, runID int64) (bool, error) {
	var roomID int64
	err := q.QueryRow(ctx, `SELECT room_id FROM drill_runs WHERE id = ?`, runID).Scan(&roomID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	rm, err := room.Get(ctx, q, who, roomID)
	if problem.Is(err, problem.NotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return rm.Internals, nil
}

// trainer reports whether who is one of BSSN's trainers: a coordinator or
// administrator of the national room's organisation with the national
// scope (package drill's rule for who runs drills). Trainers read every
// drill incident, escalated or not: they watch and score the exercise.
func trainer(ctx context.Context, q store.Querier, who auth.Principal) (bool, error) {
	role := policy.Role(who.User.Role)
	if who.Viewer.Scope != "" || (role != policy.RoleCoordinator && role != policy.RoleAdmin) {
		return false, nil
	}
	var nat int64
	err := q.QueryRow(ctx, `SELECT org_id FROM rooms WHERE level = ?`, room.National).Scan(&nat)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && nat == who.Viewer.OrgID, err
}

// CreateDrill opens a drill incident for run runID: Create's rules, its
// visibility and defaults, with the incident marked as the run's and
// numbered apart. in must not name real alerts (a drill's alerts are not
// in the alerts table); then, in the incident's transaction, runs with
// the new incident (the drill package marks its alerts promoted there).
func CreateDrill(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, runID int64, in Input, then func(*store.Tx, Incident) error) (Incident, error) {
	if runID <= 0 {
		return Incident{}, problem.New(problem.NotFound, "no drill run %d", runID)
	}
	if len(in.AlertIDs) > 0 {
		return Incident{}, problem.Field("alert_ids", "a drill incident holds the drill's alerts, not real ones")
	}
	return create(ctx, db, who, tree, in, runID, then)
}
