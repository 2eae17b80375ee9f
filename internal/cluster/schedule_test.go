package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// fakeClock is the day of fake time the three schedulers share.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestScheduleOnceAcrossInstances: three instances' schedulers, on the
// cluster's PostgreSQL, over a day of fake time in one-minute steps (all
// three ticking each step at once), with the platform's timetables: the
// patrol's sources every minute, scan rounds every ten, the rooms'
// posture switch at each phase boundary (the shipped calendar) or every
// ten minutes, an hourly feed pull and a daily 02:00 WIB retention. One
// instance dies at noon. Every job must run exactly as often as one
// instance alone would run it, never two at once.
func TestScheduleOnceAcrossInstances(t *testing.T) {
	enabled(t)
	c := &Cluster{t: t, admin: adminURL(t)}
	c.createDatabase()
	t.Cleanup(c.dropDatabase)
	ctx := context.Background()
	db, err := store.Open(ctx, c.direct, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wib := time.FixedZone("WIB", 7*3600)
	posture := room.PostureJob(db, nil, nil, nil)
	jobs := []schedule.Job{
		{Name: "patrol.sources", Every: time.Minute},
		{Name: "scan-round", Every: 10 * time.Minute},
		{Name: "room-posture", Due: posture.Due},
		{Name: "intel.feeds", Every: time.Hour},
		{Name: "retention", Due: schedule.Daily(2, 0, wib)},
	}
	// 2024-02-14, voting day: the posture job meets real phase boundaries.
	clock := &fakeClock{t: time.Date(2024, 2, 13, 17, 0, 0, 0, time.UTC)}
	start := clock.Now()
	const steps = 24 * 60
	runs := make([]atomic.Int64, len(jobs))
	running := make([]atomic.Int64, len(jobs))
	var overlaps atomic.Int64
	var scheds []*schedule.Scheduler
	for i := range 3 {
		var js []schedule.Job
		for n, j := range jobs {
			j.Run = func(context.Context) error {
				if running[n].Add(1) > 1 {
					overlaps.Add(1)
				}
				runs[n].Add(1)
				running[n].Add(-1)
				return nil
			}
			js = append(js, j)
		}
		s, err := schedule.New(db, schedule.Options{Holder: fmt.Sprintf("instance-%d", i+1), Now: clock.Now}, js...)
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	for step := range steps {
		var wg sync.WaitGroup
		for i, s := range scheds {
			if i == 2 && step >= steps/2 {
				continue // instance 3 died at noon
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.Tick(ctx) }()
		}
		wg.Wait()
		clock.Add(time.Minute)
	}
	// What one instance alone would run: due first at t0 (or Due(t0)),
	// then next counted from the step that ran it.
	var total, expectedTotal, dup, lost int64
	for n, j := range jobs {
		next := start
		if j.Due != nil {
			next = j.Due(start)
		}
		want := int64(0)
		for step := range steps {
			at := start.Add(time.Duration(step) * time.Minute)
			if !at.Before(next) {
				want++
				if j.Due != nil {
					next = j.Due(at)
				} else {
					next = at.Add(j.Every)
				}
			}
		}
		got := runs[n].Load()
		t.Logf("%-15s runs %d, one instance alone %d", j.Name, got, want)
		total += got
		expectedTotal += want
		dup += max(0, got-want)
		lost += max(0, want-got)
	}
	fmt.Printf("FAULT schedule acknowledged=%d detected=%d duplicates=%d lost=%d overlaps=%d jobs=%d instances=3 fake_hours=24\n",
		expectedTotal, total, dup, lost, overlaps.Load(), len(jobs))
	if dup != 0 || lost != 0 || overlaps.Load() != 0 {
		t.Errorf("scheduled work: %d runs too many, %d missing, %d overlapping", dup, lost, overlaps.Load())
	}
}
