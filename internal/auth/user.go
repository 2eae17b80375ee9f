// Package auth knows who is asking: users with one organisation, one role and
// one region scope; argon2id passwords; sign-in throttling; browser sessions
// and API tokens, both kept only as hashes. It turns a credential into a
// Principal that carries the policy.Viewer every read is checked with. It
// must never decide what a principal may see: that is the policy package.
package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Errors callers tell apart.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrDisabled       = errors.New("account is disabled")
	ErrUnauthorized   = errors.New("not signed in or the credential has expired")
)

// User is an account.
type User struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email,omitempty"`
	OrgID       int64      `json:"org_id"`
	Org         string     `json:"org"`
	Role        string     `json:"role"`
	Scope       string     `json:"scope"`
	Disabled    bool       `json:"disabled"`
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

const userColumns = `u.id, u.username, u.display_name, u.email, u.org_id, o.slug, u.role, u.scope, u.disabled_at, u.created_at`

func scanUser(row store.Scanner) (User, error) {
	var u User
	var disabled *time.Time
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.OrgID, &u.Org, &u.Role, &u.Scope, &disabled, &u.CreatedAt); err != nil {
		return User{}, err
	}
	u.DisabledAt, u.Disabled = disabled, disabled != nil
	return u, nil
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// NewUser describes an account to create.
type NewUser struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Org         string `json:"org"`
	Role        string `json:"role"`
	Scope       string `json:"scope"`
	Password    string `json:"password"`
}

// CreateUser adds an account after checking every field; its scope must lie
// inside its organisation's home region.
func CreateUser(ctx context.Context, db *store.DB, who audit.Actor, n NewUser) (User, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if !usernamePattern.MatchString(n.Username) {
		return User{}, problem.Field("username", "must be 3-64 characters: lower-case letters, digits, dot, dash, underscore")
	}
	role, err := policy.ParseRole(n.Role)
	if err != nil {
		return User{}, problem.Field("role", "unknown role %q (one of %v)", n.Role, policy.Roles())
	}
	if !region.Valid(n.Scope) {
		return User{}, problem.Field("scope", "unknown region code %q", n.Scope)
	}
	if len(n.DisplayName) > 200 || len(n.Email) > 254 || (n.Email != "" && !strings.Contains(n.Email, "@")) {
		return User{}, problem.Field("email", "display name at most 200 characters; email must be an address")
	}
	if err := ValidatePassword(n.Username, n.Password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	if n.DisplayName == "" {
		n.DisplayName = n.Username
	}
	var u User
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var orgID int64
		var orgRegion string
		if err := tx.QueryRow(ctx, `SELECT id, region FROM orgs WHERE slug = ?`, n.Org).Scan(&orgID, &orgRegion); errors.Is(err, store.ErrNotFound) {
			return problem.Field("org", "no organisation %q", n.Org)
		} else if err != nil {
			return err
		}
		if !region.Contains(orgRegion, n.Scope) {
			return problem.Field("scope", "%q lies outside the organisation's region %q", n.Scope, orgRegion)
		}
		now := store.Now()
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO users (username, display_name, email, org_id, role, scope, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Username, n.DisplayName, n.Email, orgID, string(role), n.Scope, hash, now, now).Scan(&id)
		if errors.Is(err, store.ErrConflict) {
			return problem.Field("username", "%q is taken", n.Username)
		} else if err != nil {
			return err
		}
		if u, err = getUser(ctx, tx, "u.id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "user.create", "user", id, map[string]any{
			"username": u.Username, "org": u.Org, "role": u.Role, "scope": u.Scope})
	})
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

func getUser(ctx context.Context, q store.Querier, where string, arg any) (User, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE `+where, arg))
}

// UserByID reads one account.
func UserByID(ctx context.Context, q store.Querier, id int64) (User, error) {
	return getUser(ctx, q, "u.id = ?", id)
}

// UserByName reads one account by username.
func UserByName(ctx context.Context, q store.Querier, username string) (User, error) {
	return getUser(ctx, q, "u.username = ?", strings.ToLower(username))
}

// ListUsers lists accounts whose scope lies inside scope ("" = all), by username.
func ListUsers(ctx context.Context, q store.Querier, scope string, afterUsername string, limit int) ([]User, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 501) // a page of 500 and one to say there is more
	where, args := `u.username > ?`, []any{afterUsername}
	if scope != "" {
		where += ` AND (u.scope = ? OR u.scope LIKE ?)`
		args = append(args, scope, scope+".%")
	}
	rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE `+where+
		fmt.Sprintf(` ORDER BY u.username LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return store.Collect(rows, scanUser)
}

// SetPassword replaces a password and ends every credential of the account
// (browser sessions, sign-in tokens and API tokens): a password is changed
// because it may be known to someone else, who may have used it to mint
// tokens. Scripts need a new token afterwards.
func SetPassword(ctx context.Context, db *store.DB, who audit.Actor, username, password string) error {
	if err := ValidatePassword(strings.ToLower(username), password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		u, err := UserByName(ctx, tx, username)
		if err != nil {
			return fmt.Errorf("user %q: %w", username, err)
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now, u.ID); err != nil {
			return err
		}
		ended, err := endCredentials(ctx, tx, u.ID, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "user.password", "user", u.ID, map[string]any{"username": u.Username, "tokens_revoked": ended})
	})
}

// DisableUser locks an account out: every credential ends, as on a password change.
func DisableUser(ctx context.Context, db *store.DB, who audit.Actor, username string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		u, err := UserByName(ctx, tx, username)
		if err != nil {
			return fmt.Errorf("user %q: %w", username, err)
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL`, now, now, u.ID); err != nil {
			return err
		}
		ended, err := endCredentials(ctx, tx, u.ID, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, "user.disable", "user", u.ID, map[string]any{"username": u.Username, "tokens_revoked": ended})
	})
}

// endCredentials ends every way the account is signed in: its browser
// sessions and all its tokens, of every kind (sign-in and API). It is the
// one list of credentials; a new kind of credential must be ended here. It
// returns how many tokens it revoked.
func endCredentials(ctx context.Context, tx *store.Tx, userID int64, now time.Time) (int64, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	res, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Principal is an authenticated user as every request sees it.
type Principal struct {
	User   User
	Org    org.Org
	Viewer policy.Viewer
}

// Actor names the principal in the audit chain.
func (p Principal) Actor() audit.Actor {
	return audit.Actor{UserID: p.User.ID, Username: p.User.Username, OrgSlug: p.Org.Slug}
}

// Can reports whether the principal's role allows an action.
func (p Principal) Can(a policy.Action) bool { return policy.Can(policy.Role(p.User.Role), a) }

// PrincipalOf builds the principal for an account from the organisation tree.
func PrincipalOf(u User, tree *org.Tree) (Principal, error) {
	if u.Disabled {
		return Principal{}, ErrDisabled
	}
	o, ok := tree.ByID(u.OrgID)
	if !ok {
		return Principal{}, fmt.Errorf("user %s: organisation %d missing", u.Username, u.OrgID)
	}
	return Principal{User: u, Org: o, Viewer: policy.Viewer{
		UserID: u.ID, OrgID: u.OrgID, Role: policy.Role(u.Role), Scope: u.Scope, Lineage: tree.Lineage(u.OrgID),
	}}, nil
}

// CreateUserAs is an administrator creating an account: the role must allow
// it and the new account's scope must lie inside the administrator's own.
func CreateUserAs(ctx context.Context, db *store.DB, admin Principal, n NewUser) (User, error) {
	if !admin.Can(policy.ManageUsers) {
		return User{}, problem.New(problem.Forbidden, "only administrators add users")
	}
	if !region.Contains(admin.User.Scope, n.Scope) {
		return User{}, problem.Field("scope", "%q lies outside your own scope", n.Scope)
	}
	// A provincial administrator manages its own organisation and those
	// below it, not another agency's people; only national ones serve all.
	if admin.User.Scope != "" {
		var orgID int64
		if err := db.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, n.Org).Scan(&orgID); err == nil && !slices.Contains(admin.Viewer.Lineage, orgID) {
			return User{}, problem.Field("org", "%q is not your organisation nor one below it", n.Org)
		}
	}
	return CreateUser(ctx, db, admin.Actor(), n)
}

// DisableUserAs is an administrator disabling an account inside its scope;
// one outside it is not found, and nobody disables their own account.
func DisableUserAs(ctx context.Context, db *store.DB, admin Principal, username string) error {
	if !admin.Can(policy.ManageUsers) {
		return problem.New(problem.Forbidden, "only administrators disable users")
	}
	u, err := UserByName(ctx, db, username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !region.Contains(admin.User.Scope, u.Scope)) {
		return problem.New(problem.NotFound, "no user %q", username)
	} else if err != nil {
		return err
	}
	if u.ID == admin.User.ID {
		return problem.New(problem.Conflict, "you cannot disable your own account")
	}
	return DisableUser(ctx, db, admin.Actor(), u.Username)
}
