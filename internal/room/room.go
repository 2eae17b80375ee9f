// Package room holds the operation rooms (ruang operasi): the national
// room at BSSN, one room per province run by its Diskominfo with the
// provincial KPU, and regency rooms where they exist. A room has a region,
// members, contacts, readiness (staff trained, an equipment checklist, the
// last drill) and its current posture, which the election calendar sets
// (posture.go).
//
// Who sees what, decided here on top of package policy's scope rule:
//   - a room's state (name, level, region, posture, readiness counts) is
//     read by users whose scope contains the room's region: the national
//     scope sees every room, a province its own room and its regencies';
//   - its internals (members, contacts, checklist) only by those who also
//     belong to it: its members, users of its organisations or of the
//     ones above them, users of the national room's organisation (BSSN
//     trains every room), and users scoped inside its province. Nobody
//     reads another province's rooms at all.
//
// A room outside the reader's scope is "not found", never "forbidden".
// Shifts, handovers, reports upward and drills are later work.
package room

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names rooms in the audit log.
const RecordKind = "room"

// Levels of rooms.
const (
	National = "national"
	Province = "province"
	Regency  = "regency"
)

// CheckItem is one line of a room's equipment checklist.
type CheckItem struct {
	Item string `json:"item"`
	OK   bool   `json:"ok"`
}

// Member is a person on a room's staff.
type Member struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"display_name"`
	Role     string `json:"role"`
	Duty     string `json:"duty"` // lead, member
}

// Contact is someone a room calls (a platform's liaison, the police desk).
type Contact struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Duty  string `json:"duty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Room is an operation room as a reader sees it: Members, Contacts and
// Checklist are nil (and absent from JSON) when the reader may see only
// its state.
type Room struct {
	ID           int64            `json:"id"`
	Level        string           `json:"level"`
	Region       string           `json:"region"`
	Name         string           `json:"name"`
	Org          string           `json:"org"`
	PartnerOrg   string           `json:"partner_org,omitempty"`
	Zone         string           `json:"time_zone"`
	Posture      calendar.Posture `json:"posture"`
	PosturePhase string           `json:"posture_phase,omitempty"`
	PostureSince *time.Time       `json:"posture_since,omitempty"`
	MinStaff     int              `json:"min_staff_per_shift"`
	StaffTrained int              `json:"staff_trained"`
	StaffCount   int              `json:"staff_count"`
	LastDrillAt  *time.Time       `json:"last_drill_at,omitempty"`
	ChecklistOK  int              `json:"checklist_ok"`
	ChecklistAll int              `json:"checklist_total"`
	Internals    bool             `json:"internals"` // the reader sees members, contacts and checklist
	Members      []Member         `json:"members,omitempty"`
	Contacts     []Contact        `json:"contacts,omitempty"`
	Checklist    []CheckItem      `json:"checklist,omitempty"`

	orgID, partnerID int64
}

// Filter narrows a list of rooms.
type Filter struct {
	Level  string // national, province, regency; "" all
	Region string // the room's region or inside it; "" all
	After  int64  // rooms with a greater id (the cursor)
	Limit  int    // at most this many (+1, to tell there is more)
}

// Validate refuses unknown levels and regions.
func (f Filter) Validate() error {
	if f.Level != "" && f.Level != National && f.Level != Province && f.Level != Regency {
		return problem.Field("level", "must be national, province or regency")
	}
	if f.Region != "" && !region.Valid(f.Region) {
		return problem.Field("region", "unknown region code %q", f.Region)
	}
	return nil
}

const selectRoom = `SELECT r.id, r.level, r.region, r.name, r.org_id, COALESCE(r.partner_org_id, 0), o.slug, COALESCE(po.slug, ''),
	r.staff_trained, r.checklist, r.last_drill_at, r.posture, r.posture_phase, r.posture_since,
	(SELECT COUNT(*) FROM room_members m WHERE m.room_id = r.id)
	FROM rooms r JOIN orgs o ON o.id = r.org_id LEFT JOIN orgs po ON po.id = r.partner_org_id`

func scanRoom(s store.Scanner) (Room, error) {
	var r Room
	var checklist string
	err := s.Scan(&r.ID, &r.Level, &r.Region, &r.Name, &r.orgID, &r.partnerID, &r.Org, &r.PartnerOrg,
		&r.StaffTrained, &checklist, &r.LastDrillAt, &r.Posture, &r.PosturePhase, &r.PostureSince, &r.StaffCount)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(checklist), &r.Checklist); err != nil {
		return r, fmt.Errorf("room %d: checklist: %w", r.ID, err)
	}
	for _, c := range r.Checklist {
		if c.OK {
			r.ChecklistOK++
		}
	}
	r.ChecklistAll = len(r.Checklist)
	r.Zone = calendar.ZoneOf(r.Region).String()
	r.MinStaff = calendar.RuleOf(r.Posture).MinStaff
	return r, nil
}

// List returns the rooms who may see, in id order, filtered in the query.
func List(ctx context.Context, db store.Querier, who auth.Principal, f Filter) ([]Room, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	vis, args := policy.ScopeFilter(who.Viewer, "r.region")
	where := vis
	if f.Level != "" {
		where += ` AND r.level = ?`
		args = append(args, f.Level)
	}
	if f.Region != "" {
		where += ` AND (r.region = ? OR r.region LIKE ?)`
		args = append(args, f.Region, f.Region+".%")
	}
	if f.After > 0 {
		where += ` AND r.id > ?`
		args = append(args, f.After)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := db.Query(ctx, selectRoom+` WHERE `+where+` ORDER BY r.id LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	list, err := store.Collect(rows, scanRoom)
	if err != nil {
		return nil, err
	}
	nat, err := nationalOrg(ctx, db)
	if err != nil {
		return nil, err
	}
	mine, err := memberOf(ctx, db, who.User.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Internals = mayReadInternals(who, list[i], nat, slices.Contains(mine, list[i].ID))
		list[i].Checklist = nil // a list carries state only; a room's page has the rest
	}
	return list, nil
}

// Get returns one room as who sees it; a room outside who's scope is not
// found.
func Get(ctx context.Context, db store.Querier, who auth.Principal, id int64) (Room, error) {
	vis, args := policy.ScopeFilter(who.Viewer, "r.region")
	r, err := scanRoom(db.QueryRow(ctx, selectRoom+` WHERE r.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Room{}, problem.New(problem.NotFound, "no room %d", id)
	} else if err != nil {
		return Room{}, err
	}
	nat, err := nationalOrg(ctx, db)
	if err != nil {
		return Room{}, err
	}
	members, err := members(ctx, db, r.ID)
	if err != nil {
		return Room{}, err
	}
	isMember := slices.ContainsFunc(members, func(m Member) bool { return m.UserID == who.User.ID })
	r.Internals = mayReadInternals(who, r, nat, isMember)
	if !r.Internals {
		r.Checklist = nil
		return r, nil
	}
	r.Members = members
	if r.Contacts, err = contacts(ctx, db, r.ID); err != nil {
		return Room{}, err
	}
	if r.Checklist == nil {
		r.Checklist = []CheckItem{}
	}
	return r, nil
}

// mayReadInternals is the rule of the package doc; the room is already
// inside who's scope.
func mayReadInternals(who auth.Principal, r Room, nationalOrg int64, member bool) bool {
	v := who.Viewer
	switch {
	case member:
		return true
	case v.Scope != "" && region.Contains(region.Province(v.Scope), r.Region) && r.Region != "":
		return true
	case slices.Contains(v.Lineage, r.orgID), r.partnerID != 0 && slices.Contains(v.Lineage, r.partnerID):
		return true
	case nationalOrg != 0 && v.OrgID == nationalOrg:
		return true
	}
	return false
}

func nationalOrg(ctx context.Context, db store.Querier) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT org_id FROM rooms WHERE level = ?`, National).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

func memberOf(ctx context.Context, db store.Querier, userID int64) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT room_id FROM room_members WHERE user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, func(s store.Scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

func members(ctx context.Context, db store.Querier, roomID int64) ([]Member, error) {
	rows, err := db.Query(ctx, `SELECT u.id, u.username, u.display_name, u.role, m.duty
		FROM room_members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ? ORDER BY m.duty, u.username`, roomID)
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, func(s store.Scanner) (Member, error) {
		var m Member
		return m, s.Scan(&m.UserID, &m.Username, &m.Name, &m.Role, &m.Duty)
	})
	if out == nil {
		out = []Member{}
	}
	return out, err
}

// MemberIDs returns the user ids of a room's members (for notices).
func MemberIDs(ctx context.Context, db store.Querier, roomID int64) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT user_id FROM room_members WHERE room_id = ? ORDER BY user_id`, roomID)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, func(s store.Scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

func contacts(ctx context.Context, db store.Querier, roomID int64) ([]Contact, error) {
	rows, err := db.Query(ctx, `SELECT id, name, duty, phone, email FROM room_contacts WHERE room_id = ? ORDER BY id`, roomID)
	if err != nil {
		return nil, err
	}
	out, err := store.Collect(rows, func(s store.Scanner) (Contact, error) {
		var c Contact
		return c, s.Scan(&c.ID, &c.Name, &c.Duty, &c.Phone, &c.Email)
	})
	if out == nil {
		out = []Contact{}
	}
	return out, err
}
