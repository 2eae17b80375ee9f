package store_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/store"
)

// TestQueriesNameTheirColumns keeps instances of the previous version
// working beside a migration that adds a column: no query may read "every
// column" or insert by position, or a new column changes what it means.
func TestQueriesNameTheirColumns(t *testing.T) {
	bad := regexp.MustCompile(`(?i)\bSELECT\s+(\w+\.)?\*\s+FROM\b|\bRETURNING\s+\*|\bINSERT\s+INTO\s+\w+\s+(VALUES|SELECT)\b`)
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// detect holds attack payloads ("select * from pg_shadow"), not queries.
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules" || p == filepath.Join(root, "internal", "detect")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d: name the columns (a migration adding one must not change this query): %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: wrong root?", checked)
	}
}

// AdditiveFrom is the first migration that must be additive: from it on, a
// release may only add (tables, nullable columns or columns with a default,
// indexes), so the previous release keeps working during a rolling upgrade.
// Taking something away takes two releases: stop using it, then drop it.
const AdditiveFrom = "0049"

func TestMigrationsAdditive(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	next, err := os.ReadFile(filepath.Join("testdata", "nextversion", "9001_rolling_upgrade.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ms = append(ms, store.Migration{Version: "9001_rolling_upgrade", SQL: string(next)})
	destructive := regexp.MustCompile(`(?i)\bDROP\s+(TABLE|COLUMN)\b|\bRENAME\b|\bALTER\s+COLUMN\b|\bADD\s+COLUMN\b[^;,]*\bNOT\s+NULL\b`)
	withDefault := regexp.MustCompile(`(?i)\bDEFAULT\b`)
	for _, m := range ms {
		if m.Version < AdditiveFrom {
			continue
		}
		for _, stmt := range strings.Split(stripComments(m.SQL), ";") {
			if loc := destructive.FindString(stmt); loc != "" && !(strings.Contains(strings.ToUpper(loc), "NOT NULL") && withDefault.MatchString(stmt)) {
				t.Errorf("migration %s is not additive (%q in %q): the previous version's instances break during a rolling upgrade", m.Version, loc, strings.TrimSpace(stmt))
			}
		}
	}
	// The rule sees what it must.
	for _, s := range []string{"ALTER TABLE a DROP COLUMN b", "ALTER TABLE a RENAME TO c", "ALTER TABLE a ADD COLUMN b TEXT NOT NULL"} {
		if destructive.FindString(s) == "" {
			t.Errorf("the additive rule misses %q", s)
		}
	}
}

func stripComments(sql string) string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
