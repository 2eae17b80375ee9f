// Package schedule runs work that must happen once across instances on a
// timetable: scan rounds, feed pulls, checks, posture switches, clock
// notices. Every instance runs a Scheduler with the same jobs; the
// database decides which one runs each due run, so a job runs on exactly
// one instance at a time and once per period however many instances
// there are.
//
// Two rows of the leases table (internal/lease) carry a job's state:
//   - "schedule.due:<job>": expires_at is when the job is next due, holder
//     who last claimed it. Claiming a run moves the due time forward in one
//     conditional UPDATE, so of two instances seeing the same due run only
//     one wins; a run missed while every instance was down is claimed once,
//     and the next due time is counted from the claim, never from the
//     missed periods (no burst of catch-up runs). The claim first moves it
//     only as far as a retry would: an instance that dies in the middle of
//     a run leaves the job due again soon, not a period later; the end of
//     the run sets the real next time.
//   - "schedule.run:<job>": an ordinary lease held (and renewed) while the
//     job runs, so a run longer than the period is never overlapped by
//     another instance.
//
// A failing (or panicking) job is logged and retried with backoff; it never
// stops the other jobs. The package must never decide what a job does: it
// only decides when and where.
package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/lease"
	"github.com/garda-id/garda/internal/store"
)

// Job is a piece of work on a timetable.
type Job struct {
	// Name is unique across the platform; it names the job's rows.
	Name string
	// Every is the interval between runs; a job with Every is due at once
	// the first time any instance sees it.
	Every time.Duration
	// Due, when set instead of Every, returns the first due time strictly
	// after t (e.g. the next 02:00 WIB); such a job first runs at Due(now).
	Due func(t time.Time) time.Time
	// Run does the work. An error (or a panic) is a failed run: logged,
	// and retried with backoff.
	Run func(ctx context.Context) error
}

func (j Job) next(t time.Time) time.Time {
	if j.Due != nil {
		return j.Due(t)
	}
	return t.Add(j.Every)
}

// Options tune a Scheduler; the zero value is usable.
type Options struct {
	// Holder names this instance in the leases; empty: host name, process
	// id and a random suffix.
	Holder string
	// Now is the clock that decides when jobs are due (tests set it).
	Now func() time.Time
	// Poll is how often Run looks for due jobs (default 15 s).
	Poll time.Duration
	// RunLease is the time-to-live of the running lease, renewed every third
	// of it while the job runs (default 1 minute).
	RunLease time.Duration
	// RetryMin and RetryMax bound the backoff after a failed run (default 30 s
	// doubling up to 30 minutes); a retry never comes later than the next
	// regular run would.
	RetryMin, RetryMax time.Duration
	// OnResult, when set, is told of every finished run (for metrics and
	// status pages).
	OnResult func(job string, started time.Time, err error)
	Log      *slog.Logger
}

// Scheduler runs jobs on one instance, in agreement with the others.
type Scheduler struct {
	db   *store.DB
	opt  Options
	jobs []Job

	mu       sync.Mutex
	running  map[string]bool
	failures map[string]int
}

// New returns a Scheduler of jobs over db. It refuses jobs without a name,
// a timetable or work, and names used twice.
func New(db *store.DB, opt Options, jobs ...Job) (*Scheduler, error) {
	if opt.Holder == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		opt.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Poll <= 0 {
		opt.Poll = 15 * time.Second
	}
	if opt.RunLease <= 0 {
		opt.RunLease = time.Minute
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = 30 * time.Second
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(30*time.Minute, opt.RetryMin)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j.Name == "":
			return nil, errors.New("schedule: a job has no name")
		case seen[j.Name]:
			return nil, fmt.Errorf("schedule: job %q is named twice", j.Name)
		case j.Run == nil:
			return nil, fmt.Errorf("schedule: job %q has nothing to run", j.Name)
		case (j.Every > 0) == (j.Due != nil):
			return nil, fmt.Errorf("schedule: job %q needs either an interval (Every) or a due-time function (Due)", j.Name)
		}
		seen[j.Name] = true
	}
	return &Scheduler{db: db, opt: opt, jobs: jobs, running: map[string]bool{}, failures: map[string]int{}}, nil
}

// Holder is the name this instance takes its leases under.
func (s *Scheduler) Holder() string { return s.opt.Holder }

// Run looks for due jobs every Poll until ctx ends, then waits for the
// runs it started. Jobs run in their own goroutines: a long job delays no
// other.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		s.start(ctx, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick starts every job due now on this instance and waits for them: one
// step of Run, for tests and for callers with their own loop.
func (s *Scheduler) Tick(ctx context.Context) {
	var wg sync.WaitGroup
	s.start(ctx, &wg)
	wg.Wait()
}

func (s *Scheduler) start(ctx context.Context, wg *sync.WaitGroup) {
	for _, j := range s.jobs {
		s.mu.Lock()
		busy := s.running[j.Name]
		if !busy {
			s.running[j.Name] = true
		}
		s.mu.Unlock()
		if busy {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.running, j.Name)
				s.mu.Unlock()
			}()
			if err := s.try(ctx, j); err != nil && ctx.Err() == nil {
				s.opt.Log.Warn("schedule: could not look at a job", "job", j.Name, "err", err)
			}
		}()
	}
}

// try runs j if it is due and this instance wins it. The error is about
// the schedule's own bookkeeping; the job's error is handled here.
func (s *Scheduler) try(ctx context.Context, j Job) error {
	now := s.opt.Now()
	due, err := s.dueAt(ctx, j, now)
	if err != nil || now.Before(due) {
		return err
	}
	runName := "schedule.run:" + j.Name
	held, err := lease.Acquire(ctx, s.db, runName, s.opt.Holder, s.opt.RunLease)
	if err != nil || !held {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx), s.db, runName, s.opt.Holder)
	won, err := s.claim(ctx, j, now)
	if err != nil || !won {
		return err
	}

	started := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renew(runCtx, runName, cancel)
	}()
	jobErr := s.call(runCtx, j)
	cancel()
	<-renewed
	if s.opt.OnResult != nil {
		s.opt.OnResult(j.Name, now, jobErr)
	}
	if jobErr == nil {
		s.mu.Lock()
		delete(s.failures, j.Name)
		s.mu.Unlock()
		s.opt.Log.Info("schedule: job ran", "job", j.Name, "holder", s.opt.Holder, "took", time.Since(started).Round(time.Millisecond))
		return s.setDue(context.WithoutCancel(ctx), j, j.next(now))
	}
	s.mu.Lock()
	s.failures[j.Name]++
	n := s.failures[j.Name]
	s.mu.Unlock()
	retry := now.Add(s.backoff(n))
	if regular := j.next(now); regular.Before(retry) {
		retry = regular
	}
	s.opt.Log.Error("schedule: job failed", "job", j.Name, "holder", s.opt.Holder, "failures", n, "retry_at", retry, "err", jobErr)
	if ctx.Err() != nil {
		// Shutting down: keep the claim's due time; another instance
		// takes the job then.
		return nil
	}
	return s.setDue(ctx, j, retry)
}

// setDue sets when j is next due, if this instance still holds its claim.
func (s *Scheduler) setDue(ctx context.Context, j Job, at time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?`,
		at, "schedule.due:"+j.Name, s.opt.Holder)
	if err != nil {
		return fmt.Errorf("set when %s is next due: %w", j.Name, err)
	}
	return nil
}

// dueAt returns when j is due, making its row the first time any instance
// sees the job.
func (s *Scheduler) dueAt(ctx context.Context, j Job, now time.Time) (time.Time, error) {
	name := "schedule.due:" + j.Name
	first := now
	if j.Due != nil {
		first = j.Due(now)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, '', ?) ON CONFLICT (name) DO NOTHING`, name, first); err != nil {
		return time.Time{}, fmt.Errorf("schedule %s: %w", j.Name, err)
	}
	var due time.Time
	if err := s.db.QueryRow(ctx, `SELECT expires_at FROM leases WHERE name = ?`, name).Scan(&due); err != nil {
		return time.Time{}, fmt.Errorf("read when %s is due: %w", j.Name, err)
	}
	return due, nil
}

// claim moves j's due time past now, if it is still due: of several
// instances only one statement can change the row. It moves it as far as a
// first retry (or the next regular run, if sooner); the run's end moves it
// on.
func (s *Scheduler) claim(ctx context.Context, j Job, now time.Time) (bool, error) {
	until := now.Add(s.opt.RetryMin)
	if regular := j.next(now); regular.Before(until) {
		until = regular
	}
	res, err := s.db.Exec(ctx, `UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND expires_at <= ?`,
		s.opt.Holder, until, "schedule.due:"+j.Name, now)
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", j.Name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", j.Name, err)
	}
	return n == 1, nil
}

// renew keeps the running lease while ctx lives; losing it (the database
// gone for longer than the lease) cancels the run rather than let two
// instances run the job.
func (s *Scheduler) renew(ctx context.Context, name string, lost context.CancelFunc) {
	t := time.NewTicker(s.opt.RunLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			held, err := lease.Acquire(ctx, s.db, name, s.opt.Holder, s.opt.RunLease)
			if ctx.Err() != nil {
				return
			}
			if err != nil || !held {
				s.opt.Log.Error("schedule: lost the running lease; stopping the run", "lease", name, "err", err)
				lost()
				return
			}
		}
	}
}

// call runs the job, turning a panic into an error.
func (s *Scheduler) call(ctx context.Context, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", j.Name, p)
		}
	}()
	return j.Run(ctx)
}

// backoff is the wait before retry n (1, 2, ...) of a failed job.
func (s *Scheduler) backoff(n int) time.Duration {
	d := s.opt.RetryMin
	for i := 1; i < n && d < s.opt.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.opt.RetryMax)
}

// Daily returns a due-time function for hh:mm every day in loc (WIB for the
// task force's timetables).
func Daily(hour, minute int, loc *time.Location) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		lt := t.In(loc)
		d := time.Date(lt.Year(), lt.Month(), lt.Day(), hour, minute, 0, 0, loc)
		if !d.After(lt) {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
}
