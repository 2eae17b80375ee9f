package policy

import "testing"

func TestCanSendLogs(t *testing.T) {
	analyst := Viewer{UserID: 1, OrgID: 100, Role: RoleAnalyst, Scope: "32", Lineage: []int64{100, 1000}}
	for _, c := range []struct {
		name   string
		v      Viewer
		owner  int64
		region string
		want   bool
	}{
		{"analyst of the owner", analyst, 100, "32.04", true},
		{"coordinator of the owner", Viewer{UserID: 2, OrgID: 100, Role: RoleCoordinator, Scope: "32"}, 100, "32", true},
		{"admin of the owner", Viewer{UserID: 3, OrgID: 100, Role: RoleAdmin}, 100, "32", true},
		{"analyst of another agency", Viewer{UserID: 4, OrgID: 3, Role: RoleAnalyst}, 100, "32", false},
		{"analyst of the owner's parent", Viewer{UserID: 5, OrgID: 10, Role: RoleAnalyst, Lineage: []int64{10, 100}}, 100, "32", false},
		{"analyst of a child of the owner", analyst, 10, "32", false},
		{"viewer of the owner", Viewer{UserID: 6, OrgID: 100, Role: RoleViewer}, 100, "32", false},
		{"responder of the owner", Viewer{UserID: 7, OrgID: 100, Role: RoleResponder}, 100, "32", false},
		{"owner's analyst, asset outside its scope", analyst, 100, "31", false},
		{"no owner", analyst, 0, "32", false},
		{"zero viewer", Viewer{}, 100, "32", false},
	} {
		if got := CanSendLogs(c.v, c.owner, c.region); got != c.want {
			t.Errorf("%s: CanSendLogs = %v, want %v", c.name, got, c.want)
		}
	}
}
