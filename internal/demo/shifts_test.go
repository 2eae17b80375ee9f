package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/store"
)

// checkShifts: the demo's rooms are on shift, Jawa Barat's previous
// shift was handed over and reported, the provinces' last reports differ in
// age, Bandung's missing report is flagged to Jawa Barat (seeding again
// adds no history: TestDemoWorld).
func checkShifts(t *testing.T, db *store.DB, w World) {
	ctx := context.Background()
	count := func(q string, args ...any) int {
		var n int
		if err := db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := store.Now()
	if n := count(`SELECT COUNT(DISTINCT s.room_id) FROM shifts s JOIN shift_staff st ON st.shift_id = s.id
		WHERE s.starts_at <= ? AND s.ends_at > ? AND st.checked_in_at IS NOT NULL AND st.checked_out_at IS NULL`, now, now); n != 39 {
		t.Errorf("%d rooms with someone on duty now, want 39", n)
	}
	if n := count(`SELECT COUNT(*) FROM shifts s JOIN rooms r ON r.id = s.room_id WHERE r.region = '32' AND s.signed_at IS NOT NULL AND s.notes <> ''`); n != 1 {
		t.Errorf("%d Jawa Barat shifts handed over with notes, want 1", n)
	}
	if w.ShiftReports < 25 || count(`SELECT COUNT(*) FROM shift_reports WHERE status = 'sent'`) != w.ShiftReports {
		t.Errorf("%d reports sent", w.ShiftReports)
	}
	if n := count(`SELECT COUNT(*) FROM rooms WHERE level = 'province' AND last_report_at IS NULL`); n < 8 || n > 20 {
		t.Errorf("%d provinces never reported; the map should show every age", n)
	}
	if n := count(`SELECT COUNT(*) FROM shift_reports sr JOIN rooms r ON r.id = sr.room_id JOIN rooms p ON p.id = sr.parent_room_id
		WHERE r.region = '32.04' AND p.region = '32' AND sr.late_flagged_at IS NOT NULL`); n == 0 {
		t.Error("Bandung's missing reports are not flagged to Jawa Barat")
	}
}
