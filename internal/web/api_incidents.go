package web

import (
	"net/http"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
)

// incidentRoutes registers incident response: intake (and promotion of
// alerts), reads, work, comments, the timeline, escalation, participants.
func (s *Server) incidentRoutes() {
	s.api("GET /api/v1/incidents", signedIn, s.apiIncidents)
	s.api("POST /api/v1/incidents", signedIn, s.apiCreateIncident)
	s.api("GET /api/v1/incidents/{id}", signedIn, s.apiIncident)
	s.api("PATCH /api/v1/incidents/{id}", signedIn, s.apiUpdateIncident)
	s.api("POST /api/v1/incidents/{id}/comments", signedIn, s.apiCommentIncident)
	s.api("GET /api/v1/incidents/{id}/timeline", signedIn, s.apiIncidentTimeline)
	s.api("POST /api/v1/incidents/{id}/escalate", signedIn, s.apiEscalateIncident)
	s.api("POST /api/v1/incidents/{id}/participants", signedIn, s.apiIncidentParticipants)
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	before, err := page.IDCursor()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := incident.Filter{Severity: q.Get("severity"), Region: q.Get("region"), Category: q.Get("category"),
		Assignee: q.Get("assignee"), Before: before, Limit: page.Limit}
	if st := q.Get("status"); st != "" {
		for _, v := range strings.Split(st, ",") {
			f.Status = append(f.Status, incident.Status(strings.TrimSpace(v)))
		}
	}
	list, err := incident.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(i incident.Incident) string { return httpapi.IDPos(i.ID) }))
	return nil
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	i, err := incident.Get(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

func (s *Server) apiCreateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in incident.Input
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	i, err := incident.Create(r.Context(), s.DB, *p, tree, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+i.HumanID)
	httpapi.Write(w, http.StatusCreated, i)
	return nil
}

func (s *Server) apiUpdateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var up incident.Update
	if err := httpapi.Decode(w, r, &up, 0); err != nil {
		return err
	}
	i, err := incident.Edit(r.Context(), s.DB, *p, r.PathValue("id"), up)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

func (s *Server) apiCommentIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	e, err := incident.Comment(r.Context(), s.DB, *p, r.PathValue("id"), in.Body)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiIncidentTimeline(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.Timeline(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiEscalateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	i, err := incident.Escalate(r.Context(), s.DB, *p, tree, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

func (s *Server) apiIncidentParticipants(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in incident.Participants
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	i, err := incident.AddParticipants(r.Context(), s.DB, *p, tree, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}
