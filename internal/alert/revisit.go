package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Revision is one open alert's priority moved by a phase beginning or
// ending.
type Revision struct {
	ID         int64     `json:"id"`
	Severity   string    `json:"severity"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	FromReason string    `json:"from_reason,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Region     string    `json:"region"`
	AssetID    int64     `json:"asset_id"`
	At         time.Time `json:"at"`
}

// RevisitPriorities applies the raise-time rule (PhasePriority) at now to
// the alerts nobody has taken up yet (status new): one on an asset that
// matters in a phase running now in its region's zone rises, one raised by
// a phase that has ended goes back to its severity (or to another running
// phase's reason). Acknowledged and closed alerts keep what they had: a
// person has already weighed them. Each change is a conditional update on
// what was read, audited as the system's (alert.priority), so two
// instances running it at once change an alert once.
func RevisitPriorities(ctx context.Context, db *store.DB, cal *calendar.Calendar, now time.Time) ([]Revision, error) {
	// The assets that matter now in some zone: only their alerts can rise.
	rows, err := db.Query(ctx, `SELECT id, name, phases, systems FROM assets`)
	if err != nil {
		return nil, fmt.Errorf("revisit priorities: assets: %w", err)
	}
	type assetTags struct {
		name string
		tags []string
	}
	assets := map[int64]assetTags{}
	var candidates []any
	_, err = store.Collect(rows, func(s store.Scanner) (struct{}, error) {
		var id int64
		var name, phases, systems string
		if err := s.Scan(&id, &name, &phases, &systems); err != nil {
			return struct{}{}, err
		}
		var ph, sy []string
		json.Unmarshal([]byte(phases), &ph)
		json.Unmarshal([]byte(systems), &sy)
		at := assetTags{name: name, tags: append(ph, sy...)}
		assets[id] = at
		for _, tz := range calendar.Zones {
			if _, _, ok := cal.Critical(now, tz, at.name, at.tags); ok {
				candidates = append(candidates, id)
				break
			}
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("revisit priorities: assets: %w", err)
	}

	// The new alerts a phase raised (they may fall) and those on the
	// assets that matter now (they may rise), read in chunks of assets.
	type open struct {
		id               int64
		severity, region string
		priority, reason string
		assetID          int64
	}
	var alerts []open
	read := func(cond string, args ...any) error {
		rows, err := db.Query(ctx, `SELECT id, severity, region, priority, priority_reason, COALESCE(asset_id, 0) FROM alerts
			WHERE status = ? AND `+cond+` ORDER BY id`, append([]any{string(New)}, args...)...)
		if err != nil {
			return err
		}
		got, err := store.Collect(rows, func(s store.Scanner) (open, error) {
			var o open
			return o, s.Scan(&o.id, &o.severity, &o.region, &o.priority, &o.reason, &o.assetID)
		})
		alerts = append(alerts, got...)
		return err
	}
	if err := read(`priority_reason <> ''`); err != nil {
		return nil, fmt.Errorf("revisit priorities: raised alerts: %w", err)
	}
	for len(candidates) > 0 {
		chunk := candidates[:min(len(candidates), 500)]
		candidates = candidates[len(chunk):]
		if err := read(`priority_reason = '' AND asset_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, chunk...); err != nil {
			return nil, fmt.Errorf("revisit priorities: alerts on critical assets: %w", err)
		}
	}

	var out []Revision
	for _, o := range alerts {
		at, ok := assets[o.assetID]
		if !ok {
			continue
		}
		if o.priority == "" { // raised before priorities were kept
			o.priority = o.severity
		}
		to, reason := PhasePriority(cal, o.severity, now, o.region, at.name, at.tags)
		if to == o.priority && reason == o.reason {
			continue
		}
		rv := Revision{ID: o.id, Severity: o.severity, From: o.priority, To: to, FromReason: o.reason, Reason: reason,
			Region: o.region, AssetID: o.assetID, At: now}
		won := false
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE alerts SET priority = ?, priority_reason = ?, updated_at = ?
				WHERE id = ? AND status = ? AND priority_reason = ?`, to, reason, store.Now(), o.id, string(New), o.reason)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // taken up meanwhile, or another instance revised it
			}
			won = true
			return audit.Record(ctx, tx, audit.System, "alert.priority", RecordKind, o.id, rv)
		})
		if err != nil {
			return out, fmt.Errorf("revisit priority of alert %d: %w", o.id, err)
		}
		if won {
			out = append(out, rv)
		}
	}
	return out, nil
}

// PriorityJob is the scheduled job that revisits open alerts' priorities:
// due at the next phase boundary in any of Indonesia's zones, and at least
// every ten minutes (a coordinator may have entered a phase since), like
// the rooms' posture switch. The schedule runs it on one instance; the
// live views are told of each alert it moved.
func PriorityJob(db *store.DB, b *bus.Bus, now func() time.Time, log *slog.Logger) schedule.Job {
	if now == nil {
		now = time.Now
	}
	return schedule.Job{
		Name: "alert-priority",
		Due:  calendar.DueAtBoundary,
		Run: func(ctx context.Context) error {
			cal, err := calendar.Load(ctx, db)
			if err != nil {
				return err
			}
			rv, err := RevisitPriorities(ctx, db, cal, now().UTC())
			if len(rv) > 0 {
				ids := make([]int64, len(rv))
				for i, r := range rv {
					ids[i] = r.ID
				}
				Notify(ctx, b, log, ids...)
				if log != nil {
					log.Info("alert priorities revisited", "alerts", len(rv))
				}
			}
			return err
		},
	}
}
