package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store"
)

// apiIncidentClocks answers an incident's deadlines now: first response and
// containment by severity, and the 1x24 h report to BSSN.
func (s *Server) apiIncidentClocks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	clocks, err := incident.ClocksOf(r.Context(), s.DB, *p, r.PathValue("id"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": clocks})
	return nil
}
