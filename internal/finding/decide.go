package finding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// MaxAcceptance is how long a risk may be accepted at once.
const MaxAcceptance = 365 * day

// Decision is a person's ruling on a finding: false positive, risk
// accepted (until a date), or back to open (undoing either).
type Decision struct {
	Status   Status     `json:"status"`
	Reason   string     `json:"reason"`
	Approver string     `json:"approver"` // username of the approving coordinator; "" = the one deciding, if a coordinator
	Until    *time.Time `json:"until"`    // a risk acceptance's expiry
}

// Decide records a decision on a finding the principal may work (a
// coordinator or analyst of the owner, of an organisation above it, or of
// a participant: policy's triage). False positive and risk accepted need a
// reason and an approver who is a coordinator that may close the finding;
// a risk acceptance needs an expiry within a year. Only an open finding is
// ruled false positive or accepted; Open undoes either ruling.
func Decide(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, id int64, d Decision) (Finding, error) {
	d.Reason = strings.TrimSpace(d.Reason)
	if !d.Status.Valid() || d.Status == Mitigated {
		return Finding{}, problem.Field("status", "must be false_positive, risk_accepted or open (only a rescan mitigates)").Keyed("finding.err.status")
	}
	if utf8.RuneCountInString(d.Reason) < 3 || len(d.Reason) > 4000 {
		return Finding{}, problem.Field("reason", "is required (3 to 4000 characters): say why").Keyed("finding.err.reason")
	}
	now := store.Now()
	if d.Status == RiskAccepted {
		if d.Until == nil {
			return Finding{}, problem.Field("until", "a risk acceptance needs an expiry").Keyed("finding.err.until_needed")
		}
		u := d.Until.UTC().Truncate(time.Microsecond)
		if !u.After(now) || u.After(now.Add(MaxAcceptance)) {
			latest := now.Add(MaxAcceptance).In(region.WIB).Format(region.WIBLayout)
			return Finding{}, problem.Field("until", "must lie in the future and at most a year ahead (%s)", latest).Keyed("finding.err.until_range", latest)
		}
		d.Until = &u
	} else if d.Until != nil {
		return Finding{}, problem.Field("until", "only a risk acceptance has an expiry").Keyed("finding.err.until_only")
	}
	var f Finding
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = Get(ctx, tx, who, id); err != nil {
			return err
		}
		if !policy.CanCase(who.Viewer, f.Record(), policy.CaseTriage) {
			return problem.New(problem.Forbidden, "ruling on a finding is triage work of its owner's, a supervising or a participant organisation's coordinators and analysts (your role: %s)", who.User.Role).
				Keyed("finding.err.rule_forbidden", problem.Label{Group: "role", Value: who.User.Role})
		}
		approver := ""
		switch {
		case d.Status == Open:
			if f.Status != FalsePositive && f.Status != RiskAccepted {
				return problem.New(problem.Conflict, "finding %s is %s: only a false positive or an accepted risk is reopened by hand", f.HumanID, f.Status).
					Keyed("finding.err.reopen_status", f.HumanID, problem.Label{Group: "fstatus", Value: string(f.Status)})
			}
		case f.Status != Open:
			return problem.New(problem.Conflict, "finding %s is %s: only an open finding is ruled %s", f.HumanID, f.Status, d.Status).
				Keyed("finding.err.rule_not_open", f.HumanID, problem.Label{Group: "fstatus", Value: string(f.Status)}, problem.Label{Group: "fstatus", Value: string(d.Status)})
		default:
			if approver, err = approve(ctx, tx, who, tree, f, d.Approver); err != nil {
				return err
			}
		}
		before := map[string]any{"status": f.Status, "reason": f.Reason, "approved_by": f.ApprovedBy, "accepted_until": f.AcceptedUntil}
		reason := d.Reason
		if d.Status == Open {
			reason, approver = "", ""
		}
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = ?, reason = ?, approved_by = ?, accepted_until = ?, updated_at = ? WHERE id = ?`,
			string(d.Status), reason, approver, d.Until, now, f.ID); err != nil {
			return err
		}
		kind := map[Status]string{FalsePositive: EventFalsePositive, RiskAccepted: EventRiskAccepted, Open: EventStatus}[d.Status]
		after := map[string]any{"status": d.Status, "approved_by": approver, "accepted_until": d.Until}
		if err := addEvent(ctx, tx, f.ID, now, who.User.Username, who.Org.Slug, kind, 0, d.Reason, map[string]any{"from": before, "to": after}); err != nil {
			return err
		}
		action := "finding.reopen_by_hand"
		switch d.Status {
		case FalsePositive:
			action = "finding.false_positive"
		case RiskAccepted:
			action = "finding.risk_accepted"
		}
		return audit.Record(ctx, tx, who.Actor(), action, RecordKind, f.ID, map[string]any{"before": before, "after": after, "reason": d.Reason})
	})
	if err != nil {
		return Finding{}, fmt.Errorf("decide finding %d: %w", id, err)
	}
	return Get(ctx, db, who, id)
}

// approve checks the approver of a ruling: a coordinator account, enabled,
// that may close the finding (policy's CaseClose); "" names the one
// deciding. It returns the approver's username.
func approve(ctx context.Context, q store.Querier, who auth.Principal, tree *org.Tree, f Finding, name string) (string, error) {
	name = strings.TrimSpace(name)
	p := who
	if name != "" && name != who.User.Username {
		u, err := auth.UserByName(ctx, q, name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
			return "", problem.Field("approver", "no user %q", name).Keyed("finding.err.approver_unknown", name)
		} else if err != nil {
			return "", err
		}
		if p, err = auth.PrincipalOf(u, tree); err != nil {
			return "", err
		}
	}
	if name == "" && policy.Role(who.User.Role) != policy.RoleCoordinator {
		return "", problem.Field("approver", "a coordinator must approve: name one (you are %s)", who.User.Role).Keyed("finding.err.approver_needed", problem.Label{Group: "role", Value: who.User.Role})
	}
	if !policy.CanCase(p.Viewer, f.Record(), policy.CaseClose) {
		return "", problem.Field("approver", "%s may not approve this: the approver is a coordinator of the owner (%s), of an organisation above it or of a participant", p.User.Username, f.Owner).
			Keyed("finding.err.approver_not_allowed", p.User.Username, f.Owner)
	}
	return p.User.Username, nil
}

// Promote opens an incident from a critical open finding (as alerts are
// promoted: the incident takes its title, severity, region, asset and
// participants from it) and links the finding to it. The principal must
// be allowed to open incidents and to triage the finding.
//
// incident.Create runs its own transaction, so the link is written just
// after it, guarded: if another person promoted the same finding between
// the two, this one answers Conflict and names the incident it made.
func Promote(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, id int64) (incident.Incident, error) {
	f, err := Get(ctx, db, who, id)
	if err != nil {
		return incident.Incident{}, err
	}
	if !policy.CanCase(who.Viewer, f.Record(), policy.CaseTriage) {
		return incident.Incident{}, problem.New(problem.Forbidden, "promoting a finding is triage work (your role: %s)", who.User.Role).
			Keyed("finding.err.promote_forbidden", problem.Label{Group: "role", Value: who.User.Role})
	}
	switch {
	case f.Severity != "critical":
		return incident.Incident{}, problem.New(problem.Conflict, "only a critical finding is promoted to an incident (%s is %s)", f.HumanID, f.Severity).
			Keyed("finding.err.promote_not_critical", f.HumanID, problem.Label{Group: "fsev", Value: f.Severity})
	case f.Status != Open:
		return incident.Incident{}, problem.New(problem.Conflict, "finding %s is %s, not open", f.HumanID, f.Status).
			Keyed("finding.err.promote_not_open", f.HumanID, problem.Label{Group: "fstatus", Value: string(f.Status)})
	case f.IncidentID != 0:
		return incident.Incident{}, problem.New(problem.Conflict, "finding %s was already promoted to incident %d", f.HumanID, f.IncidentID).
			Keyed("finding.err.promote_done", f.HumanID, f.IncidentID)
	}
	title := truncate("Kerentanan kritis: "+f.Title+" di "+f.Asset, 190)
	desc := fmt.Sprintf("Temuan %s (%s) di %s, pertama terlihat %s.", f.HumanID, f.CheckKey, f.Location, f.FirstSeen.In(region.WIB).Format(region.WIBLayout))
	if f.Evidence.Description != "" {
		desc += "\n\n" + f.Evidence.Description
	}
	if f.Evidence.Remediation != "" {
		desc += "\n\nPerbaikan: " + f.Evidence.Remediation
	}
	category, severity, tlp, reg, detected := "vulnerable", "critical", string(f.TLP), f.Region, f.FirstSeen
	in := incident.Input{Title: &title, Description: &desc, Category: &category, Severity: &severity, TLP: &tlp, Region: &reg,
		DetectedAt: &detected, AssetIDs: []int64{f.AssetID}}
	// The asset's owner owns the incident when the promoter may say so
	// (its own organisation or one below); otherwise the promoter's does
	// and the owner takes part.
	var orgs []string
	if o, ok := tree.ByID(f.OwnerID); ok {
		if slices.Contains(who.Viewer.Lineage, o.ID) {
			in.Owner = &o.Slug
		} else {
			orgs = append(orgs, o.Slug)
		}
	}
	for _, oid := range f.Record().Orgs {
		if o, ok := tree.ByID(oid); ok {
			orgs = append(orgs, o.Slug)
		}
	}
	in.Participants = &incident.Participants{Orgs: orgs}
	inc, err := incident.Create(ctx, db, who, tree, in)
	if err != nil {
		return incident.Incident{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		res, err := tx.Exec(ctx, `UPDATE findings SET incident_id = ?, updated_at = ? WHERE id = ? AND incident_id IS NULL`, inc.ID, now, f.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return problem.New(problem.Conflict, "finding %s was promoted by someone else meanwhile; %s was opened too", f.HumanID, inc.HumanID).
				Keyed("finding.err.promote_race", f.HumanID, inc.HumanID)
		}
		detail := map[string]any{"incident_id": inc.ID, "human_id": inc.HumanID}
		if err := addEvent(ctx, tx, f.ID, now, who.User.Username, who.Org.Slug, EventPromoted, 0, inc.HumanID, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "finding.promote", RecordKind, f.ID, detail)
	})
	if err != nil {
		return inc, fmt.Errorf("promote finding %d: %w", id, err)
	}
	return inc, nil
}
