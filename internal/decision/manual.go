package decision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// DefaultManualDuration is how long a person's decision lasts when they
// name no duration.
const DefaultManualDuration = 4 * time.Hour

// canDecide is who may make, approve, reject and revoke decisions: the
// roles that triage (analysts and coordinators).
func canDecide(who auth.Principal) bool { return who.Can(policy.Triage) }

// Input is a decision a person makes by hand.
type Input struct {
	Value    string  `json:"value"`    // address or CIDR range (required)
	Type     string  `json:"type"`     // ban (default) or captcha
	Duration string  `json:"duration"` // e.g. "4h", "90m", "2d"; default 4h
	Reason   string  `json:"reason"`   // required
	Region   *string `json:"region"`   // default: the person's scope
	AssetID  *int64  `json:"asset_id"`
	AlertID  *int64  `json:"alert_id"`
}

// manual checks an input and turns it into a decision to place.
func (in Input) manual(who audit.Actor, defaultRegion string) (newDecision, error) {
	t, err := ParseTarget(in.Value)
	if err != nil {
		return newDecision{}, problem.Field("value", "%v", err)
	}
	if err := t.blockable(); err != nil {
		return newDecision{}, problem.Field("value", "%v", err)
	}
	typ := Ban
	if in.Type != "" {
		typ = Type(in.Type)
	}
	if !typ.Valid() {
		return newDecision{}, problem.Field("type", "must be ban or captcha")
	}
	d := DefaultManualDuration
	if in.Duration != "" {
		if d, err = ParseDuration(in.Duration); err != nil {
			return newDecision{}, problem.Field("duration", "%v", err)
		}
	}
	if d < MinDuration || d > MaxDuration {
		return newDecision{}, problem.Field("duration", "must be between %s and %s", MinDuration, MaxDuration)
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" || len(reason) > 1000 {
		return newDecision{}, problem.Field("reason", "say why (at most 1000 characters): bouncers log it with the block")
	}
	n := newDecision{target: t, typ: typ, origin: OriginManual, reason: reason, duration: d, status: Active, who: who,
		region: defaultRegion, hasRegion: defaultRegion != ""}
	if in.Region != nil {
		n.region, n.hasRegion = *in.Region, true
	}
	if in.AssetID != nil {
		n.assetID = *in.AssetID
	}
	if in.AlertID != nil {
		n.alertID = *in.AlertID
	}
	return n, nil
}

// Create is a person blocking an address or range at once. The allow-list
// wins (a conflict error names the entry); a value already blocked is
// extended rather than blocked twice, and a waiting proposal for it is
// superseded. The decision's region defaults to the person's scope and
// must lie inside it.
func Create(ctx context.Context, db *store.DB, who auth.Principal, in Input) (Decision, error) {
	if !canDecide(who) {
		return Decision{}, problem.New(problem.Forbidden, "your role (%s) may not make blocking decisions", who.User.Role)
	}
	n, err := in.manual(who.Actor(), who.User.Scope)
	if err != nil {
		return Decision{}, err
	}
	if n.region != "" && !region.Valid(n.region) {
		return Decision{}, problem.Field("region", "unknown region code %q", n.region)
	}
	if !region.Contains(who.User.Scope, n.region) {
		return Decision{}, problem.Field("region", "%q lies outside your scope", n.region)
	}
	// Linked records must be ones the person may read: a hidden one is
	// answered like a missing one, so the link reveals nothing.
	if in.AssetID != nil && *in.AssetID != 0 {
		if _, err := asset.Get(ctx, db, who, *in.AssetID); err != nil {
			return Decision{}, problem.Field("asset_id", "no asset %d", *in.AssetID)
		}
	}
	if in.AlertID != nil && *in.AlertID != 0 {
		if _, err := alert.Get(ctx, db, who, *in.AlertID); err != nil {
			return Decision{}, problem.Field("alert_id", "no alert %d", *in.AlertID)
		}
	}
	d, err := create(ctx, db, n)
	if err != nil {
		return Decision{}, err
	}
	return asSeenBy(ctx, db, who, d, n.target)
}

// asSeenBy is the result of a person's block as that person may read it.
// The decision that now blocks the address may be one the person may not
// read (made from an alert of someone else's, or a range covering it):
// then the answer says only what happened to the address asked for and
// until when, nothing of the decision. Such a decision is still extended
// when the person asks for longer: that keeps the address blocked and
// reveals nothing.
func asSeenBy(ctx context.Context, db *store.DB, who auth.Principal, d Decision, asked Target) (Decision, error) {
	seen, err := get(ctx, db, who, d.ID, store.Now())
	if problem.Is(err, problem.NotFound) {
		return Decision{Outcome: d.Outcome, Value: asked.String(), Until: d.Until, hidden: true}, nil
	} else if err != nil {
		return Decision{}, err
	}
	seen.Outcome, seen.Why = d.Outcome, d.Why
	return seen, nil
}

// CreateBy is an actor (the CLI run by an operator) blocking an address;
// it applies the same rules as Create without a role or scope check.
func CreateBy(ctx context.Context, db *store.DB, who audit.Actor, in Input) (Decision, error) {
	n, err := in.manual(who, "")
	if err != nil {
		return Decision{}, err
	}
	return create(ctx, db, n)
}

func create(ctx context.Context, db *store.DB, n newDecision) (Decision, error) {
	if err := checkRefs(ctx, db, n.region, n.assetID); err != nil {
		return Decision{}, err
	}
	var d Decision
	err := db.InTx(ctx, func(tx *store.Tx) error {
		seq, err := tick(ctx, tx)
		if err != nil {
			return err
		}
		if d, err = place(ctx, tx, n, seq, store.Now()); err != nil {
			return err
		}
		if d.Outcome == OutcomeAllowlisted {
			return problem.New(problem.Conflict, "%s", d.Why)
		}
		return nil
	})
	if err != nil {
		return Decision{}, fmt.Errorf("block %s: %w", n.target, err)
	}
	return d, nil
}

// writable reads a decision the principal may change: one outside its
// scope is not found, a role that may not decide is forbidden.
func writable(ctx context.Context, tx *store.Tx, who auth.Principal, id int64, now time.Time) (Decision, error) {
	d, err := get(ctx, tx, who, id, now)
	if err != nil {
		return Decision{}, err
	}
	if !canDecide(who) {
		return Decision{}, problem.New(problem.Forbidden, "your role (%s) may not change blocking decisions", who.User.Role)
	}
	return d, nil
}

// Approve makes a proposal active from now for its duration. The
// allow-list is asked again: an address allowed since the proposal was
// made is not blocked.
func Approve(ctx context.Context, db *store.DB, who auth.Principal, id int64) (Decision, error) {
	var d Decision
	err := db.InTx(ctx, func(tx *store.Tx) error {
		seq, err := tick(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		p, err := writable(ctx, tx, who, id, now)
		if err != nil {
			return err
		}
		if p.Status != Proposed {
			return problem.New(problem.Conflict, "decision %d is %s, not a proposal waiting for approval", id, p.Status)
		}
		if e, err := allowedBy(ctx, tx, p.target, now); err != nil {
			return err
		} else if e != nil {
			return problem.New(problem.Conflict, "%s is allow-listed by entry %d (%s: %s); reject the proposal instead", p.Value, e.ID, e.Value, e.Reason)
		}
		if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'active', starts_at = ?, until = ?, decided_at = ?, decided_by = ?, seq = ?
			WHERE id = ? AND status = 'proposed'`, now, now.Add(p.duration), now, who.User.Username, seq, id); err != nil {
			return fmt.Errorf("approve decision %d: %w", id, err)
		}
		if d, err = getAny(ctx, tx, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "decision.approve", RecordKind, id, map[string]any{"value": d.Value, "until": d.Until})
	})
	if err != nil {
		return Decision{}, fmt.Errorf("approve decision %d: %w", id, err)
	}
	return d, nil
}

// Reject turns a proposal down.
func Reject(ctx context.Context, db *store.DB, who auth.Principal, id int64, reason string) (Decision, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 1000 {
		return Decision{}, problem.Field("reason", "at most 1000 characters")
	}
	var d Decision
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tick(ctx, tx); err != nil {
			return err
		}
		now := store.Now()
		p, err := writable(ctx, tx, who, id, now)
		if err != nil {
			return err
		}
		if p.Status != Proposed {
			return problem.New(problem.Conflict, "decision %d is %s, not a proposal waiting for approval", id, p.Status)
		}
		if err := reject(ctx, tx, who.Actor(), p, reason, now); err != nil {
			return err
		}
		d, err = getAny(ctx, tx, id, now)
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("reject decision %d: %w", id, err)
	}
	return d, nil
}

func reject(ctx context.Context, tx *store.Tx, who audit.Actor, p Decision, reason string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'rejected', decided_at = ?, decided_by = ?, end_reason = ?
		WHERE id = ? AND status = 'proposed'`, now, who.Username, nullString(reason), p.ID); err != nil {
		return fmt.Errorf("reject decision %d: %w", p.ID, err)
	}
	return audit.Record(ctx, tx, who, "decision.reject", RecordKind, p.ID, map[string]string{"value": p.Value, "reason": reason})
}

// Revoke ends an active decision now; bouncers hear of it as deleted on
// their next pull.
func Revoke(ctx context.Context, db *store.DB, who auth.Principal, id int64, reason string) (Decision, error) {
	return revokeAs(ctx, db, id, reason, func(tx *store.Tx, now time.Time) (Decision, audit.Actor, error) {
		d, err := writable(ctx, tx, who, id, now)
		return d, who.Actor(), err
	})
}

// RevokeBy is an actor (the CLI) ending an active decision.
func RevokeBy(ctx context.Context, db *store.DB, who audit.Actor, id int64, reason string) (Decision, error) {
	return revokeAs(ctx, db, id, reason, func(tx *store.Tx, now time.Time) (Decision, audit.Actor, error) {
		d, err := getAny(ctx, tx, id, now)
		return d, who, err
	})
}

func revokeAs(ctx context.Context, db *store.DB, id int64, reason string, load func(*store.Tx, time.Time) (Decision, audit.Actor, error)) (Decision, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 1000 {
		return Decision{}, problem.Field("reason", "at most 1000 characters")
	}
	var d Decision
	err := db.InTx(ctx, func(tx *store.Tx) error {
		seq, err := tick(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		cur, who, err := load(tx, now)
		if err != nil {
			return err
		}
		if cur.Status != Active {
			return problem.New(problem.Conflict, "decision %d is %s: only an active decision can be revoked", id, cur.Status)
		}
		if err := revoke(ctx, tx, who, cur, reason, seq, now); err != nil {
			return err
		}
		d, err = getAny(ctx, tx, id, now)
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("revoke decision %d: %w", id, err)
	}
	return d, nil
}

func revoke(ctx context.Context, tx *store.Tx, who audit.Actor, d Decision, reason string, seq int64, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'revoked', ended_at = ?, ended_by = ?, end_reason = ?, seq = ?
		WHERE id = ? AND status = 'active'`, now, who.Username, nullString(reason), seq, d.ID); err != nil {
		return fmt.Errorf("revoke decision %d: %w", d.ID, err)
	}
	return audit.Record(ctx, tx, who, "decision.revoke", RecordKind, d.ID, map[string]string{"value": d.Value, "reason": reason})
}
