package decision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// AllowKind names allow-list entries in the audit chain.
const AllowKind = "allowlist"

// AllowEntry is an address or range Garda must never block.
type AllowEntry struct {
	ID        int64      `json:"id"`
	Value     string     `json:"value"`
	Reason    string     `json:"reason"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
	RemovedBy string     `json:"removed_by,omitempty"`
	// Live is false once the entry expired or was removed.
	Live bool `json:"live"`
	// Ended lists, when the entry was just added, the live decisions it
	// ended (active ones revoked, proposals rejected).
	Ended []int64 `json:"ended,omitempty"`

	target Target
}

const allowColumns = `id, value, reason, created_at, created_by, expires_at, removed_at, removed_by`

func scanAllow(row store.Scanner, now time.Time) (AllowEntry, error) {
	var e AllowEntry
	var removedBy *string
	if err := row.Scan(&e.ID, &e.Value, &e.Reason, &e.CreatedAt, &e.CreatedBy, &e.ExpiresAt, &e.RemovedAt, &removedBy); err != nil {
		return AllowEntry{}, err
	}
	t, err := ParseTarget(e.Value)
	if err != nil {
		return AllowEntry{}, fmt.Errorf("allow-list entry %d: stored value is corrupt: %w", e.ID, err)
	}
	e.target, e.RemovedBy = t, deref(removedBy)
	e.Live = e.RemovedAt == nil && (e.ExpiresAt == nil || e.ExpiresAt.After(now))
	return e, nil
}

// liveAllow lists the entries in force.
func liveAllow(ctx context.Context, q store.Querier, now time.Time) ([]AllowEntry, error) {
	rows, err := q.Query(ctx, `SELECT `+allowColumns+` FROM allowlist WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY id`, now)
	if err != nil {
		return nil, fmt.Errorf("read allow-list: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (AllowEntry, error) { return scanAllow(r, now) })
}

// allowedBy is the first entry in force that shares an address with t: a
// range that would block an allowed address is refused as a whole.
func allowedBy(ctx context.Context, q store.Querier, t Target, now time.Time) (*AllowEntry, error) {
	entries, err := liveAllow(ctx, q, now)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.target.Overlaps(t) {
			return &e, nil
		}
	}
	return nil, nil
}

// Allowed reports the allow-list entry in force that covers or overlaps
// the address or range s, or nil.
func Allowed(ctx context.Context, q store.Querier, s string) (*AllowEntry, error) {
	t, err := ParseTarget(s)
	if err != nil {
		return nil, problem.Field("ip", "%v", err)
	}
	return allowedBy(ctx, q, t, store.Now())
}

// canManageAllow is who may change the allow-list: administrators (it is
// platform set-up) and coordinators (they steer the response). Analysts
// may not: an entry switches blocking off for an address.
func canManageAllow(who auth.Principal) bool {
	return who.Can(policy.ManageSettings) || who.Can(policy.Escalate)
}

// canChangeAllow: the allow-list is national (an entry lifts decisions in
// every region), so only national administrators and coordinators change it.
func canChangeAllow(who auth.Principal) bool {
	return canManageAllow(who) && who.User.Scope == ""
}

// AllowInput is a new allow-list entry.
type AllowInput struct {
	Value     string `json:"value"`      // address or CIDR range
	Reason    string `json:"reason"`     // required: whose address, and why
	ExpiresIn string `json:"expires_in"` // optional duration ("720h", "30d"); empty = until removed
}

// ListAllow lists the allow-list, entries in force first unless all is set
// (then removed and expired entries too), newest first.
func ListAllow(ctx context.Context, q store.Querier, who auth.Principal, all bool) ([]AllowEntry, error) {
	if !canManageAllow(who) && !who.Can(policy.Triage) {
		return nil, problem.New(problem.Forbidden, "your role (%s) may not read the allow-list", who.User.Role)
	}
	return AllowList(ctx, q, all)
}

// AllowList lists the allow-list for the CLI, without a role check.
func AllowList(ctx context.Context, q store.Querier, all bool) ([]AllowEntry, error) {
	now := store.Now()
	query, args := `SELECT `+allowColumns+` FROM allowlist ORDER BY id DESC`, []any(nil)
	if !all {
		query, args = `SELECT `+allowColumns+` FROM allowlist WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC`, []any{now}
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list allow-list: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (AllowEntry, error) { return scanAllow(r, now) })
}

// AddAllow adds an entry as a signed-in person.
func AddAllow(ctx context.Context, db *store.DB, who auth.Principal, in AllowInput) (AllowEntry, error) {
	if !canChangeAllow(who) {
		return AllowEntry{}, problem.New(problem.Forbidden, "the allow-list is national: only a national administrator or coordinator changes it")
	}
	return AddAllowBy(ctx, db, who.Actor(), in)
}

// AddAllowBy adds an entry for an actor (the CLI, the platform). Live
// decisions that share an address with it end in the same transaction:
// active ones are revoked, so bouncers unblock the address on their next
// pull, and waiting proposals are rejected.
func AddAllowBy(ctx context.Context, db *store.DB, who audit.Actor, in AllowInput) (AllowEntry, error) {
	t, err := ParseTarget(in.Value)
	if err != nil {
		return AllowEntry{}, problem.Field("value", "%v", err)
	}
	if err := t.tooWide(); err != nil {
		return AllowEntry{}, problem.Field("value", "an allow-list entry lifts blocks as widely as a decision may block, no wider: %v", err)
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" || len(reason) > 1000 {
		return AllowEntry{}, problem.Field("reason", "say whose address it is and why it must never be blocked (at most 1000 characters)")
	}
	var ttl time.Duration
	if in.ExpiresIn != "" {
		if ttl, err = ParseDuration(in.ExpiresIn); err != nil || ttl < MinDuration || ttl > MaxDuration {
			return AllowEntry{}, problem.Field("expires_in", "must be a duration from %s to %s, such as 720h or 30d", MinDuration, MaxDuration)
		}
	}
	var e AllowEntry
	err = db.InTx(ctx, func(tx *store.Tx) error {
		seq, err := tick(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		live, err := liveAllow(ctx, tx, now)
		if err != nil {
			return err
		}
		for _, o := range live {
			if o.Value == t.String() {
				return problem.New(problem.Conflict, "%s is already on the allow-list (entry %d)", t, o.ID)
			}
		}
		var expires any
		if ttl > 0 {
			expires = now.Add(ttl)
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO allowlist (value, reason, created_at, created_by, created_by_id, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, t.String(), reason, now, who.Username, nullInt(who.UserID), expires).Scan(&id); err != nil {
			return fmt.Errorf("insert allow-list entry: %w", err)
		}
		if e, err = scanAllow(tx.QueryRow(ctx, `SELECT `+allowColumns+` FROM allowlist WHERE id = ?`, id), now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who, "allowlist.add", AllowKind, id, e); err != nil {
			return err
		}
		e.Ended, err = endOverlapping(ctx, tx, who, e, seq, now)
		return err
	})
	if err != nil {
		return AllowEntry{}, fmt.Errorf("add %s to the allow-list: %w", t, err)
	}
	return e, nil
}

// endOverlapping ends the live decisions that share an address with a new
// allow-list entry.
func endOverlapping(ctx context.Context, tx *store.Tx, who audit.Actor, e AllowEntry, seq int64, now time.Time) ([]int64, error) {
	start, end := e.target.bounds()
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM decisions d WHERE `+liveSQL+` AND d.ip_size = ? AND d.start_ip <= ? AND d.end_ip >= ?`,
		now, e.target.size(), end, start)
	if err != nil {
		return nil, fmt.Errorf("find decisions the allow-list overrides: %w", err)
	}
	hit, err := store.Collect(rows, func(r store.Scanner) (Decision, error) { return scan(r, now) })
	if err != nil {
		return nil, err
	}
	why := fmt.Sprintf("allow-listed by entry %d (%s: %s)", e.ID, e.Value, e.Reason)
	var ended []int64
	for _, d := range hit {
		if d.Status == Active {
			if err := revoke(ctx, tx, who, d, why, seq, now); err != nil {
				return nil, err
			}
		} else {
			if err := reject(ctx, tx, who, d, why, now); err != nil {
				return nil, err
			}
		}
		ended = append(ended, d.ID)
	}
	return ended, nil
}

// RemoveAllow removes an entry as a signed-in person.
func RemoveAllow(ctx context.Context, db *store.DB, who auth.Principal, id int64) error {
	if !canChangeAllow(who) {
		return problem.New(problem.Forbidden, "the allow-list is national: only a national administrator or coordinator changes it")
	}
	return RemoveAllowBy(ctx, db, who.Actor(), id)
}

// RemoveAllowBy removes an entry for an actor. Decisions it ended stay
// ended: removing an entry never blocks anyone by itself.
func RemoveAllowBy(ctx context.Context, db *store.DB, who audit.Actor, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tick(ctx, tx); err != nil {
			return err
		}
		now := store.Now()
		e, err := scanAllow(tx.QueryRow(ctx, `SELECT `+allowColumns+` FROM allowlist WHERE id = ?`, id), now)
		if errors.Is(err, store.ErrNotFound) || (err == nil && e.RemovedAt != nil) {
			return problem.New(problem.NotFound, "no allow-list entry %d", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE allowlist SET removed_at = ?, removed_by = ? WHERE id = ?`, now, who.Username, id); err != nil {
			return fmt.Errorf("remove allow-list entry %d: %w", id, err)
		}
		return audit.Record(ctx, tx, who, "allowlist.remove", AllowKind, id, map[string]string{"value": e.Value, "reason": e.Reason})
	})
}
