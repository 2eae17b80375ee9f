package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/finding"
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
			if first, err := claimNotice(ctx, tx, incident.RecordKind, m.IncidentID, m.Clock, now); err != nil || !first {
				return err // told before, or failed
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

// claimNotice records that a record's clock is being told, once: it is
// true for the one caller (of any instance) whose row went in.
func claimNotice(ctx context.Context, tx *store.Tx, kind string, id int64, clock string, now time.Time) (bool, error) {
	res, err := tx.Exec(ctx, `INSERT INTO clock_notices (kind, record_id, clock, notified_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		kind, id, clock, now)
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

// Finding deadline events (inbox): a finding's remediation deadline nears
// (finding.NearBefore ahead) or passed.
const (
	FindingDeadlineNear   = "finding.deadline_near"
	FindingDeadlineMissed = "finding.deadline_missed"
)

// NotifyFindingDeadlines reopens the risk acceptances that ran out, then
// tells the owner of each open finding whose remediation deadline nears or
// passed, once per finding and clock (the notice row decides who tells,
// as for incidents). The owner's users who may read the finding are told;
// BSSN and the province's room, which take part in every finding, follow
// them in their lists and are not told of each one. It returns how many
// clocks it told.
func (n *Notifier) NotifyFindingDeadlines(ctx context.Context, now time.Time) (int, error) {
	n.defaults()
	if _, err := finding.ExpireAcceptances(ctx, n.DB, now); err != nil {
		return 0, err
	}
	due, err := finding.DueClocks(ctx, n.DB, now, finding.NearBefore)
	if err != nil {
		return 0, err
	}
	tree, err := n.tree(ctx)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, d := range due {
		event := FindingDeadlineNear
		if d.Clock == finding.ClockMissed {
			event = FindingDeadlineMissed
		}
		err := n.DB.InTx(ctx, func(tx *store.Tx) error {
			if first, err := claimNotice(ctx, tx, finding.RecordKind, d.FindingID, d.Clock, now); err != nil || !first {
				return err // told before, or failed
			}
			f, err := finding.System(ctx, tx, d.FindingID)
			if err != nil {
				return err
			}
			owner := f.Record()
			owner.Orgs = nil // the owner's people; readable() still judges the whole record
			users, err := n.recipients(ctx, tree, owner, 0)
			if err != nil {
				return err
			}
			for _, u := range users {
				if !readable(u, tree, f.Record()) {
					continue
				}
				if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, finding_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
					u.ID, f.ID, event, d.Clock, now); err != nil {
					return err
				}
			}
			told++
			return nil
		})
		if err != nil {
			return told, fmt.Errorf("tell %s of finding %d: %w", d.Clock, d.FindingID, err)
		}
	}
	return told, nil
}
