// Package analysis gives the patrol's pipeline its readers: the fact-check
// matcher (internal/claim), the personal-data scanner (internal/pii) and
// OCR (internal/ocr, Debian's tesseract). It sits above those packages so
// that internal/patrol depends on none of them.
package analysis

import (
	"context"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/ocr"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/pii"
)

// Pipeline is the patrol's pipeline with every reader wired: the
// fact-check database (the one the claims pages write, so that its index
// is built once and follows their writes), the PII scanner, and OCR when
// tesseract is installed (when it is not, each image's item says why,
// from ocr.Available).
func Pipeline(claims *claim.Service) *patrol.Pipeline {
	return &patrol.Pipeline{Claims: Claims{claims}, PII: PII{}, OCR: OCR{}}
}

// Claims matches an item's text against the fact-check database. An item
// is read by other organisations than the one that patrols, so it cites
// only fact-checks every signed-in user may read, never an organisation's
// unpublished review.
type Claims struct{ Service *claim.Service }

// Match implements patrol.ClaimMatcher. A failing database leaves the item
// without matches (the source's health tells of the failure elsewhere).
func (c Claims) Match(ctx context.Context, text string, k int) []patrol.ClaimMatch {
	return c.MatchAt(ctx, text, time.Time{}, k)
}

// MatchAt implements patrol.DatedClaimMatcher: of fact-checks the words
// score alike, one published near the time the item was seen comes first.
func (c Claims) MatchAt(ctx context.Context, text string, seen time.Time, k int) []patrol.ClaimMatch {
	ms, err := c.Service.MatchPublicAt(ctx, text, seen, k)
	if err != nil {
		return nil
	}
	out := make([]patrol.ClaimMatch, 0, len(ms))
	for _, m := range ms {
		out = append(out, patrol.ClaimMatch{ClaimID: m.ClaimID, Score: m.Score, Why: why(m.Why)})
	}
	return out
}

// why is the explanation as the item page shows it: the words that agree,
// then the numbers that agree and those that do not.
func why(e claim.Explanation) string {
	var b strings.Builder
	b.WriteString(strings.Join(e.Words, ", "))
	if len(e.NumbersAgree) > 0 {
		b.WriteString("; = " + strings.Join(e.NumbersAgree, ", "))
	}
	if len(e.NumbersDisagree) > 0 {
		b.WriteString("; ≠ " + strings.Join(e.NumbersDisagree, ", "))
	}
	return b.String()
}

// PII counts personal data: the counts and the provinces of the NIKs,
// never the values.
type PII struct{}

// Scan implements patrol.PIIScanner.
func (PII) Scan(text string) patrol.PIICounts {
	r := pii.Scan(text)
	c := patrol.PIICounts{NIK: r.NIK, KK: r.KK, NPWP: r.NPWP, Phone: r.Phone}
	if len(r.Provinces) > 0 {
		c.Regions = make(map[string]int, len(r.Provinces))
		for _, p := range r.Provinces {
			c.Regions[p.Code] = p.Count
		}
	}
	return c
}

// OCR reads an image's text with Debian's tesseract.
type OCR struct{}

// Read implements patrol.OCR; without tesseract it says what is missing.
func (OCR) Read(ctx context.Context, image []byte) (string, error) {
	if err := ocr.Available(); err != nil {
		return "", err
	}
	return ocr.Read(ctx, image)
}
