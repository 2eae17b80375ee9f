package decision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names decisions in the audit chain.
const RecordKind = "decision"

// Type is what an enforcement point does to the target.
type Type string

// Types of decision. Bouncers treat an unknown type as their fallback
// (usually ban), so Garda makes only these two.
const (
	Ban     Type = "ban"
	Captcha Type = "captcha"
)

// Valid reports whether t is a known type.
func (t Type) Valid() bool { return t == Ban || t == Captcha }

// stronger is the type of two that blocks more.
func stronger(a, b Type) Type {
	if a == Ban || b == Ban {
		return Ban
	}
	return a
}

// Status is where a decision stands.
type Status string

// Statuses. Expired is never stored: an active decision past its until
// reads as expired.
const (
	Proposed Status = "proposed" // waits for a person
	Active   Status = "active"   // enforced until its until
	Rejected Status = "rejected" // a person said no, or a later decision superseded the proposal
	Revoked  Status = "revoked"  // a person (or the allow-list) ended it early
	Expired  Status = "expired"  // ran its course
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Proposed, Active, Rejected, Revoked, Expired:
		return true
	}
	return false
}

// Origins: who made the decision, as the bouncers' origins filter sees it.
const (
	OriginGarda  = "garda"  // a detection scenario's policy
	OriginManual = "manual" // a person, from the UI, the API or the CLI
)

// Outcomes of Decide and Create: what happened to the request.
const (
	OutcomeCreated         = "created"          // a new active decision
	OutcomeProposed        = "proposed"         // a new proposal, waiting for a person
	OutcomeExtended        = "extended"         // the live decision for the value was lengthened (or made a ban)
	OutcomeCovered         = "covered"          // a live decision already blocks this as long: nothing changed
	OutcomeAlreadyProposed = "already_proposed" // a proposal for the value already waits
	OutcomeAllowlisted     = "allowlisted"      // the allow-list wins: no decision
	OutcomeIgnored         = "ignored"          // the scenario's policy is off
)

// Decision is one block, as the API shows it.
type Decision struct {
	ID        int64      `json:"id"`
	Value     string     `json:"value"`
	Scope     string     `json:"scope"`
	Type      Type       `json:"type"`
	Origin    string     `json:"origin"`
	Scenario  string     `json:"scenario"`
	Reason    string     `json:"reason"`
	Duration  string     `json:"duration"` // how long it lasts once active, e.g. "4h0m0s"
	Status    Status     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	StartsAt  *time.Time `json:"starts_at,omitempty"`
	Until     *time.Time `json:"until,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
	AlertID   *int64     `json:"alert_id,omitempty"`
	Region    *string    `json:"region,omitempty"`
	AssetID   *int64     `json:"asset_id,omitempty"`
	// Batch and Sender name the ingest batch whose lines raised the alert
	// behind an automatic decision, and who sent it.
	Batch  string `json:"batch,omitempty"`
	Sender string `json:"sender,omitempty"`

	// Outcome and Why say what a Decide or Create call did; they are not
	// stored, and empty on reads.
	Outcome string `json:"outcome,omitempty"`
	Why     string `json:"why,omitempty"`

	duration time.Duration
	target   Target
	// hidden marks the answer to a person's block whose decision the
	// person may not read (asSeenBy): only Outcome, Value and Until are set.
	hidden bool
}

// MarshalJSON writes a hidden answer as {outcome, value, until} only, so
// that no caller sends the empty rest of a decision as if it were one.
func (d Decision) MarshalJSON() ([]byte, error) {
	if d.hidden {
		return json.Marshal(struct {
			Outcome string     `json:"outcome"`
			Value   string     `json:"value"`
			Until   *time.Time `json:"until,omitempty"`
		}{d.Outcome, d.Value, d.Until})
	}
	type plain Decision
	return json.Marshal(plain(d))
}

// Live reports whether the decision is proposed, or active and unexpired.
func (d Decision) Live() bool { return d.Status == Proposed || d.Status == Active }

const columns = `d.id, d.value, d.type, d.origin, d.scenario, d.reason, d.duration_s, d.status,
	d.created_at, d.created_by, d.starts_at, d.until, d.decided_at, d.decided_by, d.ended_at, d.ended_by, d.end_reason,
	d.alert_id, d.region, d.asset_id, d.batch, d.sender`

func scan(row store.Scanner, now time.Time) (Decision, error) {
	var d Decision
	var seconds int64
	var decidedBy, endedBy, endReason *string
	if err := row.Scan(&d.ID, &d.Value, &d.Type, &d.Origin, &d.Scenario, &d.Reason, &seconds, &d.Status,
		&d.CreatedAt, &d.CreatedBy, &d.StartsAt, &d.Until, &d.DecidedAt, &decidedBy, &d.EndedAt, &endedBy, &endReason,
		&d.AlertID, &d.Region, &d.AssetID, &d.Batch, &d.Sender); err != nil {
		return Decision{}, err
	}
	t, err := ParseTarget(d.Value)
	if err != nil {
		return Decision{}, fmt.Errorf("decision %d: stored value is corrupt: %w", d.ID, err)
	}
	d.target, d.Scope = t, t.Scope()
	d.duration = time.Duration(seconds) * time.Second
	d.Duration = d.duration.String()
	d.DecidedBy, d.EndedBy, d.EndReason = deref(decidedBy), deref(endedBy), deref(endReason)
	if d.Status == Active && d.Until != nil && !d.Until.After(now) {
		d.Status = Expired
	}
	return d, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(i int64) any {
	if i == 0 {
		return nil
	}
	return i
}

// liveSQL is true for the decisions that block or wait: proposed, or
// active with until after the bound time.
const liveSQL = `(d.status = 'proposed' OR (d.status = 'active' AND d.until > ?))`

// tick moves the decision clock inside tx and returns its new value. The
// UPDATE takes the clock row's lock until tx ends, so every decision writer
// runs one at a time, on SQLite and on PostgreSQL, and the checks it makes
// (allow-list, live decisions for the value) still hold when it commits.
func tick(ctx context.Context, tx *store.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRow(ctx, `UPDATE decision_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("move decision clock: %w", err)
	}
	return seq, nil
}

// clock reads the decision clock's committed value.
func clock(ctx context.Context, q store.Querier) (int64, error) {
	var seq int64
	if err := q.QueryRow(ctx, `SELECT seq FROM decision_clock WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read decision clock: %w", err)
	}
	return seq, nil
}

// getAny reads one decision whoever asks (for the package's own writes).
func getAny(ctx context.Context, q store.Querier, id int64, now time.Time) (Decision, error) {
	d, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM decisions d WHERE d.id = ?`, id), now)
	if errors.Is(err, store.ErrNotFound) {
		return Decision{}, problem.New(problem.NotFound, "no decision %d", id)
	}
	return d, err
}

// liveFor is the live decision for a value, if any.
func liveFor(ctx context.Context, q store.Querier, value string, now time.Time) (*Decision, error) {
	d, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM decisions d WHERE d.value = ? AND `+liveSQL+
		` ORDER BY d.id DESC LIMIT 1`, value, now), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up live decision for %s: %w", value, err)
	}
	return &d, nil
}

// coveredBy is an active decision, other than for t itself, whose range
// holds all of t, of a type at least as strong, lasting at least until.
func coveredBy(ctx context.Context, q store.Querier, t Target, typ Type, until, now time.Time) (*Decision, error) {
	start, end := t.bounds()
	types := []any{string(Ban)}
	if typ == Captcha {
		types = append(types, string(Captcha))
	}
	d, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM decisions d WHERE d.status = 'active' AND d.until >= ? AND d.value <> ?
		AND d.ip_size = ? AND d.start_ip <= ? AND d.end_ip >= ? AND d.type IN (`+store.In(len(types))+`)
		ORDER BY d.until DESC LIMIT 1`, append([]any{until, t.String(), t.size(), start, end}, types...)...), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up covering decision for %s: %w", t, err)
	}
	return &d, nil
}

// newDecision is a decision about to be inserted.
type newDecision struct {
	target    Target
	typ       Type
	origin    string
	scenario  string
	reason    string
	duration  time.Duration
	status    Status
	who       audit.Actor
	alertID   int64
	region    string
	assetID   int64
	hasRegion bool
	batch     string
	sender    string
}

// insert writes a new decision (active from now, or proposed) and audits it.
func insert(ctx context.Context, tx *store.Tx, n newDecision, seq int64, now time.Time) (Decision, error) {
	var startsAt, until any
	action := "decision.propose"
	if n.status == Active {
		startsAt, until, action = now, now.Add(n.duration), "decision.create"
	}
	var regionArg any
	if n.hasRegion {
		regionArg = n.region
	}
	start, end := n.target.bounds()
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO decisions (value, scope, ip_size, start_ip, end_ip, type, origin, scenario, reason, duration_s,
		status, created_at, created_by, created_by_id, starts_at, until, alert_id, region, asset_id, seq, batch, sender)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		n.target.String(), n.target.Scope(), n.target.size(), start, end, string(n.typ), n.origin, n.scenario, n.reason,
		int64(n.duration/time.Second), string(n.status), now, n.who.Username, nullInt(n.who.UserID), startsAt, until,
		nullInt(n.alertID), regionArg, nullInt(n.assetID), seq, n.batch, n.sender).Scan(&id)
	if err != nil {
		return Decision{}, fmt.Errorf("insert decision: %w", err)
	}
	d, err := getAny(ctx, tx, id, now)
	if err != nil {
		return Decision{}, err
	}
	return d, audit.Record(ctx, tx, n.who, action, RecordKind, id, d)
}

// checkRefs makes sure the region and asset a decision names exist.
func checkRefs(ctx context.Context, q store.Querier, regionCode string, assetID int64) error {
	if regionCode != "" && !region.Valid(regionCode) {
		return problem.Field("region", "unknown region code %q", regionCode)
	}
	if assetID != 0 {
		var one int
		err := q.QueryRow(ctx, `SELECT 1 FROM assets WHERE id = ?`, assetID).Scan(&one)
		if errors.Is(err, store.ErrNotFound) {
			return problem.Field("asset_id", "no asset %d", assetID)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// visible is the SQL fragment (and its arguments) limiting decisions to
// what the principal may read. A decision lies in its region (one without
// a region is national) and must lie inside the principal's scope. One
// made from an alert tells who attacked what, as the alert does, so it is
// read only by those who may read the alert (its TLP, owner and
// participants: policy.ReadFilter). A decision without an alert (a
// person's block) is read by region only: every partner enforcing in the
// region needs to know what is blocked there. Bouncers are machines and
// pull every active decision over the LAPI, not through this.
func visible(who auth.Principal) (string, []any) {
	if !who.Can(policy.Read) {
		return policy.DenyAll, nil
	}
	return policy.DecisionFilter(who.Viewer, "d")
}

// get reads one decision the principal may read; any other is not found.
func get(ctx context.Context, q store.Querier, who auth.Principal, id int64, now time.Time) (Decision, error) {
	vis, args := visible(who)
	d, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM decisions d WHERE d.id = ? AND `+vis, append([]any{id}, args...)...), now)
	if errors.Is(err, store.ErrNotFound) {
		return Decision{}, problem.New(problem.NotFound, "no decision %d", id)
	}
	return d, err
}

// Get reads one decision; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Decision, error) {
	return get(ctx, q, who, id, store.Now())
}

// Filter narrows a list of decisions.
type Filter struct {
	Status   string // proposed, active, rejected, revoked, expired, or "live" (proposed or active)
	IP       string // an address or range: decisions whose range holds it
	Value    string // exactly this value
	Type     string
	Origin   string
	Scenario string
	Region   string // a region and everything inside it
	AlertID  int64
	Before   int64 // cursor: ids below this
	Limit    int
}

// List returns the decisions the principal may see, newest first, up to
// Limit+1 so the caller can tell whether there is more.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Decision, error) {
	if !who.Can(policy.Read) {
		return nil, problem.New(problem.Forbidden, "your role may not read decisions")
	}
	vis, args := visible(who)
	return list(ctx, q, vis, args, f)
}

// ListAll lists every decision, for the CLI run by an operator on the
// platform's own machine (who could read the database anyway).
func ListAll(ctx context.Context, q store.Querier, f Filter) ([]Decision, error) {
	return list(ctx, q, "1 = 1", nil, f)
}

func list(ctx context.Context, q store.Querier, vis string, args []any, f Filter) ([]Decision, error) {
	now := store.Now()
	where := []string{vis}
	switch Status(f.Status) {
	case "":
	case "live":
		where, args = append(where, liveSQL), append(args, now)
	case Active:
		where, args = append(where, "d.status = 'active' AND d.until > ?"), append(args, now)
	case Expired:
		where, args = append(where, "d.status = 'active' AND d.until <= ?"), append(args, now)
	case Proposed, Rejected, Revoked:
		where, args = append(where, "d.status = ?"), append(args, f.Status)
	default:
		return nil, problem.Field("status", "unknown status %q: use proposed, active, expired, rejected, revoked or live", f.Status)
	}
	if f.IP != "" {
		t, err := ParseTarget(f.IP)
		if err != nil {
			return nil, problem.Field("ip", "%v", err)
		}
		start, end := t.bounds()
		where, args = append(where, "d.ip_size = ? AND d.start_ip <= ? AND d.end_ip >= ?"), append(args, t.size(), start, end)
	}
	if f.Value != "" {
		v := f.Value
		if t, err := ParseTarget(v); err == nil {
			v = t.String()
		}
		where, args = append(where, "d.value = ?"), append(args, v)
	}
	if f.Type != "" {
		where, args = append(where, "d.type = ?"), append(args, f.Type)
	}
	if f.Origin != "" {
		where, args = append(where, "d.origin = ?"), append(args, f.Origin)
	}
	if f.Scenario != "" {
		where, args = append(where, "d.scenario = ?"), append(args, f.Scenario)
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		where, args = append(where, "(COALESCE(d.region, '') = ? OR COALESCE(d.region, '') LIKE ?)"), append(args, f.Region, f.Region+".%")
	}
	if f.AlertID != 0 {
		where, args = append(where, "d.alert_id = ?"), append(args, f.AlertID)
	}
	if f.Before > 0 {
		where, args = append(where, "d.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM decisions d WHERE `+strings.Join(where, " AND ")+
		` ORDER BY d.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (Decision, error) { return scan(r, now) })
}

// ParseFilter reads a list request's query: status, ip, value, type,
// origin, scenario, region, alert_id, and the page (limit, cursor).
func ParseFilter(r *http.Request) (Filter, error) {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return Filter{}, err
	}
	before, err := page.IDCursor()
	if err != nil {
		return Filter{}, err
	}
	q := r.URL.Query()
	f := Filter{Status: q.Get("status"), IP: q.Get("ip"), Value: q.Get("value"), Type: q.Get("type"), Origin: q.Get("origin"),
		Scenario: q.Get("scenario"), Region: q.Get("region"), Before: before, Limit: page.Limit}
	if s := q.Get("alert_id"); s != "" {
		if f.AlertID, err = strconv.ParseInt(s, 10, 64); err != nil || f.AlertID <= 0 {
			return Filter{}, problem.Field("alert_id", "must be an alert id")
		}
	}
	return f, nil
}
