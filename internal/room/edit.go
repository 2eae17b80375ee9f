package room

import (
	"context"
	"errors"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// editable returns the room if who may change it: who reads its internals
// and has the role for action. A room who cannot see at all is not found.
func editable(ctx context.Context, db *store.DB, who auth.Principal, id int64, action policy.Action) (Room, error) {
	r, err := Get(ctx, db, who, id)
	if err != nil {
		return Room{}, err
	}
	if !r.Internals || !who.Can(action) {
		return Room{}, problem.New(problem.Forbidden, "you may not change room %d", id)
	}
	return r, nil
}

// UpdateReadiness records a room's readiness, by someone who works the
// room (the operation-room role, ShiftLog) and reads its internals.
func UpdateReadiness(ctx context.Context, db *store.DB, who auth.Principal, id int64, rd Readiness) error {
	if _, err := editable(ctx, db, who, id, policy.ShiftLog); err != nil {
		return err
	}
	for _, c := range rd.Checklist {
		if c.Item == "" || len(c.Item) > 200 {
			return problem.Field("checklist", "each item needs a name of 1-200 characters")
		}
	}
	if len(rd.Checklist) > 50 {
		return problem.Field("checklist", "at most 50 items")
	}
	return SetReadiness(ctx, db, who.Actor(), id, rd)
}

// StaffInput puts a person on a room's staff.
type StaffInput struct {
	Username string `json:"username"`
	Duty     string `json:"duty"` // lead, member
}

// Staff puts a user on a room's staff, by a coordinator who reads the
// room's internals. The person must work inside the room's region (their
// scope contains it), or the room would hold someone who cannot see it.
func Staff(ctx context.Context, db *store.DB, who auth.Principal, id int64, in StaffInput) error {
	r, err := editable(ctx, db, who, id, policy.AddParticipants)
	if err != nil {
		return err
	}
	if in.Duty == "" {
		in.Duty = "member"
	}
	u, err := auth.UserByName(ctx, db, in.Username)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Field("username", "no user %q", in.Username)
	} else if err != nil {
		return err
	}
	if u.Disabled {
		return problem.Field("username", "%s is disabled", u.Username)
	}
	if !region.Contains(u.Scope, r.Region) {
		return problem.Field("username", "%s works outside the room's region", u.Username)
	}
	return AddMember(ctx, db, who.Actor(), id, u.ID, in.Duty)
}
