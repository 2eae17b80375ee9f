package incident

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Link relations.
const (
	DuplicateOf  = "duplicate_of"  // this incident was merged into the other
	DuplicatedBy = "duplicated_by" // the other was merged into this one
	Related      = "related"
)

// Link is a visible incident linked to another.
type Link struct {
	Relation  string    `json:"relation"`
	HumanID   string    `json:"human_id"`
	Title     string    `json:"title"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

func needReason(reason, what string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 2000 {
		return "", problem.Field("reason", "say why the incident is %s (at most 2000 characters)", what)
	}
	return reason, nil
}

// link records a relation both ways, with a timeline entry on each side.
func link(ctx context.Context, tx *store.Tx, who auth.Principal, a, b Incident, rel, back, reason string) error {
	if a.ID == b.ID {
		return problem.Field("incident", "an incident cannot be linked to itself")
	}
	if a.DrillRunID != b.DrillRunID {
		// A drill stays apart from the real desk, and from other drills.
		return problem.Field("incident", "a drill's incident is linked only with incidents of the same drill run")
	}
	now := store.Now()
	for _, l := range []struct {
		from, to Incident
		rel      string
	}{{a, b, rel}, {b, a, back}} {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_links (incident_id, other_id, relation, created_at, created_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (incident_id, other_id) DO UPDATE SET relation = excluded.relation`, l.from.ID, l.to.ID, l.rel, now, who.User.Username); err != nil {
			return err
		}
		detail := map[string]any{"relation": l.rel, "incident": l.to.HumanID}
		if err := addEntry(ctx, tx, who, l.from.ID, "linked", reason, detail); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, who.Actor(), "incident.link", RecordKind, a.ID, map[string]any{"relation": rel, "other": b.HumanID, "reason": reason})
}

// LinkRelated records that two incidents (both readable by who) are related.
func LinkRelated(ctx context.Context, db *store.DB, who auth.Principal, ref, otherRef, reason string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		a, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, a, policy.CaseTriage, "linking incidents"); err != nil {
			return err
		}
		b, err := get(ctx, tx, who, otherRef)
		if err != nil {
			return problem.Field("incident", "no incident %q", otherRef)
		}
		// The link is written on both timelines: both are worked.
		if err := allow(who, b, policy.CaseTriage, "linking "+b.HumanID); err != nil {
			return err
		}
		return link(ctx, tx, who, a, b, Related, Related, strings.TrimSpace(reason))
	})
}

// Merge closes a duplicate into the incident it repeats: the duplicate is
// closed with resolution duplicate, and both record the link.
func Merge(ctx context.Context, db *store.DB, who auth.Principal, ref, intoRef, reason string) (Incident, error) {
	reason, err := needReason(reason, "merged")
	if err != nil {
		return Incident{}, err
	}
	var dup Incident
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if dup, err = get(ctx, tx, who, ref); err != nil {
			return err
		}
		if err := allow(who, dup, policy.CaseClose, "merging (it closes the incident: a coordinator's decision)"); err != nil {
			return err
		}
		into, err := get(ctx, tx, who, intoRef)
		if err != nil {
			return problem.Field("into", "no incident %q", intoRef)
		}
		if err := allow(who, into, policy.CaseTriage, "merging into "+into.HumanID); err != nil {
			return err
		}
		if into.ID == dup.ID {
			return problem.Field("into", "an incident cannot be merged into itself")
		}
		if dup.Status == Closed {
			return problem.New(problem.Conflict, "%s is already closed", dup.HumanID)
		}
		if into.Status == Closed {
			return problem.New(problem.Conflict, "%s is closed: merge into an open incident", into.HumanID)
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE incidents SET status = ?, resolution = ?, closed_at = ?, resolved_at = COALESCE(resolved_at, ?), updated_at = ? WHERE id = ?`,
			string(Closed), "duplicate", now, now, now, dup.ID); err != nil {
			return err
		}
		detail := map[string]any{"status": Change{From: string(dup.Status), To: string(Closed)}, "resolution": "duplicate", "merged_into": into.HumanID}
		if err := addEntry(ctx, tx, who, dup.ID, "merged", reason, detail); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "incident.merge", RecordKind, dup.ID, detail); err != nil {
			return err
		}
		return link(ctx, tx, who, dup, into, DuplicateOf, DuplicatedBy, reason)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("merge incident %s: %w", ref, err)
	}
	return Get(ctx, db, who, strconv.FormatInt(dup.ID, 10))
}

// Links lists the incidents linked to one, only those who may read.
func Links(ctx context.Context, q store.Querier, who auth.Principal, ref string) ([]Link, error) {
	inc, err := Get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	return LinksFor(ctx, q, who, inc)
}

// LinksFor is Links for an incident who has already read.
func LinksFor(ctx context.Context, q store.Querier, who auth.Principal, inc Incident) ([]Link, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	rows, err := q.Query(ctx, `SELECT l.relation, i.human_id, i.title, i.status, l.created_at, l.created_by
		FROM incident_links l JOIN incidents i ON i.id = l.other_id WHERE l.incident_id = ? AND `+vis+` ORDER BY l.created_at`,
		append([]any{inc.ID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("incident links: %w", err)
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var l Link
		var status string
		if err := rows.Scan(&l.Relation, &l.HumanID, &l.Title, &status, &l.CreatedAt, &l.CreatedBy); err != nil {
			return nil, err
		}
		l.Status = Status(status)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Deescalate steps an escalation back one level: from the national desk to
// the province, from the province to the regency. The organisations that
// step added leave the incident (unless one owns it), with the reason on
// the timeline.
func Deescalate(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref, reason string) (Incident, error) {
	reason, err := needReason(reason, "de-escalated")
	if err != nil {
		return Incident{}, err
	}
	var inc Incident
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if inc, err = get(ctx, tx, who, ref); err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseDeescalate, "de-escalating (a coordinator's decision)"); err != nil {
			return err
		}
		var slugs []string
		var to string
		switch inc.Escalation {
		case EscalatedNational:
			slugs = []string{NationalDesk}
			if region.LevelOf(inc.Region) == region.LevelRegency {
				to = EscalatedProvince
			}
		case EscalatedProvince:
			p := region.Province(inc.Region)
			slugs = org.ProvinceDesks(p)
		default:
			return problem.New(problem.Conflict, "incident %s is not escalated", inc.HumanID)
		}
		var removed []string
		for _, s := range slugs {
			o, ok := tree.BySlug(s)
			if !ok || o.ID == inc.OwnerID {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM record_orgs WHERE kind = ? AND record_id = ? AND org_id = ?`, RecordKind, inc.ID, o.ID); err != nil {
				return err
			}
			removed = append(removed, s)
		}
		from := inc.Escalation
		inc.Escalation, inc.UpdatedAt = to, store.Now()
		if _, err := tx.Exec(ctx, `UPDATE incidents SET escalation = ?, updated_at = ? WHERE id = ?`, to, inc.UpdatedAt, inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"escalation": Change{From: from, To: to}, "removed_orgs": removed, "reason": reason}
		if err := addEntry(ctx, tx, who, inc.ID, "deescalated", reason, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.deescalate", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("de-escalate incident %s: %w", ref, err)
	}
	// Read as the platform: stepping back may have taken the actor's own
	// organisation out (BSSN de-escalating to the province), and what it
	// just did is no secret to it.
	return System(ctx, db, inc.ID)
}
