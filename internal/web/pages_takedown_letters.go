package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Takedown letters (printable page, PDF, API), Garda's own checks on
// demand, and a platform's compliance by week and category.

// takedownLifecycle is the lifecycle the pages and the API change
// requests with: letters go by the notifier's SMTP server and webhook
// signature when there is a notifier.
func (s *Server) takedownLifecycle() takedown.Lifecycle {
	lc := takedown.Lifecycle{DB: s.DB, Deadlines: s.TakedownDeadlines}
	if s.Notify != nil {
		lc.Outbox = s.Notify.TakedownOutbox()
	}
	return lc
}

// takedownLetterRoutes registers the letters', checks' and compliance's
// pages and API routes.
func (s *Server) takedownLetterRoutes() {
	s.api("GET /api/v1/takedowns/{id}/letters", signedIn, s.apiTakedownLetters)
	s.api("GET /api/v1/takedowns/{id}/letters/{kind}", signedIn, s.apiTakedownLetter)
	s.api("GET /api/v1/takedowns/{id}/checks", signedIn, s.apiTakedownChecks)
	s.api("POST /api/v1/takedowns/{id}/checks", signedIn, s.apiTakedownCheckNow)
	s.api("GET /api/v1/platforms/{slug}/compliance", signedIn, s.apiPlatformCompliance)
}

func (p *pages) takedownLetterPages() {
	p.handle("GET /penurunan-konten/{id}/surat/{kind}", p.takedownLetter)
	p.handle("GET /penurunan-konten/{id}/surat/{kind}/pdf", p.takedownLetterPDF)
	p.handle("POST /penurunan-konten/{id}/periksa", p.takedownCheckNow)
}

func (s *Server) apiTakedownLetters(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return err
	}
	list, err := takedown.Letters(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []takedown.IssuedLetter{}
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, len(list)+1, nil))
	return nil
}

// apiTakedownLetter answers a letter as JSON, or its PDF with ?format=pdf.
func (s *Server) apiTakedownLetter(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return err
	}
	l, err := takedown.LetterOf(r.Context(), s.DB, *p, id, r.PathValue("kind"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "pdf" {
		writeLetterPDF(w, l)
		return nil
	}
	httpapi.Write(w, http.StatusOK, struct {
		takedown.Letter
		Text string `json:"text"`
	}{l, l.Text()})
	return nil
}

func writeLetterPDF(w http.ResponseWriter, l takedown.Letter) {
	body := l.PDF()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", takedown.LetterFile(l)))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) apiTakedownChecks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return err
	}
	list, err := takedown.Checks(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []takedown.Check{}
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, len(list)+1, nil))
	return nil
}

func (s *Server) checkTakedown(r *http.Request, p *auth.Principal, id int64) ([]takedown.Check, error) {
	if s.TakedownChecks == nil {
		return nil, problem.New(problem.Unavailable, "Garda's takedown checks are not configured on this instance")
	}
	return s.TakedownChecks.CheckRequest(r.Context(), *p, id)
}

func (s *Server) apiTakedownCheckNow(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return err
	}
	list, err := s.checkTakedown(r, p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, len(list)+1, nil))
	return nil
}

func (s *Server) apiPlatformCompliance(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	reg, err := takedown.LoadRegistry(r.Context(), s.DB)
	if err != nil {
		return err
	}
	pl, ok := reg.BySlug(r.PathValue("slug"))
	if !ok {
		return problem.New(problem.NotFound, "no platform %q", r.PathValue("slug"))
	}
	c, err := takedown.PlatformCompliance(r.Context(), s.DB, *p, pl.ID, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, c)
	return nil
}

// takedownLetterView is the data of a letter's printable page.
type takedownLetterView struct {
	R      takedown.Request
	L      takedown.Letter
	Text   [][]string // the letter's text, by paragraph and line
	PDFURL string
}

func (p *pages) loadLetter(r *http.Request, rq *req) (takedown.Request, takedown.Letter, error) {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return takedown.Request{}, takedown.Letter{}, err
	}
	t, err := takedown.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return t, takedown.Letter{}, err
	}
	l, err := takedown.LetterOf(r.Context(), p.s.DB, *rq.P, id, r.PathValue("kind"))
	return t, l, err
}

func (p *pages) takedownLetter(w http.ResponseWriter, r *http.Request, rq *req) error {
	t, l, err := p.loadLetter(r, rq)
	if err != nil {
		return err
	}
	v := takedownLetterView{R: t, L: l, PDFURL: fmt.Sprintf("/penurunan-konten/%d/surat/%s/pdf", t.ID, l.Kind)}
	for _, para := range strings.Split(strings.TrimSpace(l.Text()), "\n\n") {
		v.Text = append(v.Text, strings.Split(para, "\n"))
	}
	p.render(w, r, http.StatusOK, "takedown_letter.html", page{req: rq, Title: l.Number, Active: "nav.takedown", Data: v})
	return nil
}

func (p *pages) takedownLetterPDF(w http.ResponseWriter, r *http.Request, rq *req) error {
	_, l, err := p.loadLetter(r, rq)
	if err != nil {
		return err
	}
	writeLetterPDF(w, l)
	return nil
}

// takedownCheckNow checks a request's URLs now, from its page.
func (p *pages) takedownCheckNow(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "takedown request")
	if err != nil {
		return err
	}
	if _, err := p.s.checkTakedown(r, rq.P, id); err != nil {
		pe := problem.As(err)
		if pe == nil {
			return err
		}
		v, lerr := p.loadTakedown(r, rq)
		if lerr != nil {
			return lerr
		}
		v.Error = rq.T("takedown.refused", pe.Message)
		p.render(w, r, pe.Status(), "takedown.html", page{req: rq, Title: v.R.Number, Active: "nav.takedown", Data: v})
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/penurunan-konten/%d?ok=periksa", id), http.StatusSeeOther)
	return nil
}

// MayRequestTakedown says whether the page's reader files takedown
// requests, for the "request takedown" buttons of other pages.
func (rq *req) MayRequestTakedown() bool {
	if rq.P == nil || rq.pg == nil {
		return false
	}
	ctx := rq.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ok, err := takedown.MayFile(ctx, rq.pg.s.DB, *rq.P)
	return err == nil && ok
}
