package policy

import "testing"

func TestCutsAccess(t *testing.T) {
	for _, c := range []struct {
		v    Viewer
		want bool
	}{
		{Viewer{UserID: 1, OrgID: 1, Role: RoleCoordinator, Scope: ""}, true},
		{Viewer{UserID: 1, OrgID: 1, Role: RoleCoordinator, Scope: "32"}, false},
		{Viewer{UserID: 1, OrgID: 1, Role: RoleAdmin, Scope: ""}, false},
		{Viewer{UserID: 1, OrgID: 1, Role: RoleLiaison, Scope: ""}, false},
		{Viewer{UserID: 1, OrgID: 1, Role: RoleAnalyst, Scope: ""}, false},
		{Viewer{Role: RoleCoordinator, Scope: ""}, false}, // not signed in
	} {
		if got := CutsAccess(c.v); got != c.want {
			t.Errorf("%+v: %v, want %v", c.v, got, c.want)
		}
	}
}
