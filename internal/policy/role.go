package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a user's role on the platform. A user has exactly one.
type Role string

// The seven roles.
const (
	RoleAdmin       Role = "admin"       // users, organisations, settings
	RoleCoordinator Role = "coordinator" // escalate, add participants, change TLP, close
	RoleAnalyst     Role = "analyst"     // triage, investigate
	RoleResponder   Role = "responder"   // work tasks
	RoleOperator    Role = "operator"    // operation room: report, shift log
	RoleViewer      Role = "viewer"      // read
	RoleLiaison     Role = "liaison"     // platform and agency liaison: takedown requests
)

// Roles returns the seven roles. The slice is the caller's to keep.
func Roles() []Role {
	return []Role{RoleAdmin, RoleCoordinator, RoleAnalyst, RoleResponder, RoleOperator, RoleViewer, RoleLiaison}
}

// Valid reports whether r is one of the seven roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// ParseRole parses a role name case-insensitively, ignoring surrounding
// spaces, and returns the canonical role.
func ParseRole(s string) (Role, error) {
	if r := Role(strings.ToLower(strings.TrimSpace(s))); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("policy: unknown role %q", s)
}

// Action is something a user may do. Whether a role may do it at all is
// decided by Can; whether it may do it to a given record by CanWrite.
type Action string

// Actions.
const (
	// Platform administration.
	ManageUsers    Action = "manage_users"
	ManageOrgs     Action = "manage_orgs"
	ManageSettings Action = "manage_settings"
	ViewAudit      Action = "view_audit"

	// Asset inventory.
	CreateAsset Action = "create_asset"
	EditAsset   Action = "edit_asset"

	// Case control.
	Escalate        Action = "escalate"
	ChangeTLP       Action = "change_tlp"
	AddParticipants Action = "add_participants"
	Close           Action = "close"

	// Case work.
	Triage      Action = "triage"
	Investigate Action = "investigate"
	WorkTask    Action = "work_task"

	// Operation room.
	Report   Action = "report"
	ShiftLog Action = "shift_log"

	// Liaison.
	Takedown Action = "takedown"

	// Log shipping: sending an asset's logs to the ingest endpoint.
	Ingest Action = "ingest"

	// Reading; every role has it, and what it reaches is decided by CanRead.
	Read Action = "read"
)

// permissions is THE table of who may do what. Anything not listed is denied.
//
// Admin is deliberately kept out of case work (escalate, change TLP, add
// participants, close, triage, investigate, tasks, reports, takedowns): the
// design gives admin users, organisations and settings, and an account that
// can create users should not also be able to steer cases, or a single
// compromised admin account both grants access and acts on it. An agency
// that wants its administrator to work cases gives that person a second,
// case-work account. Admin keeps CreateAsset/EditAsset because the asset
// inventory is platform set-up, as the brief lists it.
var permissions = map[Action][]Role{
	ManageUsers:     {RoleAdmin},
	ManageOrgs:      {RoleAdmin},
	ManageSettings:  {RoleAdmin},
	ViewAudit:       {RoleAdmin},
	CreateAsset:     {RoleAdmin, RoleCoordinator, RoleAnalyst},
	EditAsset:       {RoleAdmin, RoleCoordinator, RoleAnalyst},
	Escalate:        {RoleCoordinator},
	ChangeTLP:       {RoleCoordinator},
	AddParticipants: {RoleCoordinator},
	Close:           {RoleCoordinator},
	Triage:          {RoleCoordinator, RoleAnalyst},
	Investigate:     {RoleCoordinator, RoleAnalyst},
	WorkTask:        {RoleCoordinator, RoleAnalyst, RoleResponder},
	Report:          {RoleCoordinator, RoleAnalyst, RoleOperator},
	ShiftLog:        {RoleCoordinator, RoleAnalyst, RoleOperator},
	Takedown:        {RoleCoordinator, RoleLiaison},
	Ingest:          {RoleAdmin, RoleCoordinator, RoleAnalyst},
	Read:            {RoleAdmin, RoleCoordinator, RoleAnalyst, RoleResponder, RoleOperator, RoleViewer, RoleLiaison},
}

// Actions returns every action known to the permission table, in a fixed
// order.
func Actions() []Action {
	return []Action{
		ManageUsers, ManageOrgs, ManageSettings, ViewAudit,
		CreateAsset, EditAsset,
		Escalate, ChangeTLP, AddParticipants, Close,
		Triage, Investigate, WorkTask,
		Report, ShiftLog,
		Takedown,
		Ingest,
		Read,
	}
}

// Can reports whether role may perform a at all. Unknown roles and unknown
// actions are denied. For an action on a record use CanWrite, which also
// requires read access to that record.
func Can(role Role, a Action) bool {
	return slices.Contains(permissions[a], role)
}
