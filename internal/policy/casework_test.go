package policy

import (
	"testing"
)

// TestCasework walks every case action × role × relation against a grid
// written by hand from the README's table (not by calling the code). Each
// cell of a row is one relation, weakest first: none, ancestor,
// participant, owner ('x' allowed).
func TestCasework(t *testing.T) {
	// The record: GREEN (so every relation reads it), owned by 100 with 20
	// taking part, in region 32.04.
	rec := Record{OwnerOrg: matrixOwner, Region: "32.04", TLP: Green}.WithNamedUser(creatorUser, matrixOwner)
	rec.Orgs = append(rec.Orgs, matrixParticipant)
	relOrg := map[Relation]int64{RelNone: 101, RelAncestor: 10, RelParticipant: matrixParticipant, RelOwner: matrixOwner}

	allWork := "xxxx"
	work := "..xx"
	steer := ".xxx"
	none := "...."
	grid := map[CaseAction]map[Role]string{
		CaseComment:           {RoleCoordinator: allWork, RoleAnalyst: allWork, RoleResponder: allWork, RoleOperator: allWork},
		CaseObservable:        {RoleCoordinator: steer, RoleAnalyst: steer, RoleResponder: work, RoleOperator: work},
		CaseEvidence:          {RoleCoordinator: steer, RoleAnalyst: steer, RoleResponder: work, RoleOperator: work},
		CaseOwnTask:           {RoleCoordinator: steer, RoleAnalyst: steer, RoleResponder: work, RoleOperator: work},
		CaseRequestEscalation: {RoleCoordinator: steer, RoleAnalyst: steer, RoleResponder: work, RoleOperator: work},
		CaseTriage:            {RoleCoordinator: steer, RoleAnalyst: steer},
		CaseHandOutTask:       {RoleCoordinator: steer, RoleAnalyst: steer},
		CaseAnyTask:           {RoleCoordinator: steer},
		CaseEscalate:          {RoleCoordinator: steer},
		CaseDeescalate:        {RoleCoordinator: steer},
		CaseLabel:             {RoleCoordinator: steer},
		CaseClose:             {RoleCoordinator: steer},
		CaseParticipants:      {RoleCoordinator: steer},
	}
	if len(grid) != len(CaseActions()) || len(casework) != len(CaseActions()) {
		t.Fatalf("grid %d, CaseActions %d, table %d", len(grid), len(CaseActions()), len(casework))
	}
	granted := 0
	for _, a := range CaseActions() {
		for _, role := range Roles() {
			row := grid[a][role]
			if row == "" {
				row = none
			}
			for i, rel := range Relations() {
				v := Viewer{UserID: viewerUser, OrgID: relOrg[rel], Role: role, Scope: "32", Lineage: LineageOf(relOrg[rel], testTree)}
				if got := RelationOf(v, rec); got != rel {
					t.Fatalf("viewer of org %d: relation %s, want %s", v.OrgID, got, rel)
				}
				want := row[i] == 'x'
				if got := CanCase(v, rec, a); got != want {
					t.Errorf("CanCase(%s as %s, %s) = %v, want %v", role, rel, a, got, want)
				}
				if want {
					granted++
				}
			}
		}
	}
	// 4 comment rows of 4; 4 working actions × (2×3 + 2×2); 2 steering × 2×3; 6 decisions × 3.
	if want := 16 + 4*10 + 2*6 + 6*3; granted != want {
		t.Errorf("grid grants %d, want %d", granted, want)
	}

	// Reading comes first: a coordinator of the supervising body decides
	// nothing on an AMBER+STRICT record it may not read, and nobody acts on
	// a RED record without being named.
	strict := rec
	strict.TLP = AmberStrict
	coord := Viewer{UserID: viewerUser, OrgID: 10, Role: RoleCoordinator, Scope: "32", Lineage: LineageOf(10, testTree)}
	if CanCase(coord, strict, CaseComment) || CanCase(coord, strict, CaseClose) {
		t.Error("a supervisor acted on an AMBER+STRICT record it cannot read")
	}
	red := rec
	red.TLP = Red
	owner := Viewer{UserID: viewerUser, OrgID: matrixOwner, Role: RoleCoordinator, Scope: "32", Lineage: LineageOf(matrixOwner, testTree)}
	if CanCase(owner, red, CaseComment) {
		t.Error("the owner's coordinator acted on a RED record without being named")
	}
	// A named user takes part: an operator named on a RED record works it.
	named := red.WithNamedUser(viewerUser, 0)
	op := Viewer{UserID: viewerUser, OrgID: 101, Role: RoleOperator, Scope: "32", Lineage: LineageOf(101, testTree)}
	if !CanCase(op, named, CaseEvidence) || CanCase(op, named, CaseEscalate) {
		t.Error("a named operator: evidence yes, escalation no")
	}
	// A task: its own organisation's operator works it, another's does not;
	// the coordinator works any.
	if !CanWorkTask(Viewer{UserID: 1, OrgID: matrixParticipant, Role: RoleOperator, Scope: "32"}, rec, matrixParticipant) ||
		CanWorkTask(Viewer{UserID: 1, OrgID: matrixParticipant, Role: RoleOperator, Scope: "32"}, rec, matrixOwner) ||
		!CanWorkTask(coord, rec, matrixParticipant) {
		t.Error("CanWorkTask")
	}
}

// TestCanEditOwned: records edited by their owners and the organisations
// above them, never by a participant or a reader, whatever their role.
func TestCanEditOwned(t *testing.T) {
	rec := Record{OwnerOrg: matrixOwner, Region: "32.04", TLP: Green, Orgs: []int64{matrixOwner, matrixParticipant}}
	for _, tt := range []struct {
		org  int64
		role Role
		want bool
	}{
		{matrixOwner, RoleAnalyst, true},
		{10, RoleCoordinator, true}, // the province above the regency
		{1, RoleAdmin, true},        // KPU RI
		{matrixParticipant, RoleAnalyst, false},
		{101, RoleAnalyst, false},  // a sibling regency reads GREEN, owns nothing
		{1000, RoleAnalyst, false}, // below the owner
		{matrixOwner, RoleOperator, false},
	} {
		v := Viewer{UserID: viewerUser, OrgID: tt.org, Role: tt.role, Scope: "", Lineage: LineageOf(tt.org, testTree)}
		if got := CanEditOwned(v, rec, EditAsset); got != tt.want {
			t.Errorf("org %d %s: CanEditOwned = %v, want %v", tt.org, tt.role, got, tt.want)
		}
	}
}
