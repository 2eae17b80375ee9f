package region

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestCatalogCounts(t *testing.T) {
	c := Default()
	if got := len(c.Provinces()); got != 38 {
		t.Errorf("Provinces() = %d regions, want 38", got)
	}
	if got := len(c.Regencies("")); got != 514 {
		t.Errorf(`Regencies("") = %d regions, want 514`, got)
	}
	if got := len(c.All()); got != 1+38+514 {
		t.Errorf("All() = %d regions, want 553 (nation, provinces, regencies)", got)
	}
	if got := len(c.Regencies("32")); got != 27 {
		t.Errorf(`Regencies("32") = %d regions, want 27 (Jawa Barat)`, got)
	}
}

func TestCatalogConsistency(t *testing.T) {
	c := Default()
	all := c.All()
	if !slices.IsSortedFunc(all, func(a, b Region) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("All() is not sorted by code")
	}
	for _, r := range all {
		if r.Name == "" || r.Official == "" {
			t.Errorf("%q: empty name %q or official name %q", r.Code, r.Name, r.Official)
		}
		if got := LevelOf(r.Code); got != r.Level {
			t.Errorf("%q: Level %q, LevelOf says %q", r.Code, r.Level, got)
		}
		switch r.Level {
		case LevelNational, LevelProvince:
			if r.Parent != "" {
				t.Errorf("%q: %s has parent %q", r.Code, r.Level, r.Parent)
			}
		case LevelRegency:
			p, ok := c.Lookup(r.Parent)
			if !ok || p.Level != LevelProvince {
				t.Errorf("regency %s (%s): parent %q is not a catalogued province", r.Code, r.Name, r.Parent)
			}
			if !Contains(r.Parent, r.Code) {
				t.Errorf("regency %s is not inside its parent %s", r.Code, r.Parent)
			}
		default:
			t.Errorf("%q: unexpected level %q", r.Code, r.Level)
		}
	}
	for _, p := range c.Provinces() {
		for _, r := range c.Regencies(p.Code) {
			if r.Parent != p.Code {
				t.Errorf("Regencies(%s) returned %s with parent %s", p.Code, r.Code, r.Parent)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		code, name, official, level string
		ok                          bool
	}{
		{"", "Nasional", "Indonesia", LevelNational, true},
		{"32", "Jawa Barat", "JAWA BARAT", LevelProvince, true},
		{"32.04", "Kabupaten Bandung", "KABUPATEN BANDUNG", LevelRegency, true},
		{"31.71", "Kota Administrasi Jakarta Pusat", "KOTA ADMINISTRASI JAKARTA PUSAT", LevelRegency, true},
		{"99", "", "", "", false},
		{"32.99", "", "", "", false},
		{"32.04.01", "", "", "", false}, // districts are not catalogued
		{"3", "", "", "", false},
		{"32.4", "", "", "", false},
		{" 32", "", "", "", false},
	}
	for _, tt := range tests {
		r, ok := c.Lookup(tt.code)
		if ok != tt.ok || r.Name != tt.name || r.Official != tt.official || r.Level != tt.level || (ok && r.Code != tt.code) {
			t.Errorf("Lookup(%q) = %+v, %v; want name %q official %q level %q, %v", tt.code, r, ok, tt.name, tt.official, tt.level, tt.ok)
		}
		if got := c.Valid(tt.code); got != tt.ok {
			t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.ok)
		}
	}
}

func TestRegenciesOfUnknownOrNonProvince(t *testing.T) {
	for _, parent := range []string{"99", "32.04", "3", "x"} {
		if got := Regencies(parent); got != nil {
			t.Errorf("Regencies(%q) = %d regions, want nil", parent, len(got))
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		scope, code string
		want        bool
	}{
		// The national scope covers everything well-formed.
		{"", "", true},
		{"", "32", true},
		{"", "32.04", true},
		{"", "32.04.01", true},
		// A province covers itself and what lies below it.
		{"32", "32", true},
		{"32", "32.04", true},
		{"32", "32.04.01", true},
		{"32", "", false},
		{"32", "33", false},
		{"32", "33.04", false},
		// Segments, not bytes: no partial-segment matches either way.
		{"3", "32", false},
		{"3", "32.04", false},
		{"32", "320", false},
		{"32", "320.4", false},
		{"32.0", "32.04", false},
		{"32.04", "32.040", false},
		// A regency covers itself and its districts only.
		{"32.04", "32.04", true},
		{"32.04", "32.04.01", true},
		{"32.04", "32", false},
		{"32.04", "32.05", false},
		{"32.04", "", false},
		{"32.04.01", "32.04", false},
		// Malformed input never matches, even under the national scope.
		{"", "32.", false},
		{"", ".32", false},
		{"", " 32", false},
		{"", "ab", false},
		{"32.", "32.04", false},
		{"32", "32..04", false},
		{"32", "32.04.01.2001.1", false},
		{".", "32", false},
	}
	for _, tt := range tests {
		if got := Contains(tt.scope, tt.code); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.scope, tt.code, got, tt.want)
		}
	}
}

// TestContainsMatchesSegmentRule checks the allocation-free Contains against
// the rule written out on split segments, over every pair from a set of
// codes chosen to sit on segment boundaries.
func TestContainsMatchesSegmentRule(t *testing.T) {
	codes := []string{"", "3", "32", "320", "33", "32.0", "32.04", "32.040", "32.05", "32.04.01",
		"32.04.02", "32.04.01.2001", "32.04.01.200", "32.", ".32", "32..04", "x2", "32.04.01.2001.01"}
	segmentRule := func(scope, code string) bool {
		s, ok1 := segments(scope)
		c, ok2 := segments(code)
		return ok1 && ok2 && len(s) <= len(c) && slices.Equal(s, c[:len(s)])
	}
	for _, scope := range codes {
		for _, code := range codes {
			if got, want := Contains(scope, code), segmentRule(scope, code); got != want {
				t.Errorf("Contains(%q, %q) = %v, segment rule says %v", scope, code, got, want)
			}
		}
	}
}

func TestCodeHelpers(t *testing.T) {
	tests := []struct {
		code, level, province, parent string
		ancestors                     []string
	}{
		{"", LevelNational, "", "", nil},
		{"32", LevelProvince, "32", "", []string{""}},
		{"32.04", LevelRegency, "32", "32", []string{"32", ""}},
		{"32.04.01", LevelDistrict, "32", "32.04", []string{"32.04", "32", ""}},
		{"32.04.01.2001", LevelVillage, "32", "32.04.01", []string{"32.04.01", "32.04", "32", ""}},
		{"320", "", "", "", nil},
		{"32.4", "", "", "", nil},
		{"32.04.", "", "", "", nil},
		{"32.04.01.01", "", "", "", nil},
	}
	for _, tt := range tests {
		if got := LevelOf(tt.code); got != tt.level {
			t.Errorf("LevelOf(%q) = %q, want %q", tt.code, got, tt.level)
		}
		if got := Province(tt.code); got != tt.province {
			t.Errorf("Province(%q) = %q, want %q", tt.code, got, tt.province)
		}
		if got := Parent(tt.code); got != tt.parent {
			t.Errorf("Parent(%q) = %q, want %q", tt.code, got, tt.parent)
		}
		if got := Ancestors(tt.code); !slices.Equal(got, tt.ancestors) {
			t.Errorf("Ancestors(%q) = %q, want %q", tt.code, got, tt.ancestors)
		}
		if got := WellFormed(tt.code); got != (tt.level != "") {
			t.Errorf("WellFormed(%q) = %v", tt.code, got)
		}
	}
}

func TestDisplayName(t *testing.T) {
	tests := []struct{ official, want string }{
		{"KABUPATEN ACEH SELATAN", "Kabupaten Aceh Selatan"},
		{"JAWA BARAT", "Jawa Barat"},
		{"DKI JAKARTA", "DKI Jakarta"},
		{"DAERAH ISTIMEWA YOGYAKARTA", "Daerah Istimewa Yogyakarta"},
		{"KEPULAUAN BANGKA BELITUNG", "Kepulauan Bangka Belitung"},
		{"KABUPATEN PANGKAJENE DAN KEPULAUAN", "Kabupaten Pangkajene dan Kepulauan"},
		{"KABUPATEN TOJO UNA-UNA", "Kabupaten Tojo Una-Una"},
		{"KAB. KEP. SERIBU", "Kab. Kep. Seribu"},
		{"  KOTA   SORONG ", "Kota Sorong"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := displayName(tt.official); got != tt.want {
			t.Errorf("displayName(%q) = %q, want %q", tt.official, got, tt.want)
		}
	}
	// The catalogue uses the same rule on the shipped data.
	for code, want := range map[string]string{
		"11.01": "Kabupaten Aceh Selatan",
		"31":    "DKI Jakarta",
		"34":    "Daerah Istimewa Yogyakarta",
		"34.71": "Kota Yogyakarta",
		"73.10": "Kabupaten Pangkajene dan Kepulauan",
	} {
		if r, _ := Lookup(code); r.Name != want {
			t.Errorf("Lookup(%q).Name = %q, want %q", code, r.Name, want)
		}
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	a := All()
	a[1].Name = "changed"
	p := Provinces()
	p[0].Code = "changed"
	if r, _ := Lookup("11"); r.Name != "Aceh" || r.Code != "11" {
		t.Errorf("changing returned slices changed the catalogue: %+v", r)
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	const provinces = "code,name\n11,ACEH\n32,JAWA BARAT\n"
	tests := []struct {
		name, provinces, regencies, wantErr string
	}{
		{"ok", provinces, "code,province_code,name\n32.04,32,KABUPATEN BANDUNG\n", ""},
		{"bad province header", "kode,nama\n11,ACEH\n", "code,province_code,name\n", "header"},
		{"empty regencies", provinces, "", "empty"},
		{"province code shape", "code,name\n1,ACEH\n", "code,province_code,name\n", "not a province code"},
		{"regency code shape", provinces, "code,province_code,name\n32,32,X\n", "not a regency code"},
		{"parent mismatch", provinces, "code,province_code,name\n32.04,11,X\n", "names province"},
		{"missing parent", provinces, "code,province_code,name\n33.01,33,X\n", "does not exist"},
		{"duplicate", provinces, "code,province_code,name\n32.04,32,A\n32.04,32,B\n", "duplicate"},
		{"no name", provinces, "code,province_code,name\n32.04,32, \n", "no name"},
		{"wrong field count", provinces, "code,province_code,name\n32.04,32\n", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.provinces), strings.NewReader(tt.regencies))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaultIsSharedAndRaceFree(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*Catalog, 8)
	for i := range got {
		wg.Go(func() { got[i] = Default() })
	}
	wg.Wait()
	for _, c := range got {
		if c != got[0] {
			t.Fatal("Default() returned different catalogues")
		}
	}
}

func BenchmarkContains(b *testing.B) {
	for b.Loop() {
		Contains("32", "32.04")
	}
}

func BenchmarkLookup(b *testing.B) {
	c := Default()
	for b.Loop() {
		c.Lookup("32.04")
	}
}
