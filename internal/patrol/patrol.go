// Package patrol is the cyber patrol ("Patroli Siber"): the sources the
// patrol room watches (feeds, sitemaps, crawled sites, platform exports,
// the public report form, agencies' own tools) and the items they yield,
// one per URL or post, each read (text and the text in its images),
// matched against the fact-checks, counted for personal data and put in
// front of the shift with its stored copy as evidence.
//
// Items and sources are shared records under internal/policy (owner the
// patrolling organisation, AMBER by default); every write is audited.
// The package never stores a personal-data value, only counts; it never
// reaches the outside world itself (internal/fetch does, for the runners
// in the sub-packages), and it does not know how claims are matched, PII
// is found or images are read: it calls the small interfaces below, wired
// in cmd/garda, and says on the item when one is not configured.
package patrol

import (
	"context"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/patrol/post"
)

// RecordKind names items in the participant tables and the audit chain;
// SourceKind names sources.
const (
	RecordKind = "patrol_item"
	SourceKind = "patrol_source"
)

// ClaimMatch is one fact-check an item's text agrees with.
type ClaimMatch struct {
	ClaimID string  `json:"claim"`
	Score   float64 `json:"score"`
	Why     string  `json:"why"` // the words and numbers that agree
}

// ClaimMatcher matches text against the fact-check database (internal/claim).
type ClaimMatcher interface {
	Match(ctx context.Context, text string, k int) []ClaimMatch
}

// DatedClaimMatcher is a ClaimMatcher that also weighs when the item was
// seen: of fact-checks the words score alike, one published near that time
// comes first. The pipeline uses it when the matcher has it.
type DatedClaimMatcher interface {
	MatchAt(ctx context.Context, text string, seen time.Time, k int) []ClaimMatch
}

// PIICounts is what a PII scan found: counts only, never values.
type PIICounts struct {
	NIK     int            `json:"nik"`
	KK      int            `json:"kk"`
	NPWP    int            `json:"npwp"`
	Phone   int            `json:"phone"`
	Regions map[string]int `json:"regions,omitempty"` // NIKs per region code
}

// Total is every number found.
func (c PIICounts) Total() int { return c.NIK + c.KK + c.NPWP + c.Phone }

// PIIScanner finds personal data in text (internal/pii).
type PIIScanner interface {
	Scan(text string) PIICounts
}

// OCR reads the text in an image (internal/pii/ocr, Debian's tesseract).
type OCR interface {
	Read(ctx context.Context, image []byte) (string, error)
}

// Label is what the patrol room decided an item is.
type Label string

// The labels, as Kominfo's patrol names them.
const (
	Hoax         Label = "hoaks"
	Disinfo      Label = "disinformasi"
	HateSpeech   Label = "ujaran_kebencian"
	SARA         Label = "sara"
	DataLeak     Label = "kebocoran_data"
	NotViolation Label = "bukan_pelanggaran"
)

// Labels lists the labels in the order the item page offers them.
var Labels = []Label{Hoax, Disinfo, HateSpeech, SARA, DataLeak, NotViolation}

// Valid reports whether l is a known label.
func (l Label) Valid() bool { return slices.Contains(Labels, l) }

// Platforms are the platforms items come from.
var Platforms = []string{"web", "telegram", "x", "facebook", "instagram", "tiktok", "youtube", "whatsapp", "other"}

// Engagement is what a platform counted of a post.
type Engagement = post.Engagement

// Post is one item as a source yields it, before the pipeline reads it.
type Post = post.Post
