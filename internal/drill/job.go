package drill

import (
	"context"
	"log/slog"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Length is how long a run stays open: a room that has not reported in a
// day has nothing more to score, and the platform finishes the run.
const Length = ReportNone

// Job is the scheduled work of drills, every minute on one instance:
// start the runs that are due (their traffic onto the bus's drills stream,
// for the drill detector), finish the ones whose day is over.
func Job(db *store.DB, b *bus.Bus, log *slog.Logger) schedule.Job {
	return schedule.Job{
		Name:  "drills",
		Every: time.Minute,
		Run: func(ctx context.Context) error {
			now := store.Now()
			n, err := RunDue(ctx, db, b, now)
			if n > 0 && log != nil {
				log.Info("drills started", "runs", n)
			}
			if err != nil {
				return err
			}
			_, err = FinishExpired(ctx, db, now)
			return err
		},
	}
}

// FinishExpired finishes, as the platform, the runs started a Length ago
// or more; it returns how many.
func FinishExpired(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	rows, err := db.Query(ctx, `SELECT id FROM drill_runs WHERE status = ? AND started_at <= ? ORDER BY id`, Running, now.Add(-Length).UTC())
	if err != nil {
		return 0, err
	}
	ids, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if _, err := finish(ctx, db, audit.System, id, now); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
