package rpz

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// ResolverKind names resolvers in the audit chain.
const ResolverKind = "rpz_resolver"

// Resolver is a DNS resolver registered to load the zone (never its key).
type Resolver struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	NotifyAddr    string     `json:"notify_addr,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	CreatedBy     string     `json:"created_by"`
	LastFetchAt   *time.Time `json:"last_fetch_at,omitempty"`
	LastFetchIP   string     `json:"last_fetch_ip,omitempty"`
	LastFetchKind string     `json:"last_fetch_kind,omitempty"` // http, axfr, ixfr
	LastSerial    uint32     `json:"last_serial,omitempty"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
}

// TSIGName is the resolver's TSIG key name (its name as a DNS name).
func (r Resolver) TSIGName() string { return r.Name + "." }

// Credentials are what a resolver's operator is shown once.
type Credentials struct {
	Key        string // in the URL: /rpz/<key>/garda.rpz
	TSIGName   string // key name for transfers, e.g. "bind-isp-1."
	TSIGSecret string // base64, hmac-sha256
}

// Path is the zone's HTTP path for this key.
func (c Credentials) Path() string { return "/rpz/" + c.Key + "/" + Origin }

// A resolver name is a DNS label, since it names the TSIG key too.
var resolverName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// tsigSecret derives the TSIG secret from the key: one secret to hand
// over, yet the stored secret does not give the HTTP key back.
func tsigSecret(key string) string {
	m := hmac.New(sha256.New, []byte("garda rpz tsig"))
	m.Write([]byte(key))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

const resolverColumns = `id, name, notify_addr, created_at, created_by, last_fetch_at, last_fetch_ip, last_fetch_kind, last_serial, revoked_at`

func scanResolver(row store.Scanner) (Resolver, error) {
	var r Resolver
	var serial int64
	err := row.Scan(&r.ID, &r.Name, &r.NotifyAddr, &r.CreatedAt, &r.CreatedBy, &r.LastFetchAt, &r.LastFetchIP, &r.LastFetchKind, &serial, &r.RevokedAt)
	r.LastSerial = uint32(serial)
	return r, err
}

// AddResolver registers a resolver and returns its credentials, shown once:
// the key is stored only as its SHA-256. notify, when set, is the host:port
// told of every change by DNS NOTIFY.
func AddResolver(ctx context.Context, db *store.DB, who audit.Actor, name, notify string) (Credentials, Resolver, error) {
	if !resolverName.MatchString(name) {
		return Credentials{}, Resolver{}, problem.Field("name", "a resolver name is 1-63 lower-case letters, digits or dashes (it names its TSIG key too), not %q", clip(name))
	}
	if notify != "" {
		host, port, err := net.SplitHostPort(notify)
		if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p <= 0 || p > 65535 {
			return Credentials{}, Resolver{}, problem.Field("notify", "--notify is host:port (e.g. 127.0.0.1:53), not %q", clip(notify))
		}
	}
	b := make([]byte, 32)
	rand.Read(b)
	c := Credentials{Key: hex.EncodeToString(b), TSIGName: name + "."}
	c.TSIGSecret = tsigSecret(c.Key)
	var r Resolver
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO rpz_resolvers (name, key_hash, tsig_secret, notify_addr, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			name, hashKey(c.Key), c.TSIGSecret, notify, store.Now(), who.Username).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "a resolver named %q already exists", name)
		} else if err != nil {
			return err
		}
		if r, err = scanResolver(tx.QueryRow(ctx, `SELECT `+resolverColumns+` FROM rpz_resolvers WHERE id = ?`, id)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "rpz.resolver.add", ResolverKind, id, map[string]string{"name": name, "notify": notify})
	})
	if err != nil {
		return Credentials{}, Resolver{}, fmt.Errorf("add resolver %s: %w", name, err)
	}
	return c, r, nil
}

// ListResolvers lists resolvers by name; all adds the revoked ones.
func ListResolvers(ctx context.Context, q store.Querier, all bool) ([]Resolver, error) {
	query := `SELECT ` + resolverColumns + ` FROM rpz_resolvers WHERE revoked_at IS NULL ORDER BY name, id`
	if all {
		query = `SELECT ` + resolverColumns + ` FROM rpz_resolvers ORDER BY name, id`
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list resolvers: %w", err)
	}
	return store.Collect(rows, scanResolver)
}

// RevokeResolver stops a resolver's key (and TSIG secret) working.
func RevokeResolver(ctx context.Context, db *store.DB, who audit.Actor, name string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM rpz_resolvers WHERE name = ? AND revoked_at IS NULL`, name).Scan(&id)
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no resolver named %q", name)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE rpz_resolvers SET revoked_at = ? WHERE id = ?`, store.Now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "rpz.resolver.revoke", ResolverKind, id, map[string]string{"name": name})
	})
}

// resolverByKey finds the live resolver a URL key belongs to.
func resolverByKey(ctx context.Context, q store.Querier, key string) (*Resolver, error) {
	if len(key) != 64 {
		return nil, nil
	}
	r, err := scanResolver(q.QueryRow(ctx, `SELECT `+resolverColumns+` FROM rpz_resolvers WHERE key_hash = ? AND revoked_at IS NULL`, hashKey(key)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up resolver: %w", err)
	}
	return &r, nil
}

// tsigSecretOf returns the live resolver's TSIG secret for a key name.
func tsigSecretOf(ctx context.Context, q store.Querier, keyName string) (string, bool, error) {
	name := strings.ToLower(trimDot(keyName))
	var s string
	err := q.QueryRow(ctx, `SELECT tsig_secret FROM rpz_resolvers WHERE name = ? AND revoked_at IS NULL`, name).Scan(&s)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	return s, err == nil, err
}

func trimDot(s string) string {
	if n := len(s); n > 0 && s[n-1] == '.' {
		return s[:n-1]
	}
	return s
}

// recordFetch notes a resolver's fetch or transfer for its health.
func recordFetch(ctx context.Context, q store.Querier, id int64, ip, kind string, serial uint32) error {
	_, err := q.Exec(ctx, `UPDATE rpz_resolvers SET last_fetch_at = ?, last_fetch_ip = ?, last_fetch_kind = ?, last_serial = ? WHERE id = ?`,
		store.Now(), ip, kind, int64(serial), id)
	return err
}

func recordFetchByName(ctx context.Context, q store.Querier, name, ip, kind string, serial uint32) error {
	_, err := q.Exec(ctx, `UPDATE rpz_resolvers SET last_fetch_at = ?, last_fetch_ip = ?, last_fetch_kind = ?, last_serial = ? WHERE name = ? AND revoked_at IS NULL`,
		store.Now(), ip, kind, int64(serial), strings.ToLower(trimDot(name)))
	return err
}
