package pii

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/shareddata"
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

// TestRealProse scans real Indonesian posts: the TurnBackHoax narratives in
// ../shared (read at run time, never copied here). They hold scam contacts
// (phone numbers) but no NIK, KK or NPWP: any found is a false positive.
func TestRealProse(t *testing.T) {
	p := shareddata.Path(t, "data", "hoax-dev", "pairs.csv")
	text, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r := Scan(string(text))
	t.Logf("%d bytes of narratives: nik=%d kk=%d npwp=%d phone=%d", len(text), r.NIK, r.KK, r.NPWP, r.Phone)
	if r.NIK+r.KK+r.NPWP != 0 {
		t.Errorf("identity numbers found in hoax narratives: nik=%d kk=%d npwp=%d", r.NIK, r.KK, r.NPWP)
	}
}
