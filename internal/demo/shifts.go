package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
)

// seedShifts gives the rooms a day of shift history, once: every room's
// running shift rostered and checked into; Jawa Barat's previous shift
// checked in, its checklist partly ticked, its notes written and handed
// over to the running shift (signed off by its coordinator) and its report
// sent to the national room; a third of the provinces sent their last
// report, a third the one before, a third none, so the roll-up map shows
// every report age; and the reports nobody sent are flagged late to the
// room above (Kabupaten Bandung's to Jawa Barat). It returns how many
// reports it sent.
func seedShifts(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM shifts`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	now := store.Now()
	// The rooms have been open for a day: their missed reports count.
	if _, err := db.Exec(ctx, `UPDATE rooms SET created_at = ? WHERE created_at > ?`, now.Add(-24*time.Hour), now.Add(-24*time.Hour)); err != nil {
		return 0, err
	}
	who := map[string]auth.Principal{}
	as := func(name string) (auth.Principal, error) {
		if p, ok := who[name]; ok {
			return p, nil
		}
		p, err := principal(ctx, db, tree, name)
		who[name] = p
		return p, err
	}
	at := func(t time.Time) time.Time { // never in the future
		if t.After(now) {
			return now
		}
		return t
	}
	ids := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT region, id FROM rooms`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var reg string
		var id int64
		if err := rows.Scan(&reg, &id); err != nil {
			rows.Close()
			return 0, err
		}
		ids[reg] = id
	}
	rows.Close()
	sent := 0
	// on rosters lead and members onto the shift w of a room and checks
	// them in five minutes after it began.
	on := func(roomID int64, w shift.Window, lead string, members ...string) error {
		p, err := as(lead)
		if err != nil {
			return err
		}
		if _, err := shift.SetRoster(ctx, db, p, roomID, w.ID(), shift.RosterInput{Lead: lead, Members: members}, at(w.Start.Add(time.Minute))); err != nil {
			return fmt.Errorf("roster %s: %w", w.ID(), err)
		}
		for _, name := range append([]string{lead}, members...) {
			q, err := as(name)
			if err != nil {
				return err
			}
			if _, err := shift.CheckIn(ctx, db, q, roomID, at(w.Start.Add(5*time.Minute))); err != nil {
				return fmt.Errorf("%s checks in to %s: %w", name, w.ID(), err)
			}
		}
		return nil
	}
	report := func(roomID int64, w shift.Window, lead, summary string, late time.Duration) error {
		p, err := as(lead)
		if err != nil {
			return err
		}
		if _, err := shift.SendReport(ctx, db, p, roomID, w.ID(), summary, at(w.End.Add(late)), nil); err != nil {
			return fmt.Errorf("%s sends %s: %w", lead, w.ID(), err)
		}
		sent++
		return nil
	}
	times := shift.DefaultTimes
	for i, pv := range region.Provinces() {
		zone := calendar.ZoneOf(pv.Code)
		cur := times.At(now, zone)
		prev := times.Prev(cur, zone)
		officer := "petugas." + provinceShort[pv.Code]
		if pv.Code == "32" {
			continue // below, by hand
		}
		switch i % 3 {
		case 0:
			if err := on(ids[pv.Code], prev, officer); err != nil {
				return sent, err
			}
			if err := report(ids[pv.Code], prev, officer, "Situasi aman; tidak ada kejadian menonjol.", 20*time.Minute); err != nil {
				return sent, err
			}
		case 1:
			before := times.Prev(prev, zone)
			if err := on(ids[pv.Code], before, officer); err != nil {
				return sent, err
			}
			if err := report(ids[pv.Code], before, officer, "Situasi aman; pemantauan berlanjut.", 40*time.Minute); err != nil {
				return sent, err
			}
		}
		if err := on(ids[pv.Code], cur, officer); err != nil {
			return sent, err
		}
	}
	// Jawa Barat: the previous shift, led by operator.jabar, hands over to
	// the running one, led by koordinator.jabar.
	zone := calendar.WIB
	cur := times.At(now, zone)
	prev := times.Prev(cur, zone)
	jabar := ids["32"]
	if err := on(jabar, prev, "operator.jabar"); err != nil {
		return sent, err
	}
	op, err := as("operator.jabar")
	if err != nil {
		return sent, err
	}
	for j, item := range []string{"situs", "antrean_peringatan", "antrean_patroli"} {
		if _, err := shift.Tick(ctx, db, op, jabar, item, "", prev.Start.Add(time.Duration(30+20*j)*time.Minute)); err != nil {
			return sent, fmt.Errorf("tick %s: %w", item, err)
		}
	}
	if _, err := shift.SetNotes(ctx, db, op, jabar, prev.ID(), "Percobaan login berulang ke portal KPU Jabar dari satu sumber; sudah diblokir, pantau bila muncul dari sumber lain. "+
		"Insiden perusakan tampilan situs masih dalam penanganan, tenggat kontainmen perlu dikejar.", prev.End.Add(-15*time.Minute)); err != nil {
		return sent, err
	}
	if err := on(jabar, cur, "koordinator.jabar", "petugas.jabar"); err != nil {
		return sent, err
	}
	koord, err := as("koordinator.jabar")
	if err != nil {
		return sent, err
	}
	if _, err := shift.SignOff(ctx, db, koord, jabar, prev.ID(), at(cur.Start.Add(10*time.Minute))); err != nil {
		return sent, fmt.Errorf("jabar handover: %w", err)
	}
	if _, err := shift.CheckOut(ctx, db, op, jabar, at(cur.Start.Add(12*time.Minute))); err != nil {
		return sent, err
	}
	if err := report(jabar, prev, "operator.jabar", "Satu percobaan login berulang ke portal KPU Jabar diblokir; insiden perusakan tampilan situs diserahkan ke sif berikutnya.", 20*time.Minute); err != nil {
		return sent, err
	}
	// The national room's running shift.
	if err := on(ids[""], times.At(now, zone), "koordinator.bssn", "analis.bssn"); err != nil {
		return sent, err
	}
	// Whatever was not sent is late by now: flagged to the room above.
	if _, err := shift.FlagLate(ctx, db, now, nil); err != nil {
		return sent, err
	}
	return sent, nil
}
