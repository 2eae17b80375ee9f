package finding

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Remediation clocks: every open finding with a deadline is a clock that
// the platform's notifier tells its owner about, once when it nears and
// once when it passes (package notify keeps which were told, in the
// clock_notices every deadline shares).
const (
	ClockNear   = "remediation_near"
	ClockMissed = "remediation_missed"
)

// NearBefore is how long before its deadline a finding's owner is warned.
const NearBefore = 3 * day

// DueClock is a remediation clock to tell about.
type DueClock struct {
	FindingID int64
	Clock     string // ClockNear or ClockMissed
	DueAt     time.Time
}

// DueClocks finds the open findings whose deadline is within near of now
// (ClockNear) or past (ClockMissed), for the notifier (no person's
// visibility: the notifier decides who is told). The deadline index serves
// it whatever the number of findings.
func DueClocks(ctx context.Context, q store.Querier, now time.Time, near time.Duration) ([]DueClock, error) {
	rows, err := q.Query(ctx, `SELECT id, due_at FROM findings WHERE status = ? AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id`,
		string(Open), now.Add(near))
	if err != nil {
		return nil, fmt.Errorf("findings due: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (DueClock, error) {
		var c DueClock
		if err := r.Scan(&c.FindingID, &c.DueAt); err != nil {
			return c, err
		}
		c.Clock = ClockNear
		if !c.DueAt.After(now) {
			c.Clock = ClockMissed
		}
		return c, nil
	})
}
