package alert_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Alerts raised in the campaign, before Sirekap matters, stay open while
// the phases turn; the job, through package schedule on two instances and
// a fake clock walked minute by minute around the boundaries, raises them
// when a phase naming their asset begins in their region's zone and brings
// them back to their severity when it ends. Under the shipped calendar a
// Sirekap server first matters in masa tenang (11 Feb, 00:00 WIT in Papua,
// 00:00 WIB in West Java); an asset tagged for the recapitulation only
// rises on the count's first day (15 Feb, 00:00 WIB). Everything falls back
// after the count's last day (20 Mar). Acknowledged and dismissed alerts
// are left alone; each change is audited once.
func TestPhaseRevisitsOpenPriorities(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tree, _ := org.Load(ctx, db)
		kpu := w.who["kpu.analyst"]
		mk := func(name, region string, phases, systems []string) int64 {
			kind := "web_app"
			a, err := asset.Create(ctx, db, kpu, tree, asset.Input{Name: &name, Kind: &kind, Region: &region, Phases: &phases, Systems: &systems})
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		jabar := mk("Server C.Hasil Jawa Barat", "32", nil, []string{"Sirekap"})
		papua := mk("Server C.Hasil Papua", "91", nil, []string{"Sirekap"})
		rekap := mk("Server rekapitulasi Jawa Barat", "32", []string{"recapitulation"}, nil)

		raised := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC) // 19:00 WIB, the campaign's last day
		at := func(s alert.Signal) alert.Signal { s.Time = raised; return s }
		ids, _, err := alert.Record(ctx, db, []alert.Signal{
			at(sig("http-sqli", "103.9.9.1", jabar, 0, 1)),
			at(sig("http-sqli", "103.9.9.2", papua, 0, 1)),
			at(sig("http-sqli", "103.9.9.3", rekap, 0, 1)),
			at(sig("http-sqli", "103.9.9.4", jabar, 0, 1)), // to be acknowledged
			at(sig("http-sqli", "103.9.9.5", papua, 0, 1)), // to be dismissed
		})
		if err != nil || len(ids) != 5 {
			t.Fatalf("record: %v, %d", err, len(ids))
		}
		bssn := w.who["bssn.analyst"]
		if _, err := alert.SetStatus(ctx, db, bssn, ids[3], alert.Acknowledged, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := alert.SetStatus(ctx, db, bssn, ids[4], alert.Dismissed, "uji"); err != nil {
			t.Fatal(err)
		}
		names := []string{"West Java's Sirekap server", "Papua's Sirekap server", "West Java's recapitulation server", "acknowledged", "dismissed"}

		clock := &fakeClock{t: raised}
		var instances []*schedule.Scheduler
		for _, holder := range []string{"a", "b"} {
			s, err := schedule.New(db, schedule.Options{Holder: holder, Now: clock.Now}, alert.PriorityJob(db, nil, clock.Now, nil))
			if err != nil {
				t.Fatal(err)
			}
			instances = append(instances, s)
		}
		type state struct{ priority, reason string }
		last := map[int64]state{}
		changes := map[int64]int{}
		// rose and fell: when each alert was first seen critical, and
		// first seen back at high after having risen.
		rose, fell := map[int64]time.Time{}, map[int64]time.Time{}
		tick := func() {
			var wg sync.WaitGroup
			for _, s := range instances {
				wg.Add(1)
				go func() { defer wg.Done(); s.Tick(ctx) }()
			}
			wg.Wait()
			for _, id := range ids {
				a, err := alert.Get(ctx, db, bssn, id)
				if err != nil {
					t.Fatal(err)
				}
				st := state{a.Priority, a.PriorityReason}
				if prev, ok := last[id]; ok && prev != st {
					changes[id]++
				}
				last[id] = st
				if st.priority == "critical" && rose[id].IsZero() {
					rose[id] = clock.Now()
				}
				if st.priority == "high" && !rose[id].IsZero() && fell[id].IsZero() {
					fell[id] = clock.Now()
				}
			}
		}
		walk := func(from, to time.Time) {
			for c := from; !c.After(to); c = c.Add(time.Minute) {
				clock.Set(c)
				tick()
			}
		}
		tick() // in the campaign: nothing moves
		for i, id := range ids {
			if last[id].priority != "high" || last[id].reason != "" {
				t.Errorf("%s at raise: %+v", names[i], last[id])
			}
		}
		day := func(m time.Month, d, h int) time.Time { return time.Date(2024, m, d, h, 0, 0, 0, time.UTC) }
		walk(day(2, 10, 14), day(2, 10, 17).Add(30*time.Minute)) // masa tenang begins: 00:00 WIT, 00:00 WIB
		walk(day(2, 14, 14), day(2, 14, 17).Add(30*time.Minute)) // 15 Feb 00:00 WIB: the count's first day
		if r := last[ids[0]].reason; !strings.Contains(r, "Sirekap kritis") {
			t.Errorf("West Java's Sirekap server during the vote: reason %q", r)
		}
		walk(day(3, 20, 14), day(3, 20, 17).Add(30*time.Minute)) // 21 Mar 00:00 WIT, WIB: the count is over

		want := []struct {
			rose, fell time.Time
		}{
			{time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIB), time.Date(2024, 3, 21, 0, 0, 0, 0, calendar.WIB)},
			{time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIT), time.Date(2024, 3, 21, 0, 0, 0, 0, calendar.WIT)},
			{time.Date(2024, 2, 15, 0, 0, 0, 0, calendar.WIB), time.Date(2024, 3, 21, 0, 0, 0, 0, calendar.WIB)},
		}
		for i, wt := range want {
			id := ids[i]
			if !rose[id].Equal(wt.rose) {
				t.Errorf("%s rose at %s, want %s", names[i], rose[id], wt.rose.UTC())
			}
			if !fell[id].Equal(wt.fell) {
				t.Errorf("%s fell back at %s, want %s", names[i], fell[id], wt.fell.UTC())
			}
			if last[id] != (state{"high", ""}) {
				t.Errorf("%s after the count: %+v", names[i], last[id])
			}
		}
		for i, id := range ids {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'alert.priority' AND record_id = ?`, strconv.FormatInt(id, 10)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != changes[id] {
				t.Errorf("%s: %d changes seen, %d audited", names[i], changes[id], n)
			}
			if i >= 3 && (n != 0 || rose[id] != (time.Time{})) {
				t.Errorf("%s was revisited: %d audit entries", names[i], n)
			}
		}
		// Rise, the vote's reason, the count's reason, fall: four each for
		// the Sirekap servers; rise and fall for the recapitulation one.
		if changes[ids[0]] != 4 || changes[ids[1]] != 4 || changes[ids[2]] != 2 {
			t.Errorf("changes: %d, %d, %d; want 4, 4, 2", changes[ids[0]], changes[ids[1]], changes[ids[2]])
		}
	})
}
