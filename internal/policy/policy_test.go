package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The organisation tree used by the tests.
//
//	1 KPU RI                        2 BSSN                  3 Bawaslu
//	└─ 10 KPU Provinsi Jawa Barat   └─ 20 BSSN directorate
//	   ├─ 100 KPU Kab. Bandung         └─ 200 BSSN team
//	   │  └─ 1000 PPK (below 100)
//	   └─ 101 KPU Kab. Garut
//
// The matrix record is owned by 100, with 20 as the other participant
// organisation, created by user 900 of org 100.
var testTree = map[int64]int64{
	1: 0, 2: 0, 3: 0,
	10: 1, 100: 10, 1000: 100, 101: 10,
	20: 2, 200: 20,
}

const (
	matrixOwner       = 100
	matrixParticipant = 20
	creatorUser       = 900 // creator, always named
	viewerUser        = 500 // the viewer in the matrix
)

// orgRel is how the viewer's organisation relates to the matrix record.
type orgRel string

const (
	relOwner               orgRel = "viewer-org-is-owner"
	relParticipant         orgRel = "viewer-org-is-participant"
	relParentOfOwner       orgRel = "viewer-org-is-parent-of-owner"
	relGrandparentOfOwner  orgRel = "viewer-org-is-grandparent-of-owner"
	relParentOfParticipant orgRel = "viewer-org-is-parent-of-participant"
	relChildOfOwner        orgRel = "viewer-org-is-child-of-owner"
	relUnrelated           orgRel = "viewer-org-unrelated(sibling-of-owner)"
)

var orgRels = []orgRel{
	relOwner, relParticipant, relParentOfOwner, relGrandparentOfOwner,
	relParentOfParticipant, relChildOfOwner, relUnrelated,
}

// viewerOrg realises each relation in testTree.
var viewerOrg = map[orgRel]int64{
	relOwner:               100,
	relParticipant:         20,
	relParentOfOwner:       10,
	relGrandparentOfOwner:  1,
	relParentOfParticipant: 2,
	relChildOfOwner:        1000,
	relUnrelated:           101,
}

// regionCase realises a region relation: the viewer's scope, the record's
// region, and (written by hand) whether the record is inside the scope.
type regionCase struct {
	name          string
	scope, region string
	inside        bool
}

var regionCases = []regionCase{
	{"record-in-scope-region", "32", "32", true},
	{"record-in-sub-region", "32", "32.04", true},
	{"record-in-other-province", "32", "31.71", false},
	{"record-national-viewer-provincial", "32", "", false},
	{"viewer-national", "", "35.78", true},
}

// The expectation, written from the design table and NOT by calling CanRead.
//
// expectOrg[tlp][rel]: may a user of an organisation in relation rel read a
// record labelled tlp (region permitting), whether or not the user is named.
var expectOrg = map[TLP]map[orgRel]bool{
	Clear: {
		relOwner: true, relParticipant: true, relParentOfOwner: true, relGrandparentOfOwner: true,
		relParentOfParticipant: true, relChildOfOwner: true, relUnrelated: true,
	},
	Green: {
		relOwner: true, relParticipant: true, relParentOfOwner: true, relGrandparentOfOwner: true,
		relParentOfParticipant: true, relChildOfOwner: true, relUnrelated: true,
	},
	Amber: {
		relOwner: true, relParticipant: true, relParentOfOwner: true, relGrandparentOfOwner: true,
		relParentOfParticipant: true, relChildOfOwner: false, relUnrelated: false,
	},
	AmberStrict: {
		relOwner: true, relParticipant: true, relParentOfOwner: false, relGrandparentOfOwner: false,
		relParentOfParticipant: false, relChildOfOwner: false, relUnrelated: false,
	},
	Red: {
		relOwner: false, relParticipant: false, relParentOfOwner: false, relGrandparentOfOwner: false,
		relParentOfParticipant: false, relChildOfOwner: false, relUnrelated: false,
	},
}

// expectNamed[tlp]: does being a named user by itself let a user read a
// record labelled tlp (region permitting). The design table grants RED to
// named users only, and names no one else for AMBER / AMBER+STRICT.
var expectNamed = map[TLP]bool{
	Clear: true, Green: true, Amber: false, AmberStrict: false, Red: true,
}

// expectRole: the role plays no part in reading ("no role, admin included,
// reads RED otherwise").
var expectRole = map[Role]bool{
	RoleAdmin: true, RoleCoordinator: true, RoleAnalyst: true, RoleResponder: true,
	RoleOperator: true, RoleViewer: true, RoleLiaison: true,
}

type combo struct {
	role   Role
	tlp    TLP
	region regionCase
	rel    orgRel
	named  bool

	viewer Viewer
	record Record
	want   bool
}

func (c combo) String() string {
	return fmt.Sprintf("role=%s tlp=%s region=%s(scope %q, record %q) org=%s(viewer org %d) named=%v",
		c.role, c.tlp, c.region.name, c.region.scope, c.region.region, c.rel, c.viewer.OrgID, c.named)
}

// matrixRecord builds the matrix record for one combination.
func matrixRecord(t TLP, region string, named bool) Record {
	r := Record{OwnerOrg: matrixOwner, Region: region, TLP: t}.WithNamedUser(creatorUser, matrixOwner)
	r.Orgs = append(r.Orgs, matrixParticipant)
	if named {
		r.Users = append(r.Users, viewerUser)
	}
	return r
}

func matrixViewer(role Role, scope string, org int64) Viewer {
	return Viewer{UserID: viewerUser, OrgID: org, Role: role, Scope: scope, Lineage: LineageOf(org, testTree)}
}

// combos walks every role × TLP × region relation × org relation × named.
func combos() []combo {
	var out []combo
	for _, role := range Roles() {
		for _, tlp := range TLPs() {
			for _, rc := range regionCases {
				for _, rel := range orgRels {
					for _, named := range []bool{false, true} {
						out = append(out, combo{
							role: role, tlp: tlp, region: rc, rel: rel, named: named,
							viewer: matrixViewer(role, rc.scope, viewerOrg[rel]),
							record: matrixRecord(tlp, rc.region, named),
							want: expectRole[role] && rc.inside &&
								(expectOrg[tlp][rel] || (named && expectNamed[tlp])),
						})
					}
				}
			}
		}
	}
	return out
}

// The matrix totals, worked out by hand. 7 roles × 5 TLPs × 5 region
// relations × 7 org relations × 2 = 2450 combinations. Only 3 region
// relations are inside the scope, so per TLP the allowed count is
// 7 roles × 3 × (allowed org-relation/named pairs out of 14):
//
//	CLEAR  14 → 294     GREEN 14 → 294
//	AMBER  5 relations × 2 = 10 → 210
//	AMBER+STRICT 2 × 2 = 4 → 84
//	RED    named only, 7 × 1 = 7 → 147
//
// 294+294+210+84+147 = 1029.
const (
	wantCombos  = 2450
	wantAllowed = 1029
)

var wantAllowedByTLP = map[TLP]int{Clear: 294, Green: 294, Amber: 210, AmberStrict: 84, Red: 147}

// TestExpectationTables guards the hand-written tables themselves: a
// missing key would read as false and quietly shrink the test.
func TestExpectationTables(t *testing.T) {
	if len(expectOrg) != len(TLPs()) || len(expectNamed) != len(TLPs()) {
		t.Fatalf("expectation tables must list all %d TLPs", len(TLPs()))
	}
	for _, tlp := range TLPs() {
		if len(expectOrg[tlp]) != len(orgRels) {
			t.Errorf("expectOrg[%s] lists %d relations, want %d", tlp, len(expectOrg[tlp]), len(orgRels))
		}
	}
	if len(expectRole) != len(Roles()) || len(viewerOrg) != len(orgRels) {
		t.Fatal("expectRole / viewerOrg incomplete")
	}
}

func TestVisibilityMatrix(t *testing.T) {
	cs := combos()
	if len(cs) != wantCombos {
		t.Fatalf("walked %d combinations, want %d", len(cs), wantCombos)
	}
	allowed := 0
	byTLP := map[TLP]int{}
	for _, c := range cs {
		got := CanRead(c.viewer, c.record)
		if got != c.want {
			t.Errorf("%v: CanRead = %v, want %v", c, got, c.want)
		}
		if c.want {
			allowed++
			byTLP[c.tlp]++
		}
	}
	if allowed != wantAllowed {
		t.Errorf("expectation allows %d of %d, want %d", allowed, len(cs), wantAllowed)
	}
	for tlp, n := range wantAllowedByTLP {
		if byTLP[tlp] != n {
			t.Errorf("TLP %s: expectation allows %d, want %d", tlp, byTLP[tlp], n)
		}
	}
	t.Logf("walked %d combinations, %d allowed, %d denied", len(cs), allowed, len(cs)-allowed)
}

func TestLineageOf(t *testing.T) {
	tests := []struct {
		org  int64
		want []int64
	}{
		{1, []int64{1, 10, 100, 101, 1000}},
		{10, []int64{10, 100, 101, 1000}},
		{100, []int64{100, 1000}},
		{1000, []int64{1000}},
		{101, []int64{101}},
		{2, []int64{2, 20, 200}},
		{20, []int64{20, 200}},
		{3, []int64{3}},
		{42, []int64{42}}, // not in the tree: itself only
		{0, nil},
		{-1, nil},
	}
	for _, tt := range tests {
		if got := LineageOf(tt.org, testTree); !slices.Equal(got, tt.want) {
			t.Errorf("LineageOf(%d) = %v, want %v", tt.org, got, tt.want)
		}
	}
	// A cycle must terminate.
	cyc := map[int64]int64{5: 6, 6: 5, 7: 5}
	if got, want := LineageOf(5, cyc), []int64{5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("LineageOf on a cycle = %v, want %v", got, want)
	}
}

func TestCan(t *testing.T) {
	// Columns, in order: admin coordinator analyst responder operator viewer liaison.
	grid := map[Action]string{
		ManageUsers:     "x......",
		ManageOrgs:      "x......",
		ManageSettings:  "x......",
		ViewAudit:       "x......",
		CreateAsset:     "xxx....",
		EditAsset:       "xxx....",
		Escalate:        ".x.....",
		ChangeTLP:       ".x.....",
		AddParticipants: ".x.....",
		Close:           ".x.....",
		Triage:          ".xx....",
		Investigate:     ".xx....",
		WorkTask:        ".xxx...",
		Report:          ".xx.x..",
		ShiftLog:        ".xx.x..",
		Takedown:        ".x....x",
		Ingest:          "xxx....",
		Read:            "xxxxxxx",
	}
	cols := []Role{RoleAdmin, RoleCoordinator, RoleAnalyst, RoleResponder, RoleOperator, RoleViewer, RoleLiaison}
	if !slices.Equal(cols, Roles()) {
		t.Fatalf("Roles() = %v, want %v", Roles(), cols)
	}
	if len(grid) != len(Actions()) || len(permissions) != len(Actions()) {
		t.Fatalf("grid has %d actions, Actions() %d, permissions %d", len(grid), len(Actions()), len(permissions))
	}
	granted := 0
	for _, a := range Actions() {
		row, ok := grid[a]
		if !ok {
			t.Errorf("action %q missing from the test grid", a)
			continue
		}
		for i, r := range cols {
			want := row[i] == 'x'
			if got := Can(r, a); got != want {
				t.Errorf("Can(%s, %s) = %v, want %v", r, a, got, want)
			}
			if want {
				granted++
			}
		}
		for _, bad := range []Role{"", "root", "Admin", "superuser"} {
			if Can(bad, a) {
				t.Errorf("Can(%q, %s) = true for an unknown role", bad, a)
			}
		}
	}
	if granted != 39 {
		t.Errorf("grid grants %d role/action pairs, want 39", granted)
	}
	for _, r := range cols {
		if Can(r, "") || Can(r, "delete_everything") || Can(r, "READ") {
			t.Errorf("role %s may perform an unknown action", r)
		}
	}
}

func TestCanWrite(t *testing.T) {
	owner := matrixViewer(RoleCoordinator, "32", matrixOwner)
	amber := matrixRecord(Amber, "32.04", false)
	red := matrixRecord(Red, "32.04", false)
	redNamed := matrixRecord(Red, "32.04", true)
	tests := []struct {
		name string
		v    Viewer
		r    Record
		a    Action
		want bool
	}{
		{"coordinator closes readable record", owner, amber, Close, true},
		{"coordinator cannot close unreadable RED", owner, red, Close, false},
		{"coordinator closes RED when named", owner, redNamed, Close, true},
		{"viewer cannot close readable record", matrixViewer(RoleViewer, "32", matrixOwner), amber, Close, false},
		{"admin cannot change TLP", matrixViewer(RoleAdmin, "32", matrixOwner), amber, ChangeTLP, false},
		{"admin named on RED still cannot escalate", matrixViewer(RoleAdmin, "32", matrixOwner), redNamed, Escalate, false},
		{"analyst triages", matrixViewer(RoleAnalyst, "32", matrixOwner), amber, Triage, true},
		{"analyst out of scope cannot triage", matrixViewer(RoleAnalyst, "31", matrixOwner), amber, Triage, false},
		{"liaison takedown on parent-org AMBER", matrixViewer(RoleLiaison, "32", 10), amber, Takedown, true},
		{"liaison takedown on child-org AMBER denied", matrixViewer(RoleLiaison, "32", 1000), amber, Takedown, false},
	}
	for _, tt := range tests {
		if got := CanWrite(tt.v, tt.r, tt.a); got != tt.want {
			t.Errorf("%s: CanWrite = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseTLP(t *testing.T) {
	good := map[string]TLP{
		"CLEAR": Clear, "clear": Clear, " Clear ": Clear, "TLP:CLEAR": Clear, "tlp:clear": Clear,
		"GREEN": Green, "TLP:Green": Green,
		"AMBER": Amber, "amber": Amber, "TLP:AMBER": Amber, "TLP: AMBER": Amber,
		"AMBER+STRICT": AmberStrict, "amber+strict": AmberStrict, "TLP:AMBER+STRICT": AmberStrict,
		"RED": Red, "Red": Red, "TLP:RED": Red,
	}
	for in, want := range good {
		got, err := ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, err, want)
		}
		if !got.Valid() {
			t.Errorf("ParseTLP(%q) returned invalid %q", in, got)
		}
	}
	bad := []string{"", "WHITE", "TLP:WHITE", "AMBER STRICT", "AMBER-STRICT", "AMBER+", "TLP:", "TLP:TLP:RED", "REDD", "amber strict", "GREEN+STRICT"}
	for _, in := range bad {
		if got, err := ParseTLP(in); err == nil {
			t.Errorf("ParseTLP(%q) = %q, want an error", in, got)
		}
	}
	for _, t2 := range TLPs() {
		if !t2.Valid() {
			t.Errorf("%q not Valid", t2)
		}
	}
	for _, t2 := range []TLP{"", "amber", "WHITE", "TLP:RED", "AMBER "} {
		if t2.Valid() {
			t.Errorf("%q Valid, want not", t2)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles() {
		for _, in := range []string{string(r), " " + string(r) + " ", strings.ToUpper(string(r))} {
			got, err := ParseRole(in)
			if err != nil || got != r {
				t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, r)
			}
		}
	}
	if len(Roles()) != 7 {
		t.Errorf("Roles() has %d roles, want 7", len(Roles()))
	}
	for _, in := range []string{"", "root", "superadmin", "admins", "view er"} {
		if got, err := ParseRole(in); err == nil {
			t.Errorf("ParseRole(%q) = %q, want an error", in, got)
		}
	}
	// Roles() must hand out a fresh slice.
	rs := Roles()
	rs[0] = "root"
	if Roles()[0] != RoleAdmin {
		t.Error("Roles() shares its backing array")
	}
}

func TestScope(t *testing.T) {
	valid := []string{"", "32", "31", "32.04", "32.04.01", "32.04.01.2001"}
	malformed := []string{"3", "320", "32.", ".32", "32..04", "32.4", "32.004", "3a", " 32", "32 ", "32/04",
		"32.04.01.200", "32.04.01.2001.01", "32%", "32_", "32.%", "*", "٣٢"}
	for _, s := range valid {
		if !validScope(s) {
			t.Errorf("validScope(%q) = false, want true", s)
		}
	}
	for _, s := range malformed {
		if validScope(s) {
			t.Errorf("validScope(%q) = true, want false", s)
		}
	}
	contains := []struct {
		scope, region string
		want          bool
	}{
		{"", "", true}, {"", "32", true}, {"", "32.04", true},
		{"32", "32", true}, {"32", "32.04", true}, {"32", "32.04.01.2001", true},
		{"32", "3", false}, {"32", "320", false}, {"32", "", false}, {"32", "33", false}, {"32", "31.71", false},
		{"32.04", "32.04", true}, {"32.04", "32.04.01", true},
		{"32.04", "32", false}, {"32.04", "32.040", false}, {"32.04", "32.05", false}, {"32.04", "", false},
	}
	for _, c := range contains {
		if got := inScope(c.scope, c.region); got != c.want {
			t.Errorf("inScope(%q, %q) = %v, want %v", c.scope, c.region, got, c.want)
		}
	}
}

// A malformed scope reads nothing, not even CLEAR, and its filter is DenyAll.
func TestMalformedScopeDenies(t *testing.T) {
	for _, scope := range []string{"3", "320", "32.", ".32", "32..04", "3a", " 32", "32%", "32.%", "_"} {
		v := Viewer{UserID: viewerUser, OrgID: matrixOwner, Role: RoleCoordinator, Scope: scope, Lineage: LineageOf(matrixOwner, testTree)}
		for _, region := range []string{"", "3", "32", "32.04", scope, scope + ".01"} {
			for _, tlp := range TLPs() {
				r := matrixRecord(tlp, region, true)
				if CanRead(v, r) {
					t.Errorf("scope %q: CanRead(%s record in %q) = true", scope, tlp, region)
				}
			}
		}
		if w, args := ReadFilter(v, "incident", "r"); w != DenyAll || args != nil {
			t.Errorf("scope %q: ReadFilter = %q %v, want %q", scope, w, args, DenyAll)
		}
	}
}

// Viewers that are not properly signed in read nothing.
func TestIncompleteViewerDenies(t *testing.T) {
	good := matrixViewer(RoleAnalyst, "", matrixOwner)
	clear := matrixRecord(Clear, "32", true)
	if !CanRead(good, clear) {
		t.Fatal("control: a complete viewer must read a CLEAR record")
	}
	tests := map[string]Viewer{
		"zero viewer":   {},
		"no user":       {OrgID: matrixOwner, Role: RoleAnalyst, Lineage: good.Lineage},
		"no org":        {UserID: viewerUser, Role: RoleAnalyst},
		"no role":       {UserID: viewerUser, OrgID: matrixOwner, Lineage: good.Lineage},
		"unknown role":  {UserID: viewerUser, OrgID: matrixOwner, Role: "root", Lineage: good.Lineage},
		"role case":     {UserID: viewerUser, OrgID: matrixOwner, Role: "Admin", Lineage: good.Lineage},
		"negative user": {UserID: -viewerUser, OrgID: matrixOwner, Role: RoleAnalyst, Lineage: good.Lineage},
	}
	for name, v := range tests {
		for _, tlp := range TLPs() {
			if CanRead(v, matrixRecord(tlp, "32", true)) {
				t.Errorf("%s: CanRead(%s) = true", name, tlp)
			}
		}
		if w, _ := ReadFilter(v, "incident", "r"); w != DenyAll {
			t.Errorf("%s: ReadFilter = %q, want %q", name, w, DenyAll)
		}
	}
	// Unknown labels are never readable, even by the owner who is named.
	for _, tlp := range []TLP{"", "amber", "WHITE", "TLP:CLEAR", "AMBER "} {
		if CanRead(good, matrixRecord(tlp, "32", true)) {
			t.Errorf("CanRead on TLP %q = true", tlp)
		}
	}
	// Bad kind or alias: DenyAll.
	for _, alias := range []string{"", "r.id", "r;", "1r", "r r", `"r"`, "r--"} {
		if w, _ := ReadFilter(good, "incident", alias); w != DenyAll {
			t.Errorf("alias %q: ReadFilter = %q, want %q", alias, w, DenyAll)
		}
	}
	if w, _ := ReadFilter(good, "", "r"); w != DenyAll {
		t.Errorf("empty kind: ReadFilter = %q, want %q", w, DenyAll)
	}
}

// Lineage must include OrgID; if a caller forgets, OrgID still counts.
func TestLineageWithoutOrgID(t *testing.T) {
	v := Viewer{UserID: viewerUser, OrgID: 10, Role: RoleAnalyst, Scope: "32"}
	if !CanRead(v, Record{OwnerOrg: 10, Region: "32", TLP: Amber}) {
		t.Error("own-org AMBER denied with an empty Lineage")
	}
	if CanRead(v, Record{OwnerOrg: 100, Region: "32", TLP: Amber}) {
		t.Error("child-org AMBER allowed with an empty Lineage")
	}
	v.Lineage = LineageOf(10, testTree)
	if !CanRead(v, Record{OwnerOrg: 100, Region: "32", TLP: Amber}) {
		t.Error("child-org AMBER denied to the parent")
	}
	if CanRead(v, Record{OwnerOrg: 100, Region: "32", TLP: AmberStrict}) {
		t.Error("child-org AMBER+STRICT allowed to the parent")
	}
}

func TestWithNamedUser(t *testing.T) {
	orig := Record{OwnerOrg: 100, TLP: Red, Orgs: []int64{100}, Users: []int64{900}}
	r := orig.WithNamedUser(500, 20)
	if !slices.Equal(r.Users, []int64{900, 500}) || !slices.Equal(r.Orgs, []int64{100, 20}) {
		t.Errorf("WithNamedUser = %+v", r)
	}
	if !slices.Equal(orig.Users, []int64{900}) || !slices.Equal(orig.Orgs, []int64{100}) {
		t.Errorf("WithNamedUser modified its receiver: %+v", orig)
	}
	r2 := r.WithNamedUser(500, 20)
	if !slices.Equal(r2.Users, r.Users) || !slices.Equal(r2.Orgs, r.Orgs) {
		t.Errorf("WithNamedUser added duplicates: %+v", r2)
	}
	// The creator reads the record at every label.
	creator := Viewer{UserID: 500, OrgID: 20, Role: RoleOperator, Scope: "", Lineage: LineageOf(20, testTree)}
	for _, tlp := range TLPs() {
		rec := Record{OwnerOrg: 100, Region: "32", TLP: tlp}.WithNamedUser(500, 20)
		if !CanRead(creator, rec) {
			t.Errorf("creator cannot read own %s record", tlp)
		}
	}
}
