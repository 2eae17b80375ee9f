// Package shareddata finds the task force's shared data folder (../shared
// beside the repository: regions, Sigma rules, CRS regression cases, bench
// tools) for tests and benchmarks. A test that needs it and runs where it
// is absent is skipped with a message saying so; it never fails for that.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the shared folder: $GARDA_SHARED if set, else "shared"
// beside the directory holding go.mod. ok is false when there is none.
func Root() (string, bool) {
	if d := os.Getenv("GARDA_SHARED"); d != "" {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, true
		}
		return "", false
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(filepath.Dir(dir), "shared")
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				return d, true
			}
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Path returns a path inside the shared folder, or skips the test when the
// folder (or that path) is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	root, ok := Root()
	if !ok {
		t.Skip("needs ../shared beside the repository (or GARDA_SHARED): not found")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("needs %s: %v", p, err)
	}
	return p
}
