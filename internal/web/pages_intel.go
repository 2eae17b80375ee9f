package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// The intelligence pillar's pages ("Intelijen"): indicator search with
// filters, and an indicator's page with its sightings. Who may read and
// revoke is decided in package intel; the pages only hide the form a
// person could not use.

func (p *pages) intelRoutes() {
	p.handle("GET /intelijen", p.intelList)
	p.handle("POST /intelijen", p.intelCreate)
	p.handle("GET /intelijen/indikator/{id}", p.intelIndicator)
	p.handle("POST /intelijen/indikator/{id}/cabut", p.intelRevoke)
	p.handle("POST /intelijen/dari-peringatan/{id}", p.intelFromAlert)
	p.handle("GET /intelijen/objek/{id}", p.intelObject)
	p.handle("POST /intelijen/dari-patroli/{id}", p.intelFromPatrol)
}

// intelFromPatrol is the patrol item page's one click: the item's domain
// becomes the organisation's indicator, the item its sighting.
func (p *pages) intelFromPatrol(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no patrol item %q", r.PathValue("id"))
	}
	i, _, err := intel.FromPatrolItem(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/intelijen/indikator/%d", i.ID), http.StatusSeeOther)
	return nil
}

// intelObject shows one STIX object Garda keeps beside indicators (an
// import's report, relationship, identity, ..., a finding's CVE) as it is.
func (p *pages) intelObject(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no intelligence object %q", r.PathValue("id"))
	}
	o, err := intel.GetObject(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, o.Body, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(o.Body)
	}
	title := o.Name
	if title == "" {
		title = o.STIXID
	}
	p.render(w, r, http.StatusOK, "intel_object.html", page{req: rq, Title: title, Active: "nav.intel",
		Data: struct {
			O     intel.IntelObject
			Title string
			JSON  string
		}{o, title, pretty.String()}})
	return nil
}

// intelFromAlert is the alert page's one click: the attacking address
// becomes the organisation's indicator, the alert its sighting.
func (p *pages) intelFromAlert(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no alert %q", r.PathValue("id"))
	}
	i, _, err := intel.FromAlert(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/intelijen/indikator/%d", i.ID), http.StatusSeeOther)
	return nil
}

// indicatorRow is an indicator as the table shows it.
type indicatorRow struct {
	intel.Indicator
	InForce bool
}

type intelListView struct {
	Region     picker
	Text       string
	Kinds      []option
	TLPs       []option
	States     []option
	Indicators []indicatorRow
	Error      string
	First      string
	Next       string
	// The form that adds an indicator by hand, for those who may.
	CanCreate bool
	NewKinds  []option
	NewTLPs   []option
	NewValue  string
	NewName   string
	FormError string
}

func (p *pages) intelList(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, status, err := p.intelListView(r, rq)
	if err != nil {
		return err
	}
	p.render(w, r, status, "intel.html", page{req: rq, Title: rq.T("nav.intel"), Active: "nav.intel", Data: v})
	return nil
}

// intelCreate adds an indicator by hand from the list page's form; a
// refused one shows why on the list, with what was typed.
func (p *pages) intelCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	in := intel.Input{Kind: intel.Kind(f.Get("kind")), Value: f.Get("value"), Name: f.Get("name"), TLP: policy.TLP(f.Get("tlp")),
		Detect: f.Get("detect") == "1", Block: f.Get("block") == "1"}
	i, err := intel.Create(r.Context(), p.s.DB, *rq.P, in)
	if err == nil {
		http.Redirect(w, r, fmt.Sprintf("/intelijen/indikator/%d", i.ID), http.StatusSeeOther)
		return nil
	}
	pe, ok := formFailed(err)
	if !ok {
		return err
	}
	v, _, lerr := p.intelListView(r, rq)
	if lerr != nil {
		return lerr
	}
	v.FormError, v.NewValue, v.NewName = rq.T("intel.refused", pe.Error()), in.Value, in.Name
	for i := range v.NewKinds {
		v.NewKinds[i].Selected = v.NewKinds[i].Value == string(in.Kind)
	}
	for i := range v.NewTLPs {
		v.NewTLPs[i].Selected = v.NewTLPs[i].Value == string(in.TLP)
	}
	p.render(w, r, pe.Status(), "intel.html", page{req: rq, Title: rq.T("nav.intel"), Active: "nav.intel", Data: v})
	return nil
}

func (p *pages) intelListView(r *http.Request, rq *req) (intelListView, int, error) {
	q := r.URL.Query()
	now := store.Now()
	v := intelListView{Region: rq.RegionPicker("f-region", "region", q.Get("region")), Text: q.Get("q")}
	f := intel.Filter{Text: q.Get("q"), Region: q.Get("region"), Now: now, Limit: 50}
	var bad []string
	kind := intel.Kind(q.Get("kind"))
	v.Kinds = []option{{Value: "", Label: rq.T("intel.any")}}
	for _, k := range intel.Kinds {
		v.Kinds = append(v.Kinds, option{Value: string(k), Label: rq.T("intel.kind." + string(k)), Selected: k == kind})
	}
	if kind != "" {
		if kind.Valid() {
			f.Kind = kind
		} else {
			bad = append(bad, rq.T("intel.bad_kind"))
		}
	}
	tlp := q.Get("tlp")
	v.TLPs = []option{{Value: "", Label: rq.T("intel.any")}}
	for _, t := range policy.TLPs() {
		v.TLPs = append(v.TLPs, option{Value: string(t), Label: "TLP:" + string(t), Selected: string(t) == tlp})
	}
	if tlp != "" {
		if t, err := policy.ParseTLP(tlp); err == nil {
			f.TLP = []policy.TLP{t}
		} else {
			bad = append(bad, rq.T("intel.bad_tlp"))
		}
	}
	state := q.Get("state")
	if _, set := q["state"]; !set {
		state = "active"
	}
	v.States = []option{{Value: "", Label: rq.T("intel.any"), Selected: state == ""}}
	for _, s := range []string{"active", "inactive"} {
		v.States = append(v.States, option{Value: s, Label: rq.T("intel.state." + s), Selected: state == s})
	}
	switch state {
	case "":
	case "active", "inactive":
		a := state == "active"
		f.Active = &a
	default:
		bad = append(bad, rq.T("intel.bad_state"))
	}
	if f.Region != "" && !region.Valid(f.Region) {
		bad, f.Region = append(bad, rq.T("intel.bad_region")), ""
	}
	if len(f.Text) > 256 {
		bad, f.Text = append(bad, rq.T("intel.bad_text")), ""
	}
	status := http.StatusOK
	if len(bad) > 0 {
		v.Error, status = strings.Join(bad, " "), http.StatusBadRequest
	}
	if b, err := strconv.ParseInt(q.Get("sebelum"), 10, 64); err == nil && b > 0 {
		f.Before = b
		v.First = pageURL(r, "sebelum", "")
	}
	list, err := intel.List(r.Context(), p.s.DB, *rq.P, f)
	if err != nil {
		return v, 0, err
	}
	if len(list) > f.Limit {
		list = list[:f.Limit]
		v.Next = pageURL(r, "sebelum", strconv.FormatInt(list[len(list)-1].ID, 10))
	}
	for _, i := range list {
		v.Indicators = append(v.Indicators, indicatorRow{Indicator: i, InForce: i.Active(now)})
	}
	if v.CanCreate = rq.P.Can(policy.Investigate); v.CanCreate {
		for _, k := range intel.Kinds {
			v.NewKinds = append(v.NewKinds, option{Value: string(k), Label: rq.T("intel.kind." + string(k))})
		}
		for _, t := range policy.TLPs() {
			v.NewTLPs = append(v.NewTLPs, option{Value: string(t), Label: "TLP:" + string(t), Selected: t == policy.Amber})
		}
	}
	return v, status, nil
}

type intelIndicatorView struct {
	I         indicatorRow
	Sightings []intel.Sighting
	Blocks    []match.Block // what marking it for blocking made (intelmatch)
	Total     int64
	Graph     template.HTML // relationships, drawn by the server (pages_intel_graph.go)
	Days      template.HTML // sightings per day
	CanRevoke bool
	Error     string
}

func (p *pages) loadIndicator(r *http.Request, rq *req) (intelIndicatorView, error) {
	var v intelIndicatorView
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return v, problem.New(problem.NotFound, "no indicator %q", r.PathValue("id"))
	}
	i, err := intel.Get(r.Context(), p.s.DB, *rq.P, id)
	if err != nil {
		return v, err
	}
	if v.Sightings, err = intel.Sightings(r.Context(), p.s.DB, *rq.P, id); err != nil {
		return v, err
	}
	for _, s := range v.Sightings {
		v.Total += s.Count
	}
	if v.Blocks, err = match.Blocks(r.Context(), p.s.DB, id); err != nil {
		return v, err
	}
	g, err := intel.IndicatorGraph(r.Context(), p.s.DB, *rq.P, i, v.Sightings)
	if err != nil {
		return v, err
	}
	v.Graph = graphSVG(rq, g)
	days, err := intel.SightingDays(r.Context(), p.s.DB, *rq.P, id, 30, store.Now())
	if err != nil {
		return v, err
	}
	v.Days = daysSVG(rq, days)
	v.I = indicatorRow{Indicator: i, InForce: i.Active(store.Now())}
	v.CanRevoke = !i.Revoked && policy.CanWrite(rq.P.Viewer, i.Record(), policy.Investigate)
	return v, nil
}

func (p *pages) renderIndicator(w http.ResponseWriter, r *http.Request, rq *req, status int, v intelIndicatorView, flash string) {
	p.render(w, r, status, "intel_indicator.html", page{req: rq, Title: rq.T("intel.indicator") + " " + v.I.Value, Active: "nav.intel", Flash: flash, Data: v})
}

func (p *pages) intelIndicator(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIndicator(r, rq)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Get("selesai") == "cabut" {
		flash = rq.T("intel.revoked_flash")
	}
	p.renderIndicator(w, r, rq, http.StatusOK, v, flash)
	return nil
}

func (p *pages) intelRevoke(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no indicator %q", r.PathValue("id"))
	}
	if _, err := intel.Revoke(r.Context(), p.s.DB, *rq.P, id, r.PostForm.Get("reason")); err != nil {
		pe, ok := formFailed(err)
		if !ok {
			if pe = problem.As(err); pe == nil || pe.Code != problem.Forbidden {
				return err
			}
		}
		v, lerr := p.loadIndicator(r, rq)
		if lerr != nil {
			return lerr
		}
		v.Error = rq.T("intel.refused", pe.Message)
		p.renderIndicator(w, r, rq, pe.Status(), v, "")
		return nil
	}
	http.Redirect(w, r, fmt.Sprintf("/intelijen/indikator/%d?selesai=cabut", id), http.StatusSeeOther)
	return nil
}
