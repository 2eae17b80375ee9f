package takedown

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web/shell"
)

// The takedown pages ("Penurunan Konten"): the queue of requests by
// deadline, a new request, a request's page (its URLs, their answers and
// clocks, its history, and the forms of the steps the reader may take),
// and a platform's page with its figures. Who may do what is decided in
// package takedown; the pages only hide the forms a person could not use.

func (s *pillar) pageRoutes() {
	s.sh.Page("GET /penurunan-konten", s.takedownQueue)
	s.sh.Page("GET /penurunan-konten/baru", s.takedownNew)
	s.sh.Page("POST /penurunan-konten/baru", s.takedownCreate)
	s.sh.Page("GET /penurunan-konten/{id}", s.takedownDetail)
	s.sh.Page("POST /penurunan-konten/{id}/{step}", s.takedownStep)
	s.sh.Page("GET /penurunan-konten/platform/{slug}", s.takedownPlatform)
	s.letterPages() // letters, checks on demand (letters.go)
}

// takedownQueueView is the data of the queue.
type takedownQueueView struct {
	Statuses  []shell.Option
	Platforms []shell.Option
	Registry  []takedown.Platform
	Overdue   bool
	Items     []takedown.Request
	CanFile   bool
	Error     string
}

func (s *pillar) takedownQueue(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	reg, err := takedown.LoadRegistry(ctx, s.DB)
	if err != nil {
		return err
	}
	v := takedownQueueView{Overdue: q.Get("overdue") == "true", Registry: reg.All()}
	status := q.Get("status")
	if _, set := q["status"]; !set {
		status = "open"
	}
	v.Statuses = []shell.Option{{Value: "open", Label: rq.T("takedown.open"), Selected: status == "open"}, {Value: "", Label: rq.T("filter.all"), Selected: status == ""}}
	for _, st := range takedown.Statuses {
		v.Statuses = append(v.Statuses, shell.Option{Value: st, Label: rq.T("tdstatus." + st), Selected: status == st})
	}
	v.Platforms = []shell.Option{{Value: "", Label: rq.T("filter.all")}}
	for _, pl := range v.Registry {
		v.Platforms = append(v.Platforms, shell.Option{Value: pl.Slug, Label: pl.Name, Selected: q.Get("platform") == pl.Slug})
	}
	f := takedown.Filter{Platform: q.Get("platform"), Overdue: v.Overdue, Now: store.Now(), Limit: 200, ByDeadline: true}
	switch status {
	case "open":
		f.Status = []string{takedown.Draft, takedown.Approved, takedown.Sent, takedown.Acknowledged}
	case "":
	default:
		f.Status = []string{status}
	}
	httpStatus := http.StatusOK
	if _, ok := reg.BySlug(f.Platform); f.Platform != "" && !ok {
		v.Error, f.Platform, httpStatus = rq.T("takedown.bad_platform"), "", http.StatusBadRequest
	}
	v.Items, err = takedown.List(ctx, s.DB, *rq.Principal(), f)
	if problem.Is(err, problem.Invalid) {
		f.Status, v.Error, httpStatus = nil, rq.T("takedown.bad_status"), http.StatusBadRequest
		v.Items, err = takedown.List(ctx, s.DB, *rq.Principal(), f)
	}
	if err != nil {
		return err
	}
	if len(v.Items) > f.Limit {
		v.Items = v.Items[:f.Limit]
	}
	if v.CanFile, err = takedown.MayFile(ctx, s.DB, *rq.Principal()); err != nil {
		return err
	}
	s.sh.Render(w, r, rq, httpStatus, "takedowns.html", shell.View{Title: rq.T("nav.takedown"), Active: "nav.takedown", Data: v})
	return nil
}

// takedownForm is the new-request form, kept to show again when refused.
type takedownForm struct {
	Platforms  []shell.Option
	Categories []shell.Option
	Bases      []takedown.LegalBasis
	Chosen     map[string]bool
	URLs       string
	Urgent     bool
	Summary    string
	Notes      string
	Error      string
	// FromIncident, FromPatrol: the request is filed from an incident's
	// observables or a patrol item (its evidence hashes come along).
	FromIncident string
	FromPatrol   string
}

func (s *pillar) takedownFormFor(r *http.Request, rq shell.Request) (takedownForm, error) {
	reg, err := takedown.LoadRegistry(r.Context(), s.DB)
	if err != nil {
		return takedownForm{}, err
	}
	f := r.PostForm
	if r.Method == http.MethodGet {
		f = r.URL.Query() // a request begun from elsewhere (a patrol item) arrives filled in
	}
	v := takedownForm{Bases: takedown.LegalBases, Chosen: map[string]bool{}, URLs: f.Get("urls"), Urgent: f.Get("urgency") == takedown.Urgent,
		Summary: f.Get("summary"), Notes: f.Get("notes"), FromIncident: f.Get("from_incident"), FromPatrol: f.Get("from_patrol")}
	v.Platforms = []shell.Option{{Value: "", Label: rq.T("takedown.platform_auto")}}
	for _, pl := range reg.All() {
		v.Platforms = append(v.Platforms, shell.Option{Value: pl.Slug, Label: pl.Name, Selected: f.Get("platform") == pl.Slug})
	}
	for _, c := range takedown.Categories {
		v.Categories = append(v.Categories, shell.Option{Value: c, Label: rq.T("tdcat." + c), Selected: f.Get("category") == c})
	}
	for _, b := range f["legal_basis"] {
		v.Chosen[b] = true
	}
	return v, nil
}

func (s *pillar) takedownNew(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	if ok, err := takedown.MayFile(r.Context(), s.DB, *rq.Principal()); err != nil {
		return err
	} else if !ok {
		return problem.New(problem.Forbidden, "your role does not file takedown requests")
	}
	v, err := s.takedownFormFor(r, rq)
	if err != nil {
		return err
	}
	s.sh.Render(w, r, rq, http.StatusOK, "takedown_form.html", shell.View{Title: rq.T("takedown.new"), Active: "nav.takedown", Data: v})
	return nil
}

func (s *pillar) takedownCreate(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	f := r.PostForm
	var urls []string
	for _, line := range strings.Split(f.Get("urls"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			urls = append(urls, line)
		}
	}
	fromPatrol, _ := strconv.ParseInt(f.Get("from_patrol"), 10, 64)
	t, err := takedown.Create(r.Context(), s.DB, *rq.Principal(), takedown.New{Platform: f.Get("platform"), URLs: urls, Category: f.Get("category"),
		LegalBasis: f["legal_basis"], Urgency: f.Get("urgency"), Summary: f.Get("summary"), Notes: f.Get("notes"),
		FromIncident: f.Get("from_incident"), FromPatrol: fromPatrol})
	if pe, ok := shell.FormFailed(err); ok {
		v, ferr := s.takedownFormFor(r, rq)
		if ferr != nil {
			return ferr
		}
		v.Error = rq.T("takedown.refused", pe.Message)
		s.sh.Render(w, r, rq, pe.Status(), "takedown_form.html", shell.View{Title: rq.T("takedown.new"), Active: "nav.takedown", Data: v})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/penurunan-konten/%d?ok=created", t.ID), http.StatusSeeOther)
	return nil
}

// takedownDetailView is the data of a request's page.
type takedownDetailView struct {
	R        takedown.Request
	History  []takedown.Event
	Rights   takedown.Rights
	Channels []string
	Bases    map[string]string
	Error    string
	Letters  []takedown.IssuedLetter
	Checks   []takedown.Check // the latest first
	// Letter is the request letter's kind when there is one to show
	// (approved or later); CanCheck, whether the reader may check now.
	Letter       string
	CanCheck     bool
	StageLetters map[int]string
}

func (s *pillar) loadTakedown(r *http.Request, rq shell.Request) (takedownDetailView, error) {
	ctx := r.Context()
	id, err := shell.PathID(r, "takedown request")
	if err != nil {
		return takedownDetailView{}, err
	}
	var v takedownDetailView
	if v.R, err = takedown.Get(ctx, s.DB, *rq.Principal(), id); err != nil {
		return v, err
	}
	if v.History, err = takedown.History(ctx, s.DB, *rq.Principal(), id); err != nil {
		return v, err
	}
	for i, ev := range v.History {
		// A "sent" event's body is the channel's code and where it went.
		if ch, to, _ := strings.Cut(ev.Body, " "); ev.Kind == "sent" && ch != "" {
			v.History[i].Body = strings.TrimSpace(rq.T("tdchannel."+ch) + " " + to)
		}
	}
	if v.Rights, err = takedown.RightsOn(ctx, s.DB, *rq.Principal(), v.R); err != nil {
		return v, err
	}
	reg, err := takedown.LoadRegistry(ctx, s.DB)
	if err != nil {
		return v, err
	}
	if pl, ok := reg.ByID(v.R.PlatformID); ok {
		v.Channels = pl.Channels()
	}
	v.Bases = map[string]string{}
	for _, b := range takedown.LegalBases {
		v.Bases[b.Key] = b.Label
	}
	if v.Letters, err = takedown.Letters(ctx, s.DB, *rq.Principal(), id); err != nil {
		return v, err
	}
	if v.R.ApprovedAt != nil && len(v.Letters) == 0 {
		v.Letter = takedown.LetterRequest // approved, not yet sent: the letter as it will go
	}
	if v.Checks, err = takedown.Checks(ctx, s.DB, *rq.Principal(), id); err != nil {
		return v, err
	}
	if len(v.Checks) > 20 {
		v.Checks = v.Checks[:20]
	}
	v.StageLetters = takedown.StageLetter
	v.CanCheck = s.Checks != nil && v.R.SentAt != nil && !v.Rights.Platform && rq.Principal().Viewer.OrgID == v.R.OwnerOrgID
	return v, nil
}

func (s *pillar) takedownDetail(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadTakedown(r, rq)
	if err != nil {
		return err
	}
	flash := ""
	if key, ok := takedownFlashes[r.URL.Query().Get("ok")]; ok {
		flash = rq.T(key)
	}
	s.sh.Render(w, r, rq, http.StatusOK, "takedown.html", shell.View{Title: v.R.Number, Active: "nav.takedown", Flash: flash, Data: v})
	return nil
}

// takedownFlashes are the confirmations after each step, by the step's
// name in the redirect.
var takedownFlashes = map[string]string{
	"created": "takedown.ok_created", "setujui": "takedown.ok_setujui", "kirim": "takedown.ok_kirim",
	"terima": "takedown.ok_terima", "jawab": "takedown.ok_jawab", "putuskan": "takedown.ok_putuskan",
	"periksa": "takedown.ok_periksa",
}

// takedownStep takes one lifecycle step from the request's page; a refusal
// is shown on the page, with nothing changed.
func (s *pillar) takedownStep(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, err := shell.PathID(r, "takedown request")
	if err != nil {
		return err
	}
	f := r.PostForm
	lc := s.lifecycle()
	urlID, _ := strconv.ParseInt(f.Get("url_id"), 10, 64)
	step := r.PathValue("step")
	switch step {
	case "setujui":
		_, err = lc.Approve(r.Context(), *rq.Principal(), id)
	case "kirim":
		_, err = lc.Send(r.Context(), *rq.Principal(), id, f.Get("channel"))
	case "terima":
		_, err = lc.Acknowledge(r.Context(), *rq.Principal(), id)
	case "jawab":
		_, err = lc.Answer(r.Context(), *rq.Principal(), id, takedown.Answer{URLID: urlID, Outcome: f.Get("outcome"), Reason: f.Get("reason")})
	case "putuskan":
		_, err = lc.Decide(r.Context(), *rq.Principal(), id, takedown.Decision{URLID: urlID, Decision: f.Get("decision"), Note: f.Get("note")})
	default:
		return problem.New(problem.NotFound, "no step %q", step)
	}
	if err != nil {
		pe, ok := shell.FormFailed(err)
		if !ok {
			if pe = problem.As(err); pe == nil || pe.Code != problem.Forbidden {
				return err
			}
		}
		return s.refused(w, r, rq, pe)
	}
	http.Redirect(w, r, fmt.Sprintf("/penurunan-konten/%d?ok=%s", id, step), http.StatusSeeOther)
	return nil
}

// refused shows a request's page again with the refusal of a step taken
// from it; nothing changed.
func (s *pillar) refused(w http.ResponseWriter, r *http.Request, rq shell.Request, pe *problem.Error) error {
	v, err := s.loadTakedown(r, rq)
	if err != nil {
		return err
	}
	v.Error = rq.T("takedown.refused", pe.Message)
	s.sh.Render(w, r, rq, pe.Status(), "takedown.html", shell.View{Title: v.R.Number, Active: "nav.takedown", Data: v})
	return nil
}

// takedownPlatformView is the data of a platform's page.
type takedownPlatformView struct {
	P        takedown.Platform
	Stats    takedown.Stats
	Tables   []complianceTable // compliance by week and by category
	Share    string
	Items    []takedown.Request
	Statuses []string
	Outcomes []string
}

func (s *pillar) takedownPlatform(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	ctx := r.Context()
	reg, err := takedown.LoadRegistry(ctx, s.DB)
	if err != nil {
		return err
	}
	pl, ok := reg.BySlug(r.PathValue("slug"))
	if !ok {
		return problem.New(problem.NotFound, "no platform %q", r.PathValue("slug"))
	}
	v := takedownPlatformView{P: pl, Statuses: takedown.Statuses, Outcomes: takedown.Outcomes}
	now := store.Now()
	if v.Stats, err = takedown.PlatformStats(ctx, s.DB, *rq.Principal(), pl.ID, now); err != nil {
		return err
	}
	v.Share = fmt.Sprintf("%.0f%%", v.Stats.ShareWithinDeadline*100)
	c, err := takedown.PlatformCompliance(ctx, s.DB, *rq.Principal(), pl.ID, now)
	if err != nil {
		return err
	}
	hours := func(h float64) string { return rq.T("takedown.c_hours", fmt.Sprintf("%.1f", h)) }
	v.Tables = []complianceTable{complianceTableOf("takedown.c_by_week", false, c.ByWeek, hours), complianceTableOf("takedown.c_by_category", true, c.ByCategory, hours)}
	if v.Items, err = takedown.List(ctx, s.DB, *rq.Principal(), takedown.Filter{Platform: pl.Slug, Now: now, Limit: 50}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if len(v.Items) > 50 {
		v.Items = v.Items[:50]
	}
	s.sh.Render(w, r, rq, http.StatusOK, "takedown_platform.html", shell.View{Title: pl.Name, Active: "nav.takedown", Data: v})
	return nil
}

// complianceTable is a platform's compliance by week or by category, as
// the page shows it.
type complianceTable struct {
	Title      string
	ByCategory bool
	Rows       []complianceRow
}

type complianceRow struct {
	takedown.ComplianceRow
	Share, Median string
}

func complianceTableOf(title string, byCategory bool, rows []takedown.ComplianceRow, hours func(float64) string) complianceTable {
	t := complianceTable{Title: title, ByCategory: byCategory}
	for _, r := range rows {
		v := complianceRow{ComplianceRow: r, Share: fmt.Sprintf("%.0f%% (%d/%d)", r.Share*100, r.WithinDeadline, r.Judged), Median: "—"}
		if r.Measured > 0 {
			v.Median = hours(r.MedianHours)
		}
		t.Rows = append(t.Rows, v)
	}
	return t
}
