package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Person is what a search for people tells: enough to name one, nothing of
// their role, scope or address.
type Person struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Org         string `json:"org"`
}

// SearchPeople finds enabled accounts the principal may name (policy's
// PeopleFilter) whose username or display name contains text, by
// username, at most limit (1 to 50).
func SearchPeople(ctx context.Context, q store.Querier, who Principal, text string, limit int) ([]Person, error) {
	text = strings.ToLower(strings.TrimSpace(text))
	if len(text) > 100 {
		return nil, problem.Field("q", "search for at most 100 characters")
	}
	limit = min(max(limit, 1), 50)
	vis, args := policy.PeopleFilter(who.Viewer, "u")
	// "!" escapes LIKE's wildcards, the same on SQLite and PostgreSQL.
	like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(text) + "%"
	rows, err := q.Query(ctx, `SELECT u.username, u.display_name, o.slug FROM users u JOIN orgs o ON o.id = u.org_id
		WHERE u.disabled_at IS NULL AND `+vis+` AND (u.username LIKE ? ESCAPE '!' OR LOWER(u.display_name) LIKE ? ESCAPE '!')
		ORDER BY u.username LIMIT `+strconv.Itoa(limit), append(args, like, like)...)
	if err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	return store.Collect(rows, func(row store.Scanner) (Person, error) {
		var p Person
		return p, row.Scan(&p.Username, &p.DisplayName, &p.Org)
	})
}
