package analysis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

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
