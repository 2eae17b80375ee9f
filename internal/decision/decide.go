package decision

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Proposal is what detection asks for when a scenario fires against an
// address: the address (or range), the scenario, and where it came from.
type Proposal struct {
	IP       string // an address or a CIDR range
	Scenario string // detection scenario id, e.g. http-sqli
	Reason   string // shown to people and to bouncers' logs; the scenario id when empty
	AlertID  int64  // the alert behind it; 0 for none
	Region   string // the region of the attacked system; "" for national or unknown
	Asset    int64  // the attacked asset; 0 for none
	Batch    string // the ingest batch whose lines raised the alert; "" for none
	Sender   string // who sent that batch (user:NAME, key:NAME, syslog:ADDR, ...)
}

// Builtin is the built-in per-scenario policy (rules.yaml), read once.
var Builtin = sync.OnceValue(DefaultRules)

// Decide applies the built-in rules to a proposal; see Rules.Decide.
func Decide(ctx context.Context, db *store.DB, p Proposal) (Decision, error) {
	return Builtin().Decide(ctx, db, p)
}

// Decide applies the scenario's rule to a proposal. The allow-list wins:
// an allowed address gets no decision, and the result's Outcome and Why
// say so. A value with a live decision is not blocked twice: an active one
// is extended (or found to cover the request), a waiting proposal is not
// proposed again, and an automatic decision supersedes a waiting proposal.
// The result carries the decision made, extended or found, with Outcome
// saying which; only a malformed proposal or a store failure is an error.
func (r Rules) Decide(ctx context.Context, db *store.DB, p Proposal) (Decision, error) {
	t, err := ParseTarget(p.IP)
	if err != nil {
		return Decision{}, problem.Field("ip", "%v", err)
	}
	if err := t.blockable(); err != nil {
		return Decision{}, problem.Field("ip", "%v", err)
	}
	scenario := strings.TrimSpace(p.Scenario)
	if scenario == "" || len(scenario) > 200 {
		return Decision{}, problem.Field("scenario", "a proposal names its scenario (at most 200 characters)")
	}
	rule := r.For(scenario)
	if rule.Mode == ModeOff {
		return Decision{Value: t.String(), Scope: t.Scope(), Type: rule.Type, Origin: OriginGarda, Scenario: scenario,
			Outcome: OutcomeIgnored, Why: fmt.Sprintf("the policy for scenario %s makes no decision", scenario)}, nil
	}
	reason := strings.TrimSpace(p.Reason)
	if reason == "" {
		reason = scenario
	}
	reason = limit(reason, 1000)
	if err := checkRefs(ctx, db, p.Region, p.Asset); err != nil {
		return Decision{}, err
	}
	n := newDecision{
		target: t, typ: rule.Type, origin: OriginGarda, scenario: scenario, reason: reason, duration: rule.Duration,
		status: Active, who: audit.System, alertID: p.AlertID, region: p.Region, hasRegion: p.Region != "", assetID: p.Asset,
		batch: limit(p.Batch, 200), sender: limit(p.Sender, 200),
	}
	if rule.Mode == ModePropose {
		n.status = Proposed
	}
	var out Decision
	err = db.InTx(ctx, func(tx *store.Tx) error {
		seq, err := tick(ctx, tx)
		if err != nil {
			return err
		}
		out, err = place(ctx, tx, n, seq, store.Now())
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("decide on %s for %s: %w", t, scenario, err)
	}
	return out, nil
}

// limit cuts s to at most n bytes of valid UTF-8.
func limit(s string, n int) string {
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// place writes (or declines to write) a new decision inside a transaction
// that has moved the clock to seq; it is where the allow-list and the
// one-live-decision-per-value rule are applied, for policy and people alike.
func place(ctx context.Context, tx *store.Tx, n newDecision, seq int64, now time.Time) (Decision, error) {
	if e, err := allowedBy(ctx, tx, n.target, now); err != nil {
		return Decision{}, err
	} else if e != nil {
		return Decision{Value: n.target.String(), Scope: n.target.Scope(), Type: n.typ, Origin: n.origin, Scenario: n.scenario,
			Reason: n.reason, Duration: n.duration.String(), Outcome: OutcomeAllowlisted,
			Why: fmt.Sprintf("%s is allow-listed by entry %d (%s: %s); the allow-list wins", n.target, e.ID, e.Value, e.Reason)}, nil
	}
	until := now.Add(n.duration)
	live, err := liveFor(ctx, tx, n.target.String(), now)
	if err != nil {
		return Decision{}, err
	}
	if live != nil && live.Status == Active {
		newUntil, newType := *live.Until, stronger(live.Type, n.typ)
		if until.After(newUntil) {
			newUntil = until
		}
		if newUntil.Equal(*live.Until) && newType == live.Type {
			live.Outcome, live.Why = OutcomeCovered, fmt.Sprintf("decision %d already blocks %s until %s", live.ID, live.Value, live.Until.Format(time.RFC3339))
			return *live, nil
		}
		if n.status == Proposed {
			live.Outcome = OutcomeCovered
			live.Why = fmt.Sprintf("decision %d already blocks %s until %s; the policy for %s proposes, so lengthening it is left to a person",
				live.ID, live.Value, live.Until.Format(time.RFC3339), n.scenario)
			return *live, nil
		}
		return extend(ctx, tx, *live, newUntil, newType, n, seq, now)
	}
	if c, err := coveredBy(ctx, tx, n.target, n.typ, until, now); err != nil {
		return Decision{}, err
	} else if c != nil {
		c.Outcome, c.Why = OutcomeCovered, fmt.Sprintf("decision %d (%s) already blocks %s until %s", c.ID, c.Value, n.target, c.Until.Format(time.RFC3339))
		return *c, nil
	}
	if live != nil && live.Status == Proposed && n.status == Proposed {
		live.Outcome, live.Why = OutcomeAlreadyProposed, fmt.Sprintf("proposal %d for %s already waits for a person", live.ID, live.Value)
		return *live, nil
	}
	d, err := insert(ctx, tx, n, seq, now)
	if err != nil {
		return Decision{}, err
	}
	d.Outcome = OutcomeCreated
	if n.status == Proposed {
		d.Outcome = OutcomeProposed
	}
	if live != nil && live.Status == Proposed {
		// The new active decision replaces the waiting proposal, so that a
		// value never has two live decisions.
		why := fmt.Sprintf("superseded by decision %d", d.ID)
		if _, err := tx.Exec(ctx, `UPDATE decisions SET status = 'rejected', decided_at = ?, decided_by = ?, end_reason = ?
			WHERE id = ? AND status = 'proposed'`, now, n.who.Username, why, live.ID); err != nil {
			return Decision{}, fmt.Errorf("supersede proposal %d: %w", live.ID, err)
		}
		if err := audit.Record(ctx, tx, n.who, "decision.supersede", RecordKind, live.ID, map[string]any{"by": d.ID, "value": live.Value}); err != nil {
			return Decision{}, err
		}
		d.Why = fmt.Sprintf("proposal %d for %s was superseded by this decision", live.ID, live.Value)
	}
	return d, nil
}

// extend lengthens (or strengthens) an active decision.
func extend(ctx context.Context, tx *store.Tx, live Decision, until time.Time, typ Type, n newDecision, seq int64, now time.Time) (Decision, error) {
	if _, err := tx.Exec(ctx, `UPDATE decisions SET until = ?, type = ?, seq = ? WHERE id = ?`, until, string(typ), seq, live.ID); err != nil {
		return Decision{}, fmt.Errorf("extend decision %d: %w", live.ID, err)
	}
	d, err := getAny(ctx, tx, live.ID, now)
	if err != nil {
		return Decision{}, err
	}
	detail := map[string]any{
		"value": d.Value, "before": map[string]any{"until": live.Until, "type": live.Type},
		"after": map[string]any{"until": d.Until, "type": d.Type},
		"by": map[string]any{"origin": n.origin, "scenario": n.scenario, "reason": n.reason, "alert_id": n.alertID,
			"batch": n.batch, "sender": n.sender},
	}
	if err := audit.Record(ctx, tx, n.who, "decision.extend", RecordKind, d.ID, detail); err != nil {
		return Decision{}, err
	}
	d.Outcome = OutcomeExtended
	d.Why = fmt.Sprintf("decision %d for %s now lasts until %s", d.ID, d.Value, d.Until.Format(time.RFC3339))
	return d, nil
}
