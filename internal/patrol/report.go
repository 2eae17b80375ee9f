package patrol

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// The public report form "Aduan Konten": anyone, without an account,
// reports content; the report becomes an item of the ministry's patrol
// (the form source's owner) and the reporter gets a reference to look
// its status up. The address is never stored: only a salted hash, for the
// rate limit.

// ReportActor is who the form writes as in the audit chain.
var ReportActor = audit.Actor{Username: "aduan-publik"}

// Report limits: per address per hour, and the text's size.
const (
	ReportsPerHour = 5
	MaxReportText  = 5000
)

// ReportCategories are what a reporter may say the content is.
var ReportCategories = []string{"hoaks", "ujaran_kebencian", "sara", "kebocoran_data", "situs_palsu", "lainnya"}

// ReportInput is what the form sends.
type ReportInput struct {
	URL      string
	Text     string
	Category string
	Region   string
}

// Report is what the reporter may look up by its reference.
type Report struct {
	Reference string    `json:"reference"`
	Status    string    `json:"status"` // received, reviewed
	CreatedAt time.Time `json:"created_at"`
	Category  string    `json:"category"`
}

// Check validates a report; nothing is stored.
func (in *ReportInput) Check() error {
	in.URL, in.Text, in.Category, in.Region = strings.TrimSpace(in.URL), cleanText(in.Text, MaxReportText+1), strings.TrimSpace(in.Category), strings.TrimSpace(in.Region)
	if in.URL == "" && in.Text == "" {
		return problem.Field("url", "give the link to the content, or describe it")
	}
	if in.URL != "" {
		if _, err := CanonicalURL(in.URL); err != nil {
			return problem.Field("url", "a full http or https link")
		}
	}
	if len(in.Text) > MaxReportText {
		return problem.Field("text", "at most %d characters", MaxReportText)
	}
	if in.Category == "" {
		in.Category = "lainnya"
	}
	found := false
	for _, c := range ReportCategories {
		found = found || c == in.Category
	}
	if !found {
		return problem.Field("category", "one of %s", strings.Join(ReportCategories, ", "))
	}
	if in.Region != "" && !region.Valid(in.Region) {
		return problem.Field("region", "unknown region code %q", in.Region)
	}
	return nil
}

// FormSource is the source of the public form's items: the first form
// source, or one made for the ministry's patrol (komdigi) on first use.
func FormSource(ctx context.Context, db *store.DB) (Source, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT id FROM patrol_sources WHERE kind = ? ORDER BY id LIMIT 1`, string(Form)).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		tree, terr := org.Load(ctx, db)
		if terr != nil {
			return Source{}, terr
		}
		owner, ok := tree.BySlug("komdigi")
		if !ok {
			return Source{}, errors.New("patrol: the report form needs the komdigi organisation (its patrol owns the reports)")
		}
		now := store.Now()
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `INSERT INTO patrol_sources (name, kind, platform, tlp, region, owner_org_id, created_by, created_at, updated_at)
				VALUES ('Aduan Konten (formulir publik)', ?, 'other', ?, '', ?, ?, ?, ?) RETURNING id`,
				string(Form), string(policy.Amber), owner.ID, ReportActor.Username, now, now).Scan(&id); err != nil {
				return err
			}
			if err := participant.Add(ctx, tx, SourceKind, id, participant.Set{Orgs: []int64{owner.ID}}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, ReportActor, "patrol.source.create", SourceKind, id, map[string]any{"kind": Form})
		})
	}
	if err != nil {
		return Source{}, fmt.Errorf("patrol: the report form's source: %w", err)
	}
	return SystemSource(ctx, db, id)
}

// AddrHash is the salted SHA-256 of a reporter's address; the salt is
// made once per platform and kept in the database, so every instance
// counts the same address alike and the hash cannot be reversed by
// trying the address space without it.
func AddrHash(ctx context.Context, db *store.DB, addr string) (string, error) {
	var b [32]byte
	rand.Read(b[:])
	if _, err := db.Exec(ctx, `INSERT INTO patrol_settings (name, value) VALUES ('addr_salt', ?) ON CONFLICT (name) DO NOTHING`, hex.EncodeToString(b[:])); err != nil {
		return "", err
	}
	var salt string
	if err := db.QueryRow(ctx, `SELECT value FROM patrol_settings WHERE name = 'addr_salt'`).Scan(&salt); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(salt + "|" + addr))
	return hex.EncodeToString(sum[:]), nil
}

// ReportLimited says whether an address has sent its reports this hour.
func ReportLimited(ctx context.Context, db *store.DB, addrHash string, now time.Time) error {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM patrol_reports WHERE addr_hash = ? AND created_at > ?`, addrHash, now.Add(-time.Hour)).Scan(&n); err != nil {
		return err
	}
	if n >= ReportsPerHour {
		return problem.New(problem.TooManyAttempts, "at most %d reports an hour from one address: please try again later", ReportsPerHour)
	}
	return nil
}

// NewReference is a report's reference: ADU- and 12 random base32
// characters, so that references cannot be guessed from one another.
func NewReference() string {
	var b [8]byte
	rand.Read(b[:])
	return "ADU-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:12]
}

// RecordReport keeps the report's reference for its item.
func RecordReport(ctx context.Context, db *store.DB, ref string, in ReportInput, addrHash string, itemID int64, now time.Time) error {
	var item any
	if itemID > 0 {
		item = itemID
	}
	_, err := db.Exec(ctx, `INSERT INTO patrol_reports (reference, url, body, category, region, addr_hash, item_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ref, in.URL, in.Text, in.Category, in.Region, addrHash, item, now)
	return err
}

// LookupReport answers a reporter's look-up: the status only, never the
// patrol's work on it. An unknown reference is not found.
func LookupReport(ctx context.Context, db *store.DB, ref string) (Report, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	var r Report
	var label string
	err := db.QueryRow(ctx, `SELECT r.reference, r.created_at, r.category, COALESCE(i.label, '') FROM patrol_reports r LEFT JOIN patrol_items i ON i.id = r.item_id WHERE r.reference = ?`, ref).
		Scan(&r.Reference, &r.CreatedAt, &r.Category, &label)
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, problem.New(problem.NotFound, "no report %q", ref)
	}
	r.Status = "received"
	if label != "" {
		r.Status = "reviewed"
	}
	return r, err
}
