// Package taxii is Garda's TAXII 2.1 server and client (OASIS TAXII 2.1,
// sections 4 and 5): the server serves the platform's indicators to
// partners' tools through the visibility rules of internal/policy (RED only
// to the named users, AMBER as the rules allow), takes bundles in with a
// status resource per POST, and the client pulls partners' collections on a
// schedule with added_after bookmarks.
//
// Every object served is one the asking user may read (intel.Feed:
// indicators rebuilt by internal/intel, their sightings, attack patterns
// and "indicates" relationships, the objects imports kept, the identities
// of the organisations involved, the TLP 2.0 marking definitions); the date
// an object was added to a collection is its row's last change (a
// revocation is a new version, so pollers with added_after see it).
package taxii

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Media types of TAXII 2.1 and STIX 2.1.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// Defaults of the server.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// MaxContent is the largest POST body (the API root's max_content_length).
	MaxContent = intel.MaxBundle
)

// Community is a sharing community: one TAXII API root.
type Community struct {
	Slug        string // the API root's path segment
	Title       string
	Description string
}

// DefaultCommunities is the task force's one community.
var DefaultCommunities = []Community{{
	Slug:        "nasional",
	Title:       "Gugus tugas nasional",
	Description: "Indikator gugus tugas keamanan siber pemilu: setiap pembaca melihat yang diizinkan aturan visibilitas Garda (TLP).",
}}

// Trees gives the organisation tree (org.Cache does).
type Trees interface {
	Tree(ctx context.Context) (*org.Tree, error)
}

// Server answers TAXII 2.1 under /taxii2/.
type Server struct {
	DB          *store.DB
	Orgs        Trees
	Log         *slog.Logger
	Communities []Community // empty: DefaultCommunities
}

// Patterns are the routes the server answers, as OpenAPI paths.
var Patterns = []string{
	"GET /taxii2/",
	"GET /taxii2/{api_root}/",
	"GET /taxii2/{api_root}/status/{status_id}/",
	"GET /taxii2/{api_root}/collections/",
	"GET /taxii2/{api_root}/collections/{collection_id}/",
	"GET /taxii2/{api_root}/collections/{collection_id}/objects/",
	"POST /taxii2/{api_root}/collections/{collection_id}/objects/",
	"GET /taxii2/{api_root}/collections/{collection_id}/objects/{object_id}/",
	"GET /taxii2/{api_root}/collections/{collection_id}/objects/{object_id}/versions/",
	"GET /taxii2/{api_root}/collections/{collection_id}/manifest/",
}

// Handler is the TAXII surface; mount it at /taxii2/.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	m := http.NewServeMux()
	handlers := []func(http.ResponseWriter, *http.Request, *auth.Principal) error{
		s.discovery, s.apiRoot, s.status, s.collections, s.collection, s.getObjects, s.addObjects, s.getObject, s.versions, s.manifest,
	}
	for i, p := range Patterns {
		// With and without the trailing slash: OASIS's client asks for a
		// status resource without one.
		h := s.wrap(handlers[i])
		m.Handle(strings.TrimSuffix(p, "/")+"/{$}", h)
		m.Handle(strings.TrimSuffix(p, "/"), h)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not found", "no TAXII resource "+r.Method+" "+r.URL.Path)
	})
	return m
}

// taxiiError is the TAXII 2.1 error message (section 3.6.1).
type taxiiError struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaTAXII)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, title, desc string) {
	writeJSON(w, status, taxiiError{Title: title, Description: desc, HTTPStatus: strconv.Itoa(status)})
}

// acceptable reports whether an Accept header asks for TAXII 2.1 JSON.
func acceptable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "application/taxii+json" {
			continue
		}
		if v, ok := params["version"]; !ok || v == "2.1" {
			return true
		}
	}
	return false
}

func (s *Server) wrap(h func(http.ResponseWriter, *http.Request, *auth.Principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptable(r.Header.Get("Accept")) {
			writeError(w, http.StatusNotAcceptable, "Not acceptable", "send Accept: "+MediaTAXII)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="garda-taxii", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "Unauthorized", err.Error())
			return
		}
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if pe := problem.As(err); pe != nil {
		status := pe.Status()
		writeError(w, status, http.StatusText(status), pe.Message)
		return
	}
	s.Log.Error("taxii", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "Internal error", "the server could not answer; the error is in its log")
}

// authenticate accepts a Garda API token as Bearer, or as the password of
// HTTP Basic (most TAXII clients only do Basic); a Basic user name, when
// given, must be the token's user.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	h := r.Header.Get("Authorization")
	var token, username string
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		token = strings.TrimSpace(t)
	} else if u, p, ok := r.BasicAuth(); ok {
		token, username = p, u
	} else {
		return nil, errors.New("send a Garda API token: Authorization: Bearer <token>, or HTTP Basic with the token as password")
	}
	u, err := auth.TokenUser(r.Context(), s.DB, token)
	if err != nil {
		return nil, errors.New("the token is unknown, expired or revoked")
	}
	if username != "" && username != u.Username {
		return nil, errors.New("the token is not this user's")
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return nil, err
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *Server) communities() []Community {
	if len(s.Communities) > 0 {
		return s.Communities
	}
	return DefaultCommunities
}

func (s *Server) community(r *http.Request) (Community, error) {
	root := r.PathValue("api_root")
	for _, c := range s.communities() {
		if c.Slug == root {
			return c, nil
		}
	}
	return Community{}, problem.New(problem.NotFound, "no API root %q", root)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	var roots []string
	for _, c := range s.communities() {
		roots = append(roots, baseURL(r)+"/taxii2/"+c.Slug+"/")
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"title":       "Garda TAXII 2.1",
		"description": "Intelijen ancaman gugus tugas keamanan siber pemilu (STIX 2.1), satu API root per komunitas berbagi.",
		"contact":     "CSIRT gugus tugas",
		"default":     roots[0],
		"api_roots":   roots,
	})
	return nil
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	c, err := s.community(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"title": c.Title, "description": c.Description, "versions": []string{MediaTAXII}, "max_content_length": MaxContent,
	})
	return nil
}

// Collection is a TAXII collection: the indicators of one TLP label, or
// those one organisation owns; each reader sees in it only what the
// visibility rules let them read.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`

	tlp   policy.TLP // a TLP collection's label
	owner int64      // an organisation's collection
}

// CollectionID is the id of a collection of an API root: a UUIDv5 of the
// root and the collection's alias, so it is the same on every instance.
func CollectionID(root, alias string) string { return uuid5("garda-taxii:" + root + ":" + alias) }

// tlpAlias is a TLP collection's alias: tlp-amber, tlp-amber-strict, ...
func tlpAlias(t policy.TLP) string {
	return "tlp-" + strings.ReplaceAll(strings.ToLower(string(t)), "+", "-")
}

// TLPCollectionID is the id of the collection of one TLP label.
func TLPCollectionID(root string, t policy.TLP) string { return CollectionID(root, tlpAlias(t)) }

// collectionsFor lists the collections p sees: one per TLP label and the
// one of p's organisation.
func collectionsFor(root string, p *auth.Principal) []Collection {
	var out []Collection
	write := p.Can(policy.Investigate)
	for _, t := range policy.TLPs() {
		a := tlpAlias(t)
		out = append(out, Collection{ID: CollectionID(root, a), Alias: a, Title: "TLP:" + string(t),
			Description: "Objek STIX berlabel TLP:" + string(t) + " yang boleh Anda baca: indikator, penampakan, laporan, relasi, identitas, dan lainnya.",
			CanRead:     true, CanWrite: write, MediaTypes: []string{MediaSTIX}, tlp: t})
	}
	out = append(out, orgCollection(root, p.Org, p))
	return out
}

func orgCollection(root string, o org.Org, p *auth.Principal) Collection {
	a := "org-" + o.Slug
	return Collection{ID: CollectionID(root, a), Alias: a, Title: o.Name,
		Description: "Objek STIX milik " + o.Name + " yang boleh Anda baca: indikator, penampakan, laporan, relasi, dan lainnya.",
		CanRead:     true, CanWrite: p.Org.ID == o.ID && p.Can(policy.Investigate), MediaTypes: []string{MediaSTIX}, owner: o.ID}
}

func (s *Server) findCollection(r *http.Request, p *auth.Principal) (Community, Collection, error) {
	c, err := s.community(r)
	if err != nil {
		return c, Collection{}, err
	}
	id := r.PathValue("collection_id")
	for _, col := range collectionsFor(c.Slug, p) {
		if col.ID == id {
			return c, col, nil
		}
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return c, Collection{}, err
	}
	for _, o := range tree.All() {
		if CollectionID(c.Slug, "org-"+o.Slug) == id {
			return c, orgCollection(c.Slug, o, p), nil
		}
	}
	return c, Collection{}, problem.New(problem.NotFound, "no collection %q in API root %s", id, c.Slug)
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.community(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": collectionsFor(c.Slug, p)})
	return nil
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	_, col, err := s.findCollection(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, col)
	return nil
}

// Timestamps: date_added carries microseconds (the store's precision), so
// an added_after taken from X-TAXII-Date-Added-Last never repeats or skips.
func addedStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, problem.Field(name, "%q is not an RFC 3339 timestamp", v)
	}
	return t.UTC(), nil
}

// query is a parsed objects or manifest request.
type query struct {
	f    intel.FeedFilter
	keep func(intel.FeedItem) bool // match[version] mixing keywords and timestamps (nil: all of f.Versions)
	none bool                      // a match filter nothing Garda serves can satisfy
}

func splitParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func parseQuery(r *http.Request, col Collection) (query, error) {
	var q query
	v := r.URL.Query()
	if s := v.Get("added_after"); s != "" {
		t, err := parseTime("added_after", s)
		if err != nil {
			return q, err
		}
		q.f.After = t
	}
	q.f.Limit = DefaultLimit
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, problem.Field("limit", "must be a positive number")
		}
		q.f.Limit = min(n, MaxLimit)
	}
	if s := v.Get("next"); s != "" {
		pos, ok := intel.ParseFeedPos(s)
		if !ok {
			return q, problem.Field("next", "not a page of this server")
		}
		q.f.From = &pos
	}
	if col.tlp != "" {
		q.f.TLP = []policy.TLP{col.tlp}
	}
	q.f.Owner = col.owner
	q.f.IDs = splitParam(r, "match[id]")
	if len(q.f.IDs) > 100 {
		return q, problem.Field("match[id]", "at most 100 ids")
	}
	q.f.Types = splitParam(r, "match[type]")
	if len(q.f.Types) > 100 {
		return q, problem.Field("match[type]", "at most 100 types")
	}
	if sv := splitParam(r, "match[spec_version]"); len(sv) > 0 && !contains(sv, intel.SpecVersion) {
		q.none = true
	}
	// match[version]: last (the default), first, all, or versions by
	// their timestamps, any of them together.
	var first, last, all bool
	var stamps []string
	toks := splitParam(r, "match[version]")
	for _, ver := range toks {
		switch ver {
		case intel.VersionLast:
			last = true
		case intel.VersionFirst:
			first = true
		case intel.VersionAll:
			all = true
		default:
			if _, err := parseTime("match[version]", ver); err != nil {
				return q, err
			}
			stamps = append(stamps, ver)
		}
	}
	switch {
	case len(toks) == 0 || (last && !first && !all && len(stamps) == 0):
		q.f.Versions = intel.VersionLast
	case all:
		q.f.Versions = intel.VersionAll
	case first && !last && len(stamps) == 0:
		q.f.Versions = intel.VersionFirst
	default:
		q.f.Versions = intel.VersionAll
		q.keep = func(i intel.FeedItem) bool {
			return first && i.First || last && i.Last || versionIn(i.Version, stamps)
		}
	}
	return q, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// page is one page of the collection for the reader: every kept object it
// may read (indicators, sightings, reports, relationships, identities,
// marking definitions, ...), in the order they were added.
type page struct {
	items []intel.FeedItem
	more  bool
	next  string
}

func (s *Server) page(ctx context.Context, p *auth.Principal, q query) (page, error) {
	if q.none {
		return page{}, nil
	}
	tree, err := s.Orgs.Tree(ctx)
	if err != nil {
		return page{}, err
	}
	fp, err := intel.Feed(ctx, s.DB, *p, tree, q.f)
	if err != nil {
		return page{}, err
	}
	pg := page{more: fp.More}
	if fp.More {
		pg.next = fp.Next.String()
	}
	for _, i := range fp.Items {
		if q.keep != nil && !q.keep(i) {
			continue
		}
		pg.items = append(pg.items, i)
	}
	return pg, nil
}

func versionIn(mine string, versions []string) bool {
	m, err := time.Parse(time.RFC3339Nano, mine)
	if err != nil {
		return false
	}
	for _, v := range versions {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err == nil && t.Equal(m) {
			return true
		}
	}
	return false
}

func dateHeaders(w http.ResponseWriter, items []intel.FeedItem) {
	if len(items) == 0 {
		return
	}
	first, last := items[0].Added, items[0].Added
	for _, i := range items {
		if i.Added.Before(first) {
			first = i.Added
		}
		if i.Added.After(last) {
			last = i.Added
		}
	}
	w.Header().Set("X-TAXII-Date-Added-First", addedStamp(first))
	w.Header().Set("X-TAXII-Date-Added-Last", addedStamp(last))
}

// envelope is TAXII's envelope resource (section 3.7).
type envelope struct {
	More    bool   `json:"more"`
	Next    string `json:"next,omitempty"`
	Objects []any  `json:"objects,omitempty"`
}

func readable(col Collection) error {
	if !col.CanRead {
		return problem.New(problem.Forbidden, "you may not read this collection")
	}
	return nil
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, col, err := s.findCollection(r, p)
	if err != nil {
		return err
	}
	if err := readable(col); err != nil {
		return err
	}
	q, err := parseQuery(r, col)
	if err != nil {
		return err
	}
	pg, err := s.page(r.Context(), p, q)
	if err != nil {
		return err
	}
	env := envelope{More: pg.more, Next: pg.next}
	for _, i := range pg.items {
		env.Objects = append(env.Objects, i.Object)
	}
	s.countRead(r.Context(), c.Slug, col.ID, p, len(pg.items))
	dateHeaders(w, pg.items)
	writeJSON(w, http.StatusOK, env)
	return nil
}

// one reads the versions of the object of the path the reader may read
// that match[version] asks for (every version: all), oldest first, each
// once (an attack pattern travels with every indicator that names it, the
// same version each time).
func (s *Server) one(r *http.Request, p *auth.Principal, every bool) ([]intel.FeedItem, error) {
	_, col, err := s.findCollection(r, p)
	if err != nil {
		return nil, err
	}
	if err := readable(col); err != nil {
		return nil, err
	}
	q, err := parseQuery(r, col)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("object_id")
	q.f.IDs, q.f.Types, q.f.After, q.f.From, q.f.Limit = []string{id}, nil, time.Time{}, nil, MaxLimit
	if every {
		q.f.Versions, q.keep = intel.VersionAll, nil
	}
	pg, err := s.page(r.Context(), p, q)
	if err != nil {
		return nil, err
	}
	var out []intel.FeedItem
	seen := map[string]bool{}
	for _, i := range pg.items {
		if !seen[i.Version] {
			seen[i.Version] = true
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, problem.New(problem.NotFound, "no object %q in this collection that you may read", id)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Version < out[b].Version })
	return out, nil
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	items, err := s.one(r, p, false)
	if err != nil {
		return err
	}
	dateHeaders(w, items)
	env := envelope{}
	for _, i := range items {
		env.Objects = append(env.Objects, i.Object)
	}
	writeJSON(w, http.StatusOK, env)
	return nil
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	items, err := s.one(r, p, true)
	if err != nil {
		return err
	}
	dateHeaders(w, items)
	var vs []string
	for _, i := range items {
		vs = append(vs, i.Version)
	}
	writeJSON(w, http.StatusOK, map[string]any{"more": false, "versions": vs})
	return nil
}

// manifestRecord is one entry of a manifest (section 5.6.1).
type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, col, err := s.findCollection(r, p)
	if err != nil {
		return err
	}
	if err := readable(col); err != nil {
		return err
	}
	q, err := parseQuery(r, col)
	if err != nil {
		return err
	}
	pg, err := s.page(r.Context(), p, q)
	if err != nil {
		return err
	}
	out := struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []manifestRecord `json:"objects,omitempty"`
	}{More: pg.more, Next: pg.next}
	for _, i := range pg.items {
		out.Objects = append(out.Objects, manifestRecord{ID: i.Object.Core().ID, DateAdded: addedStamp(i.Added), Version: i.Version, MediaType: MediaSTIX})
	}
	s.countRead(r.Context(), c.Slug, col.ID, p, len(pg.items))
	dateHeaders(w, pg.items)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// uuid5 is RFC 9562's name-based UUID (SHA-1) in Garda's TAXII namespace.
func uuid5(name string) string {
	ns := [16]byte{0x3c, 0x1f, 0x6a, 0x0e, 0x51, 0x7d, 0x5b, 0x2a, 0x8e, 0x44, 0x1d, 0x2f, 0x90, 0x6b, 0xa3, 0x77}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
