package takedown

import (
	"net/http"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web/shell"
)

// apiRoutes registers the platforms registry and the takedown requests:
// their list and queue, creation, and the lifecycle's steps.
func (s *pillar) apiRoutes() {
	s.sh.API("GET /api/v1/platforms", shell.SignedIn, s.apiPlatforms)
	s.sh.API("POST /api/v1/platforms", shell.SignedIn, s.apiCreatePlatform)
	s.sh.API("GET /api/v1/takedowns", shell.SignedIn, s.apiTakedowns)
	s.sh.API("POST /api/v1/takedowns", shell.SignedIn, s.apiCreateTakedown)
	s.sh.API("GET /api/v1/takedowns/{id}", shell.SignedIn, s.apiTakedown)
	s.sh.API("POST /api/v1/takedowns/{id}/approve", shell.SignedIn, s.apiTakedownStep("approve"))
	s.sh.API("POST /api/v1/takedowns/{id}/send", shell.SignedIn, s.apiTakedownStep("send"))
	s.sh.API("POST /api/v1/takedowns/{id}/acknowledge", shell.SignedIn, s.apiTakedownStep("acknowledge"))
	s.sh.API("POST /api/v1/takedowns/{id}/answers", shell.SignedIn, s.apiTakedownStep("answer"))
	s.sh.API("POST /api/v1/takedowns/{id}/decisions", shell.SignedIn, s.apiTakedownStep("decide"))
	s.letterAPI() // letters, checks, compliance (letters.go)
}

func (s *pillar) apiPlatforms(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := takedown.Platforms(r.Context(), s.DB)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, len(list)+1, nil))
	return nil
}

func (s *pillar) apiCreatePlatform(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var n takedown.NewPlatform
	if err := httpapi.Decode(w, r, &n, 64<<10); err != nil {
		return err
	}
	pl, err := takedown.CreatePlatform(r.Context(), s.DB, *p, n)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, pl)
	return nil
}

// takedownFilter reads the list's filters: status (repeatable), platform,
// category, region, overdue.
func takedownFilter(r *http.Request) (takedown.Filter, error) {
	q := r.URL.Query()
	f := takedown.Filter{Status: q["status"], Platform: q.Get("platform"), Category: q.Get("category"), Region: q.Get("region"), Now: store.Now()}
	if f.Region != "" && !region.Valid(f.Region) {
		return f, problem.Field("region", "unknown region code %q", f.Region)
	}
	var err error
	f.Overdue, err = httpapi.BoolParam(r, "overdue")
	return f, err
}

func (s *pillar) apiTakedowns(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := takedownFilter(r)
	if err != nil {
		return err
	}
	return httpapi.ListByID(w, r, func(r takedown.Request) int64 { return r.ID }, func(before int64, limit int) ([]takedown.Request, error) {
		f.Before, f.Limit = before, limit
		return takedown.List(r.Context(), s.DB, *p, f)
	})
}

func (s *pillar) apiCreateTakedown(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var n takedown.New
	if err := httpapi.Decode(w, r, &n, 256<<10); err != nil {
		return err
	}
	t, err := takedown.Create(r.Context(), s.DB, *p, n)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, t)
	return nil
}

func (s *pillar) apiTakedown(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "takedown request")
	if err != nil {
		return err
	}
	t, err := takedown.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	h, err := takedown.History(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if h == nil {
		h = []takedown.Event{}
	}
	httpapi.Write(w, http.StatusOK, struct {
		takedown.Request
		History []takedown.Event `json:"history"`
	}{t, h})
	return nil
}

// apiTakedownStep answers one lifecycle step; the body is read as the step
// needs (send: channel; answers: an Answer; decisions: a Decision).
func (s *pillar) apiTakedownStep(step string) func(http.ResponseWriter, *http.Request, *auth.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := shell.PathID(r, "takedown request")
		if err != nil {
			return err
		}
		lc := s.lifecycle()
		var t takedown.Request
		switch step {
		case "approve":
			t, err = lc.Approve(r.Context(), *p, id)
		case "acknowledge":
			t, err = lc.Acknowledge(r.Context(), *p, id)
		case "send":
			var in struct {
				Channel string `json:"channel"`
			}
			if err := httpapi.Decode(w, r, &in, 4096); err != nil {
				return err
			}
			t, err = lc.Send(r.Context(), *p, id, in.Channel)
		case "answer":
			var a takedown.Answer
			if err := httpapi.Decode(w, r, &a, 16<<10); err != nil {
				return err
			}
			t, err = lc.Answer(r.Context(), *p, id, a)
		case "decide":
			var d takedown.Decision
			if err := httpapi.Decode(w, r, &d, 16<<10); err != nil {
				return err
			}
			t, err = lc.Decide(r.Context(), *p, id, d)
		}
		if err != nil {
			return err
		}
		httpapi.Write(w, http.StatusOK, t)
		return nil
	}
}
