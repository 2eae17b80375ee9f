package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store"
)

// IncidentClockMissed is an inbox (and email) event: a deadline of an
// incident the recipient may read ran out.
const IncidentClockMissed = "incident.clock_missed"

// clockEvery is how often missed clocks are looked for.
const clockEvery = time.Minute

// NotifyMissedClocks tells the readers of each open incident about every
// clock of it that ran out, once per clock (several instances may run it:
// the notice row decides who tells). It returns how many clocks it told.
func (n *Notifier) NotifyMissedClocks(ctx context.Context, now time.Time) (int, error) {
	n.defaults()
	missed, err := incident.MissedClocks(ctx, n.DB, now)
	if err != nil {
		return 0, err
	}
	tree, err := n.tree(ctx)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, m := range missed {
		err := n.DB.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO clock_notices (incident_id, clock, notified_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				m.IncidentID, m.Clock, now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // told before
			}
			inc, err := incident.System(ctx, tx, m.IncidentID)
			if err != nil {
				return err
			}
			users, err := n.recipients(ctx, tree, inc.Record(), 0)
			if err != nil {
				return err
			}
			for _, u := range users {
				if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, incident_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
					u.ID, m.IncidentID, IncidentClockMissed, m.Clock, now); err != nil {
					return err
				}
			}
			told++
			return nil
		})
		if err != nil {
			return told, fmt.Errorf("tell missed clock %s of %s: %w", m.Clock, m.HumanID, err)
		}
	}
	return told, nil
}
