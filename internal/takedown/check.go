package takedown

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Results of Garda's own check of a URL.
const (
	CheckGone        = "gone"         // nothing answers: the host is gone or refuses connections
	CheckNotFound    = "not_found"    // 404 or 410
	CheckRemovalPage = "removal_page" // the platform's removal page, or 451
	CheckOnline      = "online"       // the content still answers
	CheckError       = "error"        // no verdict: slow, endless, a redirect loop, a server error
)

// down reports whether a check result says the content is down.
func down(result string) bool {
	return result == CheckGone || result == CheckNotFound || result == CheckRemovalPage
}

// Check is one of Garda's checks of a URL.
type Check struct {
	URLID  int64     `json:"url_id"`
	URL    string    `json:"url"`
	At     time.Time `json:"at"`
	Result string    `json:"result"`
	Status int       `json:"status,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Checker fetches the URLs of sent requests through package fetch (the
// patrol's polite, guarded fetcher) and records what it saw: when a URL
// stopped answering, answered 404/410, or showed its platform's removal
// page. The first check that saw it down dates the takedown; a URL the
// platform answered "removed" that still answers is flagged.
type Checker struct {
	DB    *store.DB
	Fetch *fetch.Fetcher
	// Now is the clock (nil: store.Now).
	Now func() time.Time
	// Every is how long a URL rests between scheduled checks (default 30 min).
	Every time.Duration
	// Batch bounds the URLs of one scheduled round (default 200), Workers
	// the checks at once (default 4; the fetcher paces each host).
	Batch, Workers int
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC().Truncate(time.Microsecond)
	}
	return store.Now()
}

// target is a URL to check with its platform's removal text.
type target struct {
	urlID, requestID int64
	url, removal     string
	outcome          string
}

// CheckRequest checks every URL of a sent request, on demand, for the
// issuing agency's people; it returns the checks in the URLs' order.
func (c *Checker) CheckRequest(ctx context.Context, who auth.Principal, id int64) ([]Check, error) {
	r, err := get(ctx, c.DB, who, id)
	if err != nil {
		return nil, err
	}
	if !ownerWorker(who, r) {
		return nil, problem.New(problem.Forbidden, "only %s's people check its requests", r.Owner)
	}
	if r.SentAt == nil {
		return nil, problem.New(problem.Conflict, "request %s is not sent yet: there is nothing to check", r.Number)
	}
	targets, err := c.targets(ctx, `tu.takedown_id = ?`, []any{id}, 0)
	if err != nil {
		return nil, err
	}
	checks := c.run(ctx, targets)
	if err := c.record(ctx, who.Actor(), checks, targets); err != nil {
		return nil, err
	}
	c.unblockDown(ctx, checks, targets)
	return checks, nil
}

// unblockDown lifts the blocks of requests at pemutusan akses whose URLs a
// check saw down. A lift that fails is retried by the clocks' next tick.
func (c *Checker) unblockDown(ctx context.Context, checks []Check, targets []target) {
	seen := map[int64]bool{}
	for i, ch := range checks {
		id := targets[i].requestID
		if !down(ch.Result) || seen[id] {
			continue
		}
		seen[id] = true
		var stage int
		if err := c.DB.QueryRow(ctx, `SELECT stage FROM takedowns WHERE id = ?`, id).Scan(&stage); err == nil && stage >= StageCut {
			_, _, _ = SyncBlocks(ctx, c.DB, id)
		}
	}
}

// Round checks the URLs of sent requests that are not known to be down
// and were not checked within Every, oldest check first. The scheduler runs
// it on one instance at a time, so that each URL is fetched once.
func (c *Checker) Round(ctx context.Context) ([]Check, error) {
	every := c.Every
	if every <= 0 {
		every = 30 * time.Minute
	}
	batch := c.Batch
	if batch <= 0 {
		batch = 200
	}
	now := c.now()
	targets, err := c.targets(ctx, `t.sent_at IS NOT NULL AND tu.gone_at IS NULL AND tu.outcome IN (?, ?, ?, ?, ?)
		AND NOT EXISTS (SELECT 1 FROM takedown_checks tc WHERE tc.url_id = tu.id AND tc.checked_at > ?)`,
		[]any{Pending, Removed, Restricted, Objected, NoAnswer, now.Add(-every)}, batch)
	if err != nil {
		return nil, err
	}
	checks := c.run(ctx, targets)
	if err := c.record(ctx, audit.System, checks, targets); err != nil {
		return checks, err
	}
	c.unblockDown(ctx, checks, targets)
	return checks, nil
}

// Record keeps checks made elsewhere (the demo world's), as the checker
// keeps its own: the first check that saw a URL down dates its takedown, a
// URL answered removed that still answers is flagged. A check of a URL
// that is not a request's, or with a result not one of the Check* results,
// is refused and nothing is stored.
func (c *Checker) Record(ctx context.Context, actor audit.Actor, checks []Check) error {
	targets := make([]target, len(checks))
	for i, ch := range checks {
		if !down(ch.Result) && ch.Result != CheckOnline && ch.Result != CheckError {
			return problem.Field("result", "%q is not a check result", ch.Result)
		}
		ts, err := c.targets(ctx, `tu.id = ?`, []any{ch.URLID}, 1)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return problem.Field("url_id", "no takedown URL %d", ch.URLID)
		}
		targets[i], checks[i].URL = ts[0], ts[0].url
	}
	if err := c.record(ctx, actor, checks, targets); err != nil {
		return err
	}
	c.unblockDown(ctx, checks, targets)
	return nil
}

func (c *Checker) targets(ctx context.Context, where string, args []any, limit int) ([]target, error) {
	q := `SELECT tu.id, tu.takedown_id, tu.url, p.removal_text, tu.outcome FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id
		JOIN takedown_platforms p ON p.id = t.platform_id WHERE ` + where + ` ORDER BY tu.id`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := c.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("takedown URLs to check: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (target, error) {
		var t target
		return t, s.Scan(&t.urlID, &t.requestID, &t.url, &t.removal, &t.outcome)
	})
}

// run checks targets, a few at a time; one URL's trouble never stops the
// others.
func (c *Checker) run(ctx context.Context, targets []target) []Check {
	workers := c.Workers
	if workers <= 0 {
		workers = 4
	}
	out := make([]Check, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = c.check(ctx, t)
		}()
	}
	wg.Wait()
	return out
}

// check fetches one URL and judges what came back.
func (c *Checker) check(ctx context.Context, t target) Check {
	ch := Check{URLID: t.urlID, URL: t.url}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		ch.Result, ch.Detail = CheckError, "not a URL Garda can fetch: "+err.Error()
		return ch
	}
	resp, err := c.Fetch.Client().Do(req)
	ch.At = c.now()
	if err != nil {
		ch.Result, ch.Detail = judgeError(err)
		return ch
	}
	defer resp.Body.Close()
	ch.Status = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		ch.Result, ch.Detail = CheckNotFound, resp.Status
		return ch
	case resp.StatusCode == http.StatusUnavailableForLegalReasons:
		ch.Result, ch.Detail = CheckRemovalPage, resp.Status
		return ch
	case resp.StatusCode >= 500 || (resp.StatusCode >= 400 && resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized):
		ch.Result, ch.Detail = CheckError, "the site answered "+resp.Status+": no verdict"
		return ch
	}
	body, cut, err := fetch.ReadAll(resp.Body)
	switch {
	case err != nil:
		ch.Result, ch.Detail = judgeError(err)
		if ch.Result == CheckGone { // it answered, then broke off: no verdict
			ch.Result = CheckError
		}
		return ch
	case t.removal != "" && strings.Contains(strings.ToLower(string(body)), strings.ToLower(t.removal)):
		ch.Result, ch.Detail = CheckRemovalPage, fmt.Sprintf("%s, the platform's removal page (%q)", resp.Status, t.removal)
	case cut:
		ch.Result, ch.Detail = CheckError, fmt.Sprintf("%s with a body longer than %d bytes: cut, no verdict", resp.Status, len(body))
	default:
		ch.Result, ch.Detail = CheckOnline, resp.Status+", the content still answers"
	}
	return ch
}

// judgeError tells "nothing answers" (the content is gone) from a site
// that misbehaves (no verdict), with a clear word for each.
func judgeError(err error) (string, string) {
	var dns *net.DNSError
	var denied *fetch.DeniedError
	switch {
	case errors.As(err, &denied):
		return CheckError, "the address is not one Garda may fetch: " + err.Error()
	case errors.As(err, &dns) && dns.IsNotFound:
		return CheckGone, "the host name no longer exists: " + dns.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return CheckGone, "the host refuses connections"
	case errors.Is(err, fetch.ErrRedirectLoop):
		return CheckError, "a redirect loop: " + err.Error()
	case errors.Is(err, fetch.ErrTooManyRedirects):
		return CheckError, "too many redirects: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return CheckError, "the site is too slow: no full answer within the time allowed"
	}
	return CheckError, err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// record stores checks: a check row each; a URL seen down gets its first
// down time (and loses a "still online" flag); a URL the platform answered
// removed or restricted that still answers is flagged. A check without a
// verdict changes nothing but its own row.
func (c *Checker) record(ctx context.Context, actor audit.Actor, checks []Check, targets []target) error {
	return c.DB.InTx(ctx, func(tx *store.Tx) error {

		for i, ch := range checks {
			t := targets[i]
			if ch.At.IsZero() {
				ch.At = c.now()
				checks[i].At = ch.At
			}
			if _, err := tx.Exec(ctx, `INSERT INTO takedown_checks (url_id, checked_at, result, status, detail) VALUES (?, ?, ?, ?, ?)`,
				ch.URLID, ch.At, ch.Result, ch.Status, ch.Detail); err != nil {
				return fmt.Errorf("record check: %w", err)
			}
			switch {
			case down(ch.Result):
				if _, err := tx.Exec(ctx, `UPDATE takedown_urls SET gone_at = COALESCE(gone_at, ?), still_online = 0 WHERE id = ?`, ch.At, ch.URLID); err != nil {
					return err
				}
			case ch.Result == CheckOnline && (t.outcome == Removed || t.outcome == Restricted):
				res, err := tx.Exec(ctx, `UPDATE takedown_urls SET still_online = 1 WHERE id = ? AND still_online = 0`, ch.URLID)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k > 0 {

					if err := systemEvent(ctx, tx, t.requestID, "still_online", ch.URL, ch.At); err != nil {
						return err
					}
				}
			}
		}
		// One audit record per request checked.
		byRequest := map[int64]map[string]int{}
		var order []int64
		for i, ch := range checks {
			id := targets[i].requestID
			if byRequest[id] == nil {
				byRequest[id] = map[string]int{}
				order = append(order, id)
			}
			byRequest[id][ch.Result]++
		}
		for _, id := range order {
			if err := audit.Record(ctx, tx, actor, "takedown.check", RecordKind, id, map[string]any{"results": byRequest[id]}); err != nil {
				return err
			}
		}

		return nil
	})
}

// Checks lists a request's checks, newest first, for a reader of it.
func Checks(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]Check, error) {
	if _, err := get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT tc.url_id, tu.url, tc.checked_at, tc.result, tc.status, tc.detail FROM takedown_checks tc
		JOIN takedown_urls tu ON tu.id = tc.url_id WHERE tu.takedown_id = ? ORDER BY tc.id DESC LIMIT 500`, id)
	if err != nil {
		return nil, fmt.Errorf("takedown checks: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (Check, error) {
		var c Check
		return c, s.Scan(&c.URLID, &c.URL, &c.At, &c.Result, &c.Status, &c.Detail)
	})
}

// CheckJob is the scheduled job of Garda's outcome checks.
func CheckJob(c *Checker, every time.Duration) schedule.Job {
	return schedule.Job{Name: "takedown.checks", Every: every, Run: func(ctx context.Context) error {
		_, err := c.Round(ctx)
		return err
	}}
}
