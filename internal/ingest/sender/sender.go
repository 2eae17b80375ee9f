// Package sender says who sent a batch of log lines, and keeps the ingest
// keys with which registered senders (a log shipper on an asset's host)
// send one asset's logs without a person's account.
//
// Sending logs is a claim about what happened on a system: forged lines
// raise alerts, and alerts ban addresses. So a batch is accepted only from
// the asset's owner (policy.CanSendLogs) or a key the owner registered for
// that asset, and every accepted batch is written to the audit chain with
// its sender. It must never keep a key in clear, nor let a key of one
// asset send another's logs.
package sender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Kinds of sender.
const (
	KindUser      = "user"      // a person's account (session or API token)
	KindKey       = "key"       // an asset's ingest key, by its asset and name
	KindSyslog    = "syslog"    // the syslog listener, by the sending host's address
	KindSimulator = "simulator" // the demo's traffic simulator
)

// Sender is who sent a batch: a kind and a name within it.
type Sender struct {
	Kind string
	Name string
	// Actor is who the audit chain credits; for a user its account.
	Actor audit.Actor
}

// String is the sender as decisions and events record it: "user:analis.bin",
// "key:12/edge-nginx" (asset/name), "syslog:192.0.2.10".
func (s Sender) String() string { return s.Kind + ":" + s.Name }

// User is a person sending with its own account.
func User(p auth.Principal) Sender {
	return Sender{Kind: KindUser, Name: p.User.Username, Actor: p.Actor()}
}

// Of is a sender that is not a person (a key, the syslog listener, the
// simulator); the audit chain credits it by its String.
func Of(kind, name string) Sender {
	s := Sender{Kind: kind, Name: name}
	s.Actor = audit.Actor{Username: s.String()}
	return s
}

// Authorize reports whether p may send a's logs with its own account.
func Authorize(p auth.Principal, a asset.Asset) error {
	if !policy.CanSendLogs(p.Viewer, a.OwnerID, a.Region) {
		return problem.New(problem.Forbidden,
			"only the asset's owner (%s) sends its logs, as an analyst, coordinator or administrator; other senders use an ingest key the owner registers for the asset", a.Owner)
	}
	return nil
}

// BatchKind names ingest batches in the audit chain; the record is the asset.
const BatchKind = "asset"

// Batch is an accepted batch as the audit chain records it.
type Batch struct {
	ID       string `json:"batch"`                  // the server's id of the batch, carried by its events
	Sender   string `json:"sender"`                 // Sender.String
	AssetID  int64  `json:"asset_id"`               //
	Lines    int    `json:"lines"`                  // lines received
	Accepted int    `json:"accepted"`               // lines stored as events
	Rejected int    `json:"rejected"`               // lines refused
	ClientID string `json:"client_batch,omitempty"` // the sender's own batch id (X-Garda-Batch), if any
	From     string `json:"from,omitempty"`         // the address it came from
}

// NewBatchID names a batch as it is accepted: its events, its audit entry
// and the decisions they lead to carry it.
func NewBatchID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "b-" + hex.EncodeToString(b)
}

// clientBatchesKept is how long a sender's batch id is remembered; a sender
// retries within minutes.
const clientBatchesKept = 24 * time.Hour

// Record writes an accepted batch to the audit chain, crediting its sender.
// A batch that carries the sender's own id (X-Garda-Batch) is audited once
// per asset: the same id again (a retry after an answer that was lost) is
// not written a second time.
func Record(ctx context.Context, db *store.DB, s Sender, b Batch) error {
	b.Sender = s.String()
	return db.InTx(ctx, func(tx *store.Tx) error {
		if b.ClientID != "" {
			now := store.Now()
			if _, err := tx.Exec(ctx, `DELETE FROM ingest_client_batches WHERE audited_at < ?`, now.Add(-clientBatchesKept)); err != nil {
				return err
			}
			res, err := tx.Exec(ctx, `INSERT INTO ingest_client_batches (asset_id, client_batch, audited_at) VALUES (?, ?, ?)
				ON CONFLICT (asset_id, client_batch) DO NOTHING`, b.AssetID, b.ClientID, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return nil // audited when it first came
			}
		}
		return audit.Record(ctx, tx, s.Actor, "ingest.batch", BatchKind, b.AssetID, b)
	})
}

// KeyPrefix starts every ingest key, so leaked ones are easy to grep for
// and never mistaken for an API token.
const KeyPrefix = "garda_ingest_"

// KeyKind names ingest keys in the audit chain.
const KeyKind = "ingest_key"

// Key is an asset's ingest key (never its secret).
type Key struct {
	ID         int64      `json:"id"`
	AssetID    int64      `json:"asset_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`

	Region string `json:"-"` // the asset's region, for the events KeyFor lets in
}

// Sender is the key as the sender of a batch. A key's name is unique only
// within its asset, so the sender is named by both ("key:12/filebeat"): two
// assets' keys of one name never share a rate bucket or an audit actor.
func (k Key) Sender() Sender { return Of(KindKey, strconv.FormatInt(k.AssetID, 10)+"/"+k.Name) }

var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$`)

const keyColumns = `id, asset_id, name, prefix, created_at, created_by, last_used_at, revoked_at`

func scanKey(row store.Scanner) (Key, error) {
	var k Key
	err := row.Scan(&k.ID, &k.AssetID, &k.Name, &k.Prefix, &k.CreatedAt, &k.CreatedBy, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// CreateKey registers a sender for an asset the principal has read (with
// asset.Get) and returns its key, shown once and stored only as its hash.
func CreateKey(ctx context.Context, db *store.DB, who auth.Principal, a asset.Asset, name string) (string, Key, error) {
	if err := Authorize(who, a); err != nil {
		return "", Key{}, err
	}
	name = strings.TrimSpace(name)
	if !keyName.MatchString(name) {
		return "", Key{}, problem.Field("name", "a sender's name is 1-100 letters, digits, dot, dash, underscore or @, starting with a letter or digit")
	}
	plain, hash := auth.NewSecret(KeyPrefix)
	var k Key
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO ingest_keys (asset_id, name, key_hash, prefix, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			a.ID, name, hash, plain[:len(KeyPrefix)+6], store.Now(), who.User.Username).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "the asset already has a sender named %q", name)
		} else if err != nil {
			return err
		}
		if k, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM ingest_keys WHERE id = ?`, id)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "ingest_key.create", KeyKind, id, map[string]any{"asset_id": a.ID, "name": name, "prefix": k.Prefix})
	})
	if err != nil {
		return "", Key{}, fmt.Errorf("create ingest key %s: %w", name, err)
	}
	return plain, k, nil
}

// ListKeys lists an asset's live keys by name.
func ListKeys(ctx context.Context, q store.Querier, who auth.Principal, a asset.Asset) ([]Key, error) {
	if err := Authorize(who, a); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+keyColumns+` FROM ingest_keys WHERE asset_id = ? AND revoked_at IS NULL ORDER BY name, id`, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list ingest keys: %w", err)
	}
	return store.Collect(rows, scanKey)
}

// RevokeKey stops one of an asset's keys working.
func RevokeKey(ctx context.Context, db *store.DB, who auth.Principal, a asset.Asset, id int64) error {
	if err := Authorize(who, a); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		k, err := scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM ingest_keys WHERE id = ? AND asset_id = ? AND revoked_at IS NULL`, id, a.ID))
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "asset %d has no ingest key %d", a.ID, id)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ingest_keys SET revoked_at = ? WHERE id = ?`, store.Now(), id); err != nil {
			return fmt.Errorf("revoke ingest key %d: %w", id, err)
		}
		return audit.Record(ctx, tx, who.Actor(), "ingest_key.revoke", KeyKind, id, map[string]any{"asset_id": a.ID, "name": k.Name})
	})
}

// ErrUnknownKey is a key that is unknown, revoked, or another asset's.
var ErrUnknownKey = errors.New("unknown ingest key")

// LooksLikeKey reports whether a credential is an ingest key rather than
// an API token.
func LooksLikeKey(s string) bool { return strings.HasPrefix(s, KeyPrefix) }

// KeyFor returns the live key plain opens for the asset assetID.
func KeyFor(ctx context.Context, db *store.DB, assetID int64, plain string) (Key, error) {
	if !LooksLikeKey(plain) || len(plain) > 100 {
		return Key{}, ErrUnknownKey
	}
	var k Key
	err := db.QueryRow(ctx, `SELECT k.id, k.asset_id, k.name, k.prefix, k.created_at, k.created_by, k.last_used_at, k.revoked_at, a.region
		FROM ingest_keys k JOIN assets a ON a.id = k.asset_id WHERE k.key_hash = ? AND k.revoked_at IS NULL`, auth.HashToken(plain)).
		Scan(&k.ID, &k.AssetID, &k.Name, &k.Prefix, &k.CreatedAt, &k.CreatedBy, &k.LastUsedAt, &k.RevokedAt, &k.Region)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.AssetID != assetID) {
		return Key{}, ErrUnknownKey
	} else if err != nil {
		return Key{}, fmt.Errorf("look up ingest key: %w", err)
	}
	// Use is recorded at most once a minute: a busy shipper should not
	// write per request.
	if now := store.Now(); k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		db.Exec(ctx, `UPDATE ingest_keys SET last_used_at = ? WHERE id = ?`, now, k.ID)
	}
	return k, nil
}
