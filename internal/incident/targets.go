package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Target is one severity's response targets, in minutes, as the API and
// the settings page show them.
type Target struct {
	Severity             string `json:"severity"`
	FirstResponseMinutes int64  `json:"first_response_minutes"`
	ContainmentMinutes   int64  `json:"containment_minutes"`
}

// maxTargetMinutes bounds a target: 30 days.
const maxTargetMinutes = 30 * 24 * 60

// LoadTargets reads the response targets in force: DefaultTargets with the
// task force's settings over them.
func LoadTargets(ctx context.Context, q store.Querier) (Targets, error) {
	out := Targets{}
	for sev, t := range DefaultTargets {
		out[sev] = t
	}
	rows, err := q.Query(ctx, `SELECT severity, first_response_min, containment_min FROM response_targets`)
	if err != nil {
		return nil, fmt.Errorf("response targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sev string
		var first, contain int64
		if err := rows.Scan(&sev, &first, &contain); err != nil {
			return nil, err
		}
		out[sev] = struct{ FirstResponse, Containment time.Duration }{time.Duration(first) * time.Minute, time.Duration(contain) * time.Minute}
	}
	return out, rows.Err()
}

// List gives the targets in severity order, for people.
func (t Targets) List() []Target {
	var out []Target
	for _, sev := range slices.Backward(Severities) {
		out = append(out, Target{Severity: sev, FirstResponseMinutes: int64(t[sev].FirstResponse / time.Minute),
			ContainmentMinutes: int64(t[sev].Containment / time.Minute)})
	}
	return out
}

// SetTargets changes response targets: national settings (they time every
// incident in the country), so only a national administrator does it
// (policy.ManagesNational), audited with the old and new values. Every
// target is checked before any is stored.
func SetTargets(ctx context.Context, db *store.DB, who auth.Principal, in []Target) (Targets, error) {
	if !policy.ManagesNational(who.Viewer) {
		return nil, problem.New(problem.Forbidden, "response targets are national settings: only a national administrator changes them")
	}
	if len(in) == 0 {
		return nil, problem.Field("items", "send at least one severity's targets")
	}
	seen := map[string]bool{}
	for _, t := range in {
		switch {
		case !slices.Contains(Severities, t.Severity):
			return nil, problem.Field("severity", "unknown severity %q (low, medium, high or critical)", t.Severity)
		case seen[t.Severity]:
			return nil, problem.Field("severity", "%s is given twice", t.Severity)
		case t.FirstResponseMinutes < 1 || t.FirstResponseMinutes > maxTargetMinutes:
			return nil, problem.Field("first_response_minutes", "%s: first response from 1 minute to %d (30 days)", t.Severity, maxTargetMinutes)
		case t.ContainmentMinutes < t.FirstResponseMinutes || t.ContainmentMinutes > maxTargetMinutes:
			return nil, problem.Field("containment_minutes", "%s: containment from the first response's %d minutes to %d (30 days)", t.Severity, t.FirstResponseMinutes, maxTargetMinutes)
		}
		seen[t.Severity] = true
	}
	var out Targets
	err := db.InTx(ctx, func(tx *store.Tx) error {
		old, err := LoadTargets(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		changes := map[string]any{}
		for _, t := range in {
			if _, err := tx.Exec(ctx, `INSERT INTO response_targets (severity, first_response_min, containment_min, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (severity) DO UPDATE SET first_response_min = excluded.first_response_min, containment_min = excluded.containment_min,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				t.Severity, t.FirstResponseMinutes, t.ContainmentMinutes, who.User.ID, now); err != nil {
				return fmt.Errorf("store response target %s: %w", t.Severity, err)
			}
			was := old[t.Severity]
			if from, to := fmt.Sprintf("%d/%d min", was.FirstResponse/time.Minute, was.Containment/time.Minute),
				fmt.Sprintf("%d/%d min", t.FirstResponseMinutes, t.ContainmentMinutes); from != to {
				changes[t.Severity] = Change{From: from, To: to}
			}
		}
		if len(changes) > 0 { // a form saved as it was changes nothing to audit
			if err := audit.Record(ctx, tx, who.Actor(), "settings.response_targets", "settings", "response_targets", changes); err != nil {
				return err
			}
		}
		out, err = LoadTargets(ctx, tx)
		return err
	})
	return out, err
}
