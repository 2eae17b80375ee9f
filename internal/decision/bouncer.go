package decision

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// BouncerKind names bouncers in the audit chain.
const BouncerKind = "bouncer"

// Bouncer is an enforcement point registered to pull decisions (never its key).
type Bouncer struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastPullAt *time.Time `json:"last_pull_at,omitempty"`
	LastPullIP string     `json:"last_pull_ip,omitempty"`
	UserAgent  string     `json:"user_agent,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

var bouncerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$`)

// hashKey is the stored form of a bouncer key.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// newKey is 32 random bytes in hex: no character a bouncer's config file
// or header parser could trip on (CrowdSec trims '=' from its keys for
// the same reason).
func newKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

const bouncerColumns = `id, name, created_at, created_by, last_pull_at, last_pull_ip, user_agent, revoked_at`

func scanBouncer(row store.Scanner) (Bouncer, error) {
	var b Bouncer
	err := row.Scan(&b.ID, &b.Name, &b.CreatedAt, &b.CreatedBy, &b.LastPullAt, &b.LastPullIP, &b.UserAgent, &b.RevokedAt)
	return b, err
}

// AddBouncer registers an enforcement point and returns its key, which is
// shown once and stored only as its SHA-256.
func AddBouncer(ctx context.Context, db *store.DB, who audit.Actor, name string) (string, Bouncer, error) {
	if !bouncerName.MatchString(name) {
		return "", Bouncer{}, problem.Field("name", "a bouncer name is 1-100 letters, digits, dot, dash, underscore or @, starting with a letter or digit")
	}
	key := newKey()
	var b Bouncer
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO bouncers (name, key_hash, created_at, created_by, stream_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			name, hashKey(key), now, who.Username, now).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "a bouncer named %q already exists", name)
		} else if err != nil {
			return err
		}
		if b, err = scanBouncer(tx.QueryRow(ctx, `SELECT `+bouncerColumns+` FROM bouncers WHERE id = ?`, id)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "bouncer.add", BouncerKind, id, map[string]string{"name": name})
	})
	if err != nil {
		return "", Bouncer{}, fmt.Errorf("add bouncer %s: %w", name, err)
	}
	return key, b, nil
}

// ListBouncers lists the registered bouncers by name; all adds the deleted ones.
func ListBouncers(ctx context.Context, q store.Querier, all bool) ([]Bouncer, error) {
	query := `SELECT ` + bouncerColumns + ` FROM bouncers WHERE revoked_at IS NULL ORDER BY name, id`
	if all {
		query = `SELECT ` + bouncerColumns + ` FROM bouncers ORDER BY name, id`
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list bouncers: %w", err)
	}
	return store.Collect(rows, scanBouncer)
}

// DeleteBouncer stops a bouncer's key working. The row stays (with its last
// pull) for the record, and the name is free again.
func DeleteBouncer(ctx context.Context, db *store.DB, who audit.Actor, name string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM bouncers WHERE name = ? AND revoked_at IS NULL`, name).Scan(&id)
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no bouncer named %q", name)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bouncers SET revoked_at = ? WHERE id = ?`, store.Now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "bouncer.delete", BouncerKind, id, map[string]string{"name": name})
	})
}

// Bouncer management for the API: a bouncer receives every decision in the
// country, so registering or deleting one is for national administrators
// (policy.ManagesNational).

// AddBouncerAs registers a bouncer as a signed-in administrator.
func AddBouncerAs(ctx context.Context, db *store.DB, who auth.Principal, name string) (string, Bouncer, error) {
	if !policy.ManagesNational(who.Viewer) {
		return "", Bouncer{}, problem.New(problem.Forbidden, "only national administrators register bouncers")
	}
	return AddBouncer(ctx, db, who.Actor(), name)
}

// ListBouncersAs lists bouncers for a signed-in administrator or analyst.
func ListBouncersAs(ctx context.Context, q store.Querier, who auth.Principal) ([]Bouncer, error) {
	if !who.Can(policy.ManageSettings) && !who.Can(policy.Triage) {
		return nil, problem.New(problem.Forbidden, "your role (%s) may not list bouncers", who.User.Role)
	}
	return ListBouncers(ctx, q, false)
}

// DeleteBouncerAs deletes a bouncer as a signed-in administrator.
func DeleteBouncerAs(ctx context.Context, db *store.DB, who auth.Principal, name string) error {
	if !policy.ManagesNational(who.Viewer) {
		return problem.New(problem.Forbidden, "only national administrators delete bouncers")
	}
	return DeleteBouncer(ctx, db, who.Actor(), name)
}

// puller is a bouncer as a pull sees it.
type puller struct {
	id         int64
	name       string
	lastPullAt *time.Time
	lastPullIP string
	userAgent  string
	streamSeq  int64
	streamAt   time.Time
}

// bouncerByKey finds the live bouncer a key belongs to.
func bouncerByKey(ctx context.Context, q store.Querier, key string) (*puller, error) {
	if key == "" || len(key) > 512 {
		return nil, nil
	}
	var p puller
	var streamAt *time.Time
	err := q.QueryRow(ctx, `SELECT id, name, last_pull_at, last_pull_ip, user_agent, stream_seq, stream_at, created_at FROM bouncers
		WHERE key_hash = ? AND revoked_at IS NULL`, hashKey(key)).Scan(&p.id, &p.name, &p.lastPullAt, &p.lastPullIP, &p.userAgent, &p.streamSeq, &streamAt, &p.streamAt)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up bouncer: %w", err)
	}
	if streamAt != nil {
		p.streamAt = *streamAt
	}
	return &p, nil
}
