package rpz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// EntryKind names blocklist entries in the audit chain.
const EntryKind = "rpz_entry"

// Policies an entry answers with.
const (
	NXDomain = "nxdomain" // the name does not exist (CNAME .)
	Landing  = "cname"    // the name is the landing page's host (CNAME landing.host.)
)

// SourceManual marks a block made directly by a coordinator; a takedown
// request's blocks say SourceRequest(id).
const SourceManual = "manual"

// SourceRequest is the source of a block a takedown request asked for.
func SourceRequest(id int64) string { return fmt.Sprintf("request:%d", id) }

// SourceIndicator is the source of a block an indicator marked for
// blocking made (internal/intel/match); the indicator's revocation or
// expiry lifts it.
func SourceIndicator(id int64) string { return fmt.Sprintf("indicator:%d", id) }

// Entry is one block.
type Entry struct {
	ID         int64      `json:"id"`
	Domain     string     `json:"domain"`
	Policy     string     `json:"policy"`
	Target     string     `json:"target,omitempty"`
	Reason     string     `json:"reason"`
	Source     string     `json:"source"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	Serial     uint32     `json:"serial"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
	LiftedBy   string     `json:"lifted_by,omitempty"`
	LiftReason string     `json:"lift_reason,omitempty"`
}

// Input is a block to make.
type Input struct {
	Domain string
	Reason string
	// Source is SourceManual or SourceRequest(id); empty means manual.
	Source string
	// LandingHost, when set, answers the domain with a CNAME to this host
	// (the page that says why it is blocked); empty means NXDOMAIN.
	LandingHost string
}

const maxReason = 2000

// validate normalises in and says what is wrong with it, touching nothing.
func (in Input) validate() (Entry, error) {
	d, err := NormalizeDomain(in.Domain)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Domain: d, Policy: NXDomain, Reason: strings.TrimSpace(in.Reason), Source: strings.TrimSpace(in.Source)}
	if e.Reason == "" {
		return Entry{}, problem.Field("reason", "say why the domain is blocked (it is shown to whoever reads the blocklist)")
	}
	if len(e.Reason) > maxReason {
		return Entry{}, problem.Field("reason", "the reason is too long (at most %d bytes)", maxReason)
	}
	if e.Source == "" {
		e.Source = SourceManual
	}
	if e.Source != SourceManual && !validRequestSource(e.Source) && !validIndicatorSource(e.Source) {
		return Entry{}, problem.Field("source", "source is %q, request:<id> or indicator:<id>, not %q", SourceManual, clip(e.Source))
	}
	if in.LandingHost != "" {
		t, err := normalize("landing", in.LandingHost)
		if err != nil {
			return Entry{}, err
		}
		if t == d || strings.HasSuffix(t, "."+d) {
			return Entry{}, problem.Field("landing", "the landing host %s is inside the blocked domain %s: it would be blocked too", t, d)
		}
		e.Policy, e.Target = Landing, t
	}
	return e, nil
}

func validIndicatorSource(s string) bool {
	id, ok := strings.CutPrefix(s, "indicator:")
	return ok && validRequestSource("request:"+id)
}

func validRequestSource(s string) bool {
	id, ok := strings.CutPrefix(s, "request:")
	if !ok || id == "" || len(id) > 19 || id[0] == '0' {
		return false
	}
	return strings.Trim(id, "0123456789") == ""
}

const entryColumns = `id, domain, policy, target, reason, source, created_by, created_at, serial, lifted_at, lifted_by, lift_reason`

func scanEntry(row store.Scanner) (Entry, error) {
	var e Entry
	var serial int64
	err := row.Scan(&e.ID, &e.Domain, &e.Policy, &e.Target, &e.Reason, &e.Source, &e.CreatedBy, &e.CreatedAt, &serial, &e.LiftedAt, &e.LiftedBy, &e.LiftReason)
	e.Serial = uint32(serial)
	return e, err
}

// Block puts domains on the blocklist in one change (one serial), as who.
// It is the one way in: the coordinator's command and page and the
// takedown requests all call it. A domain already blocked is a conflict
// and nothing changes.
func Block(ctx context.Context, db *store.DB, who audit.Actor, in ...Input) ([]Entry, error) {
	if len(in) == 0 {
		return nil, problem.Field("domain", "give at least one domain")
	}
	entries := make([]Entry, len(in))
	seen := make(map[string]bool, len(in))
	for i, x := range in {
		e, err := x.validate()
		if err != nil {
			return nil, err
		}
		if seen[e.Domain] {
			return nil, problem.Field("domain", "%s is given twice", e.Domain)
		}
		seen[e.Domain] = true
		entries[i] = e
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		serial, err := nextSerial(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		for i := range entries {
			e := &entries[i]
			e.CreatedBy, e.CreatedAt, e.Serial = who.Username, now, serial
			err := tx.QueryRow(ctx, `INSERT INTO rpz_entries (domain, policy, target, reason, source, created_by, created_at, serial)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				e.Domain, e.Policy, e.Target, e.Reason, e.Source, e.CreatedBy, now, int64(serial)).Scan(&e.ID)
			if errors.Is(err, store.ErrConflict) {
				return problem.New(problem.Conflict, "%s is already blocked: unblock it first to change how", e.Domain)
			} else if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO rpz_journal (serial, op, domain, policy, target) VALUES (?, 'add', ?, ?, ?)`,
				int64(serial), e.Domain, e.Policy, e.Target); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, who, "rpz.block", EntryKind, e.ID, map[string]any{
				"domain": e.Domain, "policy": e.Policy, "target": e.Target, "reason": e.Reason, "source": e.Source, "serial": serial}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", entries[0].Domain, err)
	}
	return entries, nil
}

// Unblock lifts the live block on domain, as who: the zone loses it at the
// next serial, and the row stays for the record.
func Unblock(ctx context.Context, db *store.DB, who audit.Actor, domain, reason string) (Entry, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return Entry{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Entry{}, problem.Field("reason", "say why the block is lifted")
	}
	if len(reason) > maxReason {
		return Entry{}, problem.Field("reason", "the reason is too long (at most %d bytes)", maxReason)
	}
	var e Entry
	err = db.InTx(ctx, func(tx *store.Tx) error {
		e, err = scanEntry(tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM rpz_entries WHERE domain = ? AND lifted_at IS NULL`, d))
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "%s is not blocked", d)
		} else if err != nil {
			return err
		}
		serial, err := nextSerial(ctx, tx)
		if err != nil {
			return err
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE rpz_entries SET lifted_at = ?, lifted_by = ?, lift_reason = ? WHERE id = ?`, now, who.Username, reason, e.ID); err != nil {
			return err
		}
		e.LiftedAt, e.LiftedBy, e.LiftReason = &now, who.Username, reason
		if _, err := tx.Exec(ctx, `INSERT INTO rpz_journal (serial, op, domain, policy, target) VALUES (?, 'del', ?, ?, ?)`,
			int64(serial), e.Domain, e.Policy, e.Target); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "rpz.unblock", EntryKind, e.ID, map[string]any{"domain": e.Domain, "reason": reason, "serial": serial})
	})
	if err != nil {
		return Entry{}, fmt.Errorf("unblock %s: %w", d, err)
	}
	return e, nil
}

// Filter selects blocklist entries.
type Filter struct {
	Search string // a part of the domain, the reason, the source or who blocked it
	All    bool   // lifted blocks too
	Limit  int    // at most this many (default 100, at most 1000)
	Before int64  // entries with a smaller id (the next page)
}

// List returns blocklist entries, newest first. The blocklist is public by
// nature (every resolver that loads it reads it whole), so every signed-in
// user may read it.
func List(ctx context.Context, q store.Querier, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if !f.All {
		where = append(where, "lifted_at IS NULL")
	}
	if s := strings.ToLower(strings.TrimSpace(f.Search)); s != "" {
		if len(s) > 200 {
			return nil, problem.Field("q", "the search is too long")
		}
		// The domain is searched in its stored (punycode) form too.
		if a, err := profile.ToASCII(s); err == nil {
			s = strings.ToLower(a)
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
		where = append(where, `(domain LIKE ? ESCAPE '\' OR LOWER(reason) LIKE ? ESCAPE '\' OR source LIKE ? ESCAPE '\' OR LOWER(created_by) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	q0 := `SELECT ` + entryColumns + ` FROM rpz_entries`
	if len(where) > 0 {
		q0 += " WHERE " + strings.Join(where, " AND ")
	}
	q0 += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit)
	rows, err := q.Query(ctx, q0, args...)
	if err != nil {
		return nil, fmt.Errorf("list blocklist: %w", err)
	}
	return store.Collect(rows, scanEntry)
}

// Count is the number of live blocks.
func Count(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM rpz_entries WHERE lifted_at IS NULL`).Scan(&n)
	return n, err
}

// Live returns every live block ordered by domain, for the zone: only
// what the zone says (domain, policy, target), as it is read whole for
// every fetch and transfer.
func Live(ctx context.Context, q store.Querier) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT domain, policy, target FROM rpz_entries WHERE lifted_at IS NULL ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("read blocklist: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (Entry, error) {
		var e Entry
		err := r.Scan(&e.Domain, &e.Policy, &e.Target)
		return e, err
	})
}

// LiveFrom returns the live blocks one source made (a takedown request's,
// an indicator's), ordered by domain: what that source may lift.
func LiveFrom(ctx context.Context, q store.Querier, source string) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryColumns+` FROM rpz_entries WHERE source = ? AND lifted_at IS NULL ORDER BY domain`, source)
	if err != nil {
		return nil, fmt.Errorf("blocks of %s: %w", source, err)
	}
	return store.Collect(rows, scanEntry)
}
