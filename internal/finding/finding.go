// Package finding keeps what the daily penetration tests saw, worked to
// closure: one finding per (asset, check, location), with first and last
// seen, a remediation deadline by severity, and DefectDojo's lifecycle
// (open, mitigated when a rescan of the same scope no longer sees it and
// reopened when it comes back, false positive and risk accepted by a
// coordinator's decision). Findings are shared records: owner = the
// asset's owner, region = the asset's region, AMBER unless the asset is
// stricter, BSSN and the province's operation room take part. Every list
// and read goes through policy; every change is audited.
//
// It never runs a check or decides what a scan may touch (package scan
// does); it takes what a finished scan saw, as Observations.
package finding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names findings in the participant tables, the audit chain and
// clock notices.
const RecordKind = "finding"

// Status is where a finding stands.
type Status string

const (
	Open          Status = "open"           // seen and not fixed (DefectDojo's active)
	Mitigated     Status = "mitigated"      // a complete rescan of the same scope no longer saw it
	FalsePositive Status = "false_positive" // a coordinator approved that it is not real
	RiskAccepted  Status = "risk_accepted"  // a coordinator approved living with it until a date
)

// Statuses lists the statuses.
var Statuses = []Status{Open, Mitigated, FalsePositive, RiskAccepted}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Severities are nuclei's, lowest first.
var Severities = []string{"unknown", "info", "low", "medium", "high", "critical"}

func severityRank(s string) int { return slices.Index(Severities, s) }

// Deadlines are the remediation times by severity, counted from a
// finding's first_seen (CISA BOD 19-02: critical 15 days, high 30). A
// severity without one (info, unknown) has no deadline.
type Deadlines map[string]time.Duration

const day = 24 * time.Hour

// DefaultDeadlines are the task force's remediation times.
var DefaultDeadlines = Deadlines{"critical": 15 * day, "high": 30 * day, "medium": 90 * day, "low": 180 * day}

// Due is the deadline of a finding of this severity first seen then, or
// nil. It is always counted from the ORIGINAL first_seen: a finding that
// comes back after being mitigated keeps its first_seen, so a reopened
// finding is due when it was always due (often already overdue): fixing
// and breaking it again does not buy time.
func (d Deadlines) Due(severity string, firstSeen time.Time) *time.Time {
	if d == nil {
		d = DefaultDeadlines
	}
	span, ok := d[severity]
	if !ok || span <= 0 {
		return nil
	}
	t := firstSeen.Add(span).UTC().Truncate(time.Microsecond)
	return &t
}

// Evidence is what the check showed when it last saw the finding.
type Evidence struct {
	Type             string   `json:"type,omitempty"`
	Host             string   `json:"host,omitempty"`
	IP               string   `json:"ip,omitempty"`
	MatchedAt        string   `json:"matched_at,omitempty"`
	Matcher          string   `json:"matcher,omitempty"`
	ExtractedResults []string `json:"extracted_results,omitempty"`
	Description      string   `json:"description,omitempty"`
	Remediation      string   `json:"remediation,omitempty"`
	Reference        []string `json:"reference,omitempty"`
	CVE              []string `json:"cve,omitempty"`
	CWE              []string `json:"cwe,omitempty"`
	Request          string   `json:"request,omitempty"`  // truncated to EvidenceLimit
	Response         string   `json:"response,omitempty"` // truncated to EvidenceLimit
}

// EvidenceLimit bounds the request and the response kept as evidence.
const EvidenceLimit = 4096

// truncate cuts s to at most n bytes on a character boundary, saying so.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s + "\n[… truncated]"
}

func (e Evidence) bounded() Evidence {
	e.Request, e.Response = truncate(e.Request, EvidenceLimit), truncate(e.Response, EvidenceLimit)
	e.Description, e.Remediation = truncate(e.Description, EvidenceLimit), truncate(e.Remediation, EvidenceLimit)
	if len(e.ExtractedResults) > 50 {
		e.ExtractedResults = e.ExtractedResults[:50]
	}
	for i, r := range e.ExtractedResults {
		e.ExtractedResults[i] = truncate(r, 1000)
	}
	return e
}

// Finding is one finding.
type Finding struct {
	ID              int64      `json:"id"`
	HumanID         string     `json:"human_id"`
	AssetID         int64      `json:"asset_id"`
	Asset           string     `json:"asset"` // name
	CheckKey        string     `json:"check_key"`
	TemplateID      string     `json:"template_id"`
	Location        string     `json:"location"`
	Title           string     `json:"title"`
	Severity        string     `json:"severity"`
	Mode            string     `json:"mode"`
	Status          Status     `json:"status"`
	TLP             policy.TLP `json:"tlp"`
	Region          string     `json:"region"`
	Owner           string     `json:"owner"` // organisation slug
	OwnerID         int64      `json:"-"`
	Evidence        Evidence   `json:"evidence"`
	FirstSeen       time.Time  `json:"first_seen"`
	LastSeen        time.Time  `json:"last_seen"`
	FirstScanID     int64      `json:"first_scan_id,omitempty"`
	LastScanID      int64      `json:"last_scan_id,omitempty"`
	DueAt           *time.Time `json:"due_at,omitempty"`
	MitigatedAt     *time.Time `json:"mitigated_at,omitempty"`
	MitigatedScanID int64      `json:"mitigated_scan_id,omitempty"`
	Reason          string     `json:"reason,omitempty"`
	ApprovedBy      string     `json:"approved_by,omitempty"`
	AcceptedUntil   *time.Time `json:"accepted_until,omitempty"`
	Reopened        int        `json:"reopened"`
	IncidentID      int64      `json:"incident_id,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`

	access policy.Record
}

// HumanID names a finding for people: FND-000123.
func HumanID(id int64) string { return fmt.Sprintf("FND-%06d", id) }

// Record is the finding as policy judges it (filled when one is read).
func (f Finding) Record() policy.Record { return f.access }

// Overdue reports whether an open finding is past its deadline at now.
func (f Finding) Overdue(now time.Time) bool {
	return f.Status == Open && f.DueAt != nil && f.DueAt.Before(now)
}

const columns = `f.id, f.asset_id, a.name, f.check_key, f.template_id, f.location, f.title, f.severity, f.mode, f.status, f.tlp, f.region,
	o.slug, f.owner_org_id, f.evidence, f.first_seen, f.last_seen, COALESCE(f.first_scan_id, 0), COALESCE(f.last_scan_id, 0), f.due_at,
	f.mitigated_at, COALESCE(f.mitigated_scan_id, 0), f.reason, f.approved_by, f.accepted_until, f.reopened, COALESCE(f.incident_id, 0),
	f.created_at, f.updated_at`

const from = ` FROM findings f JOIN assets a ON a.id = f.asset_id JOIN orgs o ON o.id = f.owner_org_id`

func scan(row store.Scanner) (Finding, error) {
	var f Finding
	var status, tlp, evidence string
	if err := row.Scan(&f.ID, &f.AssetID, &f.Asset, &f.CheckKey, &f.TemplateID, &f.Location, &f.Title, &f.Severity, &f.Mode, &status, &tlp, &f.Region,
		&f.Owner, &f.OwnerID, &evidence, &f.FirstSeen, &f.LastSeen, &f.FirstScanID, &f.LastScanID, &f.DueAt,
		&f.MitigatedAt, &f.MitigatedScanID, &f.Reason, &f.ApprovedBy, &f.AcceptedUntil, &f.Reopened, &f.IncidentID,
		&f.CreatedAt, &f.UpdatedAt); err != nil {
		return Finding{}, err
	}
	f.Status, f.TLP, f.HumanID = Status(status), policy.TLP(tlp), HumanID(f.ID)
	if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
		return Finding{}, fmt.Errorf("finding %d: stored evidence is corrupt: %w", f.ID, err)
	}
	return f, nil
}

// withAccess fills f's record as policy judges it, participants included.
func withAccess(ctx context.Context, q store.Querier, f *Finding) error {
	var err error
	f.access, err = participant.Record(ctx, q, RecordKind, f.ID, f.OwnerID, f.Region, f.TLP)
	return err
}

// Get reads one finding; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Finding, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "f")
	f, err := scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE f.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Finding{}, problem.New(problem.NotFound, "no finding %d", id)
	} else if err != nil {
		return Finding{}, err
	}
	return f, withAccess(ctx, q, &f)
}

// System reads a finding by id for the platform itself (no person's
// visibility: callers such as the notifier decide who is told what).
func System(ctx context.Context, q store.Querier, id int64) (Finding, error) {
	f, err := scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE f.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Finding{}, problem.New(problem.NotFound, "no finding %d", id)
	} else if err != nil {
		return Finding{}, err
	}
	return f, withAccess(ctx, q, &f)
}

// Filter narrows a list. The zero Filter lists everything the reader may
// read, newest first.
type Filter struct {
	Region   string   // this region and inside it
	AssetID  int64    // one asset's
	Severity string   // one severity
	Status   []Status // any of these
	Overdue  bool     // open and past the deadline at Now
	Now      time.Time
	Before   int64 // cursor: ids below this
	Limit    int   // default 50, at most 500
}

// List returns the findings the principal may read, newest first, up to
// Limit+1 so the caller can tell whether there is more (the next cursor is
// the last id shown). Visibility is decided in the query.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Finding, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "f")
	where := []string{vis}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "f", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.AssetID > 0 {
		where, args = append(where, "f.asset_id = ?"), append(args, f.AssetID)
	}
	if f.Severity != "" {
		if severityRank(f.Severity) < 0 {
			return nil, problem.Field("severity", "must be one of %s", strings.Join(Severities, ", "))
		}
		where, args = append(where, "f.severity = ?"), append(args, f.Severity)
	}
	if len(f.Status) > 0 {
		for _, s := range f.Status {
			if !s.Valid() {
				return nil, problem.Field("status", "must be one of open, mitigated, false_positive, risk_accepted")
			}
			args = append(args, string(s))
		}
		where = append(where, "f.status IN ("+store.In(len(f.Status))+")")
	}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = store.Now()
		}
		where, args = append(where, "f.status = ? AND f.due_at IS NOT NULL AND f.due_at < ?"), append(args, string(Open), now)
	}
	if f.Before > 0 {
		where, args = append(where, "f.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY f.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return store.Collect(rows, scan)
}

// Event is one entry of a finding's history.
type Event struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	ActorOrg string          `json:"actor_org,omitempty"`
	Kind     string          `json:"kind"`
	ScanID   int64           `json:"scan_id,omitempty"`
	Body     string          `json:"body,omitempty"`
	Changes  json.RawMessage `json:"changes"`
}

// Kinds of event.
const (
	EventOpened        = "opened"
	EventMitigated     = "mitigated"
	EventReopened      = "reopened"
	EventSeverity      = "severity"
	EventFalsePositive = "false_positive"
	EventRiskAccepted  = "risk_accepted"
	EventRiskExpired   = "risk_expired"
	EventStatus        = "status" // a decision undone by a person
	EventPromoted      = "promoted"
)

// History lists a finding's events, oldest first; a finding the principal
// may not read is not found.
func History(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]Event, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor, actor_org, kind, COALESCE(scan_id, 0), body, changes FROM finding_events WHERE finding_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("finding %d history: %w", id, err)
	}
	return store.Collect(rows, func(r store.Scanner) (Event, error) {
		var e Event
		var changes string
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.ActorOrg, &e.Kind, &e.ScanID, &e.Body, &changes)
		e.Changes = json.RawMessage(changes)
		return e, err
	})
}

// addEvent writes a history entry in the change's transaction and moves the
// finding's updated_at.
func addEvent(ctx context.Context, tx *store.Tx, id int64, at time.Time, actor, actorOrg, kind string, scanID int64, body string, changes any) error {
	b := []byte("{}")
	if changes != nil {
		var err error
		if b, err = json.Marshal(changes); err != nil {
			return err
		}
	}
	var scanRef any
	if scanID > 0 {
		scanRef = scanID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO finding_events (finding_id, at, actor, actor_org, kind, scan_id, body, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, at, actor, actorOrg, kind, scanRef, body, string(b)); err != nil {
		return fmt.Errorf("finding %d history: %w", id, err)
	}
	_, err := tx.Exec(ctx, `UPDATE findings SET updated_at = ? WHERE id = ?`, at, id)
	return err
}
