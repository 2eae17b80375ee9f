package web

import (
	"net/http"
	"strings"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/region"
)

// alertQueueRoutes registers the alert queue's groups, attaching alerts to
// an incident, and the people search behind the pickers.
func (s *Server) alertQueueRoutes() {
	s.api("GET /api/v1/alerts/groups", signedIn, s.apiAlertGroups)
	s.api("POST /api/v1/incidents/{id}/alerts", signedIn, s.apiAttachAlerts)
	s.api("GET /api/v1/users/search", signedIn, s.apiSearchPeople)
}

// apiAlertGroups lists the alerts as the queue shows them: one group per
// source and asset, with the list's filters; the cursor is on each
// group's newest alert.
func (s *Server) apiAlertGroups(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, page, err := alertPage(r)
	if err != nil {
		return err
	}
	list, err := alert.Groups(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(g alert.Group) string { return httpapi.IDPos(g.Latest) }))
	return nil
}

func (s *Server) apiAttachAlerts(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		AlertIDs []int64 `json:"alert_ids"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	inc, err := incident.AttachAlerts(r.Context(), s.DB, *p, r.PathValue("id"), in.AlertIDs)
	if err != nil {
		return err
	}
	for _, id := range in.AlertIDs {
		alert.Notify(r.Context(), s.Bus, s.Log, id)
	}
	s.notifyIncident(r, p, notify.IncidentUpdated, inc.HumanID, "")
	httpapi.Write(w, http.StatusOK, inc)
	return nil
}

// apiSearchPeople finds the accounts the reader may name, for the user
// pickers (assignee, participants).
func (s *Server) apiSearchPeople(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	people, err := auth.SearchPeople(r.Context(), s.DB, *p, r.URL.Query().Get("q"), pickerMatches)
	if err != nil {
		return err
	}
	if people == nil {
		people = []auth.Person{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": people, "count": len(people)})
	return nil
}

// pickerMatches is how many matches a picker's search returns.
const pickerMatches = 20

// matchesText reports whether any of the values contains the search text,
// in any case; no text matches everything.
func matchesText(text string, values ...string) bool {
	text = strings.ToLower(strings.TrimSpace(text))
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), text) {
			return true
		}
	}
	return text == ""
}

// searchRegions narrows regions to those whose name or code contains q,
// the first pickerMatches of them.
func searchRegions(list []region.Region, q string) []region.Region {
	var out []region.Region
	for _, reg := range list {
		if len(out) < pickerMatches && matchesText(q, reg.Name, reg.Code) {
			out = append(out, reg)
		}
	}
	return out
}
