package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"  // gave up after MaxAttempts
	Dropped   = "dropped" // the incident became RED before delivery
)

// Retry policy: attempt k (1-based) that fails is retried after
// BaseBackoff * 2^(k-1), at most MaxBackoff, up to MaxAttempts attempts.
const (
	MaxAttempts = 8
	BaseBackoff = 30 * time.Second
	MaxBackoff  = time.Hour
	// claimFor is how long a worker holds a delivery it is sending.
	claimFor = 2 * time.Minute
)

// Backoff is the wait after the attempts-th failed attempt.
func Backoff(attempts int) time.Duration {
	d := BaseBackoff
	for i := 1; i < attempts && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// Webhook is a registered endpoint. Secret is set only in the answer to
// its creation. A webhook belongs to an organisation and a region scope,
// those of the administrator who registered it, and hears only what a
// reader of that organisation and scope may read (see hookViewer).
type Webhook struct {
	ID        int64     `json:"id"`
	Org       string    `json:"org"`
	Scope     string    `json:"scope"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	OrgID     int64     `json:"-"`
}

// WebhookInput is what an administrator sends to register a webhook.
type WebhookInput struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"` // optional: generated (and shown once) when empty
	Events []string `json:"events"`
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(s) > 2000 {
		return problem.Field("url", "must be an http or https URL without credentials")
	}
	return nil
}

func canManage(who auth.Principal) error {
	if !who.Can(policy.ManageSettings) {
		return problem.New(problem.Forbidden, "only administrators manage webhooks")
	}
	return nil
}

// CreateWebhook registers a webhook for the administrator's organisation.
func CreateWebhook(ctx context.Context, db *store.DB, who auth.Principal, in WebhookInput) (Webhook, error) {
	if err := canManage(who); err != nil {
		return Webhook{}, err
	}
	in.URL = strings.TrimSpace(in.URL)
	if err := validURL(in.URL); err != nil {
		return Webhook{}, err
	}
	if in.Secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return Webhook{}, err
		}
		in.Secret = hex.EncodeToString(b)
	} else if len(in.Secret) < 16 || len(in.Secret) > 200 {
		return Webhook{}, problem.Field("secret", "must be 16 to 200 characters (or omitted, to have one generated)")
	}
	var events []string
	for _, e := range in.Events {
		if !slices.Contains(Events, e) {
			return Webhook{}, problem.Field("events", "unknown event %q: use %s", e, strings.Join(Events, ", "))
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return Webhook{}, problem.Field("events", "name at least one of %s", strings.Join(Events, ", "))
	}
	h := Webhook{Org: who.Org.Slug, OrgID: who.Org.ID, Scope: who.User.Scope, URL: in.URL, Events: events, Secret: in.Secret, CreatedAt: store.Now()}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO webhooks (org_id, scope, url, secret, events, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			h.OrgID, h.Scope, h.URL, h.Secret, strings.Join(events, ","), who.User.ID, h.CreatedAt).Scan(&h.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "webhook.create", "webhook", h.ID, map[string]any{"url": h.URL, "events": events, "scope": h.Scope})
	})
	return h, err
}

// managedBy is the WHERE fragment for the webhooks an administrator
// manages: its organisation's, with a scope inside its own (a regency's
// administrator does not remove the province's webhook).
func managedBy(who auth.Principal) (string, []any) {
	where, args := `org_id = ? AND deleted_at IS NULL`, []any{who.Org.ID}
	if who.User.Scope != "" {
		where += ` AND (scope = ? OR scope LIKE ?)`
		args = append(args, who.User.Scope, who.User.Scope+".%")
	}
	return where, args
}

// Webhooks lists the live webhooks the administrator manages.
func Webhooks(ctx context.Context, q store.Querier, who auth.Principal) ([]Webhook, error) {
	if err := canManage(who); err != nil {
		return nil, err
	}
	where, args := managedBy(who)
	rows, err := q.Query(ctx, `SELECT id, scope, url, events, created_at FROM webhooks WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		h := Webhook{Org: who.Org.Slug, OrgID: who.Org.ID}
		var events string
		if err := rows.Scan(&h.ID, &h.Scope, &h.URL, &events, &h.CreatedAt); err != nil {
			return nil, err
		}
		h.Events = strings.Split(events, ",")
		out = append(out, h)
	}
	return out, rows.Err()
}

// ownWebhook checks that id is a live webhook who manages.
func ownWebhook(ctx context.Context, q store.Querier, who auth.Principal, id int64) error {
	var one int
	where, args := managedBy(who)
	err := q.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = ? AND `+where, append([]any{id}, args...)...).Scan(&one)
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "no webhook %d", id)
	}
	return err
}

// DeleteWebhook removes a webhook; its pending deliveries are dropped.
func DeleteWebhook(ctx context.Context, db *store.DB, who auth.Principal, id int64) error {
	if err := canManage(who); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if err := ownWebhook(ctx, tx, who, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET deleted_at = ? WHERE id = ?`, store.Now(), id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = NULL WHERE webhook_id = ? AND status = ?`, Dropped, id, Pending); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "webhook.delete", "webhook", id, nil)
	})
}

// Delivery is one event sent (or being sent) to a webhook.
type Delivery struct {
	ID            int64      `json:"id"`
	WebhookID     int64      `json:"webhook_id"`
	Event         string     `json:"event"`
	IncidentID    int64      `json:"incident_id"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	ResponseCode  int        `json:"response_code,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

// Deliveries lists a webhook's deliveries, newest first, below the id
// before (0 = from the top), up to limit+1.
func Deliveries(ctx context.Context, q store.Querier, who auth.Principal, webhookID, before int64, limit int) ([]Delivery, error) {
	if err := canManage(who); err != nil {
		return nil, err
	}
	if err := ownWebhook(ctx, q, who, webhookID); err != nil {
		return nil, err
	}
	where, args := `webhook_id = ?`, []any{webhookID}
	if before > 0 {
		where += ` AND id < ?`
		args = append(args, before)
	}
	return queryDeliveries(ctx, q, where+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
}

func queryDeliveries(ctx context.Context, q store.Querier, where string, args ...any) ([]Delivery, error) {
	rows, err := q.Query(ctx, `SELECT id, webhook_id, event, incident_id, status, attempts, last_error, response_code, next_attempt_at, created_at, delivered_at
		FROM webhook_deliveries WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.Event, &d.IncidentID, &d.Status, &d.Attempts, &d.LastError, &d.ResponseCode, &d.NextAttemptAt, &d.CreatedAt, &d.DeliveredAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// payload is the body a webhook receives. Only CLEAR and GREEN incidents
// carry details; AMBER and AMBER+STRICT carry the reference only; RED is
// never sent.
type payload struct {
	Event       string     `json:"event"`
	IncidentID  int64      `json:"incident_id"`
	HumanID     string     `json:"human_id"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Category    string     `json:"category,omitempty"`
	Severity    string     `json:"severity,omitempty"`
	Status      string     `json:"status,omitempty"`
	TLP         policy.TLP `json:"tlp,omitempty"`
	Region      string     `json:"region,omitempty"`
	At          *time.Time `json:"at,omitempty"`
}

// open says whether an incident of this TLP may be described outside.
func open(t policy.TLP) bool { return t == policy.Clear || t == policy.Green }

func payloadFor(kind string, inc incident.Incident, at time.Time) ([]byte, bool) {
	switch {
	case inc.TLP == policy.Red || !inc.TLP.Valid():
		return nil, false
	case open(inc.TLP):
		return mustJSON(payload{Event: kind, IncidentID: inc.ID, HumanID: inc.HumanID, Title: inc.Title, Description: inc.Description,
			Category: inc.Category, Severity: inc.Severity, Status: string(inc.Status), TLP: inc.TLP, Region: inc.Region, At: &at}), true
	default:
		return minimal(kind, inc.ID, inc.HumanID), true
	}
}

func minimal(kind string, id int64, humanID string) []byte {
	return mustJSON(map[string]any{"event": kind, "incident_id": id, "human_id": humanID})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// hookViewer is the reader a webhook stands for: a read-only member
// (RoleViewer) of the webhook's organisation with the registering
// administrator's scope, so that the organisation's lineage gives it AMBER
// records of the organisations below, as it would a person. It carries the
// registering administrator's user id only because a viewer needs one: RED
// is never sent to any webhook (payloadFor), so being a named user of a
// RED incident gives a webhook nothing.
func hookViewer(tree *org.Tree, orgID int64, scope string, createdBy int64) policy.Viewer {
	return policy.Viewer{UserID: createdBy, OrgID: orgID, Role: policy.RoleViewer, Scope: scope, Lineage: tree.Lineage(orgID)}
}

// enqueue records a pending delivery for every live webhook subscribed to
// kind whose reader (hookViewer) may read the incident.
func (n *Notifier) enqueue(ctx context.Context, tx *store.Tx, kind string, inc incident.Incident, tree *org.Tree, rec policy.Record, now time.Time) error {
	body, ok := payloadFor(kind, inc, now)
	if !ok {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, events, org_id, scope, COALESCE(created_by, 0) FROM webhooks WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return err
	}
	var hooks []int64
	for rows.Next() {
		var id, orgID, createdBy int64
		var events, scope string
		if err := rows.Scan(&id, &events, &orgID, &scope, &createdBy); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(strings.Split(events, ","), kind) && policy.CanRead(hookViewer(tree, orgID, scope, createdBy), rec) {
			hooks = append(hooks, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range hooks {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event, incident_id, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, kind, inc.ID, string(body), Pending, now, now); err != nil {
			return err
		}
	}
	return nil
}

// Sign is the X-Garda-Signature value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks an X-Garda-Signature value (for receivers and tests).
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

func (n *Notifier) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Start delivers due webhook deliveries until ctx ends: every Poll, and
// soon after an event was queued. Run it in its own goroutine.
func (n *Notifier) Start(ctx context.Context) {
	n.defaults()
	n.Log.InfoContext(ctx, "notifications", "email", n.Status().EmailMsg)
	t := time.NewTicker(n.Poll)
	defer t.Stop()
	var clocksAt time.Time
	for {
		if _, err := n.DeliverDue(ctx, time.Now()); err != nil && ctx.Err() == nil {
			n.Log.WarnContext(ctx, "webhook deliveries", "err", err)
		}
		if time.Since(clocksAt) >= clockEvery {
			clocksAt = time.Now()
			if _, err := n.NotifyMissedClocks(ctx, store.Now()); err != nil && ctx.Err() == nil {
				n.Log.WarnContext(ctx, "missed clocks", "err", err)
			}
			if _, err := n.NotifyFindingDeadlines(ctx, store.Now()); err != nil && ctx.Err() == nil {
				n.Log.WarnContext(ctx, "finding deadlines", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.kick:
		}
	}
}

// DeliverDue makes one attempt at every pending delivery due at now and
// returns how many it attempted. Each is claimed first, so that two
// workers (two instances) do not send the same delivery at once.
func (n *Notifier) DeliverDue(ctx context.Context, now time.Time) (int, error) {
	n.defaults()
	due, err := queryDeliveries(ctx, n.DB, `status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 100`, Pending, now)
	if err != nil {
		return 0, err
	}
	tried := 0
	for _, d := range due {
		if ctx.Err() != nil {
			return tried, ctx.Err()
		}
		res, err := n.DB.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND status = ? AND next_attempt_at = ?`,
			now.Add(claimFor), d.ID, Pending, *d.NextAttemptAt)
		if err != nil {
			return tried, err
		}
		if c, _ := res.RowsAffected(); c != 1 {
			continue // another worker has it
		}
		tried++
		if err := n.attempt(ctx, d, now); err != nil {
			return tried, err
		}
	}
	return tried, nil
}

// attempt sends one delivery and records the outcome.
func (n *Notifier) attempt(ctx context.Context, d Delivery, now time.Time) error {
	var hookURL, secret, body, hookScope string
	var hookOrg, createdBy int64
	err := n.DB.QueryRow(ctx, `SELECT w.url, w.secret, w.org_id, w.scope, COALESCE(w.created_by, 0), d.payload
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?`, d.ID).Scan(&hookURL, &secret, &hookOrg, &hookScope, &createdBy, &body)
	if err != nil {
		return err
	}
	// The label, region and participants may have changed since the event:
	// judge them as they are now. (Only what access depends on and the
	// reference are read here, to decide what leaves.)
	var tlp, humanID string
	var inc incident.Incident
	if err := n.DB.QueryRow(ctx, `SELECT tlp, human_id, owner_org_id, region FROM incidents WHERE id = ?`, d.IncidentID).Scan(&tlp, &humanID, &inc.OwnerID, &inc.Region); err != nil {
		return err
	}
	inc.ID, inc.TLP = d.IncidentID, policy.TLP(tlp)
	set, err := participant.Load(ctx, n.DB, incident.RecordKind, inc.ID)
	if err != nil {
		return err
	}
	rec := policy.Record{OwnerOrg: inc.OwnerID, Region: inc.Region, TLP: inc.TLP, Orgs: set.Orgs, Users: set.Users}
	tree, err := n.tree(ctx)
	if err != nil {
		return err
	}
	drop := func(why string) error {
		_, err := n.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_at = NULL, last_error = ? WHERE id = ?`, Dropped, why, d.ID)
		return err
	}
	switch t := policy.TLP(tlp); {
	case t == policy.Red || !t.Valid():
		return drop("incident is " + tlp + " now: not sent")
	case !policy.CanRead(hookViewer(tree, hookOrg, hookScope, createdBy), rec):
		return drop("incident is outside the webhook's organisation and scope now: not sent")
	case !open(t):
		body = string(minimal(d.Event, d.IncidentID, humanID))
	}
	code, sendErr := n.post(ctx, hookURL, secret, d, []byte(body))
	attempts := d.Attempts + 1
	if sendErr == nil {
		_, err := n.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, response_code = ?, last_error = '', next_attempt_at = NULL, delivered_at = ? WHERE id = ?`,
			Delivered, attempts, code, now, d.ID)
		return err
	}
	status, next := Pending, any(now.Add(Backoff(attempts)))
	if attempts >= MaxAttempts {
		status, next = Failed, nil
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err = n.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, response_code = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		status, attempts, code, msg, next, d.ID)
	return err
}

// post sends body; any answer but 2xx is an error.
func (n *Notifier) post(ctx context.Context, hookURL, secret string, d Delivery, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Garda-Webhook/1")
	req.Header.Set("X-Garda-Event", d.Event)
	req.Header.Set("X-Garda-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Garda-Signature", Sign(secret, body))
	res, err := n.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("answered %s", res.Status)
	}
	return res.StatusCode, nil
}
