package misp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Source is a partner's MISP feed: its base URL (manifest.json and the
// events beside it) and the headers its server wants.
type Source struct {
	URL     string
	Headers http.Header
}

// ParseHeaders reads "Name: value" lines.
func ParseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("header %q is not Name: value", short(line))
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h, nil
}

func (s Source) get(ctx context.Context, client *http.Client, name string, limit int64) ([]byte, error) {
	u, err := url.Parse(strings.TrimSuffix(s.URL, "/") + "/" + name)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range s.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, fmt.Errorf("GET %s: %s: %s", name, res.Status, short(strings.TrimSpace(string(b))))
	}
	b, err := readLimited(res.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", name, err)
	}
	return b, nil
}

// Pull reads a partner's feed over HTTP and imports, event by event, those
// whose manifest timestamp is newer than the bookmark; it returns the
// bookmarks moved for the events imported. A manifest that cannot be read
// is the pull's error; an event that cannot be fetched or read, or is
// refused, is that event's error and the rest goes on (its bookmark stays,
// so the next pull tries it again).
func Pull(ctx context.Context, db *store.DB, who auth.Principal, client *http.Client, src Source, bookmarks map[string]Stamp) (Result, map[string]Stamp, error) {
	next := make(map[string]Stamp, len(bookmarks))
	for k, v := range bookmarks {
		next[k] = v
	}
	b, err := src.get(ctx, client, "manifest.json", MaxManifestBytes)
	if err != nil {
		return Result{}, next, err
	}
	m, err := ParseManifest(b)
	if err != nil {
		return Result{}, next, err
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out Result
	for _, id := range ids {
		if ctx.Err() != nil {
			return out, next, ctx.Err()
		}
		if seen, ok := next[id]; ok && m[id] != 0 && seen >= m[id] {
			continue
		}
		r, err := importOne(ctx, db, who, id, func() ([]byte, error) { return src.get(ctx, client, id+".json", MaxEventBytes) })
		if err != nil {
			return out, next, err
		}
		if r.Error != "" {
			out.Failed++
		} else {
			next[id] = settled(m[id], time.Now())
		}
		out.Events = append(out.Events, r)
	}
	return out, next, nil
}

// bookmarkMargin is how long after an event's timestamp Garda still
// fetches it again: MISP timestamps are whole seconds, so a change in the
// same second as a pull (or on a partner whose clock is a little behind)
// leaves the timestamp as it was; until the margin has passed, the
// bookmark stays just below it. Imports are idempotent, so the cost is a
// few re-fetched events.
const bookmarkMargin = 2 * time.Minute

func settled(ts Stamp, now time.Time) Stamp {
	if ts.Time().After(now.Add(-bookmarkMargin)) {
		return ts - 1
	}
	return ts
}

// HeadersPurpose is what a subscription's sealed headers (a partner's
// token) are bound to (package secret).
const HeadersPurpose = "misp_subscriptions.headers"

// SealSecrets seals the headers still kept in the clear (from before
// secrets were sealed); run on start. It returns how many it sealed.
func SealSecrets(ctx context.Context, db *store.DB) (int, error) {
	return intel.SealColumn(ctx, db, "misp_subscriptions", "headers", HeadersPurpose)
}

// Subscription is a partner's feed Garda pulls on a schedule.
type Subscription struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	URL       string     `json:"url"`
	UserID    int64      `json:"user_id"`
	Every     int64      `json:"every_seconds"`
	NextAt    time.Time  `json:"next_at"`
	LastRunAt *time.Time `json:"last_run_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	Result    string     `json:"last_result,omitempty"`
	headers   string
	bookmarks string
}

// NewSubscription is a subscription to add.
type NewSubscription struct {
	Name    string
	URL     string
	Headers string // "Name: value" lines
	Every   time.Duration
}

// Subscribe adds a subscription, due at once, pulled as the principal
// (whose organisation owns what comes in), who must be allowed to import
// intelligence.
func Subscribe(ctx context.Context, db *store.DB, who auth.Principal, in NewSubscription) (int64, error) {
	if !who.Can(policy.Investigate) {
		return 0, problem.New(problem.Forbidden, "your role may not import intelligence")
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, problem.Field("url", "an http or https URL of the feed (manifest.json beside it)")
	}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 100 {
		return 0, problem.Field("name", "1 to 100 bytes")
	}
	if _, err := ParseHeaders(in.Headers); err != nil {
		return 0, problem.Field("headers", "%v", err)
	}
	if in.Every <= 0 {
		in.Every = time.Hour
	}
	if in.Every < time.Minute {
		return 0, problem.Field("every", "at least a minute")
	}
	key, err := db.Secrets()
	if err != nil {
		return 0, err
	}
	headers, err := key.Seal(HeadersPurpose, in.Headers)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		if err := tx.QueryRow(ctx, `INSERT INTO misp_subscriptions (name, url, headers, user_id, every_seconds, next_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Name, in.URL, headers, who.User.ID, int64(in.Every/time.Second), now, now).Scan(&id); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return problem.New(problem.Conflict, "a subscription named %q exists", in.Name)
			}
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "misp.subscribe", "misp_subscription", id, map[string]any{"name": in.Name, "url": in.URL})
	})
	return id, err
}

const subColumns = `id, name, url, headers, user_id, every_seconds, bookmarks, next_at, last_run_at, last_error, last_result`

func scanSub(r store.Scanner) (Subscription, error) {
	var s Subscription
	err := r.Scan(&s.ID, &s.Name, &s.URL, &s.headers, &s.UserID, &s.Every, &s.bookmarks, &s.NextAt, &s.LastRunAt, &s.LastError, &s.Result)
	return s, err
}

// Subscriptions lists every subscription with its health.
func Subscriptions(ctx context.Context, q store.Querier) ([]Subscription, error) {
	rows, err := q.Query(ctx, `SELECT `+subColumns+` FROM misp_subscriptions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, scanSub)
}

// RunDue pulls every subscription that is due, one after the other, as
// its user, and records its health; one failing never stops the next.
func RunDue(ctx context.Context, db *store.DB, client *http.Client, log *slog.Logger) error {
	now := store.Now()
	rows, err := db.Query(ctx, `SELECT `+subColumns+` FROM misp_subscriptions WHERE next_at <= ? ORDER BY next_at, id`, now)
	if err != nil {
		return err
	}
	due, err := store.Collect(rows, scanSub)
	if err != nil {
		return err
	}
	for _, s := range due {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		res, err := RunOne(runCtx, db, client, s)
		cancel()
		if log != nil {
			log.Info("misp feed pulled", "subscription", s.Name, "result", res, "err", err)
		}
	}
	return nil
}

// RunOne pulls one subscription now and records its health and bookmarks.
func RunOne(ctx context.Context, db *store.DB, client *http.Client, s Subscription) (string, error) {
	err := func() error {
		u, err := auth.UserByID(ctx, db, s.UserID)
		if err != nil {
			return fmt.Errorf("user %d: %w", s.UserID, err)
		}
		tree, err := org.Load(ctx, db)
		if err != nil {
			return err
		}
		who, err := auth.PrincipalOf(u, tree)
		if err != nil {
			return err
		}
		key, err := db.Secrets()
		if err != nil {
			return err
		}
		clear, err := key.Open(HeadersPurpose, s.headers)
		if err != nil {
			return fmt.Errorf("the feed's headers: %w", err)
		}
		h, err := ParseHeaders(clear)
		if err != nil {
			return err
		}
		marks := map[string]Stamp{}
		if s.bookmarks != "" {
			_ = json.Unmarshal([]byte(s.bookmarks), &marks)
		}
		res, next, perr := Pull(ctx, db, who, client, Source{URL: s.URL, Headers: h}, marks)
		b, _ := json.Marshal(next)
		s.bookmarks = string(b)
		held, refused := 0, 0
		for _, e := range res.Events {
			held += e.Held
			refused += len(e.Refused)
		}
		s.Result = fmt.Sprintf("%d events read, %d refused; %d values held, %d on a warninglist", len(res.Events), res.Failed, held, refused)
		if perr != nil {
			return perr
		}
		return res.Err()
	}()
	now := store.Now()
	msg := ""
	if err != nil {
		msg = err.Error()
		if len(msg) > 4000 {
			msg = msg[:4000]
		}
	}
	if _, uerr := db.Exec(ctx, `UPDATE misp_subscriptions SET bookmarks = ?, next_at = ?, last_run_at = ?, last_error = ?, last_result = ? WHERE id = ?`,
		nonEmpty(s.bookmarks, "{}"), now.Add(time.Duration(s.Every)*time.Second), now, msg, s.Result, s.ID); uerr != nil {
		return s.Result, errors.Join(err, uerr)
	}
	return s.Result, err
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Job is the scheduler's job: every minute, the subscriptions that are
// due, on one instance at a time (internal/schedule).
func Job(db *store.DB, client *http.Client, log *slog.Logger) schedule.Job {
	return schedule.Job{Name: "misp.feeds", Every: time.Minute, Run: func(ctx context.Context) error {
		return RunDue(ctx, db, client, log)
	}}
}
