package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/store"
)

// checkRooms: the national room and the 38 provincial rooms all have
// staff (seeding again adds no second officer or contact: TestDemoWorld).
func checkRooms(t *testing.T, db *store.DB, _ World) {
	ctx := context.Background()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	staffed := `SELECT COUNT(*) FROM rooms r WHERE EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id)`
	if n := count(staffed); n != 40 {
		t.Errorf("%d rooms with staff, want 40 (national, 38 provinces, Bandung)", n)
	}
	if n := count(`SELECT COUNT(*) FROM rooms WHERE last_drill_at IS NOT NULL AND staff_trained > 0`); n < 20 {
		t.Errorf("%d rooms drilled and trained", n)
	}
}
