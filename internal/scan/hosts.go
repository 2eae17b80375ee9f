package scan

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxHosts is how many targets a round scans at once unless told:
// all of KPU's 553 sites, so that the round lasts as long as its slowest
// site (637 s on a quiet machine, all 553 at once in 335 MB; README, "one
// round over KPU's 553 sites"). 256 at once took over 17 minutes
// (2026-12-07): the slow sites' ~9.5 minutes came after a first wave.
const DefaultMaxHosts = 600

// HostOptions bound how targets are scanned, for the round and the
// command line alike.
type HostOptions struct {
	// MaxHosts is the global ceiling on targets scanned at once (default
	// DefaultMaxHosts).
	MaxHosts int
	// PerHost is how many checks run at once against one target (default
	// 2); the Env's per-host limits still apply underneath.
	PerHost int
	// HostTimeout bounds one attempt at one target, all its checks
	// (default 15 minutes: an active scan's ~860 requests at 2
	// connections to a site answering in 1.5 s take 11).
	HostTimeout time.Duration
	// Retries is how many more attempts a failed target gets (default 2;
	// negative: none), after RetryBackoff, doubled each time (default 5 s).
	Retries      int
	RetryBackoff time.Duration
	// MaxResultsPerCheck caps what one check may report on one target
	// (default 200); the rest is counted as dropped, never kept.
	MaxResultsPerCheck int
	// MaxEvidence caps a Result's request and response text (default 8 KiB
	// each), so that a hostile answer cannot fill the memory or the store.
	MaxEvidence int
	// Sleep waits between attempts (tests make it instant); nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps results that a check left without a time.
	Now func() time.Time
}

func (o HostOptions) withDefaults() HostOptions {
	if o.MaxHosts <= 0 {
		o.MaxHosts = DefaultMaxHosts
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	if o.HostTimeout <= 0 {
		o.HostTimeout = 15 * time.Minute
	}
	if o.Retries == 0 {
		o.Retries = 2
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 5 * time.Second
	}
	if o.MaxResultsPerCheck <= 0 {
		o.MaxResultsPerCheck = 200
	}
	if o.MaxEvidence <= 0 {
		o.MaxEvidence = 8 << 10
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Progress is how far a set of targets has got: Done of Total (target,
// check) pairs finished, Requests sent so far (HTTP requests and raw
// connections), results Found.
type Progress struct {
	Done, Total, Requests, Found int
}

// HostError is a target that could not be scanned, after its retries.
type HostError struct {
	Target   string
	Attempts int
	// Failed lists the checks that could not run, with why.
	Failed map[string]error
}

func (e *HostError) Error() string {
	ids := make([]string, 0, len(e.Failed))
	for id := range e.Failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return fmt.Sprintf("%s: failed after %d attempts", e.Target, e.Attempts)
	}
	first := e.Failed[ids[0]]
	if len(ids) == 1 {
		return fmt.Sprintf("%s: check %s failed after %d attempts: %v", e.Target, ids[0], e.Attempts, first)
	}
	return fmt.Sprintf("%s: %d checks failed after %d attempts (%s: %v, ...)", e.Target, len(ids), e.Attempts, ids[0], first)
}

// Allowed returns the checks mode lets run: passive checks only under a
// passive authorisation, all of them under an active one.
func Allowed(checks []Check, mode Mode) []Check {
	if mode == Active {
		return checks
	}
	out := make([]Check, 0, len(checks))
	for _, c := range checks {
		if !c.Active() {
			out = append(out, c)
		}
	}
	return out
}

// ScanTargets runs the checks mode allows on every target, at most
// MaxHosts targets at once. A target whose checks fail (unreachable,
// timed out) is tried again, for the checks that failed only, up to
// Retries more times, and then reported in the returned errors: it never
// holds the others back. emit is called from several goroutines at once,
// each Result as soon as a check gives it (nothing is gathered here);
// progress, when set, after every finished check.
func ScanTargets(ctx context.Context, env *Env, targets []Target, checks []Check, opt HostOptions,
	emit func(Result), progress func(Progress)) []*HostError {
	opt = opt.withDefaults()
	return scanTargets(ctx, env, targets, checks, opt, emit, progress, make(chan struct{}, opt.MaxHosts))
}

// scanTargets is ScanTargets taking its host slots from slots, which a
// round shares between its scans.
func scanTargets(ctx context.Context, env *Env, targets []Target, checks []Check, opt HostOptions,
	emit func(Result), progress func(Progress), slots chan struct{}) []*HostError {
	var requests atomic.Int64

	total := 0
	for _, t := range targets {
		total += len(Allowed(checks, t.Mode))
	}
	var (
		mu     sync.Mutex
		prog   = Progress{Total: total}
		failed []*HostError
	)
	report := func(done, found int) {
		mu.Lock()
		prog.Done += done
		prog.Found += found
		prog.Requests = int(requests.Load())
		p := prog
		if progress != nil {
			progress(p)
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, t := range targets {
		select {
		case slots <- struct{}{}:
			if ctx.Err() == nil {
				break
			}
			<-slots // took a slot as the round was stopped: give it back
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			failed = append(failed, &HostError{Target: t.URL, Failed: map[string]error{"*": ctx.Err()}})
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			// counted under the cache: a repeat answered from it asked the site nothing
			tenv := cachingEnv(countingEnv(env, &requests))
			if herr := scanHost(ctx, tenv, t, Allowed(checks, t.Mode), opt, emit, report); herr != nil {
				mu.Lock()
				failed = append(failed, herr)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	report(0, 0)
	sort.Slice(failed, func(i, j int) bool { return failed[i].Target < failed[j].Target })
	return failed
}

// scanHost runs checks against one target, retrying the failed ones.
func scanHost(ctx context.Context, env *Env, t Target, checks []Check, opt HostOptions,
	emit func(Result), report func(done, found int)) *HostError {
	pending := checks
	failed := map[string]error{}
	attempt := 0
	for ; len(pending) > 0 && attempt <= opt.Retries; attempt++ {
		if attempt > 0 {
			if opt.Sleep(ctx, opt.RetryBackoff<<(attempt-1)) != nil {
				break
			}
		}
		last := attempt == opt.Retries
		failed = runChecks(ctx, env, t, pending, opt, emit, report, last)
		next := pending[:0:0]
		for _, c := range pending {
			if _, bad := failed[c.ID()]; bad {
				next = append(next, c)
			}
		}
		pending = next
		if ctx.Err() != nil {
			break
		}
	}
	if len(pending) == 0 {
		return nil
	}
	// Checks never tried (the round was stopped) still count as finished
	// for the progress, as failed.
	if len(failed) < len(pending) || ctx.Err() != nil {
		for _, c := range pending {
			if _, ok := failed[c.ID()]; !ok {
				failed[c.ID()] = ctx.Err()
			}
		}
	}
	return &HostError{Target: t.URL, Attempts: attempt, Failed: failed}
}

// runChecks is one attempt at one target. A check's results are passed on
// even when it then fails: what it saw, it saw. It returns the checks that
// failed; report counts a check as done when it succeeded or when this was
// its last attempt.
func runChecks(ctx context.Context, env *Env, t Target, checks []Check, opt HostOptions,
	emit func(Result), report func(done, found int), last bool) map[string]error {
	hctx, cancel := context.WithTimeout(ctx, opt.HostTimeout)
	defer cancel()
	var mu sync.Mutex
	failed := map[string]error{}
	work := make(chan Check)
	var wg sync.WaitGroup
	for range min(opt.PerHost, len(checks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				n, err := runCheck(hctx, env, t, c, opt, emit)
				if err != nil && hctx.Err() != nil && ctx.Err() == nil {
					err = fmt.Errorf("no answer within %s: %w", opt.HostTimeout, err)
				}
				if err != nil {
					mu.Lock()
					failed[c.ID()] = err
					mu.Unlock()
				}
				if err == nil || last {
					report(1, n)
				} else {
					report(0, n)
				}
			}
		}()
	}
	for _, c := range checks {
		work <- c
	}
	close(work)
	wg.Wait()
	return failed
}

// runCheck runs one check, turning a panic into an error and holding it to
// the result cap (past it, the check runs on and its results are dropped:
// a template matching every line of an endless page must not fill memory).
func runCheck(ctx context.Context, env *Env, t Target, c Check, opt HostOptions, emit func(Result)) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check %s panicked: %v", c.ID(), p)
		}
	}()
	err = c.Run(ctx, env, t, func(r Result) {
		if n >= opt.MaxResultsPerCheck {
			return
		}
		n++
		if r.TemplateID == "" {
			r.TemplateID = c.ID()
		}
		if r.Timestamp.IsZero() {
			r.Timestamp = opt.Now()
		}
		r.Request = clip(r.Request, opt.MaxEvidence)
		r.Response = clip(r.Response, opt.MaxEvidence)
		emit(r)
	})
	return n, err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n[... clipped by garda: " + fmt.Sprint(len(s)-n) + " more bytes]"
}

// countingEnv counts every HTTP request and every raw connection made
// through env, leaving its limits in place underneath.
func countingEnv(env *Env, n *atomic.Int64) *Env {
	if env == nil {
		return &Env{}
	}
	e := *env
	if env.HTTP != nil {
		c := *env.HTTP
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		c.Transport = countingTransport{rt, n}
		e.HTTP = &c
	}
	if env.Dial != nil {
		dial := env.Dial
		e.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			n.Add(1)
			return dial(ctx, network, addr)
		}
	}
	return &e
}

type countingTransport struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(r)
}
