package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/problem"
)

// taxiiRoutes mounts the TAXII 2.1 server (internal/intel/taxii) at
// /taxii2/: its own media types, errors and authentication (a Garda token
// as Bearer or as HTTP Basic's password), documented in openapi.json; and
// the API of the subscriptions to partners' collections.
func (s *Server) taxiiRoutes() {
	t := &taxii.Server{DB: s.DB, Orgs: s.Orgs, Log: s.Log}
	s.mux.Handle("/taxii2/", t.Handler())
	for _, p := range taxii.Patterns {
		s.apiRoutes = append(s.apiRoutes, strings.TrimSpace(p))
	}
	s.api("GET /api/v1/taxii/subscriptions", signedIn, s.apiTAXIISubscriptions)
	s.api("POST /api/v1/taxii/subscriptions", signedIn, s.apiTAXIISubscribe)
	s.api("POST /api/v1/taxii/subscriptions/{id}/pull", signedIn, s.apiTAXIIPull)
}

func (s *Server) taxiiPuller() *taxii.Puller {
	return &taxii.Puller{DB: s.DB, Orgs: s.Orgs, Log: s.Log}
}

func (s *Server) apiTAXIISubscriptions(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := taxii.Subscriptions(r.Context(), s.DB, *p)
	if err != nil {
		return err
	}
	if list == nil {
		list = []taxii.Subscription{}
	}
	httpapi.Write(w, http.StatusOK, struct {
		Items []taxii.Subscription `json:"items"`
	}{list})
	return nil
}

func (s *Server) apiTAXIISubscribe(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in taxii.NewSubscription
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	sub, err := taxii.Subscribe(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, sub)
	return nil
}

func (s *Server) apiTAXIIPull(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "subscription")
	if err != nil {
		return err
	}
	res, err := s.taxiiPuller().PullFor(r.Context(), *p, id)
	var pe *taxii.PartnerError
	if errors.As(err, &pe) {
		return problem.New(problem.Unavailable, "the pull failed (the subscription's health says so too): %s", pe.Error())
	} else if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, res)
	return nil
}
