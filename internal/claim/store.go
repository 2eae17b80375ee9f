package claim

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names fact-checks in the participant tables and the audit chain.
const RecordKind = "claim"

// Ratings are the verdicts a fact-check gives, as Indonesian fact-checkers
// word them; "lainnya" keeps an imported verdict Garda has no word for.
var Ratings = []string{"hoaks", "salah", "menyesatkan", "disinformasi", "satire", "sebagian-benar", "benar", "tidak-terbukti", "lainnya"}

// ratingWords maps the verdicts fact-check sites publish (Indonesian and
// English) to Ratings.
var ratingWords = map[string]string{
	"hoax": "hoaks", "hoaks": "hoaks", "false": "salah", "salah": "salah", "keliru": "salah", "palsu": "salah",
	"misleading": "menyesatkan", "menyesatkan": "menyesatkan", "konten yang menyesatkan": "menyesatkan",
	"disinformasi": "disinformasi", "disinformation": "disinformasi", "misinformasi": "disinformasi",
	"satire": "satire", "satir": "satire", "parodi": "satire",
	"sebagian benar": "sebagian-benar", "sebagian-benar": "sebagian-benar", "partly false": "sebagian-benar", "half true": "sebagian-benar",
	"benar": "benar", "true": "benar", "fakta": "benar",
	"tidak terbukti": "tidak-terbukti", "tidak-terbukti": "tidak-terbukti", "unproven": "tidak-terbukti", "unverified": "tidak-terbukti",
}

// NormalizeRating maps a published verdict ("[SALAH]", "False",
// "Konten yang Menyesatkan") to one of Ratings; ok is false when it is not
// one Garda knows.
func NormalizeRating(s string) (string, bool) {
	k := strings.ToLower(strings.Trim(strings.TrimSpace(s), "[]()"))
	if slices.Contains(Ratings, k) {
		return k, true
	}
	r, ok := ratingWords[k]
	return r, ok
}

// FactCheck is a stored fact-check: a shared record under the visibility
// rules. Published fact-checks are public, so one written or imported
// without a TLP is CLEAR and national; an analyst's unpublished review can
// be marked AMBER (or stricter) and a region.
type FactCheck struct {
	ID          int64      `json:"id"`
	Claim       string     `json:"claim"`
	Title       string     `json:"title"`
	Rating      string     `json:"rating"`
	URL         string     `json:"url"`
	Date        string     `json:"date"`
	ClaimAuthor string     `json:"claim_author"`
	Publisher   string     `json:"publisher"`
	SourceID    string     `json:"source_id,omitempty"`
	Owner       string     `json:"owner"`
	OwnerID     int64      `json:"-"`
	Region      string     `json:"region"`
	TLP         policy.TLP `json:"tlp"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Review returns the fact-check as an importable review.
func (f FactCheck) Review() Review {
	return Review{ID: f.SourceID, Claim: f.Claim, Title: f.Title, Rating: f.Rating, URL: f.URL, Date: f.Date, ClaimAuthor: f.ClaimAuthor, Publisher: f.Publisher}
}

// Input is what an analyst sends to write a fact-check.
type Input struct {
	Claim       string `json:"claim"`
	Title       string `json:"title"`
	Rating      string `json:"rating"`
	URL         string `json:"url"`
	Date        string `json:"date"`
	ClaimAuthor string `json:"claim_author"`
	Publisher   string `json:"publisher"`
	Region      string `json:"region"`
	TLP         string `json:"tlp"`
}

// Placement is where written or imported fact-checks go: region and TLP
// ("" for national and CLEAR).
type Placement struct {
	Region string
	TLP    string
}

func (pl Placement) check(who auth.Principal) (string, policy.TLP, error) {
	tlp := policy.Clear
	if pl.TLP != "" {
		t, err := policy.ParseTLP(pl.TLP)
		if err != nil {
			return "", "", problem.Field("tlp", "unknown TLP %q: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", pl.TLP)
		}
		tlp = t
	}
	reg := strings.TrimSpace(pl.Region)
	if !region.Valid(reg) {
		return "", "", problem.Field("region", "unknown region code %q", reg)
	}
	if !region.Contains(who.User.Scope, reg) {
		if reg == "" {
			reg = who.User.Scope // a provincial analyst's claims are the province's
		} else {
			return "", "", problem.Field("region", "%q lies outside your scope", reg)
		}
	}
	return reg, tlp, nil
}

func mayWrite(who auth.Principal) error {
	if !who.Can(policy.Investigate) {
		return problem.New(problem.Forbidden, "your role (%s) may not write fact-checks", who.User.Role)
	}
	return nil
}

// validate checks a review for storing: a known rating and, when given, an
// http(s) URL.
func validate(rv *Review, strictRating bool) error {
	if err := rv.check(); err != nil {
		field := "claim"
		if strings.HasPrefix(err.Error(), "date") {
			field = "date"
		}
		return problem.Field(field, "%s", err.Error())
	}
	r, ok := NormalizeRating(rv.Rating)
	switch {
	case ok:
		rv.Rating = r
	case strictRating:
		return problem.Field("rating", "must be one of %s", strings.Join(Ratings, ", "))
	default:
		rv.Rating = "lainnya"
	}
	if rv.URL != "" {
		u, err := url.Parse(rv.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return problem.Field("url", "%q is not an http(s) URL", rv.URL)
		}
	}
	return nil
}

// Create writes one fact-check; the writer becomes a named user and its
// organisation a participant.
func (s *Service) Create(ctx context.Context, who auth.Principal, in Input) (FactCheck, error) {
	if err := mayWrite(who); err != nil {
		return FactCheck{}, err
	}
	rv := Review{ID: "-", Claim: strings.TrimSpace(in.Claim), Title: strings.TrimSpace(in.Title), Rating: in.Rating, URL: strings.TrimSpace(in.URL),
		Date: strings.TrimSpace(in.Date), ClaimAuthor: strings.TrimSpace(in.ClaimAuthor), Publisher: strings.TrimSpace(in.Publisher)}
	if err := validate(&rv, true); err != nil {
		return FactCheck{}, err
	}
	rv.ID = ""
	reg, tlp, err := Placement{Region: in.Region, TLP: in.TLP}.check(who)
	if err != nil {
		return FactCheck{}, err
	}
	var f FactCheck
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		f, err = insert(ctx, tx, who, rv, reg, tlp)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "claim.create", RecordKind, f.ID, f)
	})
	if err != nil {
		return FactCheck{}, fmt.Errorf("create fact-check: %w", err)
	}
	s.changed()
	return f, nil
}

func insert(ctx context.Context, tx *store.Tx, who auth.Principal, rv Review, reg string, tlp policy.TLP) (FactCheck, error) {
	now := store.Now()
	f := FactCheck{Claim: rv.Claim, Title: rv.Title, Rating: rv.Rating, URL: rv.URL, Date: rv.Date, ClaimAuthor: rv.ClaimAuthor, Publisher: rv.Publisher,
		SourceID: rv.ID, Owner: who.Org.Slug, OwnerID: who.Org.ID, Region: reg, TLP: tlp, CreatedAt: now, UpdatedAt: now}
	err := tx.QueryRow(ctx, `INSERT INTO claims (claim, title, rating, url, review_date, claim_author, publisher, source_id, owner_org_id, region, tlp, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Claim, f.Title, f.Rating, f.URL, f.Date, f.ClaimAuthor, f.Publisher, f.SourceID, f.OwnerID, f.Region, string(f.TLP), who.User.ID, now, now).Scan(&f.ID)
	if err != nil {
		return FactCheck{}, err
	}
	return f, participant.Add(ctx, tx, RecordKind, f.ID, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}})
}

// ImportResult says what an import did.
type ImportResult struct {
	Created int     `json:"created"`
	Skipped int     `json:"skipped"` // already imported by this organisation (same source id)
	IDs     []int64 `json:"ids"`
}

// Import stores reviews read by ParseFile, all or none. A review the
// organisation imported before (same source id) is skipped, so importing a
// feed again is harmless. One audit entry records the import.
func (s *Service) Import(ctx context.Context, who auth.Principal, reviews []Review, pl Placement) (ImportResult, error) {
	res := ImportResult{IDs: []int64{}}
	if err := mayWrite(who); err != nil {
		return res, err
	}
	if len(reviews) == 0 {
		return res, problem.Field("file", "no fact-checks in the file")
	}
	reg, tlp, err := pl.check(who)
	if err != nil {
		return res, err
	}
	for i := range reviews {
		if err := validate(&reviews[i], false); err != nil {
			pe := problem.As(err)
			return res, problem.Field("file", "fact-check %d (%s): %s %s", i+1, reviews[i].ID, pe.Field, pe.Message)
		}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, rv := range reviews {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM claims WHERE owner_org_id = ? AND source_id = ?`, who.Org.ID, rv.ID).Scan(&id)
			if err == nil {
				res.Skipped++
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			f, err := insert(ctx, tx, who, rv, reg, tlp)
			if err != nil {
				return err
			}
			res.Created++
			res.IDs = append(res.IDs, f.ID)
		}
		return audit.Record(ctx, tx, who.Actor(), "claim.import", RecordKind, "", map[string]any{
			"created": res.Created, "skipped": res.Skipped, "ids": res.IDs, "region": reg, "tlp": tlp})
	})
	if err != nil {
		return ImportResult{IDs: []int64{}}, fmt.Errorf("import fact-checks: %w", err)
	}
	s.changed()
	return res, nil
}

const columns = `c.id, c.claim, c.title, c.rating, c.url, c.review_date, c.claim_author, c.publisher, c.source_id, o.slug, c.owner_org_id, c.region, c.tlp, c.created_at, c.updated_at`

func scanRow(row store.Scanner) (FactCheck, error) {
	var f FactCheck
	var tlp string
	err := row.Scan(&f.ID, &f.Claim, &f.Title, &f.Rating, &f.URL, &f.Date, &f.ClaimAuthor, &f.Publisher, &f.SourceID, &f.Owner, &f.OwnerID, &f.Region, &tlp, &f.CreatedAt, &f.UpdatedAt)
	f.TLP = policy.TLP(tlp)
	return f, err
}

// Get reads one fact-check; one the principal may not read is not found.
func (s *Service) Get(ctx context.Context, who auth.Principal, id int64) (FactCheck, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "c")
	f, err := scanRow(s.db.QueryRow(ctx, `SELECT `+columns+` FROM claims c JOIN orgs o ON o.id = c.owner_org_id WHERE c.id = ? AND `+vis,
		append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return FactCheck{}, problem.New(problem.NotFound, "no fact-check %d", id)
	}
	return f, err
}

// Filter narrows a list.
type Filter struct {
	Region string
	Rating string
	Query  string // words in the claim or title (LIKE); Service.Search matches instead
	Before int64  // cursor: ids below this
	Limit  int
}

// List returns the fact-checks the principal may read, newest first, up to
// Limit+1 so the caller can tell whether there is more.
func (s *Service) List(ctx context.Context, who auth.Principal, f Filter) ([]FactCheck, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "c")
	where := []string{vis}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "c", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.Rating != "" {
		if !slices.Contains(Ratings, f.Rating) {
			return nil, problem.Field("rating", "must be one of %s", strings.Join(Ratings, ", "))
		}
		where, args = append(where, "c.rating = ?"), append(args, f.Rating)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(q)) + "%"
		where, args = append(where, "(LOWER(c.claim) LIKE ? OR LOWER(c.title) LIKE ?)"), append(args, like, like)
	}
	if f.Before > 0 {
		where, args = append(where, "c.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+columns+` FROM claims c JOIN orgs o ON o.id = c.owner_org_id WHERE `+
		strings.Join(where, " AND ")+` ORDER BY c.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list fact-checks: %w", err)
	}
	return store.Collect(rows, scanRow)
}

// Found is a fact-check a text may repeat, with the matcher's reason.
type Found struct {
	FactCheck
	Score float64     `json:"score"`
	Why   Explanation `json:"why"`
}

// Search matches a text against the fact-checks the principal may read,
// best first: the patrol calls it for every item it reads.
func (s *Service) Search(ctx context.Context, who auth.Principal, text string, k int) ([]Found, error) {
	ms, err := s.Match(ctx, who.Viewer, text, k)
	if err != nil {
		return nil, err
	}
	out := make([]Found, 0, len(ms))
	for _, m := range ms {
		id, _ := strconv.ParseInt(m.ClaimID, 10, 64)
		f, err := s.Get(ctx, who, id)
		if problem.Is(err, problem.NotFound) {
			continue // deleted or re-marked since the index was built
		} else if err != nil {
			return nil, err
		}
		out = append(out, Found{FactCheck: f, Score: m.Score, Why: m.Why})
	}
	return out, nil
}

// Service is the fact-check database and its matcher. The matcher's index
// is built from the store and rebuilt when a write here marks it stale, or
// when the table has changed (another instance wrote) since it was last
// checked, at most every CheckEvery.
type Service struct {
	db         *store.DB
	CheckEvery time.Duration
	// SyncRebuild is the size up to which a stale index is rebuilt before
	// the match that finds it stale; a larger one (seconds of work) is
	// rebuilt in the background while matches use the one before.
	SyncRebuild int

	mu       sync.Mutex
	ix       *Index
	recs     map[string]policy.Record
	stamp    string
	checked  time.Time
	stale    bool
	building bool   // a background rebuild is running
	gen      uint64 // writes seen here, so that one made during a rebuild is not lost
}

// NewService opens the fact-check database on db.
func NewService(db *store.DB) *Service {
	return &Service{db: db, CheckEvery: 5 * time.Second, SyncRebuild: 20_000, stale: true}
}

func (s *Service) changed() {
	s.mu.Lock()
	s.stale = true
	s.gen++
	s.mu.Unlock()
}

// Match returns up to k fact-checks (ClaimID is the fact-check's id) that
// the text may repeat, among those the viewer may read.
func (s *Service) Match(ctx context.Context, v policy.Viewer, text string, k int) ([]Match, error) {
	ix, recs, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	return ix.MatchFilter(text, k, func(id string) bool {
		r, ok := recs[id]
		return ok && policy.CanRead(v, r)
	}), nil
}

func (s *Service) index(ctx context.Context) (*Index, map[string]policy.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stale && s.ix != nil && time.Since(s.checked) < s.CheckEvery {
		return s.ix, s.recs, nil
	}
	var n, maxID int64
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM claims`).Scan(&n, &maxID); err != nil {
		return nil, nil, fmt.Errorf("fact-check index: %w", err)
	}
	stamp := fmt.Sprintf("%d/%d", n, maxID)
	s.checked = time.Now()
	if !s.stale && s.ix != nil && stamp == s.stamp {
		return s.ix, s.recs, nil
	}
	if s.ix != nil && n > int64(s.SyncRebuild) {
		if !s.building {
			s.building = true
			go s.rebuild(stamp, s.gen)
		}
		return s.ix, s.recs, nil
	}
	ix, recs, err := s.build(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.ix, s.recs, s.stamp, s.stale = ix, recs, stamp, false
	return ix, recs, nil
}

func (s *Service) rebuild(stamp string, gen uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ix, recs, err := s.build(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.building = false
	if err != nil {
		return // the next match finds the index stale and tries again
	}
	s.ix, s.recs, s.stamp, s.stale = ix, recs, stamp, s.gen != gen
}

func (s *Service) build(ctx context.Context) (*Index, map[string]policy.Record, error) {
	rows, err := s.db.Query(ctx, `SELECT id, claim, review_date, owner_org_id, region, tlp FROM claims ORDER BY id`)
	if err != nil {
		return nil, nil, fmt.Errorf("fact-check index: %w", err)
	}
	defer rows.Close()
	var claims []Claim
	recs := map[string]policy.Record{}
	for rows.Next() {
		var id, owner int64
		var text, date, reg, tlp string
		if err := rows.Scan(&id, &text, &date, &owner, &reg, &tlp); err != nil {
			return nil, nil, err
		}
		key := strconv.FormatInt(id, 10)
		// review_date is YYYY-MM-DD or empty (validate); an unreadable one
		// leaves the fact-check undated, which only forgoes the date prior.
		day, _ := time.Parse(time.DateOnly, date)
		claims = append(claims, Claim{ID: key, Text: text, Date: day})
		recs[key] = policy.Record{OwnerOrg: owner, Region: reg, TLP: policy.TLP(tlp)}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, part := range []struct {
		table string
		add   func(*policy.Record, int64)
	}{
		{"record_orgs", func(r *policy.Record, id int64) { r.Orgs = append(r.Orgs, id) }},
		{"record_users", func(r *policy.Record, id int64) { r.Users = append(r.Users, id) }},
	} {
		col := "org_id"
		if part.table == "record_users" {
			col = "user_id"
		}
		prow, err := s.db.Query(ctx, `SELECT record_id, `+col+` FROM `+part.table+` WHERE kind = ?`, RecordKind)
		if err != nil {
			return nil, nil, fmt.Errorf("fact-check index: %w", err)
		}
		for prow.Next() {
			var rid, id int64
			if err := prow.Scan(&rid, &id); err != nil {
				prow.Close()
				return nil, nil, err
			}
			key := strconv.FormatInt(rid, 10)
			if r, ok := recs[key]; ok {
				part.add(&r, id)
				recs[key] = r
			}
		}
		prow.Close()
		if err := prow.Err(); err != nil {
			return nil, nil, err
		}
	}
	return NewIndex(claims), recs, nil
}
