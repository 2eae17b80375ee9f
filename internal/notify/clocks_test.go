package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestMissedClocks: a deadline that runs out is told once to those who may
// read the incident, and to no one else.
func TestMissedClocks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		inc := w.create("alice", "AMBER", nil, nil) // medium: first response due in 24 h
		if n, err := w.n.NotifyMissedClocks(ctx, store.Now()); err != nil || n != 0 {
			t.Fatalf("fresh incident: %d told, %v", n, err)
		}
		later := store.Now().Add(25 * time.Hour)
		n, err := w.n.NotifyMissedClocks(ctx, later)
		if err != nil || n != 1 {
			t.Fatalf("a day later: %d told, %v", n, err)
		}
		has := func(user string) bool {
			for _, line := range w.inbox(user) {
				if strings.HasPrefix(line, IncidentClockMissed+" "+inc.HumanID) {
					return true
				}
			}
			return false
		}
		if !has("alice") || !has("bob") {
			t.Errorf("the owner's analysts were not told: alice %v, bob %v", w.inbox("alice"), w.inbox("bob"))
		}
		if has("eve") || has("dave") {
			t.Error("someone who may not read the incident was told")
		}
		if n, _ := w.n.NotifyMissedClocks(ctx, later.Add(time.Minute)); n != 0 {
			t.Errorf("told again: %d", n)
		}
	})
}
