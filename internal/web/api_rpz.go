package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/rpz"
)

// rpzRoutes registers the DNS blocklist: the zone that resolvers load (the
// key is in the path, as resolvers' zone downloaders send no headers;
// checked by rpz.Handler; not under /api/v1, as no person calls it) and
// the API that scripts use.
func (s *Server) rpzRoutes() {
	s.mux.Handle("GET /rpz/{key}/garda.rpz", rpz.Handler(s.DB, s.RPZ, s.Log))
	s.api("GET /api/v1/rpz/blocklist", signedIn, s.apiBlocklist)
	s.api("POST /api/v1/rpz/blocklist", signedIn, s.apiBlock)
	s.api("POST /api/v1/rpz/blocklist/unblock", signedIn, s.apiUnblock)
	s.api("GET /api/v1/rpz/resolvers", signedIn, s.apiResolvers)
}

// apiBlocklist lists blocks, newest first (lifted ones with all=true). The
// blocklist is what every resolver loads: any signed-in user reads it.
func (s *Server) apiBlocklist(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	pg, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	before, err := pg.IDCursor()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := rpz.List(r.Context(), s.DB, rpz.Filter{Search: q.Get("q"), All: q.Get("all") == "true", Limit: pg.Limit + 1, Before: before})
	if err != nil {
		return err
	}
	serial, err := rpz.Serial(r.Context(), s.DB)
	if err != nil {
		return err
	}
	l := httpapi.NewList(list, pg.Limit, func(e rpz.Entry) string { return httpapi.IDPos(e.ID) })
	httpapi.Write(w, http.StatusOK, struct {
		httpapi.List[rpz.Entry]
		Serial uint32 `json:"serial"`
	}{l, serial})
	return nil
}

type blockInput struct {
	Domain  string `json:"domain"`
	Reason  string `json:"reason"`
	Landing string `json:"landing,omitempty"`
}

func (s *Server) apiBlock(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in blockInput
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	e, err := rpz.BlockAs(r.Context(), s.DB, *p, rpz.Input{Domain: in.Domain, Reason: in.Reason, LandingHost: in.Landing})
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiUnblock(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Domain string `json:"domain"`
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	e, err := rpz.UnblockAs(r.Context(), s.DB, *p, in.Domain, in.Reason)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, e)
	return nil
}

// apiResolvers: the resolvers and their last fetch, for those who run
// blocking (administrators, coordinators, liaisons).
func (s *Server) apiResolvers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.Can(policy.ManageSettings) && !p.Can(policy.Takedown) {
		return problem.New(problem.Forbidden, "your role (%s) may not list the DNS resolvers", p.User.Role)
	}
	list, err := rpz.ListResolvers(r.Context(), s.DB, false)
	if err != nil {
		return err
	}
	if list == nil {
		list = []rpz.Resolver{}
	}
	serial, err := rpz.Serial(r.Context(), s.DB)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list, "serial": serial})
	return nil
}
