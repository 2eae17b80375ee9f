package room_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Two instances run the posture job through package schedule on a fake
// clock walking minute by minute across the start of masa tenang: Papua's
// room turns awas at 00:00 WIT (15:00 UTC), Jawa Barat's at 00:00 WIB
// (17:00 UTC), each switch happens once, and the staffing minimum follows.
func TestPostureJobThroughSchedule(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		clock := &fakeClock{t: time.Date(2024, 2, 10, 14, 0, 0, 0, time.UTC)}
		n := notify.New(db, nil, notify.SMTP{})
		var instances []*schedule.Scheduler
		for _, holder := range []string{"a", "b"} {
			s, err := schedule.New(db, schedule.Options{Holder: holder, Now: clock.Now}, room.PostureJob(db, n, clock.Now, nil))
			if err != nil {
				t.Fatal(err)
			}
			instances = append(instances, s)
		}
		get := func(region string) room.Room {
			r, err := room.Get(ctx, db, w.who["bssn.koord"], w.rooms[region])
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		first := map[string]time.Time{}
		for clock.Now().Before(time.Date(2024, 2, 10, 17, 30, 0, 0, time.UTC)) {
			var wg sync.WaitGroup
			for _, s := range instances {
				wg.Add(1)
				go func() { defer wg.Done(); s.Tick(ctx) }()
			}
			wg.Wait()
			for _, reg := range []string{"91", "32"} {
				r := get(reg)
				if r.Posture == calendar.Awas && first[reg].IsZero() {
					first[reg] = clock.Now()
					if r.MinStaff != calendar.Rules[calendar.Awas].MinStaff {
						t.Errorf("room %s awas with min staff %d", reg, r.MinStaff)
					}
				}
			}
			clock.Add(time.Minute)
		}
		if want := time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIT); !first["91"].Equal(want) {
			t.Errorf("Papua awas from %s, want %s", first["91"], want.UTC())
		}
		if want := time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIB); !first["32"].Equal(want) {
			t.Errorf("Jawa Barat awas from %s, want %s", first["32"], want.UTC())
		}
		if r := get("32"); r.MinStaff != calendar.Rules[calendar.Awas].MinStaff {
			t.Errorf("Jawa Barat's minimum staff = %d", r.MinStaff)
		}
		entries, err := audit.List(ctx, db, audit.Filter{Kind: room.RecordKind, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		switches := 0
		for _, e := range entries {
			if e.Action == "room.posture" {
				switches++
			}
		}
		// Every room to siaga (the campaign) on the first run, then 8 WIT,
		// 12 WITA and 20 WIB rooms to awas: once each, on two instances.
		if switches != 40+8+12+20 {
			t.Errorf("%d posture switches audited, want 80", switches)
		}
	})
}
