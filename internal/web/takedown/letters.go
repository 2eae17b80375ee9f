package takedown

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web/shell"
)

// Takedown letters (printable page, PDF, API), Garda's own checks on
// demand, and a platform's compliance by week and category.

// letterAPI registers the letters', checks' and compliance's API routes.
func (s *pillar) letterAPI() {
	s.sh.API("GET /api/v1/takedowns/{id}/letters", shell.SignedIn, s.apiTakedownLetters)
	s.sh.API("GET /api/v1/takedowns/{id}/letters/{kind}", shell.SignedIn, s.apiTakedownLetter)
	s.sh.API("GET /api/v1/takedowns/{id}/checks", shell.SignedIn, s.apiTakedownChecks)
	s.sh.API("POST /api/v1/takedowns/{id}/checks", shell.SignedIn, s.apiTakedownCheckNow)
	s.sh.API("GET /api/v1/platforms/{slug}/compliance", shell.SignedIn, s.apiPlatformCompliance)
}

func (s *pillar) letterPages() {
	s.sh.Page("GET /penurunan-konten/{id}/surat/{kind}", s.takedownLetter)
	s.sh.Page("GET /penurunan-konten/{id}/surat/{kind}/pdf", s.takedownLetterPDF)
	s.sh.Page("POST /penurunan-konten/{id}/periksa", s.takedownCheckNow)
}

func (s *pillar) apiTakedownLetters(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "takedown request")
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
func (s *pillar) apiTakedownLetter(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "takedown request")
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

func (s *pillar) apiTakedownChecks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "takedown request")
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

func (s *pillar) checkTakedown(r *http.Request, p *auth.Principal, id int64) ([]takedown.Check, error) {
	if s.Checks == nil {
		return nil, problem.New(problem.Unavailable, "Garda's takedown checks are not configured on this instance")
	}
	return s.Checks.CheckRequest(r.Context(), *p, id)
}

func (s *pillar) apiTakedownCheckNow(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := shell.PathID(r, "takedown request")
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

func (s *pillar) apiPlatformCompliance(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
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

func (s *pillar) loadLetter(r *http.Request, rq shell.Request) (takedown.Request, takedown.Letter, error) {
	id, err := shell.PathID(r, "takedown request")
	if err != nil {
		return takedown.Request{}, takedown.Letter{}, err
	}
	t, err := takedown.Get(r.Context(), s.DB, *rq.Principal(), id)
	if err != nil {
		return t, takedown.Letter{}, err
	}
	l, err := takedown.LetterOf(r.Context(), s.DB, *rq.Principal(), id, r.PathValue("kind"))
	return t, l, err
}

func (s *pillar) takedownLetter(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	t, l, err := s.loadLetter(r, rq)
	if err != nil {
		return err
	}
	v := takedownLetterView{R: t, L: l, PDFURL: fmt.Sprintf("/penurunan-konten/%d/surat/%s/pdf", t.ID, l.Kind)}
	for _, para := range strings.Split(strings.TrimSpace(l.Text()), "\n\n") {
		v.Text = append(v.Text, strings.Split(para, "\n"))
	}
	s.sh.Render(w, r, rq, http.StatusOK, "takedown_letter.html", shell.View{Title: l.Number, Active: "nav.takedown", Data: v})
	return nil
}

func (s *pillar) takedownLetterPDF(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	_, l, err := s.loadLetter(r, rq)
	if err != nil {
		return err
	}
	writeLetterPDF(w, l)
	return nil
}

// takedownCheckNow checks a request's URLs now, from its page.
func (s *pillar) takedownCheckNow(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, err := shell.PathID(r, "takedown request")
	if err != nil {
		return err
	}
	if _, err := s.checkTakedown(r, rq.Principal(), id); err != nil {
		pe := problem.As(err)
		if pe == nil {
			return err
		}
		return s.refused(w, r, rq, pe)
	}
	http.Redirect(w, r, fmt.Sprintf("/penurunan-konten/%d?ok=periksa", id), http.StatusSeeOther)
	return nil
}
