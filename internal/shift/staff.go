package shift

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// Person is someone on a shift.
type Person struct {
	UserID     int64      `json:"user_id"`
	Username   string     `json:"username"`
	Name       string     `json:"display_name"`
	Duty       string     `json:"duty"` // lead, member
	Rostered   bool       `json:"rostered"`
	CheckedIn  *time.Time `json:"checked_in_at,omitempty"`
	CheckedOut *time.Time `json:"checked_out_at,omitempty"`
}

// OnDuty reports whether the person is checked in and not out.
func (p Person) OnDuty() bool { return p.CheckedIn != nil && p.CheckedOut == nil }

// Shift is one shift of a room as a reader sees it.
type Shift struct {
	ID      int64            `json:"id,omitempty"` // 0: nothing recorded yet
	RoomID  int64            `json:"room_id"`
	Zone    string           `json:"time_zone"`
	Posture calendar.Posture `json:"posture"`
	Window
	Name     string     `json:"name"` // e.g. "2024-02-10-pagi", the URL's
	Staff    []Person   `json:"staff"`
	OnDuty   int        `json:"on_duty"`
	MinStaff int        `json:"min_staff"`
	Short    bool       `json:"short"` // running now, fewer on duty than the minimum
	Running  bool       `json:"running"`
	Notes    string     `json:"notes"`
	SignedBy string     `json:"handover_signed_by,omitempty"`
	SignedAt *time.Time `json:"handover_signed_at,omitempty"`
}

// Get returns a room's shift (see ParseKey for name) as who sees it.
func Get(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, name string, now time.Time) (Shift, error) {
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return Shift{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Shift{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Shift{}, err
	}
	return load(ctx, db, r, w, now)
}

// load reads a shift's row and staff; a shift without a row is empty.
func load(ctx context.Context, q store.Querier, r room.Room, w Window, now time.Time) (Shift, error) {
	s := Shift{RoomID: r.ID, Zone: Zone(r).String(), Posture: r.Posture, Window: w, Name: w.ID(), Staff: []Person{},
		MinStaff: r.MinStaff, Running: !now.Before(w.Start) && now.Before(w.End)}
	var signedBy *string
	err := q.QueryRow(ctx, `SELECT s.id, s.notes, u.username, s.signed_at FROM shifts s LEFT JOIN users u ON u.id = s.signed_by
		WHERE s.room_id = ? AND s.day = ? AND s.slot = ?`, r.ID, w.Day, w.Slot).Scan(&s.ID, &s.Notes, &signedBy, &s.SignedAt)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s, fmt.Errorf("shift %s: %w", w.Key, err)
	}
	if signedBy != nil {
		s.SignedBy = *signedBy
	}
	if s.ID != 0 {
		rows, err := q.Query(ctx, `SELECT u.id, u.username, u.display_name, st.duty, st.rostered, st.checked_in_at, st.checked_out_at
			FROM shift_staff st JOIN users u ON u.id = st.user_id WHERE st.shift_id = ? ORDER BY st.duty, u.username`, s.ID)
		if err != nil {
			return s, err
		}
		s.Staff, err = store.Collect(rows, func(sc store.Scanner) (Person, error) {
			var p Person
			return p, sc.Scan(&p.UserID, &p.Username, &p.Name, &p.Duty, &p.Rostered, &p.CheckedIn, &p.CheckedOut)
		})
		if err != nil {
			return s, err
		}
		if s.Staff == nil {
			s.Staff = []Person{}
		}
	}
	for _, p := range s.Staff {
		if p.OnDuty() {
			s.OnDuty++
		}
	}
	s.Short = s.Running && s.OnDuty < s.MinStaff
	return s, nil
}

// RosterInput names who is on a shift.
type RosterInput struct {
	Lead    string   `json:"lead"`    // username of the shift lead
	Members []string `json:"members"` // usernames
}

// SetRoster puts people on a shift ahead (the room's members only), by
// someone who works the room; people already checked in stay on it.
// Audited.
func SetRoster(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, name string, in RosterInput, now time.Time) (Shift, error) {
	r, err := writable(ctx, db, who, roomID)
	if err != nil {
		return Shift{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Shift{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Shift{}, err
	}
	if !w.End.After(now) {
		return Shift{}, problem.New(problem.Conflict, "shift %s is over", w.ID())
	}
	if len(in.Members) > 100 {
		return Shift{}, problem.Field("members", "at most 100")
	}
	members, err := room.MemberIDs(ctx, db, roomID)
	if err != nil {
		return Shift{}, err
	}
	type entry struct {
		id   int64
		duty string
	}
	var people []entry
	names := append([]string{}, in.Members...)
	if in.Lead != "" && !slices.Contains(names, in.Lead) {
		names = append(names, in.Lead)
	}
	for _, n := range names {
		u, err := auth.UserByName(ctx, db, n)
		if errors.Is(err, store.ErrNotFound) {
			return Shift{}, problem.Field("members", "no user %q", n)
		} else if err != nil {
			return Shift{}, err
		}
		if !slices.Contains(members, u.ID) {
			return Shift{}, problem.Field("members", "%s is not on the room's staff", n)
		}
		duty := "member"
		if n == in.Lead {
			duty = "lead"
		}
		people = append(people, entry{u.ID, duty})
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, w)
		if err != nil {
			return err
		}
		// Those rostered but not checked in leave the roster; the rest stay.
		if _, err := tx.Exec(ctx, `DELETE FROM shift_staff WHERE shift_id = ? AND checked_in_at IS NULL`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE shift_staff SET duty = 'member' WHERE shift_id = ?`, id); err != nil {
			return err
		}
		for _, p := range people {
			if _, err := tx.Exec(ctx, `INSERT INTO shift_staff (shift_id, user_id, duty, rostered) VALUES (?, ?, ?, 1)
				ON CONFLICT (shift_id, user_id) DO UPDATE SET duty = excluded.duty, rostered = 1`, id, p.id, p.duty); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.roster", RecordKind, id, map[string]any{"room_id": roomID, "shift": w.ID(), "lead": in.Lead, "members": in.Members})
	})
	if err != nil {
		return Shift{}, err
	}
	return load(ctx, db, r, w, now)
}

// CheckIn records who arriving for the shift running at now: a member of
// the room, rostered or not. Checking in twice is refused.
func CheckIn(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, now time.Time) (Shift, error) {
	r, w, err := ownShift(ctx, db, who, roomID, now)
	if err != nil {
		return Shift{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, w)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO shift_staff (shift_id, user_id, duty, rostered) VALUES (?, ?, 'member', 0)
			ON CONFLICT (shift_id, user_id) DO NOTHING`, id, who.User.ID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE shift_staff SET checked_in_at = ? WHERE shift_id = ? AND user_id = ? AND checked_in_at IS NULL`, now, id, who.User.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "you are already checked in to shift %s", w.ID())
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.check_in", RecordKind, id, map[string]any{"room_id": roomID, "shift": w.ID()})
	})
	if err != nil {
		return Shift{}, err
	}
	return load(ctx, db, r, w, now)
}

// CheckOut records who leaving the shift running at now (or the one just
// before it, for the last minutes of a handover).
func CheckOut(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, now time.Time) (Shift, error) {
	r, w, err := ownShift(ctx, db, who, roomID, now)
	if err != nil {
		return Shift{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Shift{}, err
	}
	for _, cand := range []Window{w, t.Prev(w, Zone(r))} {
		var done bool
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE shift_staff SET checked_out_at = ? WHERE user_id = ? AND checked_in_at IS NOT NULL AND checked_out_at IS NULL
				AND shift_id = (SELECT id FROM shifts WHERE room_id = ? AND day = ? AND slot = ?)`, now, who.User.ID, roomID, cand.Day, cand.Slot)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			done = true
			return audit.Record(ctx, tx, who.Actor(), "shift.check_out", RecordKind, roomID, map[string]any{"room_id": roomID, "shift": cand.ID()})
		})
		if err != nil {
			return Shift{}, err
		}
		if done {
			return load(ctx, db, r, cand, now)
		}
	}
	return Shift{}, problem.New(problem.Conflict, "you are not checked in to room %d", roomID)
}

// ownShift returns the room and the shift running at now, if who is on
// the room's staff.
func ownShift(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, now time.Time) (room.Room, Window, error) {
	r, err := writable(ctx, db, who, roomID)
	if err != nil {
		return r, Window{}, err
	}
	members, err := room.MemberIDs(ctx, db, roomID)
	if err != nil {
		return r, Window{}, err
	}
	if !slices.Contains(members, who.User.ID) {
		return r, Window{}, problem.New(problem.Forbidden, "you are not on room %d's staff", roomID)
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return r, Window{}, err
	}
	return r, t.At(now, Zone(r)), nil
}

// SetNotes records the outgoing shift's notes for the next, by someone on
// the shift (or who works the room) before the handover is signed.
func SetNotes(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, name, notes string, now time.Time) (Shift, error) {
	r, err := writable(ctx, db, who, roomID)
	if err != nil {
		return Shift{}, err
	}
	if len(notes) > 20000 {
		return Shift{}, problem.Field("notes", "at most 20,000 characters")
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Shift{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Shift{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, w)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE shifts SET notes = ? WHERE id = ? AND signed_at IS NULL`, notes, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "shift %s was handed over already", w.ID())
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.notes", RecordKind, id, map[string]any{"room_id": roomID, "shift": w.ID()})
	})
	if err != nil {
		return Shift{}, err
	}
	return load(ctx, db, r, w, now)
}
