// Package shift runs the operation rooms' shifts (package room holds the
// rooms): three a day, pagi, siang and malam, at start times each room may
// set in its own time zone; who is on (the roster) and who checked in and
// out; the staffing minimum the room's posture asks for (package calendar)
// and whether the shift falls short of it; the handover that lists by
// itself what the next shift must take over, signed off by the incoming
// shift; the early-detection checklist; and the situation report each
// shift sends to the room above (regency -> province -> national), flagged
// to that room when late.
//
// Who reads a room's shifts, handovers and reports is who reads the room's
// internals (package room): its members, the organisations that run it and
// those above them, BSSN, and people scoped inside its province. A room the
// reader may not see is "not found". The package never decides what an
// alert, incident or finding is: it counts and lists them through their
// own tables under the reader's visibility (policy.ReadFilter), and a
// report sent upward names no RED item.
package shift

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names shifts in the audit log.
const RecordKind = "shift"

// The three shifts of a day, in order.
const (
	Pagi  = "pagi"
	Siang = "siang"
	Malam = "malam"
)

// Slots are the shifts of a day in order.
var Slots = []string{Pagi, Siang, Malam}

// DefaultTimes are the start times of a room that set none.
var DefaultTimes = Times{Pagi: "07:00", Siang: "15:00", Malam: "23:00"}

// Times are a room's shift start times, HH:MM in its time zone. Each shift
// ends when the next starts; malam ends at the next day's pagi.
type Times map[string]string

func minutes(hhmm string) (int, bool) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil || len(hhmm) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Validate refuses times that are not HH:MM, or not in the order pagi,
// siang, malam within one day (malam may run past midnight).
func (t Times) Validate() error {
	prev := -1
	for _, s := range Slots {
		m, ok := minutes(t[s])
		if !ok {
			return problem.Field(s, "start time must be HH:MM")
		}
		if m <= prev {
			return problem.Field(s, "shifts must start in the order pagi, siang, malam within a day")
		}
		prev = m
	}
	return nil
}

// Key names a shift of a room: the local day it starts on and its slot.
type Key struct {
	Day  string `json:"day"` // YYYY-MM-DD
	Slot string `json:"slot"`
}

func (k Key) String() string { return k.Day + "/" + k.Slot }

// Window is a shift's key and when it runs.
type Window struct {
	Key
	Start time.Time `json:"starts_at"`
	End   time.Time `json:"ends_at"`
}

// start returns when slot starts on day in zone.
func (t Times) start(day time.Time, slot string, zone *time.Location) time.Time {
	m, _ := minutes(t[slot])
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, zone)
}

// window returns a shift's window.
func (t Times) window(k Key, zone *time.Location) (Window, error) {
	day, err := time.ParseInLocation(calendar.DateLayout, k.Day, zone)
	if err != nil {
		return Window{}, problem.Field("day", "must be YYYY-MM-DD")
	}
	i := slices.Index(Slots, k.Slot)
	if i < 0 {
		return Window{}, problem.Field("slot", "must be pagi, siang or malam")
	}
	w := Window{Key: k, Start: t.start(day, k.Slot, zone)}
	if i+1 < len(Slots) {
		w.End = t.start(day, Slots[i+1], zone)
	} else {
		w.End = t.start(day.AddDate(0, 0, 1), Slots[0], zone)
	}
	w.Start, w.End = w.Start.UTC(), w.End.UTC()
	return w, nil
}

// At returns the shift running at now in zone.
func (t Times) At(now time.Time, zone *time.Location) Window {
	local := now.In(zone)
	for _, d := range []time.Time{local, local.AddDate(0, 0, -1)} {
		for i := len(Slots) - 1; i >= 0; i-- {
			w, _ := t.window(Key{Day: d.Format(calendar.DateLayout), Slot: Slots[i]}, zone)
			if !now.Before(w.Start) && now.Before(w.End) {
				return w
			}
		}
	}
	// Unreachable with valid times: the three shifts cover the day.
	w, _ := t.window(Key{Day: local.Format(calendar.DateLayout), Slot: Pagi}, zone)
	return w
}

// Next returns the shift after w.
func (t Times) Next(w Window, zone *time.Location) Window {
	return t.At(w.End, zone)
}

// Prev returns the shift before w.
func (t Times) Prev(w Window, zone *time.Location) Window {
	return t.At(w.Start.Add(-time.Minute), zone)
}

// LoadTimes returns a room's shift times (DefaultTimes for those it has
// not set).
func LoadTimes(ctx context.Context, q store.Querier, roomID int64) (Times, error) {
	out := Times{}
	for k, v := range DefaultTimes {
		out[k] = v
	}
	rows, err := q.Query(ctx, `SELECT slot, starts FROM shift_times WHERE room_id = ?`, roomID)
	if err != nil {
		return nil, fmt.Errorf("shift times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slot, starts string
		if err := rows.Scan(&slot, &starts); err != nil {
			return nil, err
		}
		out[slot] = starts
	}
	return out, rows.Err()
}

// allTimes returns every room's times that differ from the defaults.
func allTimes(ctx context.Context, q store.Querier) (map[int64]Times, error) {
	rows, err := q.Query(ctx, `SELECT room_id, slot, starts FROM shift_times`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Times{}
	for rows.Next() {
		var id int64
		var slot, starts string
		if err := rows.Scan(&id, &slot, &starts); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = Times{}
			for k, v := range DefaultTimes {
				out[id][k] = v
			}
		}
		out[id][slot] = starts
	}
	return out, rows.Err()
}

func timesOf(all map[int64]Times, roomID int64) Times {
	if t, ok := all[roomID]; ok {
		return t
	}
	return DefaultTimes
}

// SetTimes changes a room's shift start times, by someone who works the
// room (ShiftLog) and reads its internals; audited.
func SetTimes(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, t Times) error {
	if _, err := writable(ctx, db, who, roomID); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for _, s := range Slots {
			if _, err := tx.Exec(ctx, `INSERT INTO shift_times (room_id, slot, starts) VALUES (?, ?, ?)
				ON CONFLICT (room_id, slot) DO UPDATE SET starts = excluded.starts`, roomID, s, t[s]); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.times", room.RecordKind, roomID, t)
	})
}

// readable returns the room if who reads its internals; a room outside
// who's scope is not found, one whose state only who sees is forbidden.
func readable(ctx context.Context, q store.Querier, who auth.Principal, roomID int64) (room.Room, error) {
	r, err := room.Get(ctx, q, who, roomID)
	if err != nil {
		return room.Room{}, err
	}
	if !r.Internals {
		return room.Room{}, problem.New(problem.Forbidden, "you may not read room %d's shifts", roomID)
	}
	return r, nil
}

// writable is readable, and who's role works operation rooms.
func writable(ctx context.Context, q store.Querier, who auth.Principal, roomID int64) (room.Room, error) {
	r, err := readable(ctx, q, who, roomID)
	if err != nil {
		return r, err
	}
	if !who.Can(policy.ShiftLog) {
		return room.Room{}, problem.New(problem.Forbidden, "your role (%s) does not work operation rooms", who.User.Role)
	}
	return r, nil
}

// Zone is a room's time zone.
func Zone(r room.Room) *time.Location { return calendar.ZoneOf(r.Region) }

// ensure returns the id of a room's shift, making its row if needed.
func ensure(ctx context.Context, q store.Querier, roomID int64, w Window) (int64, error) {
	if _, err := q.Exec(ctx, `INSERT INTO shifts (room_id, day, slot, starts_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_id, day, slot) DO NOTHING`, roomID, w.Day, w.Slot, w.Start, w.End, store.Now()); err != nil {
		return 0, fmt.Errorf("shift %s: %w", w.Key, err)
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM shifts WHERE room_id = ? AND day = ? AND slot = ?`, roomID, w.Day, w.Slot).Scan(&id)
	return id, err
}

// ID is a shift's name in URLs: "2024-02-10-pagi".
func (k Key) ID() string { return k.Day + "-" + k.Slot }

// ParseKey reads a shift's URL name ("2024-02-10-pagi") or the words "now"
// (the shift running at now), "next" and "prev" ("sekarang", "berikut",
// "sebelum").
func ParseKey(s string, t Times, zone *time.Location, now time.Time) (Window, error) {
	cur := t.At(now, zone)
	switch s {
	case "", "now", "sekarang":
		return cur, nil
	case "next", "berikut":
		return t.Next(cur, zone), nil
	case "prev", "sebelum":
		return t.Prev(cur, zone), nil
	}
	if len(s) < 12 || s[10] != '-' {
		return Window{}, problem.Field("shift", "must be YYYY-MM-DD-slot, now, next or prev")
	}
	return t.window(Key{Day: s[:10], Slot: s[11:]}, zone)
}
