// Package incident is what a CSIRT works: incidents with a human id
// (INC-2024-000001), an RSIT category, severity, TLP 2.0 and PAP labels, a
// region, affected assets, promoted alerts, participants across agencies and
// regions, a status with its response times, and a timeline of every change
// and comment. Incidents are shared records: every read and list goes
// through policy's visibility rule, and a hidden incident is not found.
package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// RecordKind names incidents in the participant tables and the audit chain.
const RecordKind = "incident"

// Categories are the Reference Security Incident Taxonomy's classes.
var Categories = []string{
	"abusive-content", "malicious-code", "information-gathering", "intrusion-attempts", "intrusions",
	"availability", "information-content-security", "fraud", "vulnerable", "other", "test",
}

// Severities, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// PAPs are the Permissible Actions Protocol labels.
var PAPs = []string{"CLEAR", "GREEN", "AMBER", "RED"}

// Status of an incident, in the order a response usually moves.
type Status string

const (
	New         Status = "new"
	Triage      Status = "triage"
	Containment Status = "containment"
	Eradication Status = "eradication"
	Recovery    Status = "recovery"
	Resolved    Status = "resolved"
	Closed      Status = "closed"
)

// Statuses lists the statuses in order.
var Statuses = []Status{New, Triage, Containment, Eradication, Recovery, Resolved, Closed}

// NotClosed are the statuses a queue lists unless asked for more: all but
// closed (a resolved incident still waits for its closing review).
func NotClosed() []Status {
	return slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return s == Closed })
}

func (s Status) rank() int { return slices.Index(Statuses, s) }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s.rank() >= 0 }

// Done reports whether the incident is resolved or closed.
func (s Status) Done() bool { return s == Resolved || s == Closed }

// Resolutions an incident is resolved or closed with.
var Resolutions = []string{"true_positive", "false_positive", "duplicate"}

// Escalation levels.
const (
	EscalatedProvince = "province"
	EscalatedNational = "national"
)

// NationalDesk is the organisation a province's incident escalates to.
const NationalDesk = "bssn"

// Participants names a record's participant organisations and users.
type Participants struct {
	Orgs  []string `json:"orgs"`  // organisation slugs
	Users []string `json:"users"` // usernames
}

// Incident is one incident.
type Incident struct {
	ID              int64         `json:"id"`
	HumanID         string        `json:"human_id"`
	Title           string        `json:"title"`
	Description     string        `json:"description"`
	Category        string        `json:"category"`
	Type            string        `json:"type"`
	Severity        string        `json:"severity"`
	TLP             policy.TLP    `json:"tlp"`
	PAP             string        `json:"pap"`
	Region          string        `json:"region"`
	Owner           string        `json:"owner"` // organisation slug
	OwnerID         int64         `json:"-"`
	Assignee        string        `json:"assignee,omitempty"` // username
	AssigneeID      int64         `json:"-"`
	Status          Status        `json:"status"`
	Resolution      string        `json:"resolution,omitempty"`
	Escalation      string        `json:"escalation,omitempty"`
	DetectedAt      time.Time     `json:"detected_at"`
	ReportedAt      time.Time     `json:"reported_at"`
	FirstResponseAt *time.Time    `json:"first_response_at,omitempty"`
	ContainedAt     *time.Time    `json:"contained_at,omitempty"`
	ResolvedAt      *time.Time    `json:"resolved_at,omitempty"`
	ClosedAt        *time.Time    `json:"closed_at,omitempty"`
	CreatedBy       string        `json:"created_by,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	AssetIDs        []int64       `json:"asset_ids,omitempty"`
	AlertIDs        []int64       `json:"alert_ids,omitempty"`
	Participants    *Participants `json:"participants,omitempty"`
	// Drill marks a drill's incident (LAT-...), DrillRunID its run.
	Drill      bool  `json:"drill,omitempty"`
	DrillRunID int64 `json:"drill_run_id,omitempty"`

	// access is the incident as policy judges it, participants included;
	// filled when one incident is read (get), empty in lists.
	access policy.Record
}

// Record is the incident as policy judges it: owner, region, TLP and its
// participant organisations and named users, as they were when it was read.
func (i Incident) Record() policy.Record { return i.access }

// allow answers a Forbidden problem unless who may take a on inc: the one
// check every change of an incident makes (policy.CanCase decides).
func allow(who auth.Principal, inc Incident, a policy.CaseAction, what string) error {
	if policy.CanCase(who.Viewer, inc.access, a) {
		return nil
	}
	return problem.New(problem.Forbidden, "%s is not for you: your role (%s) as %s of %s does not allow it",
		what, who.User.Role, relationName(policy.RelationOf(who.Viewer, inc.access)), inc.HumanID)
}

// mayAssign answers a Forbidden problem unless who may name u assignee of
// rec. The assignee joins the incident, so naming one grants participation:
// only one who may add participants (policy.CaseParticipants) hands it to
// someone who cannot read it yet; anyone else assigns among its readers.
func mayAssign(who auth.Principal, tree *org.Tree, rec policy.Record, u auth.User) error {
	if policy.CanCase(who.Viewer, rec, policy.CaseParticipants) {
		return nil
	}
	assignee, err := auth.PrincipalOf(u, tree)
	if err != nil {
		return fmt.Errorf("assignee %s: %w", u.Username, err)
	}
	if policy.CanRead(assignee.Viewer, rec) {
		return nil
	}
	return problem.New(problem.Forbidden, "%s cannot read the incident: handing it to someone outside it adds a participant (a coordinator's decision)", u.Username)
}

// relationName says a relation in a sentence.
func relationName(r policy.Relation) string {
	switch r {
	case policy.RelOwner:
		return "a user of the owner organisation"
	case policy.RelParticipant:
		return "a participant"
	case policy.RelAncestor:
		return "a user of a supervising organisation"
	}
	return "a reader who does not take part"
}

// HumanID formats the human id of a year's n-th incident.
func HumanID(year int, n int64) string { return fmt.Sprintf("INC-%04d-%06d", year, n) }

// Entry is one line of an incident's timeline.
type Entry struct {
	ID       int64          `json:"id"`
	At       time.Time      `json:"at"`
	Actor    string         `json:"actor"`     // username
	ActorOrg string         `json:"actor_org"` // organisation slug
	Kind     string         `json:"kind"`      // created, updated, comment, escalated, participants, task, task_done, task_reopened, observable, evidence
	Body     string         `json:"body,omitempty"`
	Changes  map[string]any `json:"changes,omitempty"`
}

// Change is one field's change on the timeline.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

func oneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return problem.Field(field, "must be one of %s", strings.Join(allowed, ", "))
	}
	return nil
}

func statusNames() string {
	var s []string
	for _, st := range Statuses {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}
