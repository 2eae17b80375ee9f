package web

import (
	"net/http"
	"strconv"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// intelRoutes registers the intelligence pillar's API: indicators.
func (s *Server) intelRoutes() {
	s.api("GET /api/v1/indicators", signedIn, s.apiIndicators)
	s.api("POST /api/v1/indicators", signedIn, s.apiCreateIndicator)
	s.api("GET /api/v1/indicators/{id}", signedIn, s.apiIndicator)
	s.api("POST /api/v1/indicators/{id}/revoke", signedIn, s.apiRevokeIndicator)
	s.api("POST /api/v1/alerts/{id}/indicator", signedIn, s.apiIndicatorFromAlert)
	s.api("POST /api/v1/incidents/{id}/indicators", signedIn, s.apiIndicatorsFromIncident)
	s.api("POST /api/v1/patrol/items/{id}/indicator", signedIn, s.apiIndicatorFromPatrolItem)
	s.api("POST /api/v1/findings/{id}/vulnerabilities", signedIn, s.apiVulnerabilitiesFromFinding)
}

// indicatorFilter reads the list's filters: q, kind, tlp (repeatable),
// region, active, detect, block, source.
func indicatorFilter(r *http.Request) (intel.Filter, error) {
	q := r.URL.Query()
	f := intel.Filter{Text: q.Get("q"), Kind: intel.Kind(q.Get("kind")), Region: q.Get("region"), Source: q.Get("source")}
	for _, t := range q["tlp"] {
		tlp, err := policy.ParseTLP(t)
		if err != nil {
			return f, problem.Field("tlp", "must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
		}
		f.TLP = append(f.TLP, tlp)
	}
	flag := func(name string) (*bool, error) {
		switch q.Get(name) {
		case "":
			return nil, nil
		case "true", "1":
			t := true
			return &t, nil
		case "false", "0":
			f := false
			return &f, nil
		}
		return nil, problem.Field(name, "must be true or false")
	}
	var err error
	if f.Active, err = flag("active"); err != nil {
		return f, err
	}
	for _, m := range []struct {
		name string
		into *bool
	}{{"detect", &f.Detect}, {"block", &f.Block}} {
		b, err := flag(m.name)
		if err != nil {
			return f, err
		}
		*m.into = b != nil && *b
	}
	return f, nil
}

func (s *Server) apiIndicators(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := indicatorFilter(r)
	if err != nil {
		return err
	}
	return httpapi.ListByID(w, r, func(i intel.Indicator) int64 { return i.ID }, func(before int64, limit int) ([]intel.Indicator, error) {
		f.Before, f.Limit = before, limit
		return intel.List(r.Context(), s.DB, *p, f)
	})
}

func (s *Server) apiCreateIndicator(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in intel.Input
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	i, err := intel.Create(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/indicators/"+strconv.FormatInt(i.ID, 10))
	httpapi.Write(w, http.StatusCreated, i)
	return nil
}

func (s *Server) apiIndicator(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "indicator")
	if err != nil {
		return err
	}
	i, err := intel.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	ss, err := intel.Sightings(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []intel.Sighting{}
	}
	httpapi.Write(w, http.StatusOK, struct {
		intel.Indicator
		Sightings []intel.Sighting `json:"sightings"`
	}{i, ss})
	return nil
}

func (s *Server) apiRevokeIndicator(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "indicator")
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(w, r, &body, 8192); err != nil {
		return err
	}
	i, err := intel.Revoke(r.Context(), s.DB, *p, id, body.Reason)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

// apiIndicatorFromAlert makes the alert's attacking address an indicator
// (or finds the organisation's) and counts the alert as its sighting.
func (s *Server) apiIndicatorFromAlert(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	i, created, err := intel.FromAlert(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpapi.Write(w, status, i)
	return nil
}

// apiIndicatorFromPatrolItem makes a patrol item's domain an indicator
// (or finds the organisation's) and counts the item as its sighting.
func (s *Server) apiIndicatorFromPatrolItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "patrol item")
	if err != nil {
		return err
	}
	i, created, err := intel.FromPatrolItem(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpapi.Write(w, status, i)
	return nil
}

func (s *Server) apiIndicatorsFromIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	res, err := intel.FromIncident(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiVulnerabilitiesFromFinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	objs, err := intel.FromFinding(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		Items []intel.IntelObject `json:"items"`
	}{objs})
	return nil
}
