package notify

import (
	"context"

	"github.com/garda-id/garda/internal/store"
)

// RoomPosture is the inbox event of an operation room's posture switch.
const RoomPosture = "room.posture"

// TellRoom puts an entry about room roomID in the inboxes of userIDs (its
// members); actor is what the entry says beside the event (the new
// posture). An entry stays visible to its recipient while they are on the
// room's staff (entryVisible).
func (n *Notifier) TellRoom(ctx context.Context, roomID int64, userIDs []int64, event, actor string) error {
	now := store.Now()
	return n.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range userIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, room_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
				id, roomID, event, actor, now); err != nil {
				return err
			}
		}
		return nil
	})
}
