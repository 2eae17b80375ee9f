// Package audit keeps Garda's tamper-evident record of every write: an
// append-only chain in which each entry carries the hash of the one before,
// so an entry edited, removed or reordered by hand breaks the chain where it
// happened. Appends happen inside the write's own transaction; the package
// must never update or delete an entry.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// Actor is who made a change: a signed-in user, or the system itself
// (UserID 0) for migrations, the demo seeder and the CLI run by an operator.
type Actor struct {
	UserID   int64
	Username string
	OrgSlug  string
}

// System is the actor for changes made by the platform or its CLI.
var System = Actor{Username: "system"}

// Entry is one link of the chain.
type Entry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	ActorID  int64           `json:"actor_id,omitempty"`
	Actor    string          `json:"actor"`
	ActorOrg string          `json:"actor_org,omitempty"`
	Action   string          `json:"action"`
	Kind     string          `json:"kind"`
	RecordID string          `json:"record_id"`
	Detail   json.RawMessage `json:"detail"`
	Digest   string          `json:"digest"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// genesis is the prev_hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record appends an entry for a change to a record, inside tx. detail is
// the change itself (marshalled to JSON; it must hold no secrets).
func Record(ctx context.Context, tx *store.Tx, who Actor, action, kind string, recordID any, detail any) error {
	body, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit: encode detail: %w", err)
	}
	if tx.Dialect() == store.Postgres {
		// One writer at a time extends the chain, across all instances.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(727002)`); err != nil {
			return fmt.Errorf("audit: lock chain: %w", err)
		}
	}
	e := Entry{
		At: store.Now(), ActorID: who.UserID, Actor: who.Username, ActorOrg: who.OrgSlug,
		Action: action, Kind: kind, RecordID: fmt.Sprint(recordID), Detail: body, Digest: digest(body),
	}
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&e.Seq, &e.PrevHash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.Seq, e.PrevHash = 0, genesis
	case err != nil:
		return fmt.Errorf("audit: read head: %w", err)
	}
	e.Seq++
	e.Hash = e.computeHash()
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log
		(seq, at, actor_id, actor, actor_org, action, kind, record_id, detail, digest, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.At, nullID(e.ActorID), e.Actor, e.ActorOrg, e.Action, e.Kind, e.RecordID, string(e.Detail), e.Digest, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("audit: move head: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// computeHash covers every field of the entry and the previous hash.
func (e Entry) computeHash() string {
	fields := []string{
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		strconv.FormatInt(e.ActorID, 10),
		e.Actor, e.ActorOrg, e.Action, e.Kind, e.RecordID, e.Digest, e.PrevHash,
	}
	h := sha256.New()
	for _, f := range fields {
		// Length-prefixed so that moving a byte between fields changes the hash.
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BrokenError names the first entry where the chain fails.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole chain in order and returns the number of entries
// checked, or a *BrokenError naming the first broken entry. It checks the
// chain against itself only; VerifyAnchored also checks it against the
// signed checkpoints kept outside the database.
func Verify(ctx context.Context, db store.Querier) (int64, error) {
	return verify(ctx, db, nil, Checkpoint{})
}

// verify walks the chain after entry since.Seq (0: from the start), whose
// hash must be since.Hash, to the head, checking it against checkpoints
// on the way. It returns the sequence number of the last entry checked.
func verify(ctx context.Context, db store.Querier, checkpoints []Checkpoint, since Checkpoint) (int64, error) {
	anchored := make(map[int64]Checkpoint, len(checkpoints))
	var newest Checkpoint
	for _, c := range checkpoints {
		anchored[c.Seq] = c
		if c.Seq > newest.Seq {
			newest = c
		}
	}
	// The head first, then the entries up to it: an entry and the head
	// that counts it commit together, so every entry the head counts is
	// there to read, and what writers append meanwhile (a live instance) is
	// beyond it and left for the next walk. Read the other way round, a
	// write between the two reads looked like entries removed.
	var headSeq int64
	var headHash string
	headErr := db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	noHead := errors.Is(headErr, store.ErrNotFound)
	if headErr != nil && !noHead {
		return 0, fmt.Errorf("audit: read head: %w", headErr)
	}
	upTo := headSeq
	if noHead {
		upTo = math.MaxInt64 // no head: any entry at all is a broken chain
	}
	rows, err := db.Query(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, actor_org, action, kind, record_id, detail, digest, prev_hash, hash
		FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq`, since.Seq, upTo)
	if err != nil {
		return 0, fmt.Errorf("audit: read chain: %w", err)
	}
	defer rows.Close()
	n, prev := since.Seq, since.Hash
	if n == 0 {
		prev = genesis
	}
	for rows.Next() {
		var e Entry
		var detail string
		if err := rows.Scan(&e.Seq, &e.At, &e.ActorID, &e.Actor, &e.ActorOrg, &e.Action, &e.Kind, &e.RecordID, &detail, &e.Digest, &e.PrevHash, &e.Hash); err != nil {
			return n, fmt.Errorf("audit: read entry after %d: %w", n, err)
		}
		want := n + 1
		switch {
		case e.Seq != want:
			return n, &BrokenError{Seq: want, Reason: fmt.Sprintf("entry missing or reordered (next entry found is %d)", e.Seq)}
		case e.PrevHash != prev:
			return n, &BrokenError{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it (removed or reordered)"}
		case digest([]byte(detail)) != e.Digest:
			return n, &BrokenError{Seq: e.Seq, Reason: "detail was changed after it was written"}
		case e.computeHash() != e.Hash:
			return n, &BrokenError{Seq: e.Seq, Reason: "entry fields were changed after it was written"}
		}
		if c, ok := anchored[e.Seq]; ok && c.Hash != e.Hash {
			return n, &BrokenError{Seq: e.Seq, Reason: fmt.Sprintf("entry does not match the signed checkpoint of %s: it or an entry before it was changed and the chain rehashed",
				c.At.UTC().Format(time.RFC3339))}
		}
		prev = e.Hash
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit: read chain: %w", err)
	}
	switch {
	case noHead:
		if n != 0 {
			// The first entry may have been written since the head was
			// read: look again before calling the chain broken.
			var again int64
			if err := db.QueryRow(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&again); err == nil {
				return verify(ctx, db, checkpoints, since)
			}
			return n, &BrokenError{Seq: n, Reason: "chain head is missing"}
		}
	case headSeq != n:
		return n, &BrokenError{Seq: n + 1, Reason: fmt.Sprintf("the newest entries were removed (head says %d entries, %d found)", headSeq, n)}
	case headHash != prev:
		return n, &BrokenError{Seq: n, Reason: "last entry does not match the chain head"}
	}
	if newest.Seq > n {
		return n, &BrokenError{Seq: n + 1, Reason: fmt.Sprintf("entries %d to %d were deleted: the signed checkpoint of %s counts %d entries, the chain and its head %d",
			n+1, newest.Seq, newest.At.UTC().Format(time.RFC3339), newest.Seq, n)}
	}
	return n, nil
}

// Filter selects entries for the audit list.
type Filter struct {
	Kind     string
	RecordID string
	Actor    string
	Before   int64 // cursor: entries with seq below this; 0 = newest
	Limit    int

	// visible limits the entries to a reader's (ListFor).
	visible     string
	visibleArgs []any
}

// List returns entries newest first, all of them: the operator's view.
// Pages and the API use ListFor.
func List(ctx context.Context, db store.Querier, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.RecordID != "" {
		where, args = append(where, "record_id = ?"), append(args, f.RecordID)
	}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	if f.visible != "" {
		where, args = append(where, f.visible), append(args, f.visibleArgs...)
	}
	q := `SELECT seq, at, COALESCE(actor_id, 0), actor, actor_org, action, kind, record_id, detail, digest, prev_hash, hash FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 501) // a page of 500 and one to say there is more
	q += " ORDER BY seq DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var detail string
		if err := rows.Scan(&e.Seq, &e.At, &e.ActorID, &e.Actor, &e.ActorOrg, &e.Action, &e.Kind, &e.RecordID, &detail, &e.Digest, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
