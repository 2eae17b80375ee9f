package room

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Switch is one room's posture change.
type Switch struct {
	RoomID int64            `json:"room_id"`
	Region string           `json:"region"`
	Zone   string           `json:"time_zone"`
	From   calendar.Posture `json:"from"`
	To     calendar.Posture `json:"to"`
	Phase  string           `json:"phase,omitempty"` // election/phase that set it; "" none
	At     time.Time        `json:"at"`
}

// Teller tells a room's members of a switch (package notify's Notifier).
type Teller interface {
	TellRoom(ctx context.Context, roomID int64, userIDs []int64, event, actor string) error
}

// EventPosture is the inbox event of a posture switch.
const EventPosture = "room.posture"

// SwitchPostures brings every room to the posture cal gives at now in the
// room's own time zone, records each switch in the audit log as the
// system's, and tells the room's members (when tell is set). The update is
// conditional on the posture it read, so two instances running it at once
// switch a room once.
func SwitchPostures(ctx context.Context, db *store.DB, cal *calendar.Calendar, now time.Time, tell Teller) ([]Switch, error) {
	rows, err := db.Query(ctx, `SELECT id, region, posture FROM rooms ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read postures: %w", err)
	}
	type current struct {
		id      int64
		region  string
		posture calendar.Posture
	}
	rooms, err := store.Collect(rows, func(s store.Scanner) (current, error) {
		var c current
		return c, s.Scan(&c.id, &c.region, &c.posture)
	})
	if err != nil {
		return nil, err
	}
	var out []Switch
	for _, r := range rooms {
		tz := calendar.ZoneOf(r.region)
		want, phase := cal.PostureAt(now, tz)
		if want == r.posture {
			continue
		}
		sw := Switch{RoomID: r.id, Region: r.region, Zone: tz.String(), From: r.posture, To: want, Phase: phaseRef(phase), At: now}
		won := false
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE rooms SET posture = ?, posture_phase = ?, posture_since = ? WHERE id = ? AND posture = ?`,
				string(want), sw.Phase, now, r.id, string(r.posture))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another instance switched it
			}
			won = true
			return audit.Record(ctx, tx, audit.System, "room.posture", RecordKind, r.id, sw)
		})
		if err != nil {
			return out, fmt.Errorf("switch room %d: %w", r.id, err)
		}
		if !won {
			continue
		}
		out = append(out, sw)
		if tell != nil {
			ids, err := MemberIDs(ctx, db, r.id)
			if err == nil && len(ids) > 0 {
				err = tell.TellRoom(ctx, r.id, ids, EventPosture, string(want))
			}
			if err != nil {
				return out, fmt.Errorf("tell room %d: %w", r.id, err)
			}
		}
	}
	return out, nil
}

// PostureJob is the scheduled job that switches postures: due at the next
// phase boundary in any of Indonesia's zones, and at least every ten
// minutes (a coordinator may have entered a phase since, or every instance
// was down across a boundary). The schedule runs it on one instance.
func PostureJob(db *store.DB, tell Teller, now func() time.Time, log *slog.Logger) schedule.Job {
	if now == nil {
		now = time.Now
	}
	return schedule.Job{
		Name: "room-posture",
		Due:  calendar.DueAtBoundary,
		Run: func(ctx context.Context) error {
			cal, err := calendar.Load(ctx, db)
			if err != nil {
				return err
			}
			sw, err := SwitchPostures(ctx, db, cal, now().UTC(), tell)
			if len(sw) > 0 && log != nil {
				log.Info("postures switched", "rooms", len(sw), "to", sw[0].To, "phase", sw[0].Phase)
			}
			return err
		},
	}
}
