package analysis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/demo"
	"github.com/garda-id/garda/internal/ocr"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/analysis"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPipelineReadsWithEveryReader runs the wired pipeline on the demo
// world: a post repeating a demo fact-check is matched to it with the
// words that agree, a leaked NIK is counted by province (never kept), and
// an image is read by tesseract or says why it could not be.
func TestPipelineReadsWithEveryReader(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := demo.Seed(ctx, db, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	var want int64
	if err := db.QueryRow(ctx, `SELECT id FROM claims WHERE source_id = 'demo-3'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	pipe := analysis.Pipeline(claim.NewService(db))
	const nik = "3204105205900001" // Kabupaten Bandung, a woman born 12-05-1990: invented
	got, err := pipe.Process(ctx, patrol.Post{URL: "https://t.me/demo/9", Text: "Katanya pemilu diundur ke tahun 2025, sebarkan! Data saksi NIK " + nik,
		Image: []byte("not an image")})
	if err != nil {
		t.Fatal(err)
	}
	if got.MatchStatus != patrol.StepDone || len(got.Matches) == 0 || got.Matches[0].ClaimID != strconv.FormatInt(want, 10) {
		t.Fatalf("claim match: status %q, matches %+v, want claim %d first", got.MatchStatus, got.Matches, want)
	}
	if !strings.Contains(got.Matches[0].Why, "2025") {
		t.Errorf("the explanation %q does not name the agreeing year", got.Matches[0].Why)
	}
	if got.PIIStatus != patrol.StepDone || got.PII.NIK != 1 || got.PII.Regions["32"] != 1 {
		t.Errorf("PII: status %q, counts %+v, want one NIK of province 32", got.PIIStatus, got.PII)
	}
	if strings.Contains(got.OCRText+got.OCRStatus, nik) {
		t.Error("the NIK's value reached the item's OCR fields")
	}
	if !strings.HasPrefix(got.OCRStatus, patrol.StepFailed) {
		t.Errorf("OCR of bytes that are no image: status %q, want failed with the reason", got.OCRStatus)
	}
	if err := ocr.Available(); err != nil && !strings.Contains(got.OCRStatus, err.Error()) {
		t.Errorf("without tesseract the item should say %q; it says %q", err, got.OCRStatus)
	}
}

// TestPipelineWeighsWhenSeen: of two fact-checks of one claim published
// years apart, the wired pipeline cites first the one published near the
// post's own date, and for a post without a date the one near today.
func TestPipelineWeighsWhenSeen(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := demo.Seed(ctx, db, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if _, err := db.Exec(ctx, `UPDATE claims SET review_date = ? WHERE source_id = 'demo-3'`, today); err != nil {
		t.Fatal(err)
	}
	// The same claim, fact-checked again in 2019.
	if _, err := db.Exec(ctx, `INSERT INTO claims (claim, title, rating, url, review_date, claim_author, publisher, source_id, owner_org_id, region, tlp, created_by, created_at, updated_at)
		SELECT claim, title, rating, url, '2019-03-01', claim_author, publisher, 'demo-3-2019', owner_org_id, region, tlp, created_by, created_at, updated_at FROM claims WHERE source_id = 'demo-3'`); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, src := range []string{"demo-3", "demo-3-2019"} {
		var id int64
		if err := db.QueryRow(ctx, `SELECT id FROM claims WHERE source_id = ?`, src).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[strconv.FormatInt(id, 10)] = src
	}
	pipe := analysis.Pipeline(claim.NewService(db))
	in2019 := time.Date(2019, 3, 4, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		published *time.Time
		want      string
	}{{&in2019, "demo-3-2019"}, {nil, "demo-3"}} {
		got, err := pipe.Process(ctx, patrol.Post{URL: "https://t.me/demo/10", Text: "Katanya pemilu diundur ke tahun 2025, sebarkan!", Published: c.published})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Matches) < 2 || ids[got.Matches[0].ClaimID] != c.want || ids[got.Matches[1].ClaimID] == "" {
			t.Errorf("published %v: matches %+v (ids %v), want %s first and the other second", c.published, got.Matches, ids, c.want)
		}
	}
}
