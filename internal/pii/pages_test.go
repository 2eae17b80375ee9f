package pii

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPages scans the hand-written pages in testdata/pages and compares the
// counts with what a person reading them would give.
func TestPages(t *testing.T) {
	files, err := filepath.Glob("testdata/pages/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".want.json")
			if err != nil {
				t.Fatal(err)
			}
			var want struct{ NIK, KK, NPWP, Phone int }
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			r := Scan(string(text))
			if r.NIK != want.NIK || r.KK != want.KK || r.NPWP != want.NPWP || r.Phone != want.Phone {
				t.Errorf("got nik=%d kk=%d npwp=%d phone=%d, want %+v", r.NIK, r.KK, r.NPWP, r.Phone, want)
			}
		})
	}
}
