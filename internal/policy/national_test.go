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

func TestScopeAndLineageFilters(t *testing.T) {
	prov := Viewer{UserID: 2, OrgID: 7, Role: RoleAdmin, Scope: "35", Lineage: []int64{7, 9}}
	if w, args := ScopeFilter(prov, "u.scope"); w != "(COALESCE(u.scope, '') = ? OR COALESCE(u.scope, '') LIKE ?)" || len(args) != 2 || args[1] != "35.%" {
		t.Errorf("provincial scope filter: %s %v", w, args)
	}
	if w, _ := ScopeFilter(Viewer{UserID: 1, OrgID: 1, Role: RoleAdmin}, "scope"); w != "1=1" {
		t.Errorf("national scope filter: %s", w)
	}
	if w, args := LineageFilter(prov, "r.org_id"); w != "(r.org_id IN (?, ?))" || len(args) != 2 {
		t.Errorf("lineage filter: %s %v", w, args)
	}
	for _, c := range []struct {
		v   Viewer
		col string
	}{{Viewer{}, "scope"}, {prov, "scope; DROP TABLE users"}, {prov, "a.b.c"}, {prov, ""}} {
		if w, _ := ScopeFilter(c.v, c.col); w != DenyAll {
			t.Errorf("ScopeFilter(%+v, %q) = %s, want DenyAll", c.v, c.col, w)
		}
		if w, _ := LineageFilter(c.v, c.col); w != DenyAll {
			t.Errorf("LineageFilter(%+v, %q) = %s, want DenyAll", c.v, c.col, w)
		}
	}
}
