package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
)

// incidentLinkRoutes registers merging duplicates, linking related
// incidents and de-escalation.
func (s *Server) incidentLinkRoutes() {
	s.api("POST /api/v1/incidents/{id}/merge", signedIn, s.apiMergeIncident)
	s.api("GET /api/v1/incidents/{id}/links", signedIn, s.apiIncidentLinks)
	s.api("POST /api/v1/incidents/{id}/links", signedIn, s.apiLinkIncident)
	s.api("POST /api/v1/incidents/{id}/deescalate", signedIn, s.apiDeescalateIncident)
}

func (s *Server) apiMergeIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Into   string `json:"into"`
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	inc, err := incident.Merge(r.Context(), s.DB, *p, r.PathValue("id"), in.Into, in.Reason)
	if err != nil {
		return err
	}
	s.incidentLiveID(r.Context(), inc.ID)
	s.incidentLive(r.Context(), p, in.Into)
	httpapi.Write(w, http.StatusOK, inc)
	return nil
}

func (s *Server) apiIncidentLinks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	links, err := incident.Links(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": links})
	return nil
}

func (s *Server) apiLinkIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Incident string `json:"incident"`
		Reason   string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	if err := incident.LinkRelated(r.Context(), s.DB, *p, r.PathValue("id"), in.Incident, in.Reason); err != nil {
		return err
	}
	s.incidentLive(r.Context(), p, r.PathValue("id"))
	s.incidentLive(r.Context(), p, in.Incident)
	return s.apiIncidentLinks(w, r, p)
}

func (s *Server) apiDeescalateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	inc, err := incident.Deescalate(r.Context(), s.DB, *p, tree, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	s.incidentLiveID(r.Context(), inc.ID)
	httpapi.Write(w, http.StatusOK, inc)
	return nil
}
