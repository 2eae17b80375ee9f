package literal

import (
	"strings"
	"testing"
)

func TestMatcher(t *testing.T) {
	pats := []string{"/.env", "/.git/", ".sql", "he", "she", "his", "hers", "SQLMAP"}
	m := New(pats, true)
	cases := map[string][]int{
		"/app/.env":          {0},
		"/.GIT/config":       {1},
		"/backup.SQL.gz":     {2},
		"ushers":             {4, 3, 6},
		"Mozilla sqlmap/1.7": {7},
		"/berita/123/judul":  nil,
		"":                   nil,
		"/.en":               nil,
		"this":               {5},
	}
	for text, want := range cases {
		var got []int
		m.Each(text, func(p int) bool { got = append(got, p); return true })
		if len(got) != len(want) {
			t.Errorf("%q: got %v, want %v", text, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: got %v, want %v", text, got, want)
			}
		}
		if m.Any(text) != (len(want) > 0) {
			t.Errorf("Any(%q) disagrees", text)
		}
	}
	cased := New([]string{"SQLMAP"}, false)
	if cased.Any("sqlmap") || !cased.Any("xSQLMAPx") {
		t.Error("case-sensitive matcher folds case")
	}
}

// FuzzMatcher checks the automaton against strings.Contains.
func FuzzMatcher(f *testing.F) {
	f.Add("abcab", "ab", "bca")
	f.Fuzz(func(t *testing.T, text, p1, p2 string) {
		if p1 == "" || p2 == "" {
			return
		}
		m := New([]string{p1, p2}, false)
		want := strings.Contains(text, p1) || strings.Contains(text, p2)
		if m.Any(text) != want {
			t.Fatalf("Any(%q) with %q,%q = %v", text, p1, p2, !want)
		}
	})
}

func BenchmarkAnyPath(b *testing.B) {
	m := New([]string{"/.env", "/.git/", ".sql", ".bak", "/phpinfo.php", "/server-status", "/wp-config.php", "/backup", "/dump"}, true)
	path := "/berita/4312/pengumuman-dpt-pemilu-2024"
	for b.Loop() {
		m.Any(path)
	}
}
