package match

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/rpz"
	"github.com/garda-id/garda/internal/store"
)

// Actor is who makes and lifts the blocks of indicators, in the audit
// chain, the decisions and the blocklist.
var Actor = audit.Actor{Username: "garda-intel"}

// Block kinds.
const (
	BlockDecision = "decision" // an address or range, for the CrowdSec bouncers
	BlockRPZ      = "rpz"      // a domain, on the DNS blocklist
)

// Blocker keeps a block for every indicator in force that is marked for
// blocking: addresses and ranges as decisions (internal/decision), domains
// on the DNS blocklist (internal/rpz); it lifts them when the indicator is
// revoked, expires or is no longer marked. RED indicators are left out, as
// for detection (a decision or a blocklist entry is read by every
// bouncer and resolver). Every block made and lifted is audited.
type Blocker struct {
	DB  *store.DB
	Log *slog.Logger
	// failed remembers indicators whose block could not be made (an
	// allow-listed address, a domain blocked by hand), tried again after
	// retryFailed.
	failed map[int64]time.Time
}

const retryFailed = time.Hour

type wanted struct {
	id     int64
	kind   intel.Kind
	value  string
	until  *time.Time
	region string
}

type liveBlock struct {
	id, indicator int64
	kind, ref     string
	owned         bool
}

// SyncResult counts what a Sync changed.
type SyncResult struct {
	Made, Lifted, Failed int
}

// Sync makes the blocks that are missing and lifts those no longer wanted.
// One instance should run it at a time (the platform holds a lease).
func (b *Blocker) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	if b.failed == nil {
		b.failed = map[int64]time.Time{}
	}
	now := store.Now()
	rows, err := b.DB.Query(ctx, `SELECT id, kind, value, valid_until, region FROM indicators
		WHERE block = 1 AND revoked = 0 AND tlp <> 'RED' AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)
		AND kind IN ('ipv4-addr', 'ipv6-addr', 'domain-name') ORDER BY id`, now, now)
	if err != nil {
		return res, fmt.Errorf("indicators to block: %w", err)
	}
	want, err := store.Collect(rows, func(r store.Scanner) (wanted, error) {
		var w wanted
		var kind string
		err := r.Scan(&w.id, &kind, &w.value, &w.until, &w.region)
		w.kind = intel.Kind(kind)
		return w, err
	})
	if err != nil {
		return res, err
	}
	rows, err = b.DB.Query(ctx, `SELECT id, indicator_id, kind, ref, owned FROM indicator_blocks WHERE lifted_at IS NULL ORDER BY id`)
	if err != nil {
		return res, fmt.Errorf("indicator blocks: %w", err)
	}
	live, err := store.Collect(rows, func(r store.Scanner) (liveBlock, error) {
		var l liveBlock
		var owned int
		err := r.Scan(&l.id, &l.indicator, &l.kind, &l.ref, &owned)
		l.owned = owned != 0
		return l, err
	})
	if err != nil {
		return res, err
	}
	wantByID := map[int64]wanted{}
	for _, w := range want {
		wantByID[w.id] = w
	}
	held := map[int64]bool{}
	for _, l := range live {
		reason := ""
		if _, ok := wantByID[l.indicator]; !ok {
			reason = fmt.Sprintf("indikator %d dicabut, kedaluwarsa atau tidak lagi ditandai untuk diblokir", l.indicator)
		} else if l.kind == BlockDecision && !b.decisionLive(ctx, l.ref, now) {
			reason = "keputusan berakhir; dibuat lagi"
		}
		if reason == "" {
			held[l.indicator] = true
			continue
		}
		if err := b.lift(ctx, l, reason); err != nil {
			return res, err
		}
		res.Lifted++
	}
	for _, w := range want {
		if held[w.id] {
			continue
		}
		if t, ok := b.failed[w.id]; ok && now.Sub(t) < retryFailed {
			continue
		}
		if err := b.make(ctx, w, now); err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			b.failed[w.id] = now
			res.Failed++
			if b.Log != nil {
				b.Log.Warn("indicator not blocked", "indicator", w.id, "value", w.value, "err", err)
			}
			continue
		}
		delete(b.failed, w.id)
		res.Made++
	}
	return res, nil
}

func (b *Blocker) decisionLive(ctx context.Context, ref string, now time.Time) bool {
	var status string
	var until *time.Time
	err := b.DB.QueryRow(ctx, `SELECT status, until FROM decisions WHERE id = ?`, ref).Scan(&status, &until)
	if err != nil {
		return !errors.Is(err, store.ErrNotFound) // keep the block while the database does not answer
	}
	return status == string(decision.Proposed) || status == string(decision.Active) && until != nil && until.After(now)
}

// make blocks one indicator's value and records the block.
func (b *Blocker) make(ctx context.Context, w wanted, now time.Time) error {
	reason := fmt.Sprintf("Indikator %d (%s %s) ditandai untuk diblokir", w.id, w.kind, w.value)
	kind, ref, owned := BlockDecision, "", true
	switch w.kind {
	case intel.Domain:
		kind, ref = BlockRPZ, w.value
		if _, err := rpz.Block(ctx, b.DB, Actor, rpz.Input{Domain: w.value, Reason: reason, Source: rpz.SourceIndicator(w.id)}); err != nil {
			return err
		}
	default:
		d := decision.MaxDuration
		if w.until != nil {
			d = min(max(w.until.Sub(now), decision.MinDuration), decision.MaxDuration)
		}
		in := decision.Input{Value: w.value, Type: string(decision.Ban), Duration: d.Round(time.Second).String(), Reason: reason}
		if w.region != "" {
			in.Region = &w.region
		}
		dec, err := decision.CreateBy(ctx, b.DB, Actor, in)
		if err != nil {
			return err
		}
		ref = strconv.FormatInt(dec.ID, 10)
		owned = dec.Outcome == decision.OutcomeCreated || dec.Outcome == decision.OutcomeProposed
	}
	return b.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO indicator_blocks (indicator_id, kind, ref, owned, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			w.id, kind, ref, boolInt(owned), store.Now()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, Actor, "indicator.block", intel.RecordKind, w.id, map[string]any{
			"block": id, "kind": kind, "ref": ref, "owned": owned, "value": w.value})
	})
}

// lift ends one block (when it was made for the indicator) and records it.
func (b *Blocker) lift(ctx context.Context, l liveBlock, reason string) error {
	if l.owned {
		switch l.kind {
		case BlockDecision:
			id, _ := strconv.ParseInt(l.ref, 10, 64)
			if _, err := decision.RevokeBy(ctx, b.DB, Actor, id, reason); err != nil && !gone(err) {
				return fmt.Errorf("lift decision %d of indicator %d: %w", id, l.indicator, err)
			}
		case BlockRPZ:
			// Only the entry the indicator made: one a person made since
			// (after lifting ours) is theirs.
			var source string
			err := b.DB.QueryRow(ctx, `SELECT source FROM rpz_entries WHERE domain = ? AND lifted_at IS NULL`, l.ref).Scan(&source)
			if err == nil && source == rpz.SourceIndicator(l.indicator) {
				if _, err := rpz.Unblock(ctx, b.DB, Actor, l.ref, reason); err != nil && !gone(err) {
					return fmt.Errorf("lift blocklist entry %s of indicator %d: %w", l.ref, l.indicator, err)
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return b.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE indicator_blocks SET lifted_at = ?, lift_reason = ? WHERE id = ? AND lifted_at IS NULL`,
			store.Now(), reason, l.id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, Actor, "indicator.unblock", intel.RecordKind, l.indicator, map[string]any{
			"block": l.id, "kind": l.kind, "ref": l.ref, "owned": l.owned, "reason": reason})
	})
}

// gone is an error saying the block is not there to lift (already
// revoked, expired or lifted by a person).
func gone(err error) bool {
	return problem.Is(err, problem.NotFound) || problem.Is(err, problem.Conflict) || strings.Contains(err.Error(), "not live")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Block is one block an indicator made, as its page shows it.
type Block struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Ref        string     `json:"ref"`
	Owned      bool       `json:"owned"`
	CreatedAt  time.Time  `json:"created_at"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
	LiftReason string     `json:"lift_reason,omitempty"`
}

// Blocks lists an indicator's blocks, newest first. The caller has
// checked that the reader may read the indicator.
func Blocks(ctx context.Context, q store.Querier, indicatorID int64) ([]Block, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, ref, owned, created_at, lifted_at, lift_reason FROM indicator_blocks
		WHERE indicator_id = ? ORDER BY id DESC LIMIT 100`, indicatorID)
	if err != nil {
		return nil, fmt.Errorf("indicator %d blocks: %w", indicatorID, err)
	}
	return store.Collect(rows, func(r store.Scanner) (Block, error) {
		var b Block
		var owned int
		err := r.Scan(&b.ID, &b.Kind, &b.Ref, &owned, &b.CreatedAt, &b.LiftedAt, &b.LiftReason)
		b.Owned = owned != 0
		return b, err
	})
}
