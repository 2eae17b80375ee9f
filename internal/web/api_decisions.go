package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/web/shell"
)

// decisionRoutes registers blocking: decisions, the allow-list, bouncers,
// and the CrowdSec Local API that bouncers pull from (its own key check).
func (s *Server) decisionRoutes() {
	lapi := decision.LAPI(s.DB, s.Log)
	s.mux.Handle("/v1/decisions", lapi)
	s.mux.Handle("/v1/decisions/stream", lapi)

	s.api("GET /api/v1/decisions", signedIn, s.apiDecisions)
	s.api("POST /api/v1/decisions", signedIn, s.apiCreateDecision)
	s.api("GET /api/v1/decisions/{id}", signedIn, s.apiDecision)
	s.api("POST /api/v1/decisions/{id}/approve", signedIn, s.apiDecisionAction)
	s.api("POST /api/v1/decisions/{id}/reject", signedIn, s.apiDecisionAction)
	s.api("POST /api/v1/decisions/{id}/revoke", signedIn, s.apiDecisionAction)
	s.api("GET /api/v1/allowlist", signedIn, s.apiAllowList)
	s.api("POST /api/v1/allowlist", signedIn, s.apiAddAllow)
	s.api("DELETE /api/v1/allowlist/{id}", signedIn, s.apiRemoveAllow)
	s.api("GET /api/v1/bouncers", signedIn, s.apiBouncers)
	s.api("POST /api/v1/bouncers", signedIn, s.apiAddBouncer)
	s.api("DELETE /api/v1/bouncers/{name}", signedIn, s.apiDeleteBouncer)
}

func pathID(r *http.Request, what string) (int64, error) { return shell.PathID(r, what) }

func (s *Server) apiDecisions(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := decision.ParseFilter(r)
	if err != nil {
		return err
	}
	list, err := decision.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, f.Limit, func(d decision.Decision) string { return httpapi.IDPos(d.ID) }))
	return nil
}

func (s *Server) apiDecision(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "decision")
	if err != nil {
		return err
	}
	d, err := decision.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiCreateDecision(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in decision.Input
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	d, err := decision.Create(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if d.Outcome == "created" {
		status = http.StatusCreated
	}
	httpapi.Write(w, status, d)
	return nil
}

// apiDecisionAction approves, rejects or revokes, by the route's last word.
func (s *Server) apiDecisionAction(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "decision")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := httpapi.Decode(w, r, &in, 4096); err != nil {
			return err
		}
	}
	var d decision.Decision
	switch r.Pattern[len("POST /api/v1/decisions/{id}/"):] {
	case "approve":
		d, err = decision.Approve(r.Context(), s.DB, *p, id)
	case "reject":
		d, err = decision.Reject(r.Context(), s.DB, *p, id, in.Reason)
	default:
		d, err = decision.Revoke(r.Context(), s.DB, *p, id, in.Reason)
	}
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiAllowList(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := decision.ListAllow(r.Context(), s.DB, *p, r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	if list == nil {
		list = []decision.AllowEntry{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiAddAllow(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in decision.AllowInput
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	e, err := decision.AddAllow(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiRemoveAllow(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "allow-list entry")
	if err != nil {
		return err
	}
	if err := decision.RemoveAllow(r.Context(), s.DB, *p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiBouncers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := decision.ListBouncersAs(r.Context(), s.DB, *p)
	if err != nil {
		return err
	}
	if list == nil {
		list = []decision.Bouncer{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiAddBouncer(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	key, b, err := decision.AddBouncerAs(r.Context(), s.DB, *p, in.Name)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, map[string]any{"key": key, "bouncer": b})
	return nil
}

func (s *Server) apiDeleteBouncer(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := decision.DeleteBouncerAs(r.Context(), s.DB, *p, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
