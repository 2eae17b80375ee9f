package policy

import "testing"

func TestManagesNational(t *testing.T) {
	for _, c := range []struct {
		name string
		v    Viewer
		want bool
	}{
		{"national admin", Viewer{UserID: 1, OrgID: 1, Role: RoleAdmin, Scope: ""}, true},
		{"provincial admin", Viewer{UserID: 2, OrgID: 2, Role: RoleAdmin, Scope: "35"}, false},
		{"regency admin", Viewer{UserID: 3, OrgID: 3, Role: RoleAdmin, Scope: "35.78"}, false},
		{"national coordinator", Viewer{UserID: 4, OrgID: 1, Role: RoleCoordinator, Scope: ""}, false},
		{"zero viewer", Viewer{}, false},
		{"malformed scope", Viewer{UserID: 5, OrgID: 1, Role: RoleAdmin, Scope: "x"}, false},
	} {
		if got := ManagesNational(c.v); got != c.want {
			t.Errorf("%s: ManagesNational = %v, want %v", c.name, got, c.want)
		}
	}
}
