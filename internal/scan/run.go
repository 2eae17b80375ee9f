package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Recorder keeps the record of scans (the finding package's store).
type Recorder interface {
	// Begin checks the asset's authorisation and opens a scan of it,
	// returning the authorisation it runs under; without a valid one it
	// refuses with the reason and records nothing to run.
	Begin(ctx context.Context, assetID int64, trigger, requestedBy string) (scanID int64, auth Authorization, err error)
	// Progress says how far a running scan has got, for the live page.
	Progress(ctx context.Context, scanID int64, done, total, requests int) error
	// Finish closes the scan with its status and what it saw.
	Finish(ctx context.Context, scanID int64, status string, results []Result, runErr error) error
}

// EnvFactory builds the Env a scan under auth reaches its targets
// through; package fetch provides the real one, honouring
// auth.RatePerSecond and auth.Concurrency per host and the address guard.
type EnvFactory func(auth Authorization) *Env

// DueAssets lists the assets due for a scan at now, by IsDue, in the order
// a round starts them (the slowest last time first): the finding store
// answers it from its authorisations, scans and open findings.
type DueAssets func(ctx context.Context, now time.Time) ([]int64, error)

// How often an asset is scanned (issue 11): every authorised asset at
// least daily, one with an open critical or high finding every 12 hours.
const (
	Cadence       = 24 * time.Hour
	UrgentCadence = 12 * time.Hour
)

// IsDue says whether an asset whose last scan started at last (zero:
// never scanned) is due at now; urgent when it has an open critical or
// high finding. One place decides the cadence; DueAssets's query follows
// it.
func IsDue(last time.Time, urgent bool, now time.Time) bool {
	return IsDueEvery(last, CadenceOf(urgent, 0), now)
}

// CadenceOf is how often an asset is scanned: daily, every 12 hours with
// an open critical or high finding, and at the posture's cadence
// (calendar.Rules: siaga 6 h, awas 1 h) while the asset matters in a
// running phase of the election calendar (phase > 0), whichever is
// shortest.
func CadenceOf(urgent bool, phase time.Duration) time.Duration {
	every := Cadence
	if urgent {
		every = UrgentCadence
	}
	if phase > 0 && phase < every {
		every = phase
	}
	return every
}

// IsDueEvery says whether an asset last scanned at last (zero: never) is
// due at now when it is scanned every every.
func IsDueEvery(last time.Time, every time.Duration, now time.Time) bool {
	return last.IsZero() || !now.Before(last.Add(every))
}

// Runner runs the scans of assets: the daily round and scans started by
// hand.
type Runner struct {
	Auth     Authorizations
	Recorder Recorder
	Env      EnvFactory
	Due      DueAssets
	// Checks are the checks a scan may run (LoadChecks gives the
	// registered ones); the authorisation's mode narrows them per scan.
	Checks []Check
	Hosts  HostOptions
	// MaxResults caps one scan's results kept for Finish (default 5000),
	// and MaxEvidence the bytes of requests and responses they keep
	// (default 4 MiB; past it, results keep everything but the evidence),
	// so memory stays bounded whatever the targets answer.
	MaxResults  int
	MaxEvidence int
	// ProgressEvery is the least time between two Progress calls of one
	// scan (default 1 s); the last is always sent.
	ProgressEvery time.Duration
	Now           func() time.Time
	Log           *slog.Logger
}

// ErrNotAuthorized wraps the reason a scan is refused.
var ErrNotAuthorized = errors.New("scan refused: no valid authorisation")

// RoundReport says what one round did.
type RoundReport struct {
	Assets   int // due assets
	Scanned  int // scans finished done
	Partial  int
	Failed   int
	Refused  int
	Results  int
	Requests int
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Round scans every due asset, at most Hosts.MaxHosts targets at once
// across all of them. An asset that fails or is refused is reported and
// the round goes on; the error is only for a round that could not start.
func (r *Runner) Round(ctx context.Context) (RoundReport, error) {
	var rep RoundReport
	if r.Due == nil {
		return rep, errors.New("scan round: nothing says which assets are due")
	}
	assets, err := r.Due(ctx, r.now())
	if err != nil {
		return rep, fmt.Errorf("scan round: list the due assets: %w", err)
	}
	assets = firstOfEach(assets) // in Due's order: the slowest first
	rep.Assets = len(assets)
	hosts := r.Hosts.withDefaults()
	// One slot pool for the whole round: the global ceiling.
	slots := make(chan struct{}, hosts.MaxHosts)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// As many assets in flight as there are slots: enough to fill them
	// without opening hundreds of scans that only wait.
	assetSlots := make(chan struct{}, hosts.MaxHosts)
	for _, id := range assets {
		select {
		case assetSlots <- struct{}{}:
		case <-ctx.Done():
			return rep, nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-assetSlots }()
			out, err := r.scan(ctx, id, TriggerSchedule, "", slots)
			mu.Lock()
			defer mu.Unlock()
			rep.Results += out.results
			rep.Requests += out.requests
			switch {
			case errors.Is(err, ErrNotAuthorized):
				rep.Refused++
				r.log().Warn("scan refused", "asset", id, "err", err)
			case out.status == StatusDone:
				rep.Scanned++
			case out.status == StatusPartial:
				rep.Partial++
				r.log().Warn("scan partly failed", "asset", id, "scan", out.scanID, "err", err)
			default:
				rep.Failed++
				r.log().Error("scan failed", "asset", id, "scan", out.scanID, "err", err)
			}
		}()
	}
	wg.Wait()
	return rep, nil
}

// ScanAsset scans one asset now (a scan started by hand, or one asset of
// the round), under its authorisation; without one it is refused with an
// error wrapping ErrNotAuthorized. It returns the scan's id once finished.
func (r *Runner) ScanAsset(ctx context.Context, assetID int64, trigger, requestedBy string) (int64, error) {
	slots := make(chan struct{}, r.Hosts.withDefaults().MaxHosts)
	out, err := r.scan(ctx, assetID, trigger, requestedBy, slots)
	return out.scanID, err
}

type scanOutcome struct {
	scanID            int64
	status            string
	results, requests int
}

func (r *Runner) scan(ctx context.Context, assetID int64, trigger, requestedBy string, slots chan struct{}) (scanOutcome, error) {
	var out scanOutcome
	if r.Auth != nil {
		if _, err := r.Auth.Valid(ctx, assetID, r.now()); err != nil {
			return out, fmt.Errorf("%w for asset %d: %w", ErrNotAuthorized, assetID, err)
		}
	}
	scanID, auth, err := r.Recorder.Begin(ctx, assetID, trigger, requestedBy)
	if err != nil {
		return out, fmt.Errorf("%w for asset %d: %w", ErrNotAuthorized, assetID, err)
	}
	out.scanID = scanID
	targets, err := Targets(auth)
	if err != nil {
		out.status = StatusFailed
		return out, r.finish(ctx, scanID, StatusFailed, nil, err)
	}
	env := r.Env(auth)

	maxResults := r.MaxResults
	if maxResults <= 0 {
		maxResults = 5000
	}
	evidenceLeft := r.MaxEvidence
	if evidenceLeft <= 0 {
		evidenceLeft = 4 << 20
	}
	every := r.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	var (
		mu       sync.Mutex
		results  []Result
		dropped  int
		lastSent time.Time
		last     Progress
	)
	emit := func(res Result) {
		mu.Lock()
		defer mu.Unlock()
		if len(results) >= maxResults {
			dropped++
			return
		}
		if n := len(res.Request) + len(res.Response); n > evidenceLeft {
			res.Request, res.Response = "", "[evidence not kept: over the scan's budget]"
		} else {
			evidenceLeft -= n
		}
		results = append(results, res)
	}
	progress := func(p Progress) {
		mu.Lock()
		last = p
		send := time.Since(lastSent) >= every
		if send {
			lastSent = time.Now()
		}
		mu.Unlock()
		if send {
			if err := r.Recorder.Progress(ctx, scanID, p.Done, p.Total, p.Requests); err != nil {
				r.log().Warn("scan progress not recorded", "scan", scanID, "err", err)
			}
		}
	}
	hosts := r.Hosts.withDefaults()
	if auth.Concurrency > 0 {
		// The authorisation's ceiling of connections per host is also
		// how many checks run at once against one target.
		hosts.PerHost = auth.Concurrency
	}
	failed := scanTargets(ctx, env, targets, r.Checks, hosts, emit, progress, slots)
	if err := r.Recorder.Progress(ctx, scanID, last.Done, last.Total, last.Requests); err != nil {
		r.log().Warn("scan progress not recorded", "scan", scanID, "err", err)
	}
	out.results, out.requests = len(results), last.Requests

	var errs []error
	for _, f := range failed {
		errs = append(errs, f)
	}
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("%d results over the cap of %d were dropped", dropped, maxResults))
	}
	runErr := errors.Join(errs...)
	switch {
	case ctx.Err() != nil:
		out.status = StatusFailed
		runErr = errors.Join(fmt.Errorf("scan stopped: %w", ctx.Err()), runErr)
	case len(failed) == 0:
		out.status = StatusDone
	case len(failed) < len(targets):
		out.status = StatusPartial
	default:
		out.status = StatusFailed
	}
	return out, r.finish(ctx, scanID, out.status, results, runErr)
}

// finish records the end even when the round's context is over: a scan
// left "running" would show live progress forever.
func (r *Runner) finish(ctx context.Context, scanID int64, status string, results []Result, runErr error) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.Recorder.Finish(fctx, scanID, status, results, runErr); err != nil {
		return errors.Join(runErr, fmt.Errorf("record the end of scan %d: %w", scanID, err))
	}
	return runErr
}

// Targets turns an authorisation's scope into the targets to scan, each
// under its mode: a URL as given (its path is the prefix the scope
// allows), a host name as https://host, host:port as http:// for the
// usual plain-HTTP ports and https:// otherwise. An entry that is none of
// these is an error: a scope is never narrowed silently.
func Targets(auth Authorization) ([]Target, error) {
	if auth.Mode != Passive && auth.Mode != Active {
		return nil, fmt.Errorf("authorisation %d: unknown mode %q", auth.ID, auth.Mode)
	}
	seen := map[string]bool{}
	var out []Target
	for _, entry := range auth.Scope {
		u, err := scopeURL(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("authorisation %d: scope entry %q: %w", auth.ID, entry, err)
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, Target{URL: u, Mode: auth.Mode})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("authorisation %d has an empty scope", auth.ID)
	}
	return out, nil
}

func scopeURL(entry string) (string, error) {
	if entry == "" {
		return "", errors.New("empty")
	}
	if strings.Contains(entry, "://") {
		u, err := url.Parse(entry)
		if err != nil {
			return "", err
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return "", errors.New("want an http:// or https:// URL with a host")
		}
		return u.String(), nil
	}
	if strings.ContainsAny(entry, "/?#@ ") {
		return "", errors.New("want a host name, host:port or a URL")
	}
	host, port, err := net.SplitHostPort(entry)
	if err != nil {
		return "https://" + entry, nil
	}
	if host == "" || port == "" {
		return "", errors.New("want host:port")
	}
	switch port {
	case "80", "8000", "8008", "8080":
		return "http://" + entry, nil
	case "443":
		return "https://" + host, nil
	}
	return "https://" + entry, nil
}

// firstOfEach drops repeated ids, keeping the order.
func firstOfEach(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
