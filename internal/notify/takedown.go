package notify

import (
	"context"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// TellTakedown puts an entry about takedown request id in the inboxes of
// userIDs (the issuing agency's people): its deadline nears or passed, or
// it climbed a warning stage (actor is then the stage's letter). An entry
// stays visible while its recipient may read the request (entryVisible).
func (n *Notifier) TellTakedown(ctx context.Context, id int64, userIDs []int64, event, actor string) error {
	now := store.Now()
	return n.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range userIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, takedown_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
				u, id, event, actor, now); err != nil {
				return err
			}
		}
		return nil
	})
}

var _ takedown.Teller = (*Notifier)(nil)

// TakedownOutbox carries takedown letters with the notifier's parts: its
// SMTP server (when configured) and its webhook signature.
func (n *Notifier) TakedownOutbox() *takedown.Outbox {
	o := &takedown.Outbox{From: n.SMTP.From, Sign: Sign}
	if n.SMTP.Addr != "" {
		o.Mail = n.SMTP.Send
	}
	return o
}
