package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/garda-id/garda/internal/problem"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store"
)

// Secrets handed out (tokens, session cookies) are 32 random bytes; only
// their SHA-256 is stored, so a copy of the database signs no one in.
func newSecret(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, hashSecret(plain)
}

func hashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// TokenPrefix starts every API token, so leaked ones are easy to grep for.
const TokenPrefix = "garda_"

// Token kinds: made on purpose for a script, or by signing in over the API.
const (
	TokenAPI   = "api"
	TokenLogin = "login"
)

// Token describes an API token (never its secret).
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// CreateToken issues a token for a user and returns its secret, which is
// shown once and never stored.
func CreateToken(ctx context.Context, db *store.DB, who audit.Actor, userID int64, name, kind string, ttl time.Duration) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", Token{}, problem.Field("name", "a token needs a name of at most 100 characters")
	}
	if ttl <= 0 || ttl > 366*24*time.Hour {
		return "", Token{}, problem.Field("ttl", "must be between 1 second and 366 days")
	}
	plain, hash := newSecret(TokenPrefix)
	now := store.Now()
	t := Token{UserID: userID, Name: name, Kind: kind, Prefix: plain[:len(TokenPrefix)+6], CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO tokens (user_id, name, kind, hash, prefix, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, userID, name, kind, hash, t.Prefix, now, t.ExpiresAt).Scan(&t.ID); err != nil {
			return err
		}
		if kind == TokenLogin {
			return nil // a sign-in is not a change worth a chain entry
		}
		return audit.Record(ctx, tx, who, "token.create", "token", t.ID, map[string]any{"user_id": userID, "name": name, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return plain, t, nil
}

// ListTokens lists a user's tokens, newest first.
func ListTokens(ctx context.Context, q store.Querier, userID int64) ([]Token, error) {
	rows, err := q.Query(ctx, `SELECT id, user_id, name, kind, prefix, created_at, expires_at, last_used_at, revoked_at
		FROM tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Kind, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a token working. userID 0 revokes any user's token (the CLI).
func RevokeToken(ctx context.Context, db *store.DB, who audit.Actor, id, userID int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		q, args := `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, []any{store.Now(), id}
		if userID != 0 {
			q, args = q+` AND user_id = ?`, append(args, userID)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", id, store.ErrNotFound)
		}
		return audit.Record(ctx, tx, who, "token.revoke", "token", id, nil)
	})
}

// TokenUser returns the user a live token belongs to.
func TokenUser(ctx context.Context, db *store.DB, plain string) (User, error) {
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 100 {
		return User{}, ErrUnauthorized
	}
	var id, userID int64
	var expires time.Time
	var revoked, lastUsed *time.Time
	err := db.QueryRow(ctx, `SELECT id, user_id, expires_at, revoked_at, last_used_at FROM tokens WHERE hash = ?`, hashSecret(plain)).
		Scan(&id, &userID, &expires, &revoked, &lastUsed)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrUnauthorized
	} else if err != nil {
		return User{}, fmt.Errorf("look up token: %w", err)
	}
	now := store.Now()
	if revoked != nil || !now.Before(expires) {
		return User{}, ErrUnauthorized
	}
	// Record use at most once a minute: a busy script should not write per request.
	if lastUsed == nil || now.Sub(*lastUsed) > time.Minute {
		db.Exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, now, id)
	}
	u, err := UserByID(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrUnauthorized
	}
	return u, nil
}

// Session is a signed-in browser.
type Session struct {
	UserID    int64
	CSRF      string
	ExpiresAt time.Time
}

// SessionTTL is how long an idle browser session lives; each use extends it.
const SessionTTL = 12 * time.Hour

// CreateSession starts a browser session and returns the cookie value.
func CreateSession(ctx context.Context, db *store.DB, userID int64) (string, Session, error) {
	plain, hash := newSecret("")
	csrf, _ := newSecret("")
	now := store.Now()
	s := Session{UserID: userID, CSRF: csrf, ExpiresAt: now.Add(SessionTTL)}
	if _, err := db.Exec(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, userID, csrf, now, s.ExpiresAt, now); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return plain, s, nil
}

// SessionOf returns the live session for a cookie value, extending it.
func SessionOf(ctx context.Context, db *store.DB, cookie string) (Session, error) {
	if cookie == "" || len(cookie) > 100 {
		return Session{}, ErrUnauthorized
	}
	var s Session
	var id int64
	var lastSeen time.Time
	err := db.QueryRow(ctx, `SELECT id, user_id, csrf, expires_at, last_seen_at FROM sessions WHERE hash = ?`, hashSecret(cookie)).
		Scan(&id, &s.UserID, &s.CSRF, &s.ExpiresAt, &lastSeen)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrUnauthorized
	} else if err != nil {
		return Session{}, fmt.Errorf("look up session: %w", err)
	}
	now := store.Now()
	if !now.Before(s.ExpiresAt) {
		db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return Session{}, ErrUnauthorized
	}
	if now.Sub(lastSeen) > time.Minute {
		s.ExpiresAt = now.Add(SessionTTL)
		db.Exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, now, s.ExpiresAt, id)
	}
	return s, nil
}

// EndSession signs a browser out.
func EndSession(ctx context.Context, db *store.DB, cookie string) error {
	_, err := db.Exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hashSecret(cookie))
	return err
}

// NewSecret makes a secret starting with prefix, to be shown once, and its
// stored form (for credentials kept elsewhere, such as ingest keys).
func NewSecret(prefix string) (plain, hash string) { return newSecret(prefix) }

// HashToken is the stored form of a token or session secret.
func HashToken(plain string) string { return hashSecret(plain) }
