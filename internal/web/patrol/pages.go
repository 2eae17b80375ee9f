package patrol

import (
	"errors"
	"fmt"
	"github.com/garda-id/garda/internal/web/shell"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/imports"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The cyber patrol's pages ("Patroli Siber"): the shift's queue (live),
// an item with its capture, OCR text, matched claims, personal-data
// counts and actions, the sources with their health, and the weekly
// counts per platform. Who may do what is decided in package patrol; the
// pages only hide the forms a person could not use.

func (s *pillar) patrolRoutes() {
	s.sh.Page("GET /patroli", s.patrolQueue)
	s.sh.Page("GET /patroli/item/{id}", s.patrolItem)
	s.sh.Page("GET /patroli/item/{id}/baris", s.patrolRow)
	s.sh.Page("GET /patroli/item/{id}/salinan", s.patrolCopy)
	s.sh.Page("POST /patroli/item/{id}/label", s.patrolLabel)
	s.sh.Page("POST /patroli/item/{id}/klaim", s.patrolLinkClaim)
	s.sh.Page("POST /patroli/item/{id}/insiden", s.patrolIncident)
	s.sh.Page("GET /patroli/sumber", s.patrolSources)
	s.sh.Page("POST /patroli/sumber", s.patrolAddSource)
	s.sh.Page("GET /patroli/sumber/{id}", s.patrolSource)
	s.sh.Page("POST /patroli/sumber/{id}/jalankan", s.patrolRunSource)
	s.sh.Page("POST /patroli/sumber/{id}/jeda", s.patrolPauseSource)
	s.sh.Upload("POST /patroli/sumber/{id}/impor", s.patrolImport)
	s.sh.Page("GET /patroli/mingguan", s.patrolWeekly)
}

// patrolQueueView is the data of the shift's queue.
type patrolQueueView struct {
	Region    shell.Picker
	Platforms []shell.Option
	Labels    []shell.Option
	Sources   []shell.Option
	Sorts     []shell.Option
	PIIOnly   bool
	FocusOnly bool     // only items holding their phase's focus words
	FocusNow  []string // the focus words of the phases running now in the reader's zone
	Items     []patrol.Item
	Live      string // the stream's URL with the filters
	RowURL    string
	Error     string
	First     string
	Next      string
}

func patrolLabelOptions(rq shell.Request, selected string, none bool) []shell.Option {
	var out []shell.Option
	if none {
		out = append(out, shell.Option{Value: "none", Label: rq.T("patrol.unlabelled"), Selected: selected == "none"})
	}
	for _, l := range patrol.Labels {
		out = append(out, shell.Option{Value: string(l), Label: rq.T("plabel." + string(l)), Selected: selected == string(l)})
	}
	return out
}

func (s *pillar) patrolQueue(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	q := r.URL.Query()
	v := patrolQueueView{Region: rq.RegionPicker("f-region", "region", q.Get("region")), PIIOnly: q.Get("pii") == "true", FocusOnly: q.Get("focus") == "true"}
	cal, err := calendar.Load(r.Context(), s.DB) // rooms5: the phase's focus words
	if err != nil {
		return err
	}
	v.FocusNow = cal.FocusAt(store.Now(), calendar.ZoneOf(rq.Principal().User.Scope))
	for _, pl := range patrol.Platforms {
		v.Platforms = append(v.Platforms, shell.Option{Value: pl, Label: rq.L("platform", pl), Selected: q.Get("platform") == pl})
	}
	v.Labels = patrolLabelOptions(rq, q.Get("label"), true)
	for _, s := range []struct {
		sort patrol.Sort
		key  string
	}{{patrol.Newest, "patrol.sort_newest"}, {patrol.MostShared, "patrol.sort_most_shared"}} {
		v.Sorts = append(v.Sorts, shell.Option{Value: string(s.sort), Label: rq.T(s.key), Selected: q.Get("sort") == string(s.sort)})
	}
	sources, err := patrol.ListSources(r.Context(), s.DB, *rq.Principal())
	if err != nil {
		return err
	}
	for _, s := range sources {
		v.Sources = append(v.Sources, shell.Option{Value: strconv.FormatInt(s.ID, 10), Label: s.Name, Selected: q.Get("source") == strconv.FormatInt(s.ID, 10)})
	}
	status := http.StatusOK
	f, ferr := patrolFilter(q)
	if ferr == nil && f.Platform != "" && patrol.PlatformOf(f.Platform, "") != f.Platform {
		ferr = problem.Field("platform", "unknown platform")
	}
	if ferr == nil && f.Label != "" && f.Label != "none" && !patrol.Label(f.Label).Valid() {
		ferr = problem.Field("label", "unknown label")
	}
	if ferr == nil && f.Sort != "" && f.Sort != patrol.Newest && f.Sort != patrol.MostShared {
		ferr = problem.Field("sort", "unknown order")
	}
	if ferr != nil {
		v.Error, status, f = rq.T("patrol.bad_filter"), http.StatusBadRequest, patrol.Filter{}
	}
	if b, ok := patrol.ParseID(q.Get("sebelum")); ok {
		f.After = b
		v.First = shell.PageURL(r, "sebelum", "")
	}
	f.Limit = 50
	list, err := patrol.List(r.Context(), s.DB, *rq.Principal(), f)
	if err != nil {
		return err
	}
	if len(list) > f.Limit {
		list = list[:f.Limit]
		v.Next = shell.PageURL(r, "sebelum", strconv.FormatInt(list[len(list)-1].ID, 10))
	}
	v.Items = list
	filters := url.Values{}
	for _, k := range []string{"region", "platform", "label", "source", "pii", "focus"} {
		if x := q.Get(k); x != "" && ferr == nil {
			filters.Set(k, x)
		}
	}
	if s.Bus != nil && f.After == 0 {
		v.Live = "/api/v1/patrol/items/stream?" + filters.Encode()
	}
	v.RowURL = "/patroli/item/{id}/baris?" + filters.Encode()
	s.sh.Render(w, r, rq, status, "patrol.html", shell.View{Title: rq.T("nav.patrol"), Active: "nav.patrol", Data: v})
	return nil
}

// patrolRow is one queue row (the live queue fetches it), saying in
// X-Queue-Match whether the item passes the queue's filters.
func (s *pillar) patrolRow(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	it, err := patrol.Get(r.Context(), s.DB, *rq.Principal(), id)
	if err != nil {
		return err
	}
	f, _ := patrolFilter(r.URL.Query())
	match := "1"
	if !patrolPasses(it, f) {
		match = "0"
	}
	w.Header().Set("X-Queue-Match", match)
	return s.sh.Part(w, rq, "patrol.html", "patrol-row", it)
}

// patrolItemView is the data of an item's page.
type patrolItemView struct {
	Item      patrol.Item
	History   []patrol.Event
	Labels    []shell.Option
	CanWork   bool
	Breach    bool // opening an incident records a UU PDP breach
	Threshold int
	HasCopy   bool
	// CanIndicator: the item's domain may become an indicator (intel).
	CanIndicator bool
	OCRStep      string // the OCR step's state, without its reason
	OCRWhy       string // why it failed
	Flash        string
	Error        string
}

func (s *pillar) loadPatrolItem(r *http.Request, rq shell.Request) (patrolItemView, error) {
	var v patrolItemView
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return v, problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	it, err := patrol.Get(r.Context(), s.DB, *rq.Principal(), id)
	if err != nil {
		return v, err
	}
	if v.History, err = patrol.History(r.Context(), s.DB, *rq.Principal(), id); err != nil {
		return v, err
	}
	v.Item, v.Labels = it, patrolLabelOptions(rq, string(it.Label), false)
	v.CanWork = policy.CanCase(rq.Principal().Viewer, it.Record(), policy.CaseTriage)
	v.CanIndicator = it.URL != "" && rq.Principal().Can(policy.Investigate)
	v.Threshold = patrol.BreachThreshold
	v.Breach = it.PII.NIK+it.PII.KK >= patrol.BreachThreshold
	v.HasCopy = it.EvidenceSHA256 != "" && s.DataDir != ""
	step, why, _ := strings.Cut(it.OCRStatus, ":")
	v.OCRStep, v.OCRWhy = step, strings.TrimSpace(why)
	if v.OCRStep == "" {
		v.OCRStep = patrol.StepNone
	}
	return v, nil
}

func (s *pillar) patrolItem(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadPatrolItem(r, rq)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("selesai") {
	case "label":
		v.Flash = rq.T("patrol.done_label")
	case "claim":
		v.Flash = rq.T("patrol.done_claim")
	}
	s.sh.Render(w, r, rq, http.StatusOK, "patrol_item.html", shell.View{Title: v.Item.HumanID, Active: "nav.patrol", Flash: v.Flash, Data: v})
	return nil
}

// patrolRefused shows the item page again with the refusal above it.
func (s *pillar) patrolRefused(w http.ResponseWriter, r *http.Request, rq shell.Request, err error) error {
	pe := problem.As(err)
	if pe == nil || pe.Code == problem.NotFound || pe.Code == problem.Internal {
		return err
	}
	v, lerr := s.loadPatrolItem(r, rq)
	if lerr != nil {
		return lerr
	}
	v.Error = pe.Message
	s.sh.Render(w, r, rq, pe.Status(), "patrol_item.html", shell.View{Title: v.Item.HumanID, Active: "nav.patrol", Data: v})
	return nil
}

func (s *pillar) patrolLabel(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	if _, err := patrol.SetLabel(r.Context(), s.DB, *rq.Principal(), id, patrol.Label(r.PostForm.Get("label"))); err != nil {
		return s.patrolRefused(w, r, rq, err)
	}
	s.changed(r.Context(), id)
	http.Redirect(w, r, fmt.Sprintf("/patroli/item/%d?selesai=label", id), http.StatusSeeOther)
	return nil
}

func (s *pillar) patrolLinkClaim(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	if _, err := patrol.LinkClaim(r.Context(), s.DB, *rq.Principal(), id, r.PostForm.Get("claim_id")); err != nil {
		return s.patrolRefused(w, r, rq, err)
	}
	s.changed(r.Context(), id)
	http.Redirect(w, r, fmt.Sprintf("/patroli/item/%d?selesai=claim", id), http.StatusSeeOther)
	return nil
}

func (s *pillar) patrolIncident(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	inc, err := patrol.OpenIncident(r.Context(), s.DB, *rq.Principal(), tree, id)
	if err != nil && inc.ID == 0 {
		return s.patrolRefused(w, r, rq, err)
	}
	s.changed(r.Context(), id)
	http.Redirect(w, r, "/insiden/"+inc.HumanID, http.StatusSeeOther)
	return nil
}

// patrolCopy hands out an item's stored copy as a download (never
// rendered: a captured page is hostile content), after checking its
// hash, and records the hand-out in the item's chain of custody.
func (s *pillar) patrolCopy(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadPatrolItem(r, rq)
	if err != nil {
		return err
	}
	if !v.HasCopy {
		return problem.New(problem.NotFound, "item %s has no stored copy", v.Item.HumanID)
	}
	f, err := evidence.Store{Dir: s.DataDir}.Open(patrol.EvidenceFolder, v.Item.Evidence())
	if err != nil {
		if errors.Is(err, evidence.ErrTampered) {
			return problem.New(problem.Conflict, "the stored copy of %s no longer matches its SHA-256: it was not handed out", v.Item.HumanID)
		}
		return err
	}
	defer f.Close()
	if err := patrol.RecordDownload(r.Context(), s.DB, *rq.Principal(), v.Item.ID, shell.ClientAddr(r)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.bin"`, v.Item.HumanID, v.Item.EvidenceSHA256[:12]))
	w.Header().Set("X-Content-SHA256", v.Item.EvidenceSHA256)
	_, err = io.Copy(w, f)
	return err
}

// patrolSourcesView is the data of the sources page.
type patrolSourcesView struct {
	Sources []patrol.Source
	Types   []shell.Option
	CanAdd  bool
	Form    map[string]string
	Error   string
}

func (s *pillar) sourcesView(r *http.Request, rq shell.Request) (patrolSourcesView, error) {
	list, err := patrol.ListSources(r.Context(), s.DB, *rq.Principal())
	v := patrolSourcesView{Sources: list, CanAdd: rq.Principal().Can(policy.Ingest), Form: map[string]string{}}
	for _, t := range patrol.SourceTypes {
		if t == patrol.Form || t == patrol.API {
			continue // one each, made by the platform
		}
		v.Types = append(v.Types, shell.Option{Value: string(t), Label: rq.T("psource." + string(t))})
	}
	return v, err
}

func (s *pillar) patrolSources(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.sourcesView(r, rq)
	if err != nil {
		return err
	}
	s.sh.Render(w, r, rq, http.StatusOK, "patrol_sources.html", shell.View{Title: rq.T("patrol.sources"), Active: "nav.patrol", Data: v})
	return nil
}

func (s *pillar) patrolAddSource(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	f := r.PostForm
	every, _ := strconv.Atoi(f.Get("every"))
	depth, _ := strconv.Atoi(f.Get("depth"))
	pages, _ := strconv.Atoi(f.Get("pages"))
	rps, _ := strconv.ParseFloat(f.Get("rps"), 64)
	in := patrol.SourceInput{Name: f.Get("name"), Type: patrol.SourceType(f.Get("type")), URL: f.Get("url"), Platform: f.Get("platform"),
		Every: every, Region: strings.TrimSpace(f.Get("region")), Crawl: patrol.CrawlConfig{MaxDepth: depth, MaxPages: pages, RPS: rps}}
	src, err := patrol.CreateSource(r.Context(), s.DB, *rq.Principal(), in)
	if err != nil {
		pe := problem.As(err)
		if pe == nil || pe.Code == problem.Internal {
			return err
		}
		v, lerr := s.sourcesView(r, rq)
		if lerr != nil {
			return lerr
		}
		v.Error = pe.Error()
		for _, k := range []string{"name", "type", "url", "platform", "every", "region", "depth", "pages", "rps"} {
			v.Form[k] = f.Get(k)
		}
		s.sh.Render(w, r, rq, pe.Status(), "patrol_sources.html", shell.View{Title: rq.T("patrol.sources"), Active: "nav.patrol", Data: v})
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/patroli/sumber/%d", src.ID), http.StatusSeeOther)
	return nil
}

// patrolSourceView is the data of a source's page.
type patrolSourceView struct {
	Source  patrol.Source
	Items   []patrol.Item
	Formats []shell.Option
	CanRun  bool
	Result  string
	Error   string
}

func (s *pillar) loadSource(r *http.Request, rq shell.Request) (patrolSourceView, error) {
	var v patrolSourceView
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return v, problem.New(problem.NotFound, "no patrol source %q", r.PathValue("id"))
	}
	src, err := patrol.GetSource(r.Context(), s.DB, *rq.Principal(), id)
	if err != nil {
		return v, err
	}
	v.Source = src
	v.CanRun = s.Patrol != nil && rq.Principal().Can(policy.Ingest) && src.OwnerID == rq.Principal().Org.ID
	for _, f := range imports.Formats {
		v.Formats = append(v.Formats, shell.Option{Value: string(f), Label: rq.T("pformat." + string(f))})
	}
	items, err := patrol.List(r.Context(), s.DB, *rq.Principal(), patrol.Filter{SourceID: id, Limit: 20})
	if len(items) > 20 {
		items = items[:20]
	}
	v.Items = items
	return v, err
}

func (s *pillar) patrolSource(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadSource(r, rq)
	if err != nil {
		return err
	}
	s.sh.Render(w, r, rq, http.StatusOK, "patrol_source.html", shell.View{Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

func (s *pillar) patrolRunSource(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadSource(r, rq)
	if err != nil {
		return err
	}
	if !v.CanRun {
		return problem.New(problem.Forbidden, "only an analyst of the source's organisation runs it, on an instance with the patrol configured")
	}
	status := http.StatusOK
	if v.Source.Type.Fetched() {
		out, rerr := s.Patrol.Run(r.Context(), v.Source)
		v.Result = rq.T("patrol.run_result", out.New, out.Seen, out.Skipped)
		if rerr != nil {
			v.Error, status = rerr.Error(), http.StatusBadGateway
		}
	} else {
		v.Error, status = rq.T("patrol.not_fetched"), http.StatusConflict
	}
	if v2, err := s.loadSource(r, rq); err == nil {
		v.Source, v.Items = v2.Source, v2.Items
	}
	s.sh.Render(w, r, rq, status, "patrol_source.html", shell.View{Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

// patrolPauseSource pauses a source on a timetable, or resumes it.
func (s *pillar) patrolPauseSource(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol source %q", r.PathValue("id"))
	}
	src, err := patrol.GetSource(r.Context(), s.DB, *rq.Principal(), id)
	if err != nil {
		return err
	}
	if _, err := patrol.SetSourceEnabled(r.Context(), s.DB, *rq.Principal(), id, !src.Enabled); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patroli/sumber/%d", id), http.StatusSeeOther)
	return nil
}

func (s *pillar) patrolImport(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v, err := s.loadSource(r, rq)
	if err != nil {
		return err
	}
	if !v.CanRun || v.Source.Type != patrol.Import {
		return problem.New(problem.Forbidden, "only an analyst of the source's organisation imports, into an import source")
	}
	mr, err := s.sh.UploadOf(r)
	if err != nil {
		return err
	}
	format := imports.Auto
	var body io.Reader
	for {
		part, perr := mr.NextPart()
		if perr != nil {
			break
		}
		if part.FormName() == "format" {
			b, _ := io.ReadAll(io.LimitReader(part, 32))
			format = imports.Format(strings.TrimSpace(string(b)))
			continue
		}
		if part.FormName() == "file" {
			body = part
			break
		}
	}
	status := http.StatusOK
	if body == nil {
		v.Error, status = rq.T("patrol.no_file"), http.StatusBadRequest
	} else if format != imports.Auto && !validFormat(format) {
		v.Error, status = rq.T("patrol.bad_format"), http.StatusBadRequest
	} else {
		out, res, ierr := s.Patrol.Import(r.Context(), rq.Principal().Actor(), v.Source, body, format)
		v.Result = rq.T("patrol.import_result", res.Format, res.Read, out.New, out.Seen, out.Skipped)
		if len(out.Errors) > 0 {
			v.Result += " " + strings.Join(out.Errors[:min(5, len(out.Errors))], "; ")
		}
		if ierr != nil {
			v.Error, status = ierr.Error(), http.StatusBadRequest
		}
	}
	if v2, err := s.loadSource(r, rq); err == nil {
		v.Source, v.Items = v2.Source, v2.Items
	}
	s.sh.Render(w, r, rq, status, "patrol_source.html", shell.View{Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

// patrolWeeklyView is the data of the weekly counts.
type patrolWeeklyView struct {
	Weeks []patrol.Week
}

func (s *pillar) patrolWeekly(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	weeks, err := patrol.Weekly(r.Context(), s.DB, *rq.Principal(), store.Now(), 8)
	if err != nil {
		return err
	}
	s.sh.Render(w, r, rq, http.StatusOK, "patrol_weekly.html", shell.View{Title: rq.T("patrol.weekly"), Active: "nav.patrol", Data: patrolWeeklyView{Weeks: weeks}})
	return nil
}
