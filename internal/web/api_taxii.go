package web

import (
	"strings"

	"github.com/garda-id/garda/internal/intel/taxii"
)

// taxiiRoutes mounts the TAXII 2.1 server (internal/intel/taxii) at
// /taxii2/: its own media types, errors and authentication (a Garda token
// as Bearer or as HTTP Basic's password), documented in openapi.json.
func (s *Server) taxiiRoutes() {
	t := &taxii.Server{DB: s.DB, Orgs: s.Orgs, Log: s.Log}
	s.mux.Handle("/taxii2/", t.Handler())
	for _, p := range taxii.Patterns {
		s.apiRoutes = append(s.apiRoutes, strings.TrimSpace(p))
	}
}
