package patrol

import (
	"encoding/base64"
	"encoding/json"
	"github.com/garda-id/garda/internal/web/shell"
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/imports"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
)

// The cyber patrol's API: items (list, read, submit, label, live stream)
// and sources (list, add, import an export). Who may do what is decided
// in package patrol; the handlers parse and answer.

func (s *pillar) patrolAPI() {
	s.sh.API("GET /api/v1/patrol/items", shell.SignedIn, s.apiPatrolItems)
	s.sh.API("POST /api/v1/patrol/items", shell.SignedIn, s.apiPatrolSubmit)
	s.sh.API("GET /api/v1/patrol/items/stream", shell.SignedIn, s.apiPatrolStream)
	s.sh.API("GET /api/v1/patrol/items/{id}", shell.SignedIn, s.apiPatrolItem)
	s.sh.API("POST /api/v1/patrol/items/{id}/label", shell.SignedIn, s.apiPatrolLabel)
	s.sh.API("GET /api/v1/patrol/sources", shell.SignedIn, s.apiPatrolSources)
	s.sh.API("POST /api/v1/patrol/sources", shell.SignedIn, s.apiPatrolCreateSource)
	s.sh.API("POST /api/v1/patrol/sources/{id}/import", shell.SignedIn, s.apiPatrolImport)
}

// patrolFilter reads the queue's filters from a query.
func patrolFilter(q map[string][]string) (patrol.Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := patrol.Filter{Region: get("region"), Platform: get("platform"), Label: get("label"), ClaimID: get("claim"), Sort: patrol.Sort(get("sort")),
		PIIOnly: get("pii") == "true", Focus: get("focus") == "true"}
	if v := get("source"); v != "" {
		id, ok := patrol.ParseID(v)
		if !ok {
			return f, problem.Field("source", "a source id")
		}
		f.SourceID = id
	}
	if f.Region != "" && !region.Valid(f.Region) {
		return f, problem.Field("region", "unknown region code %q", f.Region)
	}
	return f, nil
}

func (s *pillar) apiPatrolItems(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	pg, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	f, err := patrolFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if f.After, err = pg.IDCursor(); err != nil {
		return err
	}
	f.Limit = pg.Limit
	list, err := patrol.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, pg.Limit, func(it patrol.Item) string { return httpapi.IDPos(it.ID) }))
	return nil
}

func (s *pillar) apiPatrolItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	it, err := patrol.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	hist, err := patrol.History(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"item": it, "history": hist})
	return nil
}

// patrolPostIn is one post an agency's tool sends.
type patrolPostIn struct {
	URL         string     `json:"url"`
	PostID      string     `json:"post_id"`
	Platform    string     `json:"platform"`
	Author      string     `json:"author"`
	Title       string     `json:"title"`
	Text        string     `json:"text"`
	PublishedAt *time.Time `json:"published_at"`
	Likes       int64      `json:"likes"`
	Shares      int64      `json:"shares"`
	Comments    int64      `json:"comments"`
	Views       int64      `json:"views"`
	Image       string     `json:"image_base64"` // a picture to read by OCR
}

// patrolSubmitIn is POST /api/v1/patrol/items.
type patrolSubmitIn struct {
	Items    []patrolPostIn `json:"items"`
	Region   string         `json:"region"`
	TLP      policy.TLP     `json:"tlp"`
	SourceID int64          `json:"source_id"`
}

const maxSubmit = 500

func (s *pillar) apiPatrolSubmit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if s.Patrol == nil {
		return problem.New(problem.Unavailable, "the patrol is not configured on this instance")
	}
	if !p.Can(policy.Ingest) {
		return problem.New(problem.Forbidden, "your role (%s) may not submit patrol items", p.User.Role)
	}
	var in patrolSubmitIn
	if err := httpapi.Decode(w, r, &in, 32<<20); err != nil {
		return err
	}
	if len(in.Items) == 0 || len(in.Items) > maxSubmit {
		return problem.Field("items", "from 1 to %d posts", maxSubmit)
	}
	owner := patrol.Owner{OrgID: p.Org.ID, Region: in.Region, TLP: in.TLP, Users: []int64{p.User.ID}}
	if owner.Region != "" && !region.Contains(p.Viewer.Scope, owner.Region) {
		return problem.Field("region", "region %q lies outside your scope", owner.Region)
	}
	if owner.Region == "" {
		owner.Region = p.Viewer.Scope
	}
	if in.SourceID > 0 {
		src, err := patrol.GetSource(r.Context(), s.DB, *p, in.SourceID)
		if err != nil {
			return problem.Field("source_id", "no source %d you may read", in.SourceID)
		}
		if src.OwnerID != p.Org.ID {
			return problem.Field("source_id", "source %d belongs to another organisation", in.SourceID)
		}
		owner.SourceID = src.ID
	}
	posts := make([]patrol.Post, 0, len(in.Items))
	for i, it := range in.Items {
		post := patrol.Post{URL: it.URL, PostID: it.PostID, Platform: it.Platform, Author: it.Author, Title: it.Title, Text: it.Text,
			Published: it.PublishedAt, Engagement: patrol.Engagement{Likes: it.Likes, Shares: it.Shares, Comments: it.Comments, Views: it.Views}}
		if it.Image != "" {
			b, err := base64.StdEncoding.DecodeString(it.Image)
			if err != nil {
				return problem.Field("items["+strconv.Itoa(i)+"].image_base64", "not base64: %v", err)
			}
			post.Image = b
		}
		posts = append(posts, post)
	}
	// Bad input changes nothing: every post is checked before any is stored.
	for i, post := range posts {
		if _, err := s.Patrol.Pipeline.Process(r.Context(), patrol.Post{URL: post.URL, PostID: post.PostID, Text: post.Text, Title: post.Title}); err != nil {
			return problem.Field("items["+strconv.Itoa(i)+"]", "%v", err)
		}
	}
	out, saved, err := s.Patrol.Submit(r.Context(), p.Actor(), owner, posts)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, map[string]any{"new": out.New, "seen_again": out.Seen, "items": saved})
	return nil
}

func (s *pillar) apiPatrolLabel(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	var in struct {
		Label   *patrol.Label `json:"label"`
		ClaimID *string       `json:"claim_id"`
	}
	if err := httpapi.Decode(w, r, &in, 4<<10); err != nil {
		return err
	}
	if in.Label == nil && in.ClaimID == nil {
		return problem.Field("label", "send label and/or claim_id")
	}
	// Both are checked before either is written: bad input changes nothing.
	if in.Label != nil && *in.Label != "" && !in.Label.Valid() {
		return problem.Field("label", "unknown label %q", *in.Label)
	}
	if in.ClaimID != nil {
		if err := patrol.CheckClaimID(*in.ClaimID); err != nil {
			return err
		}
	}
	var it patrol.Item
	var err error
	if in.Label != nil {
		if it, err = patrol.SetLabel(r.Context(), s.DB, *p, id, *in.Label); err != nil {
			return err
		}
	}
	if in.ClaimID != nil {
		if it, err = patrol.LinkClaim(r.Context(), s.DB, *p, id, *in.ClaimID); err != nil {
			return err
		}
	}
	s.changed(r.Context(), id)
	httpapi.Write(w, http.StatusOK, it)
	return nil
}

func (s *pillar) apiPatrolStream(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := patrolFilter(r.URL.Query())
	if err != nil {
		return err
	}
	return s.sh.Changes(w, r, p, ItemKind, func(id int64) ([]byte, bool) {
		it, err := patrol.Get(r.Context(), s.DB, *p, id)
		if err != nil || !patrolPasses(it, f) {
			return nil, false
		}
		b, err := json.Marshal(it)
		return b, err == nil
	})
}

// patrolPasses says whether an item passes a queue's filters (the live
// stream's test; the list tests in SQL).
func patrolPasses(it patrol.Item, f patrol.Filter) bool {
	switch {
	case f.Region != "" && !region.Contains(f.Region, it.Region):
		return false
	case f.Platform != "" && it.Platform != f.Platform:
		return false
	case f.Label == "none" && it.Label != "", f.Label != "" && f.Label != "none" && string(it.Label) != f.Label:
		return false
	case f.SourceID > 0 && it.SourceID != f.SourceID:
		return false
	case f.ClaimID != "" && it.ClaimID != f.ClaimID:
		return false
	case f.PIIOnly && it.PII.Total() == 0:
		return false
	case f.Focus && len(it.Focus) == 0:
		return false
	}
	return true
}

func (s *pillar) apiPatrolSources(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := patrol.ListSources(r.Context(), s.DB, *p)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *pillar) apiPatrolCreateSource(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in patrol.SourceInput
	if err := httpapi.Decode(w, r, &in, 16<<10); err != nil {
		return err
	}
	src, err := patrol.CreateSource(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, src)
	return nil
}

func (s *pillar) apiPatrolImport(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if s.Patrol == nil {
		return problem.New(problem.Unavailable, "the patrol is not configured on this instance")
	}
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol source %q", r.PathValue("id"))
	}
	src, err := patrol.GetSource(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if !p.Can(policy.Ingest) || src.OwnerID != p.Org.ID {
		return problem.New(problem.Forbidden, "only an analyst of the source's organisation imports into it")
	}
	if src.Type != patrol.Import {
		return problem.New(problem.Conflict, "source %d is a %s source, not an import", id, src.Type)
	}
	format := imports.Format(r.URL.Query().Get("format"))
	if format != imports.Auto && !validFormat(format) {
		return problem.Field("format", "one of telegram, x, crowdtangle, csv, ndjson (or none: detected)")
	}
	r.Body = http.MaxBytesReader(w, r.Body, imports.MaxBytes)
	out, res, err := s.Patrol.Import(r.Context(), p.Actor(), src, r.Body, format)
	if err != nil {
		return problem.New(problem.BadRequest, "%v", err)
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"format": res.Format, "read": res.Read, "new": out.New, "seen_again": out.Seen,
		"skipped": out.Skipped, "errors": out.Errors, "cut": res.Cut})
	return nil
}

func validFormat(f imports.Format) bool {
	for _, x := range imports.Formats {
		if x == f {
			return true
		}
	}
	return false
}
