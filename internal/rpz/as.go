package rpz

import (
	"context"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// BlockAs blocks a domain directly as a signed-in user (policy.CutsAccess:
// a national coordinator); the takedown requests call Block themselves
// once a request has been approved.
func BlockAs(ctx context.Context, db *store.DB, who auth.Principal, in Input) (Entry, error) {
	if !policy.CutsAccess(who.Viewer) {
		return Entry{}, problem.New(problem.Forbidden, "only a coordinator with national scope cuts access directly (your role: %s, scope: %s); ask through a takedown request", who.User.Role, scopeName(who.Viewer.Scope))
	}
	if in.Source == "" {
		in.Source = SourceManual
	}
	es, err := Block(ctx, db, who.Actor(), in)
	if err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// UnblockAs lifts a block directly as a signed-in user (policy.CutsAccess).
func UnblockAs(ctx context.Context, db *store.DB, who auth.Principal, domain, reason string) (Entry, error) {
	if !policy.CutsAccess(who.Viewer) {
		return Entry{}, problem.New(problem.Forbidden, "only a coordinator with national scope lifts a block directly (your role: %s, scope: %s)", who.User.Role, scopeName(who.Viewer.Scope))
	}
	return Unblock(ctx, db, who.Actor(), domain, reason)
}

func scopeName(s string) string {
	if s == "" {
		return "national"
	}
	return s
}
