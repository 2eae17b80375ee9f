package demo

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDemoRooms: the national room and the 38 provincial rooms all have
// staff, and seeding again adds no second officer or contact.
func TestDemoRooms(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Seed(ctx, db, t.TempDir()); err != nil {
			t.Fatal(err)
		}
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
		members, contacts := count(`SELECT COUNT(*) FROM room_members`), count(`SELECT COUNT(*) FROM room_contacts`)
		if _, err := Seed(ctx, db, t.TempDir()); err != nil {
			t.Fatal(err)
		}
		if m, c := count(`SELECT COUNT(*) FROM room_members`), count(`SELECT COUNT(*) FROM room_contacts`); m != members || c != contacts {
			t.Errorf("seeding again: members %d -> %d, contacts %d -> %d", members, m, contacts, c)
		}
	})
}
