package web

import (
	"errors"
	"fmt"
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

func (p *pages) patrolRoutes() {
	p.handle("GET /patroli", p.patrolQueue)
	p.handle("GET /patroli/item/{id}", p.patrolItem)
	p.handle("GET /patroli/item/{id}/baris", p.patrolRow)
	p.handle("GET /patroli/item/{id}/salinan", p.patrolCopy)
	p.handle("POST /patroli/item/{id}/label", p.patrolLabel)
	p.handle("POST /patroli/item/{id}/klaim", p.patrolLinkClaim)
	p.handle("POST /patroli/item/{id}/insiden", p.patrolIncident)
	p.handle("GET /patroli/sumber", p.patrolSources)
	p.handle("POST /patroli/sumber", p.patrolAddSource)
	p.handle("GET /patroli/sumber/{id}", p.patrolSource)
	p.handle("POST /patroli/sumber/{id}/jalankan", p.patrolRunSource)
	p.handle("POST /patroli/sumber/{id}/jeda", p.patrolPauseSource)
	p.handleUpload("POST /patroli/sumber/{id}/impor", p.patrolImport)
	p.handle("GET /patroli/mingguan", p.patrolWeekly)
}

// patrolQueueView is the data of the shift's queue.
type patrolQueueView struct {
	Region    picker
	Platforms []option
	Labels    []option
	Sources   []option
	Sorts     []option
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

func (rq *req) patrolLabelOptions(selected string, none bool) []option {
	var out []option
	if none {
		out = append(out, option{Value: "none", Label: rq.T("patrol.unlabelled"), Selected: selected == "none"})
	}
	for _, l := range patrol.Labels {
		out = append(out, option{Value: string(l), Label: rq.T("plabel." + string(l)), Selected: selected == string(l)})
	}
	return out
}

func (p *pages) patrolQueue(w http.ResponseWriter, r *http.Request, rq *req) error {
	q := r.URL.Query()
	v := patrolQueueView{Region: rq.RegionPicker("f-region", "region", q.Get("region")), PIIOnly: q.Get("pii") == "true", FocusOnly: q.Get("focus") == "true"}
	cal, err := calendar.Load(r.Context(), p.s.DB) // rooms5: the phase's focus words
	if err != nil {
		return err
	}
	v.FocusNow = cal.FocusAt(store.Now(), calendar.ZoneOf(rq.P.User.Scope))
	for _, pl := range patrol.Platforms {
		v.Platforms = append(v.Platforms, option{Value: pl, Label: rq.L("platform", pl), Selected: q.Get("platform") == pl})
	}
	v.Labels = rq.patrolLabelOptions(q.Get("label"), true)
	for _, s := range []struct {
		sort patrol.Sort
		key  string
	}{{patrol.Newest, "patrol.sort_newest"}, {patrol.MostShared, "patrol.sort_most_shared"}} {
		v.Sorts = append(v.Sorts, option{Value: string(s.sort), Label: rq.T(s.key), Selected: q.Get("sort") == string(s.sort)})
	}
	sources, err := patrol.ListSources(r.Context(), p.s.DB, *rq.P)
	if err != nil {
		return err
	}
	for _, s := range sources {
		v.Sources = append(v.Sources, option{Value: strconv.FormatInt(s.ID, 10), Label: s.Name, Selected: q.Get("source") == strconv.FormatInt(s.ID, 10)})
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
		v.First = pageURL(r, "sebelum", "")
	}
	f.Limit = 50
	list, err := patrol.List(r.Context(), p.s.DB, *rq.P, f)
	if err != nil {
		return err
	}
	if len(list) > f.Limit {
		list = list[:f.Limit]
		v.Next = pageURL(r, "sebelum", strconv.FormatInt(list[len(list)-1].ID, 10))
	}
	v.Items = list
	filters := url.Values{}
	for _, k := range []string{"region", "platform", "label", "source", "pii", "focus"} {
		if x := q.Get(k); x != "" && ferr == nil {
			filters.Set(k, x)
		}
	}
	if p.s.Bus != nil && f.After == 0 {
		v.Live = "/api/v1/patrol/items/stream?" + filters.Encode()
	}
	v.RowURL = "/patroli/item/{id}/baris?" + filters.Encode()
	p.render(w, r, status, "patrol.html", page{req: rq, Title: rq.T("nav.patrol"), Active: "nav.patrol", Data: v})
	return nil
}

// patrolRow is one queue row (the live queue fetches it), saying in
// X-Queue-Match whether the item passes the queue's filters.
func (p *pages) patrolRow(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	it, err := patrol.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	f, _ := patrolFilter(r.URL.Query())
	match := "1"
	if !patrolPasses(it, f) {
		match = "0"
	}
	w.Header().Set("X-Queue-Match", match)
	t := p.tmpl["patrol.html"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return t.ExecuteTemplate(w, "patrol-row", page{req: rq, Data: it})
}

// patrolItemView is the data of an item's page.
type patrolItemView struct {
	Item      patrol.Item
	History   []patrol.Event
	Labels    []option
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

func (p *pages) loadPatrolItem(r *http.Request, rq *req) (patrolItemView, error) {
	var v patrolItemView
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return v, problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	it, err := patrol.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return v, err
	}
	if v.History, err = patrol.History(r.Context(), p.s.DB, *rq.P, id); err != nil {
		return v, err
	}
	v.Item, v.Labels = it, rq.patrolLabelOptions(string(it.Label), false)
	v.CanWork = policy.CanCase(rq.P.Viewer, it.Record(), policy.CaseTriage)
	v.CanIndicator = it.URL != "" && rq.P.Can(policy.Investigate)
	v.Threshold = patrol.BreachThreshold
	v.Breach = it.PII.NIK+it.PII.KK >= patrol.BreachThreshold
	v.HasCopy = it.EvidenceSHA256 != "" && p.s.DataDir != ""
	step, why, _ := strings.Cut(it.OCRStatus, ":")
	v.OCRStep, v.OCRWhy = step, strings.TrimSpace(why)
	if v.OCRStep == "" {
		v.OCRStep = patrol.StepNone
	}
	return v, nil
}

func (p *pages) patrolItem(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadPatrolItem(r, rq)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("selesai") {
	case "label":
		v.Flash = rq.T("patrol.done_label")
	case "claim":
		v.Flash = rq.T("patrol.done_claim")
	}
	p.render(w, r, http.StatusOK, "patrol_item.html", page{req: rq, Title: v.Item.HumanID, Active: "nav.patrol", Flash: v.Flash, Data: v})
	return nil
}

// patrolRefused shows the item page again with the refusal above it.
func (p *pages) patrolRefused(w http.ResponseWriter, r *http.Request, rq *req, err error) error {
	pe := problem.As(err)
	if pe == nil || pe.Code == problem.NotFound || pe.Code == problem.Internal {
		return err
	}
	v, lerr := p.loadPatrolItem(r, rq)
	if lerr != nil {
		return lerr
	}
	v.Error = pe.Message
	p.render(w, r, pe.Status(), "patrol_item.html", page{req: rq, Title: v.Item.HumanID, Active: "nav.patrol", Data: v})
	return nil
}

func (p *pages) patrolLabel(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	if _, err := patrol.SetLabel(r.Context(), p.s.DB, *rq.P, id, patrol.Label(r.PostForm.Get("label"))); err != nil {
		return p.patrolRefused(w, r, rq, err)
	}
	p.s.patrolChanged(r, id)
	http.Redirect(w, r, fmt.Sprintf("/patroli/item/%d?selesai=label", id), http.StatusSeeOther)
	return nil
}

func (p *pages) patrolLinkClaim(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	if _, err := patrol.LinkClaim(r.Context(), p.s.DB, *rq.P, id, r.PostForm.Get("claim_id")); err != nil {
		return p.patrolRefused(w, r, rq, err)
	}
	p.s.patrolChanged(r, id)
	http.Redirect(w, r, fmt.Sprintf("/patroli/item/%d?selesai=claim", id), http.StatusSeeOther)
	return nil
}

func (p *pages) patrolIncident(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	inc, err := patrol.OpenIncident(r.Context(), p.s.DB, *rq.P, tree, id)
	if err != nil && inc.ID == 0 {
		return p.patrolRefused(w, r, rq, err)
	}
	p.s.patrolChanged(r, id)
	http.Redirect(w, r, "/insiden/"+inc.HumanID, http.StatusSeeOther)
	return nil
}

// patrolCopy hands out an item's stored copy as a download (never
// rendered: a captured page is hostile content), after checking its
// hash, and records the hand-out in the item's chain of custody.
func (p *pages) patrolCopy(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadPatrolItem(r, rq)
	if err != nil {
		return err
	}
	if !v.HasCopy {
		return problem.New(problem.NotFound, "item %s has no stored copy", v.Item.HumanID)
	}
	f, err := evidence.Store{Dir: p.s.DataDir}.Open(patrol.EvidenceFolder, v.Item.Evidence())
	if err != nil {
		if errors.Is(err, evidence.ErrTampered) {
			return problem.New(problem.Conflict, "the stored copy of %s no longer matches its SHA-256: it was not handed out", v.Item.HumanID)
		}
		return err
	}
	defer f.Close()
	if err := patrol.RecordDownload(r.Context(), p.s.DB, *rq.P, v.Item.ID, clientAddr(r)); err != nil {
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
	Types   []option
	CanAdd  bool
	Form    map[string]string
	Error   string
}

func (p *pages) sourcesView(r *http.Request, rq *req) (patrolSourcesView, error) {
	list, err := patrol.ListSources(r.Context(), p.s.DB, *rq.P)
	v := patrolSourcesView{Sources: list, CanAdd: rq.Can(string(policy.Ingest)), Form: map[string]string{}}
	for _, t := range patrol.SourceTypes {
		if t == patrol.Form || t == patrol.API {
			continue // one each, made by the platform
		}
		v.Types = append(v.Types, option{Value: string(t), Label: rq.T("psource." + string(t))})
	}
	return v, err
}

func (p *pages) patrolSources(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.sourcesView(r, rq)
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "patrol_sources.html", page{req: rq, Title: rq.T("patrol.sources"), Active: "nav.patrol", Data: v})
	return nil
}

func (p *pages) patrolAddSource(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	every, _ := strconv.Atoi(f.Get("every"))
	depth, _ := strconv.Atoi(f.Get("depth"))
	pages, _ := strconv.Atoi(f.Get("pages"))
	rps, _ := strconv.ParseFloat(f.Get("rps"), 64)
	in := patrol.SourceInput{Name: f.Get("name"), Type: patrol.SourceType(f.Get("type")), URL: f.Get("url"), Platform: f.Get("platform"),
		Every: every, Region: strings.TrimSpace(f.Get("region")), Crawl: patrol.CrawlConfig{MaxDepth: depth, MaxPages: pages, RPS: rps}}
	src, err := patrol.CreateSource(r.Context(), p.s.DB, *rq.P, in)
	if err != nil {
		pe := problem.As(err)
		if pe == nil || pe.Code == problem.Internal {
			return err
		}
		v, lerr := p.sourcesView(r, rq)
		if lerr != nil {
			return lerr
		}
		v.Error = pe.Error()
		for _, k := range []string{"name", "type", "url", "platform", "every", "region", "depth", "pages", "rps"} {
			v.Form[k] = f.Get(k)
		}
		p.render(w, r, pe.Status(), "patrol_sources.html", page{req: rq, Title: rq.T("patrol.sources"), Active: "nav.patrol", Data: v})
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/patroli/sumber/%d", src.ID), http.StatusSeeOther)
	return nil
}

// patrolSourceView is the data of a source's page.
type patrolSourceView struct {
	Source  patrol.Source
	Items   []patrol.Item
	Formats []option
	CanRun  bool
	Result  string
	Error   string
}

func (p *pages) loadSource(r *http.Request, rq *req) (patrolSourceView, error) {
	var v patrolSourceView
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return v, problem.New(problem.NotFound, "no patrol source %q", r.PathValue("id"))
	}
	src, err := patrol.GetSource(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return v, err
	}
	v.Source = src
	v.CanRun = p.s.Patrol != nil && rq.Can(string(policy.Ingest)) && src.OwnerID == rq.P.Org.ID
	for _, f := range imports.Formats {
		v.Formats = append(v.Formats, option{Value: string(f), Label: rq.T("pformat." + string(f))})
	}
	items, err := patrol.List(r.Context(), p.s.DB, *rq.P, patrol.Filter{SourceID: id, Limit: 20})
	if len(items) > 20 {
		items = items[:20]
	}
	v.Items = items
	return v, err
}

func (p *pages) patrolSource(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadSource(r, rq)
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "patrol_source.html", page{req: rq, Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

func (p *pages) patrolRunSource(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadSource(r, rq)
	if err != nil {
		return err
	}
	if !v.CanRun {
		return problem.New(problem.Forbidden, "only an analyst of the source's organisation runs it, on an instance with the patrol configured")
	}
	status := http.StatusOK
	if v.Source.Type.Fetched() {
		out, rerr := p.s.Patrol.Run(r.Context(), v.Source)
		v.Result = rq.T("patrol.run_result", out.New, out.Seen, out.Skipped)
		if rerr != nil {
			v.Error, status = rerr.Error(), http.StatusBadGateway
		}
	} else {
		v.Error, status = rq.T("patrol.not_fetched"), http.StatusConflict
	}
	if v2, err := p.loadSource(r, rq); err == nil {
		v.Source, v.Items = v2.Source, v2.Items
	}
	p.render(w, r, status, "patrol_source.html", page{req: rq, Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

// patrolPauseSource pauses a source on a timetable, or resumes it.
func (p *pages) patrolPauseSource(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, ok := patrol.ParseID(r.PathValue("id"))
	if !ok {
		return problem.New(problem.NotFound, "no patrol source %q", r.PathValue("id"))
	}
	src, err := patrol.GetSource(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	if _, err := patrol.SetSourceEnabled(r.Context(), p.s.DB, *rq.P, id, !src.Enabled); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/patroli/sumber/%d", id), http.StatusSeeOther)
	return nil
}

func (p *pages) patrolImport(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadSource(r, rq)
	if err != nil {
		return err
	}
	if !v.CanRun || v.Source.Type != patrol.Import {
		return problem.New(problem.Forbidden, "only an analyst of the source's organisation imports, into an import source")
	}
	mr, err := uploadOf(r)
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
		out, res, ierr := p.s.Patrol.Import(r.Context(), rq.P.Actor(), v.Source, body, format)
		v.Result = rq.T("patrol.import_result", res.Format, res.Read, out.New, out.Seen, out.Skipped)
		if len(out.Errors) > 0 {
			v.Result += " " + strings.Join(out.Errors[:min(5, len(out.Errors))], "; ")
		}
		if ierr != nil {
			v.Error, status = ierr.Error(), http.StatusBadRequest
		}
	}
	if v2, err := p.loadSource(r, rq); err == nil {
		v.Source, v.Items = v2.Source, v2.Items
	}
	p.render(w, r, status, "patrol_source.html", page{req: rq, Title: v.Source.Name, Active: "nav.patrol", Data: v})
	return nil
}

// patrolWeeklyView is the data of the weekly counts.
type patrolWeeklyView struct {
	Weeks []patrol.Week
}

func (p *pages) patrolWeekly(w http.ResponseWriter, r *http.Request, rq *req) error {
	weeks, err := patrol.Weekly(r.Context(), p.s.DB, *rq.P, store.Now(), 8)
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "patrol_weekly.html", page{req: rq, Title: rq.T("patrol.weekly"), Active: "nav.patrol", Data: patrolWeeklyView{Weeks: weeks}})
	return nil
}
