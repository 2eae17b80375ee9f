package schedule_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/lease"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// clock is a shared, hand-moved clock: no test here reads the wall clock
// to decide anything.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)} }

// pair returns two schedulers, "a" and "b", of the same jobs on one
// database, as two instances of garda serve would be.
func pair(t *testing.T, db *store.DB, c *clock, jobs ...schedule.Job) (*schedule.Scheduler, *schedule.Scheduler) {
	t.Helper()
	var out [2]*schedule.Scheduler
	for i, h := range []string{"a", "b"} {
		s, err := schedule.New(db, schedule.Options{Holder: h, Now: c.Now, RetryMin: time.Minute, RetryMax: 8 * time.Minute}, jobs...)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out[0], out[1]
}

// tickBoth ticks both instances at the same moment.
func tickBoth(a, b *schedule.Scheduler) {
	var wg sync.WaitGroup
	for _, s := range []*schedule.Scheduler{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); s.Tick(context.Background()) }()
	}
	wg.Wait()
}

func TestOncePerPeriodAcrossInstances(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		var runs atomic.Int32
		job := schedule.Job{Name: "hourly", Every: time.Hour, Run: func(ctx context.Context) error {
			runs.Add(1)
			return nil
		}}
		a, b := pair(t, db, c, job)
		// Five hours in ten-minute steps, both instances ticking each step
		// (twice, as polls would): runs at 0, 1h, 2h, 3h, 4h.
		for step := 0; step < 30; step++ {
			tickBoth(a, b)
			tickBoth(a, b)
			c.Add(10 * time.Minute)
		}
		if got := runs.Load(); got != 5 {
			t.Fatalf("hourly job ran %d times in 5 hours on two instances, want 5", got)
		}
	})
}

func TestMissedRunsRunOnce(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		var runs atomic.Int32
		a, b := pair(t, db, c, schedule.Job{Name: "feed", Every: 15 * time.Minute, Run: func(context.Context) error {
			runs.Add(1)
			return nil
		}})
		tickBoth(a, b)
		// Every instance down for ten hours: 40 periods missed.
		c.Add(10 * time.Hour)
		for i := 0; i < 5; i++ {
			tickBoth(a, b)
			c.Add(time.Minute)
		}
		if got := runs.Load(); got != 2 {
			t.Fatalf("after a 10-hour outage the job ran %d times, want 2 (once before, once after)", got)
		}
		// The next run is counted from the catch-up run, not from the
		// missed periods.
		c.Add(10 * time.Minute)
		tickBoth(a, b)
		if got := runs.Load(); got != 3 {
			t.Fatalf("15 minutes after the catch-up the job ran %d times, want 3", got)
		}
	})
}

func TestOneInstanceAtATime(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		var active, most, runs atomic.Int32
		release := make(chan struct{})
		started := make(chan struct{}, 4)
		a, b := pair(t, db, c, schedule.Job{Name: "round", Every: time.Minute, Run: func(ctx context.Context) error {
			n := active.Add(1)
			defer active.Add(-1)
			if n > most.Load() {
				most.Store(n)
			}
			runs.Add(1)
			started <- struct{}{}
			<-release
			return nil
		}})
		done := make(chan struct{})
		go func() { a.Tick(context.Background()); close(done) }()
		<-started
		// The run outlasts its period: b sees it due again but a still
		// holds the running lease.
		c.Add(5 * time.Minute)
		b.Tick(context.Background())
		if runs.Load() != 1 {
			t.Fatalf("b started the job while a was running it")
		}
		close(release)
		<-done
		b.Tick(context.Background())
		if runs.Load() != 2 || most.Load() != 1 {
			t.Fatalf("runs %d, most at once %d; want 2 and 1", runs.Load(), most.Load())
		}
	})
}

func TestFailureRetriedWithBackoffOthersGoOn(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		var failing, panicking, healthy atomic.Int32
		var results sync.Map
		jobs := []schedule.Job{
			{Name: "broken", Every: time.Hour, Run: func(context.Context) error {
				failing.Add(1)
				return errors.New("feed unreachable")
			}},
			{Name: "panics", Every: time.Hour, Run: func(context.Context) error {
				panicking.Add(1)
				panic("nil map")
			}},
			{Name: "healthy", Every: 10 * time.Minute, Run: func(context.Context) error {
				healthy.Add(1)
				return nil
			}},
		}
		s, err := schedule.New(db, schedule.Options{Holder: "a", Now: c.Now, RetryMin: time.Minute, RetryMax: 8 * time.Minute,
			OnResult: func(job string, _ time.Time, err error) {
				if err != nil {
					results.Store(job, err.Error())
				}
			}}, jobs...)
		if err != nil {
			t.Fatal(err)
		}
		// Retries at +1, +2, +4, +8, +8 ... minutes after each failure: over
		// 30 minutes in one-minute steps the broken job runs at 0, 1, 3, 7,
		// 15, 23 = 6 times (not 31, not 1).
		for i := 0; i <= 30; i++ {
			s.Tick(context.Background())
			c.Add(time.Minute)
		}
		if got := failing.Load(); got != 6 {
			t.Errorf("failing job ran %d times in 30 minutes, want 6 (backoff 1, 2, 4, 8, 8 minutes)", got)
		}
		if got := panicking.Load(); got != 6 {
			t.Errorf("panicking job ran %d times, want 6", got)
		}
		if got := healthy.Load(); got != 4 {
			t.Errorf("healthy job ran %d times in 30 minutes beside failing ones, want 4", got)
		}
		if msg, _ := results.Load("panics"); msg == nil {
			t.Errorf("the panic was not reported")
		}
	})
}

func TestDueFunctionJob(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock() // 10:00 UTC = 17:00 WIB
		wib := time.FixedZone("WIB", 7*3600)
		var runs atomic.Int32
		a, b := pair(t, db, c, schedule.Job{Name: "report", Due: schedule.Daily(2, 0, wib), Run: func(context.Context) error {
			runs.Add(1)
			return nil
		}})
		tickBoth(a, b)
		if runs.Load() != 0 {
			t.Fatal("a daily 02:00 job ran at 17:00 on first sight")
		}
		c.Add(8*time.Hour + 59*time.Minute) // 01:59 WIB
		tickBoth(a, b)
		if runs.Load() != 0 {
			t.Fatal("ran before 02:00")
		}
		c.Add(2 * time.Minute)
		tickBoth(a, b)
		tickBoth(a, b)
		if runs.Load() != 1 {
			t.Fatalf("ran %d times at 02:01, want 1", runs.Load())
		}
		c.Add(3 * 24 * time.Hour) // down for three days
		tickBoth(a, b)
		tickBoth(a, b)
		if runs.Load() != 2 {
			t.Fatalf("ran %d times after three missed days, want 2", runs.Load())
		}
	})
}

func TestNewRefusesBadJobs(t *testing.T) {
	db := storetest.SQLite(t)
	run := func(context.Context) error { return nil }
	for name, jobs := range map[string][]schedule.Job{
		"no name":     {{Every: time.Minute, Run: run}},
		"no work":     {{Name: "x", Every: time.Minute}},
		"no timing":   {{Name: "x", Run: run}},
		"both timing": {{Name: "x", Every: time.Minute, Due: schedule.Daily(1, 0, time.UTC), Run: run}},
		"twice":       {{Name: "x", Every: time.Minute, Run: run}, {Name: "x", Every: time.Hour, Run: run}},
	} {
		if _, err := schedule.New(db, schedule.Options{}, jobs...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestInstanceDiesMidRun: an instance that stops in the middle of a run
// (its running lease lapses) leaves the job due again after the retry
// wait, not a whole period later.
func TestInstanceDiesMidRun(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		var runs atomic.Int32
		job := schedule.Job{Name: "daily", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
			if runs.Add(1) == 1 {
				<-ctx.Done() // a never finishes: its process is killed
				return ctx.Err()
			}
			return nil
		}}
		a, err := schedule.New(db, schedule.Options{Holder: "a", Now: c.Now, RunLease: 300 * time.Millisecond, RetryMin: time.Minute}, job)
		if err != nil {
			t.Fatal(err)
		}
		b, err := schedule.New(db, schedule.Options{Holder: "b", Now: c.Now, RunLease: 300 * time.Millisecond, RetryMin: time.Minute}, job)
		if err != nil {
			t.Fatal(err)
		}
		ctx, kill := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Tick(ctx); close(done) }()
		for runs.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		kill() // a dies: it neither finishes nor releases (its lease lapses)
		<-done
		// a's Tick released its lease on the way out; a killed process
		// would not: take it again for a to stand for one.
		if held, err := lease.Acquire(context.Background(), db, "schedule.run:daily", "a", 300*time.Millisecond); err != nil || !held {
			t.Fatalf("re-take a's lease: %v %v", held, err)
		}
		c.Add(2 * time.Minute)
		b.Tick(context.Background())
		if runs.Load() != 1 {
			t.Fatal("b ran the job while a's running lease was live")
		}
		time.Sleep(400 * time.Millisecond) // the lease lapses (wall clock: leases are the database's time)
		b.Tick(context.Background())
		if runs.Load() != 2 {
			t.Fatalf("runs %d two minutes after a died, want b to have run it again", runs.Load())
		}
	})
}
