package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Subscription is a partner's collection Garda pulls, as stored (the
// secret never leaves the store).
type Subscription struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	APIRootURL    string     `json:"api_root_url"`
	CollectionID  string     `json:"collection_id"`
	Username      string     `json:"username,omitempty"`
	UserID        int64      `json:"user_id"`
	User          string     `json:"user"`
	OwnerOrgID    int64      `json:"owner_org_id"`
	Owner         string     `json:"owner"`
	EverySeconds  int        `json:"every_seconds"`
	Bookmark      string     `json:"bookmark,omitempty"`
	Enabled       bool       `json:"enabled"`
	LastPullAt    *time.Time `json:"last_pull_at,omitempty"`
	LastOKAt      *time.Time `json:"last_ok_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	PulledObjects int64      `json:"pulled_objects"`
	CreatedAt     time.Time  `json:"created_at"`

	secret string
}

// SecretPurpose is what a subscription's sealed secret is bound to
// (package secret): it opens in this column only.
const SecretPurpose = "taxii_subscriptions.secret"

// SealSecrets seals every subscription secret still kept in the clear (from
// before secrets were sealed); run on start. It returns how many it sealed.
func SealSecrets(ctx context.Context, db *store.DB) (int, error) {
	return intel.SealColumn(ctx, db, "taxii_subscriptions", "secret", SecretPurpose)
}

// Healthy reports whether the last pull went well (or none was made yet).
func (s Subscription) Healthy() bool { return s.LastError == "" }

// NewSubscription is a subscription to create.
type NewSubscription struct {
	Name         string `json:"name"`
	APIRootURL   string `json:"api_root_url"`
	CollectionID string `json:"collection_id"`
	Username     string `json:"username,omitempty"` // HTTP Basic user; empty: the secret is sent as Bearer
	Secret       string `json:"secret"`
	EverySeconds int    `json:"every_seconds,omitempty"` // default 300, at least 30
}

// Subscribe stores a subscription of the principal's organisation; what it
// pulls is imported as the principal (who must be allowed to import).
func Subscribe(ctx context.Context, db *store.DB, who auth.Principal, n NewSubscription) (Subscription, error) {
	if !who.Can(policy.Investigate) {
		return Subscription{}, problem.New(problem.Forbidden, "your role may not import intelligence, so it may not subscribe")
	}
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 200 {
		return Subscription{}, problem.Field("name", "1 to 200 bytes")
	}
	u, err := url.Parse(n.APIRootURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Subscription{}, problem.Field("api_root_url", "an http(s) URL of the partner's API root, without credentials in it")
	}
	if !strings.HasSuffix(n.APIRootURL, "/") {
		n.APIRootURL += "/"
	}
	if n.CollectionID == "" || len(n.CollectionID) > 200 || strings.ContainsAny(n.CollectionID, "/?#") {
		return Subscription{}, problem.Field("collection_id", "the collection's id")
	}
	if len(n.Secret) > 1000 || len(n.Username) > 200 {
		return Subscription{}, problem.Field("secret", "too long")
	}
	if n.EverySeconds == 0 {
		n.EverySeconds = 300
	}
	if n.EverySeconds < 30 {
		return Subscription{}, problem.Field("every_seconds", "at least 30")
	}
	key, err := db.Secrets()
	if err != nil {
		return Subscription{}, err
	}
	sealed, err := key.Seal(SecretPurpose, n.Secret)
	if err != nil {
		return Subscription{}, err
	}
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO taxii_subscriptions (name, api_root_url, collection_id, username, secret, user_id, owner_org_id, every_seconds, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Name, n.APIRootURL, n.CollectionID, n.Username, sealed, who.User.ID, who.Org.ID, n.EverySeconds, store.Now()).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "your organisation subscribes to that collection already")
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "taxii.subscribe", "taxii_subscription", id, map[string]any{
			"name": n.Name, "api_root_url": n.APIRootURL, "collection_id": n.CollectionID})
	})
	if err != nil {
		return Subscription{}, err
	}
	return getSubscription(ctx, db, id)
}

const subColumns = `s.id, s.name, s.api_root_url, s.collection_id, s.username, s.secret, s.user_id, u.username, s.owner_org_id, o.slug,
	s.every_seconds, s.bookmark, s.enabled, s.last_pull_at, s.last_ok_at, s.last_error, s.pulled_objects, s.created_at
	FROM taxii_subscriptions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = s.owner_org_id`

func scanSub(r store.Scanner) (Subscription, error) {
	var s Subscription
	var enabled int
	err := r.Scan(&s.ID, &s.Name, &s.APIRootURL, &s.CollectionID, &s.Username, &s.secret, &s.UserID, &s.User, &s.OwnerOrgID, &s.Owner,
		&s.EverySeconds, &s.Bookmark, &enabled, &s.LastPullAt, &s.LastOKAt, &s.LastError, &s.PulledObjects, &s.CreatedAt)
	s.Enabled = enabled != 0
	return s, err
}

func getSubscription(ctx context.Context, q store.Querier, id int64) (Subscription, error) {
	s, err := scanSub(q.QueryRow(ctx, `SELECT `+subColumns+` WHERE s.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return s, problem.New(problem.NotFound, "no subscription %d", id)
	}
	return s, err
}

// Subscriptions lists the subscriptions of the principal's organisation and
// of the organisations below it.
func Subscriptions(ctx context.Context, q store.Querier, who auth.Principal) ([]Subscription, error) {
	lin := append([]int64{who.Org.ID}, who.Viewer.Lineage...)
	args := make([]any, len(lin))
	for i, id := range lin {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT `+subColumns+` WHERE s.owner_org_id IN (`+store.In(len(lin))+`) ORDER BY s.id`, args...)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, scanSub)
}

// PartnerError is a pull that failed because of what the partner did (or
// did not) answer, as opposed to a failure of Garda's own.
type PartnerError struct{ Err error }

func (e *PartnerError) Error() string { return e.Err.Error() }
func (e *PartnerError) Unwrap() error { return e.Err }

// Puller pulls subscriptions: bounded in time, in body size and in pages.
type Puller struct {
	DB     *store.DB
	Orgs   Trees
	Client *http.Client // nil: one with Timeout
	// Timeout bounds one request to a partner (default 30 s).
	Timeout time.Duration
	// MaxBody bounds one answer of a partner (default 16 MiB): more is an error, not a partial read.
	MaxBody int64
	// PageLimit is the limit asked for per page (default 500); MaxPages
	// bounds the pages of one pull (default 20; the bookmark carries on).
	PageLimit, MaxPages int
	Log                 *slog.Logger
	Now                 func() time.Time
}

// PullResult counts what one pull brought.
type PullResult struct {
	Pages    int                `json:"pages"`
	Objects  int                `json:"objects"`
	Imported intel.ImportResult `json:"imported"`
	Bookmark string             `json:"bookmark"`
	// Refused names each object the partner sent that could not be
	// imported, and why (the others were).
	Refused []string `json:"refused,omitempty"`
}

func (pl *Puller) client() *http.Client {
	if pl.Client != nil {
		return pl.Client
	}
	t := pl.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	return &http.Client{Timeout: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (pl *Puller) now() time.Time {
	if pl.Now != nil {
		return pl.Now()
	}
	return store.Now()
}

// Pull pulls one subscription now and records its health: the error (also
// returned) or a clean bill. Each page is imported whole or not at all, and
// the bookmark moves only past what was imported.
func (pl *Puller) Pull(ctx context.Context, id int64) (PullResult, error) {
	sub, err := getSubscription(ctx, pl.DB, id)
	if err != nil {
		return PullResult{}, err
	}
	res, perr := pl.pull(ctx, sub)
	now := pl.now()
	msg := ""
	if perr != nil {
		msg = perr.Error()
		if len(msg) > 2000 {
			msg = msg[:2000] + " ..."
		}
		msg = strings.ToValidUTF8(msg, "?")
		_, err = pl.DB.Exec(ctx, `UPDATE taxii_subscriptions SET last_pull_at = ?, last_error = ? WHERE id = ?`, now, msg, id)
	} else {
		_, err = pl.DB.Exec(ctx, `UPDATE taxii_subscriptions SET last_pull_at = ?, last_ok_at = ?, last_error = '' WHERE id = ?`, now, now, id)
	}
	if err != nil {
		return res, err
	}
	return res, perr
}

func (pl *Puller) pull(ctx context.Context, sub Subscription) (PullResult, error) {
	res := PullResult{Bookmark: sub.Bookmark}
	u, err := auth.UserByID(ctx, pl.DB, sub.UserID)
	if err != nil {
		return res, err
	}
	if u.Disabled {
		return res, fmt.Errorf("the subscribing user %s is disabled: subscribe again as someone else", u.Username)
	}
	tree, err := pl.Orgs.Tree(ctx)
	if err != nil {
		return res, err
	}
	who, err := auth.PrincipalOf(u, tree)
	if err != nil {
		return res, err
	}
	key, err := pl.DB.Secrets()
	if err != nil {
		return res, err
	}
	if sub.secret, err = key.Open(SecretPurpose, sub.secret); err != nil {
		return res, fmt.Errorf("subscription %d: %w", sub.ID, err)
	}
	maxPages := pl.MaxPages
	if maxPages <= 0 {
		maxPages = 20
	}
	limit := pl.PageLimit
	if limit <= 0 {
		limit = 500
	}
	next := ""
	for res.Pages < maxPages {
		env, last, err := pl.fetch(ctx, sub, sub.Bookmark, next, limit)
		if err != nil {
			return res, &PartnerError{err}
		}
		res.Pages++
		if len(env.Objects) > 0 {
			// Each object imports whole or not at all; the good ones of a
			// page go on, the refused ones are named on the health.
			failed := map[int]string{}
			got, err := importGood(ctx, pl.DB, who, env.Objects, failed)
			if err != nil {
				return res, err
			}
			for i := range env.Objects {
				if msg, bad := failed[i]; bad {
					var h objHead
					_ = json.Unmarshal(env.Objects[i], &h)
					res.Refused = append(res.Refused, fmt.Sprintf("page %d object %d (%s %s): %s", res.Pages, i, h.Type, h.ID, msg))
				}
			}
			res.Objects += len(env.Objects)
			res.Imported.Indicators += got.Indicators
			res.Imported.Revoked += got.Revoked
			res.Imported.Unchanged += got.Unchanged
			res.Imported.Objects += got.Objects
			res.Imported.Unknown = append(res.Imported.Unknown, got.Unknown...)
		}
		if last != "" {
			// The bookmark is the newest date_added imported.
			res.Bookmark = maxStamp(res.Bookmark, last)
		}
		if _, err := pl.DB.Exec(ctx, `UPDATE taxii_subscriptions SET bookmark = ?, pulled_objects = pulled_objects + ? WHERE id = ?`,
			res.Bookmark, len(env.Objects), sub.ID); err != nil {
			return res, err
		}
		if !env.More || env.Next == "" {
			break
		}
		next = env.Next
	}
	if len(res.Refused) > 0 {
		return res, &PartnerError{fmt.Errorf("%d objects refused (the rest imported): %s", len(res.Refused), strings.Join(res.Refused, "; "))}
	}
	return res, nil
}

// maxStamp is the later of two TAXII timestamps ("" is the earliest).
func maxStamp(a, b string) string {
	ta, ea := time.Parse(time.RFC3339Nano, a)
	tb, eb := time.Parse(time.RFC3339Nano, b)
	switch {
	case eb != nil:
		return a
	case ea != nil || tb.After(ta):
		return b
	}
	return a
}

type partnerEnvelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// fetch asks for one page; every way a partner can misbehave is an error
// that says what it did.
func (pl *Puller) fetch(ctx context.Context, sub Subscription, after, next string, limit int) (partnerEnvelope, string, error) {
	var env partnerEnvelope
	q := url.Values{}
	q.Set("limit", fmt.Sprint(limit))
	if after != "" {
		q.Set("added_after", after)
	}
	if next != "" {
		q.Set("next", next)
	}
	target := sub.APIRootURL + "collections/" + url.PathEscape(sub.CollectionID) + "/objects/?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return env, "", err
	}
	req.Header.Set("Accept", MediaTAXII)
	if sub.Username != "" {
		req.SetBasicAuth(sub.Username, sub.secret)
	} else if sub.secret != "" {
		req.Header.Set("Authorization", "Bearer "+sub.secret)
	}
	resp, err := pl.client().Do(req)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return env, "", fmt.Errorf("the partner did not answer in time (%s): %w", pl.timeout(), err)
		}
		return env, "", fmt.Errorf("the partner could not be reached: %w", err)
	}
	defer resp.Body.Close()
	max := pl.MaxBody
	if max <= 0 {
		max = 16 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return env, "", fmt.Errorf("the partner's answer broke off: %w", err)
	}
	if int64(len(body)) > max {
		return env, "", fmt.Errorf("the partner's answer is larger than %d bytes: refused unread (ask for smaller pages)", max)
	}
	if resp.StatusCode != http.StatusOK {
		return env, "", fmt.Errorf("the partner answered HTTP %d: %s", resp.StatusCode, snippet(body))
	}
	if mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		return env, "", fmt.Errorf("the partner answered %q, not %s: %s", resp.Header.Get("Content-Type"), MediaTAXII, snippet(body))
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return env, "", fmt.Errorf("the partner's answer is not a TAXII envelope: %v", err)
	}
	last := resp.Header.Get("X-TAXII-Date-Added-Last")
	if last != "" {
		if _, err := time.Parse(time.RFC3339Nano, last); err != nil {
			return env, "", fmt.Errorf("the partner's X-TAXII-Date-Added-Last %q is not a timestamp", snippet([]byte(last)))
		}
	} else if len(env.Objects) > 0 {
		return env, "", errors.New("the partner sent objects without X-TAXII-Date-Added-Last: no bookmark could be kept")
	}
	return env, last, nil
}

func (pl *Puller) timeout() time.Duration {
	if pl.Client != nil {
		return pl.Client.Timeout
	}
	if pl.Timeout > 0 {
		return pl.Timeout
	}
	return 30 * time.Second
}

func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 200 {
		s = s[:200] + " ..."
	}
	return fmt.Sprintf("%q", s)
}

// PullDue pulls every enabled subscription whose period has passed; one
// failing partner does not stop the others (its health says why).
func (pl *Puller) PullDue(ctx context.Context) error {
	rows, err := pl.DB.Query(ctx, `SELECT `+subColumns+` WHERE s.enabled = 1 ORDER BY s.id`)
	if err != nil {
		return err
	}
	subs, err := store.Collect(rows, scanSub)
	if err != nil {
		return err
	}
	now := pl.now()
	var failed []string
	for _, s := range subs {
		if s.LastPullAt != nil && now.Before(s.LastPullAt.Add(time.Duration(s.EverySeconds)*time.Second)) {
			continue
		}
		res, err := pl.Pull(ctx, s.ID)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", s.Name, err))
			continue
		}
		if pl.Log != nil {
			pl.Log.Info("taxii pull", "subscription", s.Name, "pages", res.Pages, "objects", res.Objects,
				"indicators", res.Imported.Indicators, "revoked", res.Imported.Revoked, "bookmark", res.Bookmark)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("taxii pulls failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

// Job is the scheduled pull of the subscriptions: every instance lists it,
// the schedule makes each run happen on one.
func (pl *Puller) Job(every time.Duration) schedule.Job {
	if every <= 0 {
		every = time.Minute
	}
	return schedule.Job{Name: "intel.taxii-pull", Every: every, Run: pl.PullDue}
}

// PullFor pulls a subscription now on a user's request: one of the
// subscribing organisation (or above it) who may import.
func (pl *Puller) PullFor(ctx context.Context, who auth.Principal, id int64) (PullResult, error) {
	sub, err := getSubscription(ctx, pl.DB, id)
	if err != nil {
		return PullResult{}, err
	}
	if sub.OwnerOrgID != who.Org.ID && !slices.Contains(who.Viewer.Lineage, sub.OwnerOrgID) {
		return PullResult{}, problem.New(problem.NotFound, "no subscription %d", id)
	}
	if !who.Can(policy.Investigate) {
		return PullResult{}, problem.New(problem.Forbidden, "your role may not import intelligence")
	}
	return pl.Pull(ctx, id)
}
