package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/problem"
)

// mispRoutes registers the MISP feeds: one per sharing community, read
// with a Garda token (a MISP instance adds the feed with the header
// "Authorization: Bearer <token>"), holding what the token's user may read
// at the TLPs the community allows.
func (s *Server) mispRoutes() {
	s.api("GET /api/v1/misp/communities", signedIn, s.apiMISPCommunities)
	s.api("GET /api/v1/misp/feeds/{community}/{file}", signedIn, s.apiMISPFeedFile)
}

func (s *Server) apiMISPCommunities(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	type row struct {
		misp.Community
		URL string `json:"url"`
	}
	var out []row
	for _, c := range misp.Communities {
		out = append(out, row{c, "/api/v1/misp/feeds/" + c.Slug + "/"})
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// mispFeeds keeps a built feed a minute, so a MISP instance pulling the
// manifest and then every event does not rebuild it per file.
var mispFeeds = struct {
	sync.Mutex
	m map[string]mispCached
}{m: map[string]mispCached{}}

type mispCached struct {
	feed *misp.Feed
	at   time.Time
}

func (s *Server) mispFeed(r *http.Request, p *auth.Principal, c misp.Community) (*misp.Feed, error) {
	key := fmt.Sprintf("%p/%d/%s", s, p.User.ID, c.Slug)
	now := time.Now()
	mispFeeds.Lock()
	for k, v := range mispFeeds.m {
		if now.Sub(v.at) > time.Minute {
			delete(mispFeeds.m, k)
		}
	}
	got, ok := mispFeeds.m[key]
	mispFeeds.Unlock()
	if ok {
		return got.feed, nil
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return nil, err
	}
	feed, err := misp.BuildFeed(r.Context(), s.DB, *p, tree, misp.FeedOptions{Community: c})
	if err != nil {
		return nil, err
	}
	mispFeeds.Lock()
	mispFeeds.m[key] = mispCached{feed, now}
	mispFeeds.Unlock()
	return feed, nil
}

func (s *Server) apiMISPFeedFile(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, ok := misp.CommunityOf(r.PathValue("community"))
	if !ok {
		return problem.New(problem.NotFound, "no sharing community %q", r.PathValue("community"))
	}
	feed, err := s.mispFeed(r, p, c)
	if err != nil {
		return err
	}
	name := r.PathValue("file")
	data, ok, err := feed.File(name)
	if err != nil {
		return err
	}
	if !ok {
		return problem.New(problem.NotFound, "no file %q in the %s feed", name, c.Slug)
	}
	if strings.HasSuffix(name, ".csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}
