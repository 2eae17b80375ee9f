package drill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Shown is how far a room's drills have shown themselves at a moment: a
// drill alert is revealed when its raised_at comes, with no write then, so
// a live view learns of it by asking again (the room's drill stream). It
// says nothing of the alerts themselves.
type Shown struct {
	Scheduled, Running int // the room's runs not yet started, and running
	Alerts             int // of the running ones' alerts, revealed so far
	New                int // of those, not yet acknowledged
	// Last is the latest raise moment revealed (zero when none): the
	// stream's position, which a returning browser sends back.
	Last time.Time
}

// Same says whether o shows what sh shows.
func (sh Shown) Same(o Shown) bool {
	return sh.Scheduled == o.Scheduled && sh.Running == o.Running &&
		sh.Alerts == o.Alerts && sh.New == o.New && sh.Last.Equal(o.Last)
}

// ShownIn reads what the room's running drills show at now. The caller has
// already decided that its reader reads the room's internals.
func ShownIn(ctx context.Context, q store.Querier, roomID int64, now time.Time) (Shown, error) {
	var sh Shown
	now = now.UTC()
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) FROM drill_runs WHERE room_id = ?`,
		Scheduled, Running, roomID).Scan(&sh.Scheduled, &sh.Running); err != nil {
		return sh, fmt.Errorf("drill runs in room %d: %w", roomID, err)
	}
	if sh.Running == 0 {
		return sh, nil
	}
	if err := q.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.status = 'new' THEN 1 ELSE 0 END), 0)
		FROM drill_alerts a JOIN drill_runs r ON r.id = a.run_id
		WHERE r.room_id = ? AND r.status = ? AND (a.raised_at IS NULL OR a.raised_at <= ?)`, roomID, Running, now).Scan(&sh.Alerts, &sh.New); err != nil {
		return sh, fmt.Errorf("drill alerts shown in room %d: %w", roomID, err)
	}
	if sh.Alerts == 0 {
		return sh, nil
	}
	// An alert without raise moment (stored before they were kept) counts
	// from its run's start.
	var raised, started *time.Time
	err := q.QueryRow(ctx, `SELECT a.raised_at, r.started_at FROM drill_alerts a JOIN drill_runs r ON r.id = a.run_id
		WHERE r.room_id = ? AND r.status = ? AND (a.raised_at IS NULL OR a.raised_at <= ?)
		ORDER BY CASE WHEN a.raised_at IS NULL THEN 1 ELSE 0 END, a.raised_at DESC LIMIT 1`, roomID, Running, now).Scan(&raised, &started)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return sh, fmt.Errorf("drill alerts shown in room %d: %w", roomID, err)
	}
	switch {
	case raised != nil:
		sh.Last = raised.UTC()
	case started != nil:
		sh.Last = started.UTC()
	}
	return sh, nil
}
