package web

import (
	"github.com/garda-id/garda/internal/rpz"
)

// rpzRoutes registers the DNS blocklist zone that resolvers load. The key
// is in the path (resolvers' zone downloaders send no headers), checked by
// rpz.Handler; it is not under /api/v1, as no person calls it.
func (s *Server) rpzRoutes() {
	s.mux.Handle("GET /rpz/{key}/garda.rpz", rpz.Handler(s.DB, s.RPZ, s.Log))
}
