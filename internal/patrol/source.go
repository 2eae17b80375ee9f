package patrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// SourceType is how a source yields items.
type SourceType string

const (
	Feed    SourceType = "feed"    // RSS or Atom
	Sitemap SourceType = "sitemap" // sitemap.xml (or a sitemap index)
	Crawl   SourceType = "crawl"   // a site crawled from its URL
	Import  SourceType = "import"  // platform exports uploaded by hand
	Form    SourceType = "form"    // the public report form "Aduan Konten"
	API     SourceType = "api"     // POST /api/v1/patrol/items
	// Lookalike watches for impostors of KPU's domains: its URL field lists
	// the domains (empty: every hostname in the asset inventory).
	Lookalike SourceType = "lookalike"
)

// SourceTypes lists the types in the order the add form offers them.
var SourceTypes = []SourceType{Feed, Sitemap, Crawl, Lookalike, Import, Form, API}

// Valid reports whether t is a known type.
func (t SourceType) Valid() bool { return slices.Contains(SourceTypes, t) }

// Fetched reports whether a source of this type is pulled on a timetable.
func (t SourceType) Fetched() bool { return t == Feed || t == Sitemap || t == Crawl || t == Lookalike }

// CrawlConfig bounds a crawl (and a sitemap's pages).
type CrawlConfig struct {
	MaxDepth int      `json:"max_depth,omitempty"` // links followed from the start URL (default 2)
	MaxPages int      `json:"max_pages,omitempty"` // pages per run (default 500)
	Hosts    []string `json:"hosts,omitempty"`     // hosts a crawl may enter besides the start URL's
	RPS      float64  `json:"rps,omitempty"`       // requests per second per host (default 2)
}

// Source is one thing the patrol watches.
type Source struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Type       SourceType  `json:"type"`
	URL        string      `json:"url,omitempty"`
	Crawl      CrawlConfig `json:"crawl"`
	Platform   string      `json:"platform,omitempty"`
	Every      int         `json:"every_minutes"` // 0: not on a timetable
	Enabled    bool        `json:"enabled"`
	TLP        policy.TLP  `json:"tlp"`
	Region     string      `json:"region"`
	Owner      string      `json:"owner"`
	OwnerID    int64       `json:"-"`
	LastRunAt  *time.Time  `json:"last_run_at,omitempty"`
	LastOKAt   *time.Time  `json:"last_ok_at,omitempty"`
	LastError  string      `json:"last_error,omitempty"`
	LastItems  int         `json:"last_items"`
	Runs       int         `json:"runs"`
	Failures   int         `json:"failures"`
	ItemsFound int64       `json:"items_found"`
	CreatedBy  string      `json:"created_by,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Healthy reports whether the last run worked.
func (s Source) Healthy() bool { return s.LastError == "" }

// Due reports whether a source on a timetable should run at now.
func (s Source) Due(now time.Time) bool {
	if !s.Enabled || s.Every <= 0 || !s.Type.Fetched() {
		return false
	}
	return s.LastRunAt == nil || !s.LastRunAt.Add(time.Duration(s.Every)*time.Minute).After(now)
}

// Owner is how the source's items are owned.
func (s Source) ItemOwner() Owner {
	return Owner{OrgID: s.OwnerID, Region: s.Region, TLP: s.TLP, SourceID: s.ID}
}

const sourceColumns = `s.id, s.name, s.kind, s.url, s.config, s.platform, s.every_minutes, s.enabled, s.tlp, s.region, o.slug, s.owner_org_id,
	s.last_run_at, s.last_ok_at, s.last_error, s.last_items, s.runs, s.failures, s.items_found, s.created_by, s.created_at, s.updated_at`

const sourceFrom = ` FROM patrol_sources s JOIN orgs o ON o.id = s.owner_org_id`

func scanSource(row store.Scanner) (Source, error) {
	var s Source
	var kind, config, tlp string
	var enabled int
	if err := row.Scan(&s.ID, &s.Name, &kind, &s.URL, &config, &s.Platform, &s.Every, &enabled, &tlp, &s.Region, &s.Owner, &s.OwnerID,
		&s.LastRunAt, &s.LastOKAt, &s.LastError, &s.LastItems, &s.Runs, &s.Failures, &s.ItemsFound, &s.CreatedBy, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return Source{}, err
	}
	s.Type, s.TLP, s.Enabled = SourceType(kind), policy.TLP(tlp), enabled != 0
	if err := json.Unmarshal([]byte(config), &s.Crawl); err != nil {
		return Source{}, fmt.Errorf("patrol source %d: stored config is corrupt: %w", s.ID, err)
	}
	return s, nil
}

// GetSource reads one source; one the principal may not read is not found.
func GetSource(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Source, error) {
	vis, args := policy.ReadFilter(who.Viewer, SourceKind, "s")
	s, err := scanSource(q.QueryRow(ctx, `SELECT `+sourceColumns+sourceFrom+` WHERE s.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Source{}, problem.New(problem.NotFound, "no patrol source %d", id)
	}
	return s, err
}

// SystemSource reads a source for the platform itself (the runners).
func SystemSource(ctx context.Context, q store.Querier, id int64) (Source, error) {
	s, err := scanSource(q.QueryRow(ctx, `SELECT `+sourceColumns+sourceFrom+` WHERE s.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Source{}, problem.New(problem.NotFound, "no patrol source %d", id)
	}
	return s, err
}

// ListSources returns the sources the principal may read, by name.
func ListSources(ctx context.Context, q store.Querier, who auth.Principal) ([]Source, error) {
	vis, args := policy.ReadFilter(who.Viewer, SourceKind, "s")
	rows, err := q.Query(ctx, `SELECT `+sourceColumns+sourceFrom+` WHERE `+vis+` ORDER BY s.name, s.id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list patrol sources: %w", err)
	}
	return store.Collect(rows, scanSource)
}

// DueSources lists, for the scheduler, the enabled sources on a timetable
// that are due at now.
func DueSources(ctx context.Context, q store.Querier, now time.Time) ([]Source, error) {
	rows, err := q.Query(ctx, `SELECT `+sourceColumns+sourceFrom+` WHERE s.enabled = 1 AND s.every_minutes > 0 AND s.kind IN (?, ?, ?, ?) ORDER BY s.id`,
		string(Feed), string(Sitemap), string(Crawl), string(Lookalike))
	if err != nil {
		return nil, fmt.Errorf("due patrol sources: %w", err)
	}
	all, err := store.Collect(rows, scanSource)
	var due []Source
	for _, s := range all {
		if s.Due(now) {
			due = append(due, s)
		}
	}
	return due, err
}

// SourceInput creates a source.
type SourceInput struct {
	Name     string      `json:"name"`
	Type     SourceType  `json:"type"`
	URL      string      `json:"url"`
	Platform string      `json:"platform"`
	Every    int         `json:"every_minutes"`
	Crawl    CrawlConfig `json:"crawl"`
	TLP      policy.TLP  `json:"tlp"`
	Region   string      `json:"region"`
}

// Check validates an input and fills its defaults; nothing is stored.
func (in *SourceInput) Check(who auth.Principal) error {
	in.Name = cleanLine(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return problem.Field("name", "a name of 1 to 200 characters")
	}
	if !in.Type.Valid() {
		var names []string
		for _, t := range SourceTypes {
			names = append(names, string(t))
		}
		return problem.Field("type", "must be one of %s", strings.Join(names, ", "))
	}
	in.URL = strings.TrimSpace(in.URL)
	if in.Type == Lookalike {
		domains, err := LookalikeDomains(in.URL)
		if err != nil {
			return problem.Field("url", "%v", err)
		}
		in.URL = strings.Join(domains, " ")
	} else if in.Type.Fetched() {
		u, err := url.Parse(in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > MaxURL {
			return problem.Field("url", "a %s source needs an absolute http or https URL", in.Type)
		}
	}
	if in.Type.Fetched() {
		if in.Every == 0 {
			in.Every = 60
		}
		if in.Every < 1 || in.Every > 7*24*60 {
			return problem.Field("every_minutes", "from 1 minute to a week (10080)")
		}
	} else {
		in.URL, in.Every = "", 0
	}
	c := &in.Crawl
	if c.MaxDepth < 0 || c.MaxDepth > 10 {
		return problem.Field("crawl.max_depth", "from 0 to 10")
	}
	if c.MaxPages < 0 || c.MaxPages > 1_000_000 {
		return problem.Field("crawl.max_pages", "from 0 to 1,000,000")
	}
	if c.RPS < 0 || c.RPS > 50 {
		return problem.Field("crawl.rps", "from 0 to 50 requests per second per host")
	}
	if len(c.Hosts) > 50 {
		return problem.Field("crawl.hosts", "at most 50 hosts")
	}
	if in.Platform != "" {
		in.Platform = PlatformOf(in.Platform, "")
	}
	if in.TLP == "" {
		in.TLP = policy.Amber
	}
	if !in.TLP.Valid() {
		return problem.Field("tlp", "unknown TLP %q", in.TLP)
	}
	if in.Region == "" {
		in.Region = who.Viewer.Scope
	}
	if !region.Valid(in.Region) && in.Region != "" {
		return problem.Field("region", "unknown region code %q", in.Region)
	}
	if !region.Contains(who.Viewer.Scope, in.Region) {
		return problem.Field("region", "region %q lies outside your scope", in.Region)
	}
	return nil
}

// CreateSource adds a source owned by the principal's organisation.
func CreateSource(ctx context.Context, db *store.DB, who auth.Principal, in SourceInput) (Source, error) {
	if !who.Can(policy.Ingest) {
		return Source{}, problem.New(problem.Forbidden, "your role (%s) may not add patrol sources", who.User.Role)
	}
	if err := in.Check(who); err != nil {
		return Source{}, err
	}
	config, _ := json.Marshal(in.Crawl)
	now := store.Now()
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO patrol_sources (name, kind, url, config, platform, every_minutes, enabled, tlp, region, owner_org_id, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Name, string(in.Type), in.URL, string(config), in.Platform, in.Every, string(in.TLP), in.Region, who.Org.ID, who.User.Username, now, now).Scan(&id); err != nil {
			return fmt.Errorf("patrol: add source: %w", err)
		}
		if err := participant.Add(ctx, tx, SourceKind, id, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.source.create", SourceKind, id, in)
	})
	if err != nil {
		return Source{}, err
	}
	return GetSource(ctx, db, who, id)
}

// SetSourceEnabled pauses or resumes a source.
func SetSourceEnabled(ctx context.Context, db *store.DB, who auth.Principal, id int64, on bool) (Source, error) {
	s, err := GetSource(ctx, db, who, id)
	if err != nil {
		return Source{}, err
	}
	if !who.Can(policy.Ingest) || !policy.CanCase(who.Viewer, policy.Record{OwnerOrg: s.OwnerID, Region: s.Region, TLP: s.TLP, Orgs: []int64{s.OwnerID}}, policy.CaseTriage) {
		return Source{}, problem.New(problem.Forbidden, "your role (%s) may not change this source", who.User.Role)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE patrol_sources SET enabled = ?, updated_at = ? WHERE id = ?`, boolInt(on), store.Now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "patrol.source.enable", SourceKind, id, map[string]any{"enabled": on})
	})
	if err != nil {
		return Source{}, err
	}
	return GetSource(ctx, db, who, id)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RecordRun writes a run's outcome into the source's health: when, how
// many items, and the error in words (or none). It is the platform's
// write (the scheduler's), audited as the system.
func RecordRun(ctx context.Context, db *store.DB, id int64, at time.Time, items int, runErr error) error {
	msg := ""
	if runErr != nil {
		msg = clip(runErr.Error(), 1000)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		q := `UPDATE patrol_sources SET last_run_at = ?, last_error = ?, last_items = ?, runs = runs + 1, updated_at = ?`
		args := []any{at, msg, items, at}
		if runErr == nil {
			q += `, last_ok_at = ?`
			args = append(args, at)
		} else {
			q += `, failures = failures + 1`
		}
		if _, err := tx.Exec(ctx, q+` WHERE id = ?`, append(args, id)...); err != nil {
			return fmt.Errorf("patrol source %d health: %w", id, err)
		}
		return audit.Record(ctx, tx, audit.System, "patrol.source.run", SourceKind, id, map[string]any{"items": items, "error": msg})
	})
}

// ParseID reads a record id from a path.
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// LookalikeDomains reads a lookalike source's domains: names separated by
// spaces or commas, each a hostname (a URL's host is taken from it). None
// means the asset inventory's hostnames.
func LookalikeDomains(list string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		name := strings.ToLower(strings.TrimSuffix(f, "."))
		if u, err := url.Parse(name); err == nil && u.Host != "" {
			name = u.Hostname()
		}
		if !validHostname(name) {
			return nil, fmt.Errorf("%q is not a domain name", clip(f, 100))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) > 100 {
		return nil, fmt.Errorf("at most 100 domains (each gives some 2,000 lookalikes to resolve)")
	}
	return out, nil
}

// validHostname: letters, digits and hyphens in dot-separated labels of 1
// to 63 bytes, at least two labels, 253 bytes in all.
func validHostname(h string) bool {
	if len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
