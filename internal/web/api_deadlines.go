package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// deadlineRoutes registers an incident's clocks and its UU PDP record.
func (s *Server) deadlineRoutes() {
	s.api("GET /api/v1/incidents/{id}/clocks", signedIn, s.apiIncidentClocks)
	s.api("GET /api/v1/incidents/{id}/pdp", signedIn, s.apiIncidentPDP)
	s.api("PUT /api/v1/incidents/{id}/pdp", signedIn, s.apiMarkBreach)
	s.api("POST /api/v1/incidents/{id}/pdp/notified", signedIn, s.apiRecordNotification)
	s.api("GET /api/v1/incidents/{id}/pdp/letter", signedIn, s.apiPDPLetter)
	s.api("GET /api/v1/settings/response-targets", signedIn, s.apiResponseTargets)
	s.api("PUT /api/v1/settings/response-targets", signedIn, s.apiSetResponseTargets)
	s.api("GET /api/v1/settings/response-targets/{posture}", signedIn, s.apiPostureTargets)
	s.api("PUT /api/v1/settings/response-targets/{posture}", signedIn, s.apiSetPostureTargets)
	s.api("DELETE /api/v1/settings/response-targets/{posture}", signedIn, s.apiSetPostureTargets)
}

// apiResponseTargets answers the ordinary response targets, per severity
// (the postures' own: GET .../{posture}): every signed-in person may know
// what they owe.
func (s *Server) apiResponseTargets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	t, err := incident.LoadTiming(r.Context(), s.DB)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": t.List()})
	return nil
}

// apiPostureTargets answers one posture's own targets and those in force
// in it.
func (s *Server) apiPostureTargets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	t, err := incident.LoadTiming(r.Context(), s.DB)
	if err != nil {
		return err
	}
	pt, err := t.PostureTargetsOf(calendar.Posture(r.PathValue("posture")))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, pt)
	return nil
}

// apiSetPostureTargets replaces a posture's own targets (PUT, at least
// one severity) or removes them (DELETE).
func (s *Server) apiSetPostureTargets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Items []incident.Target `json:"items"`
	}
	if r.Method == http.MethodPut {
		if err := httpapi.Decode(w, r, &in, 8192); err != nil {
			return err
		}
		if len(in.Items) == 0 {
			return problem.Field("items", "send at least one severity's targets (DELETE removes them all)")
		}
	}
	posture := calendar.Posture(r.PathValue("posture"))
	t, err := incident.SetPostureTargets(r.Context(), s.DB, *p, posture, in.Items)
	if err != nil {
		return err
	}
	pt, err := t.PostureTargetsOf(posture)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, pt)
	return nil
}

func (s *Server) apiSetResponseTargets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Items []incident.Target `json:"items"`
	}
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	t, err := incident.SetTargets(r.Context(), s.DB, *p, in.Items)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": t.List()})
	return nil
}

// apiIncidentClocks answers an incident's deadlines now: first response and
// containment by severity, the 1x24 h report to BSSN, and for a personal-
// data breach the 3x24 h UU PDP notification.
func (s *Server) apiIncidentClocks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	clocks, err := incident.ClocksOf(r.Context(), s.DB, *p, r.PathValue("id"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": clocks})
	return nil
}

func (s *Server) apiIncidentPDP(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	b, err := incident.BreachOf(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if b == nil {
		return problem.New(problem.NotFound, "incident %s is not marked as a personal-data breach", r.PathValue("id"))
	}
	httpapi.Write(w, http.StatusOK, b)
	return nil
}

func (s *Server) apiMarkBreach(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in incident.PDPInput
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	b, err := incident.MarkBreach(r.Context(), s.DB, *p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, b)
	return nil
}

func (s *Server) apiRecordNotification(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	b, err := incident.RecordNotification(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, b)
	return nil
}

func (s *Server) apiPDPLetter(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	letter, err := incident.Letter(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Write([]byte(letter))
	return nil
}
