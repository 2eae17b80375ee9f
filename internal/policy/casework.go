package policy

import "slices"

// Casework decides what a viewer may do on a shared record they can read
// (an incident): the role says what kind of work a person does, the
// organisation's relation to the record says whether it is theirs to do.
// The incident package checks it before every change and the incident page
// asks it which forms to show, so both always agree.

// Relation is how a viewer stands to a record, strongest last.
type Relation int

// Relations, weakest first: a viewer has the strongest that applies.
const (
	// RelNone: the viewer reads the record only as the community does
	// (CLEAR, GREEN) or as a named user of a RED record.
	RelNone Relation = iota
	// RelAncestor: the viewer's organisation supervises the owner or a
	// participant (it is above one of them in the organisation tree).
	RelAncestor
	// RelParticipant: the viewer's organisation takes part in the record,
	// or the viewer is one of its named users.
	RelParticipant
	// RelOwner: the viewer's organisation owns the record.
	RelOwner
)

// Relations lists the relations, weakest first.
func Relations() []Relation { return []Relation{RelNone, RelAncestor, RelParticipant, RelOwner} }

func (r Relation) String() string {
	return [...]string{"none", "ancestor", "participant", "owner"}[r]
}

// RelationOf returns how v stands to r. It says nothing about reading:
// CanCase asks CanRead first.
func RelationOf(v Viewer, r Record) Relation {
	switch {
	case r.OwnerOrg == v.OrgID:
		return RelOwner
	case slices.Contains(r.Orgs, v.OrgID) || slices.Contains(r.Users, v.UserID):
		return RelParticipant
	case v.inLineage(r.OwnerOrg) || slices.ContainsFunc(r.Orgs, v.inLineage):
		return RelAncestor
	}
	return RelNone
}

// CaseAction is something done on a record one can read.
type CaseAction string

// Case actions. The working ones are what the people of an incident's
// organisations do with it; the decisions change who reads it, where it
// stands or whether it is over, and stay with coordinators.
const (
	// Working.
	CaseComment           CaseAction = "comment"            // a comment on the timeline (with @mentions)
	CaseObservable        CaseAction = "observable"         // an indicator seen
	CaseEvidence          CaseAction = "evidence"           // an evidence file
	CaseOwnTask           CaseAction = "own_task"           // mark a task of one's own organisation done or open
	CaseRequestEscalation CaseAction = "request_escalation" // ask the coordinators for escalation one level up

	// Triage: steering the work.
	CaseTriage      CaseAction = "triage"        // status short of closing, assignee, title, severity, category, breach marking, related links
	CaseHandOutTask CaseAction = "hand_out_task" // a task for an organisation (which joins the incident)
	CaseAnyTask     CaseAction = "any_task"      // mark any organisation's task done or open

	// Decisions.
	CaseEscalate     CaseAction = "escalate"     // one level up: the next level's organisations join
	CaseDeescalate   CaseAction = "deescalate"   // one level back: they leave
	CaseLabel        CaseAction = "label"        // TLP and PAP
	CaseClose        CaseAction = "close"        // close, reopen a closed incident, merge a duplicate, record the breach notification
	CaseParticipants CaseAction = "participants" // add or remove participant organisations and named users
)

// CaseActions lists the case actions in a fixed order.
func CaseActions() []CaseAction {
	return []CaseAction{CaseComment, CaseObservable, CaseEvidence, CaseOwnTask, CaseRequestEscalation,
		CaseTriage, CaseHandOutTask, CaseAnyTask,
		CaseEscalate, CaseDeescalate, CaseLabel, CaseClose, CaseParticipants}
}

// The three kinds of grant: who works an incident, who steers it, who
// decides. Each maps a role to the weakest relation it needs.
var (
	// Operators and responders work the incidents of their own
	// organisation and of those taking part; analysts and coordinators also
	// those of the organisations they supervise.
	working  = map[Role]Relation{RoleCoordinator: RelAncestor, RoleAnalyst: RelAncestor, RoleResponder: RelParticipant, RoleOperator: RelParticipant}
	steering = map[Role]Relation{RoleCoordinator: RelAncestor, RoleAnalyst: RelAncestor}
	deciding = map[Role]Relation{RoleCoordinator: RelAncestor}
	// Anyone who works cases may comment on what they read: the task-force
	// community discusses GREEN incidents without joining them.
	commenting = map[Role]Relation{RoleCoordinator: RelNone, RoleAnalyst: RelNone, RoleResponder: RelNone, RoleOperator: RelNone}
)

// casework is THE table of case actions. Anything not listed is denied.
var casework = map[CaseAction]map[Role]Relation{
	CaseComment:           commenting,
	CaseObservable:        working,
	CaseEvidence:          working,
	CaseOwnTask:           working,
	CaseRequestEscalation: working,
	CaseTriage:            steering,
	CaseHandOutTask:       steering,
	CaseAnyTask:           deciding,
	CaseEscalate:          deciding,
	CaseDeescalate:        deciding,
	CaseLabel:             deciding,
	CaseClose:             deciding,
	CaseParticipants:      deciding,
}

// CanCase reports whether v may take action a on r: v must read r, and
// v's role must be granted a at v's relation to r or a weaker one. The
// administrator, the viewer and the liaison read only.
func CanCase(v Viewer, r Record, a CaseAction) bool {
	need, ok := casework[a][v.Role]
	return ok && CanRead(v, r) && RelationOf(v, r) >= need
}

// CanWorkTask reports whether v may mark a task owned by taskOrg done or
// open again: its own organisation's people who work the incident, or
// whoever may change any task.
func CanWorkTask(v Viewer, r Record, taskOrg int64) bool {
	return (v.OrgID == taskOrg && CanCase(v, r, CaseOwnTask)) || CanCase(v, r, CaseAnyTask)
}

// CanEditOwned reports whether v may change r where only its owner may
// (an asset's name, addresses and host names, which route logs to it): the
// role must allow a, v must read r, and v's organisation must be r's owner
// or above it in the organisation tree (the supervising body keeps its
// units' inventory). Taking part in a record, or reading it as the
// community does, is not owning it.
func CanEditOwned(v Viewer, r Record, a Action) bool {
	return CanWrite(v, r, a) && v.inLineage(r.OwnerOrg)
}
