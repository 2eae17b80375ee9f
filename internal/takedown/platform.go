// Package takedown keeps the task force's line to the platforms: the
// registry of platforms and providers (their channels, the domains and URL
// patterns that are theirs, their liaisons) and the takedown requests
// addressed to them, from a draft through a second person's approval and
// sending to the platform's answer per URL, each with its deadline.
//
// Requests are shared records under internal/policy (owner the issuing
// agency, AMBER by default); a platform's own people (users of the
// platform's organisation) see only the requests sent to their platform,
// never a draft and never the agencies' internal notes. Every change is
// audited. It never fetches a URL or blocks a domain: checks go through
// package fetch, blocking through package rpz.
package takedown

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Kinds of platform.
var Kinds = []string{"social", "messaging", "video", "forum", "hosting", "registrar"}

// Contact is a platform's liaison contact.
type Contact struct {
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Domain is a host suffix, and optionally a path prefix under it, that
// belongs to a platform.
type Domain struct {
	Domain     string `json:"domain"`
	PathPrefix string `json:"path_prefix,omitempty"`
}

// Platform is a platform or provider requests are addressed to.
type Platform struct {
	ID         int64     `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	OrgID      int64     `json:"org_id,omitempty"` // the platform's organisation in Garda (its liaisons)
	Email      string    `json:"email,omitempty"`
	WebFormURL string    `json:"web_form_url,omitempty"`
	APIURL     string    `json:"api_url,omitempty"`
	Contacts   []Contact `json:"contacts"`
	Domains    []Domain  `json:"domains"`
	// RemovalText is what the platform's page says once content is taken
	// down; Garda's checks read it as "removed".
	RemovalText string    `json:"removal_text,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Channels lists the ways a request can reach the platform.
func (p Platform) Channels() []string {
	var out []string
	if p.Email != "" {
		out = append(out, ChannelEmail)
	}
	if p.WebFormURL != "" {
		out = append(out, ChannelWebForm)
	}
	if p.APIURL != "" {
		out = append(out, ChannelAPI)
	}
	return out
}

// NewPlatform describes a platform to register. Org is the slug of the
// platform's organisation in Garda ("" for none yet).
type NewPlatform struct {
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Org        string    `json:"org,omitempty"`
	Email      string    `json:"email,omitempty"`
	WebFormURL string    `json:"web_form_url,omitempty"`
	APIURL     string    `json:"api_url,omitempty"`
	Contacts   []Contact `json:"contacts,omitempty"`
	Domains    []Domain  `json:"domains"`
	// APISecret signs what Garda posts to APIURL (never shown again).
	APISecret   string `json:"api_secret,omitempty"`
	RemovalText string `json:"removal_text,omitempty"`
}

var (
	slugPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)
	domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
)

// validate checks and normalises n; every field is checked before anything
// is stored.
func (n *NewPlatform) validate() error {
	n.Slug, n.Name = strings.TrimSpace(n.Slug), strings.TrimSpace(n.Name)
	switch {
	case !slugPattern.MatchString(n.Slug):
		return problem.Field("slug", "must be 1-64 lower-case letters, digits and dashes, starting with a letter")
	case n.Name == "" || len(n.Name) > 200:
		return problem.Field("name", "is required (at most 200 characters)")
	case !slices.Contains(Kinds, n.Kind):
		return problem.Field("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	if n.Email != "" {
		if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
			return problem.Field("email", "%q is not an e-mail address", n.Email)
		}
	}
	for _, f := range []struct{ name, v string }{{"web_form_url", n.WebFormURL}, {"api_url", n.APIURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return problem.Field(f.name, "%q is not an http(s) URL", f.v)
		}
	}
	if n.APIURL != "" && n.APISecret != "" && (len(n.APISecret) < 16 || len(n.APISecret) > 200) {
		return problem.Field("api_secret", "must be 16 to 200 characters")
	}
	if n.RemovalText = strings.TrimSpace(n.RemovalText); len(n.RemovalText) > 500 {
		return problem.Field("removal_text", "at most 500 characters")
	}
	if n.Email == "" && n.WebFormURL == "" && n.APIURL == "" {
		return problem.Field("email", "give at least one channel: an e-mail address, a web form URL or an API URL")
	}
	if len(n.Domains) == 0 {
		return problem.Field("domains", "give at least one domain, so that URLs find the platform")
	}
	seen := map[Domain]bool{}
	for i := range n.Domains {
		d := &n.Domains[i]
		d.Domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d.Domain)), ".")
		d.PathPrefix = strings.TrimSpace(d.PathPrefix)
		if !domainPattern.MatchString(d.Domain) {
			return problem.Field("domains", "%q is not a domain name", d.Domain)
		}
		if d.PathPrefix != "" && (!strings.HasPrefix(d.PathPrefix, "/") || strings.ContainsAny(d.PathPrefix, "?# ")) {
			return problem.Field("domains", "path prefix %q must start with / and hold no query", d.PathPrefix)
		}
		if seen[*d] {
			return problem.Field("domains", "%s%s is given twice", d.Domain, d.PathPrefix)
		}
		seen[*d] = true
	}
	for _, c := range n.Contacts {
		if strings.TrimSpace(c.Name) == "" {
			return problem.Field("contacts", "a contact needs a name")
		}
		if c.Email != "" {
			if _, err := mail.ParseAddress(c.Email); err != nil {
				return problem.Field("contacts", "%q is not an e-mail address", c.Email)
			}
		}
	}
	return nil
}

// CreatePlatform registers a platform: a national setting (every agency
// addresses the same platforms), so only a national administrator does it,
// audited. A domain another platform already holds is refused.
func CreatePlatform(ctx context.Context, db *store.DB, who auth.Principal, n NewPlatform) (Platform, error) {
	if !policy.ManagesNational(who.Viewer) {
		return Platform{}, problem.New(problem.Forbidden, "the platform registry is a national setting: only a national administrator changes it")
	}
	return createPlatform(ctx, db, who.Actor(), n)
}

// createPlatform stores a checked platform; the demo seeder calls it as the
// system.
func createPlatform(ctx context.Context, db *store.DB, actor audit.Actor, n NewPlatform) (Platform, error) {
	if err := n.validate(); err != nil {
		return Platform{}, err
	}
	var p Platform
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var orgID any
		if n.Org != "" {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, n.Org).Scan(&id)
			if errors.Is(err, store.ErrNotFound) {
				return problem.Field("org", "no organisation %q", n.Org)
			} else if err != nil {
				return err
			}
			orgID, p.OrgID = id, id
		}
		if n.Contacts == nil {
			n.Contacts = []Contact{}
		}
		contacts, _ := json.Marshal(n.Contacts)
		now := store.Now()
		err := tx.QueryRow(ctx, `INSERT INTO takedown_platforms (slug, name, kind, org_id, email, web_form_url, api_url, contacts, api_secret, removal_text, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Slug, n.Name, n.Kind, orgID, n.Email, n.WebFormURL, n.APIURL, string(contacts), n.APISecret, n.RemovalText, now, now).Scan(&p.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.Field("slug", "%q is taken, or organisation %q already speaks for another platform", n.Slug, n.Org)
		} else if err != nil {
			return fmt.Errorf("create platform: %w", err)
		}
		for _, d := range n.Domains {
			_, err := tx.Exec(ctx, `INSERT INTO takedown_platform_domains (platform_id, domain, path_prefix) VALUES (?, ?, ?)`, p.ID, d.Domain, d.PathPrefix)
			if errors.Is(err, store.ErrConflict) {
				return problem.Field("domains", "%s%s already belongs to another platform", d.Domain, d.PathPrefix)
			} else if err != nil {
				return fmt.Errorf("create platform domain: %w", err)
			}
		}
		p.Slug, p.Name, p.Kind, p.Email, p.WebFormURL, p.APIURL, p.Contacts, p.Domains, p.RemovalText, p.CreatedAt =
			n.Slug, n.Name, n.Kind, n.Email, n.WebFormURL, n.APIURL, n.Contacts, n.Domains, n.RemovalText, now
		logged := n
		if logged.APISecret != "" {
			logged.APISecret = "(set)"
		}
		return audit.Record(ctx, tx, actor, "takedown.platform.create", "takedown_platform", p.ID, logged)
	})
	return p, err
}

// Platforms lists the registry by name. The registry is no secret: every
// signed-in user reads it (the patrol needs it to file requests, a liaison
// to see how its platform is reached).
func Platforms(ctx context.Context, q store.Querier) ([]Platform, error) {
	rows, err := q.Query(ctx, `SELECT id, slug, name, kind, COALESCE(org_id, 0), email, web_form_url, api_url, contacts, removal_text, created_at FROM takedown_platforms ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list platforms: %w", err)
	}
	list, err := store.Collect(rows, scanPlatform)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*Platform{}
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	rows, err = q.Query(ctx, `SELECT platform_id, domain, path_prefix FROM takedown_platform_domains ORDER BY domain, path_prefix`)
	if err != nil {
		return nil, fmt.Errorf("list platform domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d Domain
		if err := rows.Scan(&id, &d.Domain, &d.PathPrefix); err != nil {
			return nil, err
		}
		if p := byID[id]; p != nil {
			p.Domains = append(p.Domains, d)
		}
	}
	return list, rows.Err()
}

func scanPlatform(r store.Scanner) (Platform, error) {
	var p Platform
	var contacts string
	if err := r.Scan(&p.ID, &p.Slug, &p.Name, &p.Kind, &p.OrgID, &p.Email, &p.WebFormURL, &p.APIURL, &contacts, &p.RemovalText, &p.CreatedAt); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(contacts), &p.Contacts); err != nil || p.Contacts == nil {
		p.Contacts = []Contact{}
	}
	p.Domains = []Domain{}
	return p, nil
}

// Registry is the platforms with their domains, loaded once to place many
// URLs.
type Registry struct {
	platforms []Platform
	byID      map[int64]int
	bySlug    map[string]int
	entries   []entry // longest domain first, then longest path prefix
}

type entry struct {
	Domain
	platform int // index in platforms
}

// LoadRegistry reads the registry.
func LoadRegistry(ctx context.Context, q store.Querier) (*Registry, error) {
	list, err := Platforms(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewRegistry(list), nil
}

// NewRegistry builds a registry from platforms.
func NewRegistry(list []Platform) *Registry {
	r := &Registry{platforms: list, byID: map[int64]int{}, bySlug: map[string]int{}}
	for i, p := range list {
		r.byID[p.ID], r.bySlug[p.Slug] = i, i
		for _, d := range p.Domains {
			r.entries = append(r.entries, entry{d, i})
		}
	}
	sort.SliceStable(r.entries, func(i, j int) bool {
		a, b := r.entries[i], r.entries[j]
		if len(a.Domain.Domain) != len(b.Domain.Domain) {
			return len(a.Domain.Domain) > len(b.Domain.Domain)
		}
		return len(a.PathPrefix) > len(b.PathPrefix)
	})
	return r
}

// All lists the platforms.
func (r *Registry) All() []Platform { return slices.Clone(r.platforms) }

// ByID finds a platform by id.
func (r *Registry) ByID(id int64) (Platform, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Platform{}, false
	}
	return r.platforms[i], true
}

// BySlug finds a platform by slug.
func (r *Registry) BySlug(slug string) (Platform, bool) {
	i, ok := r.bySlug[slug]
	if !ok {
		return Platform{}, false
	}
	return r.platforms[i], true
}

// ByOrg finds the platform an organisation speaks for.
func (r *Registry) ByOrg(orgID int64) (Platform, bool) {
	for _, p := range r.platforms {
		if orgID > 0 && p.OrgID == orgID {
			return p, true
		}
	}
	return Platform{}, false
}

// PlatformOf finds the platform a URL belongs to by itself: the entry with
// the longest host suffix matching the URL's host (on a label boundary:
// fb.com matches m.fb.com, not notfb.com), and among those the longest
// path prefix matching its path (an entry without one matches any path).
// A malformed URL is an error; a URL of no known platform is (Platform{},
// false, nil): the caller must ask for the platform, never guess.
func (r *Registry) PlatformOf(raw string) (Platform, bool, error) {
	u, err := ParseURL(raw)
	if err != nil {
		return Platform{}, false, err
	}
	host := u.Hostname()
	for _, e := range r.entries {
		if host != e.Domain.Domain && !strings.HasSuffix(host, "."+e.Domain.Domain) {
			continue
		}
		if e.PathPrefix != "" && !pathUnder(u.EscapedPath(), e.PathPrefix) {
			continue
		}
		return r.platforms[e.platform], true, nil
	}
	return Platform{}, false, nil
}

// pathUnder reports whether path lies under prefix, on a segment boundary
// when the prefix does not end in "/".
func pathUnder(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return strings.HasSuffix(prefix, "/") || len(path) == len(prefix) || path[len(prefix)] == '/'
}

// PlatformOf finds the platform of a URL from the stored registry; see
// Registry.PlatformOf.
func PlatformOf(ctx context.Context, q store.Querier, raw string) (Platform, bool, error) {
	r, err := LoadRegistry(ctx, q)
	if err != nil {
		return Platform{}, false, err
	}
	return r.PlatformOf(raw)
}

// maxURL bounds a URL's length.
const maxURL = 2048

// ParseURL checks that raw is an absolute http(s) URL with a host, and
// returns it normalised: scheme and host in lower case, no fragment, no
// default port. Two URLs equal after it are the same URL.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, problem.Field("urls", "a URL is empty")
	}
	if len(raw) > maxURL {
		return nil, problem.Field("urls", "a URL is longer than %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, problem.Field("urls", "%q is not an http(s) URL with a host", raw)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" || strings.ContainsAny(host, " _") {
		return nil, problem.Field("urls", "%q has no valid host", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	u.Host = host
	if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	if port != "" {
		u.Host += ":" + port
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}
