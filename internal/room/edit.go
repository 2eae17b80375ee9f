package room

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// The roles that change a room's internals, the one place that says so
// (the API and the room's page both ask here): readiness by those who work
// the room, its staff and contacts by its coordinators.
const (
	readinessAction = policy.ShiftLog
	staffAction     = policy.AddParticipants
	contactsAction  = policy.AddParticipants
)

// Rights says what who may change in a room as Get returned it to them.
type Rights struct {
	Readiness bool `json:"readiness"`
	Staff     bool `json:"staff"`
	Contacts  bool `json:"contacts"`
}

// RightsOf is what who may change in r: nothing unless who reads its
// internals, then what who's role allows.
func RightsOf(who auth.Principal, r Room) Rights {
	if !r.Internals {
		return Rights{}
	}
	return Rights{Readiness: who.Can(readinessAction), Staff: who.Can(staffAction), Contacts: who.Can(contactsAction)}
}

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
	if _, err := editable(ctx, db, who, id, readinessAction); err != nil {
		return err
	}
	for _, c := range rd.Checklist {
		if c.Item == "" || len(c.Item) > 200 {
			return problem.Field("checklist", "each item needs a name of 1-200 characters").Keyed("room.err.item")
		}
	}
	if len(rd.Checklist) > 50 {
		return problem.Field("checklist", "at most 50 items").Keyed("room.err.items")
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
	r, err := editable(ctx, db, who, id, staffAction)
	if err != nil {
		return err
	}
	if in.Duty == "" {
		in.Duty = "member"
	}
	u, err := auth.UserByName(ctx, db, in.Username)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Field("username", "no user %q", in.Username).Keyed("room.err.no_user", in.Username)
	} else if err != nil {
		return err
	}
	if u.Disabled {
		return problem.Field("username", "%s is disabled", u.Username).Keyed("room.err.disabled", u.Username)
	}
	if !region.Contains(u.Scope, r.Region) {
		return problem.Field("username", "%s works outside the room's region", u.Username).Keyed("room.err.outside", u.Username)
	}
	return AddMember(ctx, db, who.Actor(), id, u.ID, in.Duty)
}

// RemoveMember takes a person off a room's staff, by a coordinator who
// reads the room's internals (as Staff). Someone not on the staff is not
// found.
func RemoveMember(ctx context.Context, db *store.DB, who auth.Principal, id int64, username string) error {
	r, err := editable(ctx, db, who, id, staffAction)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(r.Members, func(m Member) bool { return m.Username == username })
	if i < 0 {
		return problem.New(problem.NotFound, "%q is not on room %d's staff", username, id)
	}
	m := r.Members[i]
	return db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, id, m.UserID)
		if err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "%q is not on room %d's staff", username, id)
		}
		return audit.Record(ctx, tx, who.Actor(), "room.member.remove", RecordKind, id, map[string]any{"user_id": m.UserID, "username": m.Username, "duty": m.Duty})
	})
}

// ContactInput is a contact as a person enters it.
type ContactInput struct {
	Name  string `json:"name"`
	Duty  string `json:"duty"` // role or agency
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// validate trims the input and refuses what a room could not call.
func (in *ContactInput) validate() error {
	in.Name, in.Duty = strings.TrimSpace(in.Name), strings.TrimSpace(in.Duty)
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	switch {
	case in.Name == "" || len(in.Name) > 200:
		return problem.Field("name", "needs 1-200 characters").Keyed("room.err.contact_name")
	case len(in.Duty) > 200:
		return problem.Field("duty", "at most 200 characters").Keyed("room.err.contact_duty")
	case len(in.Phone) > 40 || strings.Trim(in.Phone, "0123456789+-() ") != "":
		return problem.Field("phone", "digits, spaces, + - ( ) only, at most 40").Keyed("room.err.phone")
	case len(in.Email) > 200:
		return problem.Field("email", "at most 200 characters").Keyed("room.err.email")
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			return problem.Field("email", "not an e-mail address").Keyed("room.err.email")
		}
	}
	return nil
}

// NewContact records someone a room calls, by a coordinator who reads the
// room's internals, and returns it with its id.
func NewContact(ctx context.Context, db *store.DB, who auth.Principal, id int64, in ContactInput) (Contact, error) {
	if _, err := editable(ctx, db, who, id, contactsAction); err != nil {
		return Contact{}, err
	}
	if err := in.validate(); err != nil {
		return Contact{}, err
	}
	c := Contact{Name: in.Name, Duty: in.Duty, Phone: in.Phone, Email: in.Email}
	var err error
	c.ID, err = addContact(ctx, db, who.Actor(), id, c)
	return c, err
}

// RemoveContact deletes one of a room's contacts, by a coordinator who
// reads the room's internals; another room's contact is not found.
func RemoveContact(ctx context.Context, db *store.DB, who auth.Principal, id, contactID int64) error {
	r, err := editable(ctx, db, who, id, contactsAction)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(r.Contacts, func(c Contact) bool { return c.ID == contactID })
	if i < 0 {
		return problem.New(problem.NotFound, "room %d has no contact %d", id, contactID)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM room_contacts WHERE id = ? AND room_id = ?`, contactID, id)
		if err != nil {
			return fmt.Errorf("remove contact: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "room %d has no contact %d", id, contactID)
		}
		return audit.Record(ctx, tx, who.Actor(), "room.contact.remove", RecordKind, id, r.Contacts[i])
	})
}
