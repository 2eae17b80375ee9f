package web

import (
	"cmp"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// targetsView is the data of the response targets page.
type targetsView struct {
	Rows     []targetRow
	CanEdit  bool
	Form     fieldForm
	Postures []postureTargetsView // waspada, siaga, awas
}

// postureTargetsView is a posture's own targets as its form shows them: a
// severity left blank keeps the ordinary targets.
type postureTargetsView struct {
	Posture calendar.Posture
	Rows    []targetRow
	Set     bool // the posture has targets of its own
	Form    fieldForm
}

// postureViews are the postures' tables from the timing in force.
func postureViews(t incident.Timing) []postureTargetsView {
	var out []postureTargetsView
	for _, pt := range t.PostureList() {
		v := postureTargetsView{Posture: pt.Posture, Set: len(pt.Items) > 0}
		for _, sev := range []string{"critical", "high", "medium", "low"} {
			row := targetRow{Severity: sev}
			for _, x := range pt.Items {
				if x.Severity == sev {
					row.FirstResponse, row.Containment = spanOf(x.FirstResponseMinutes), spanOf(x.ContainmentMinutes)
				}
			}
			v.Rows = append(v.Rows, row)
		}
		out = append(out, v)
	}
	return out
}

// targetRow is one severity's targets as the form shows them.
type targetRow struct {
	Severity                   string
	FirstResponse, Containment targetSpan
}

// targetSpan is a target as people write it: an amount of hours or days
// (minutes only for a figure that is neither), stored as minutes.
type targetSpan struct {
	Amount, Unit string
	Minutes      int64
}

// targetUnits are the units a target is written in, largest first: the
// form offers them and the page shows a target in the largest that
// divides it.
var targetUnits = []struct {
	code    string
	minutes int64
}{{"d", 24 * 60}, {"h", 60}, {"m", 1}}

func spanOf(minutes int64) targetSpan {
	for _, u := range targetUnits {
		if minutes%u.minutes == 0 {
			return targetSpan{Amount: strconv.FormatInt(minutes/u.minutes, 10), Unit: u.code, Minutes: minutes}
		}
	}
	return targetSpan{} // unreachable: every whole figure is whole minutes
}

// parseSpan reads an amount and its unit; a form that sends no unit
// (older pages, scripts) writes minutes.
func parseSpan(amount, unit string) (targetSpan, bool) {
	sp := targetSpan{Amount: strings.TrimSpace(amount), Unit: cmp.Or(strings.TrimSpace(unit), "m")}
	n, err := strconv.ParseInt(sp.Amount, 10, 64)
	for _, u := range targetUnits {
		if u.code == sp.Unit && err == nil && n > 0 && n <= math.MaxInt32 {
			sp.Minutes = n * u.minutes
			return sp, true
		}
	}
	return sp, false
}

// targetErrors say incident.SetTargets' refusals, by field, in the page's
// words.
var targetErrors = map[string]string{
	"first_response_minutes": "targets.err_first",
	"containment_minutes":    "targets.err_contain",
}

func targetRows(t incident.Targets) []targetRow {
	var out []targetRow
	for _, x := range t.List() {
		out = append(out, targetRow{Severity: x.Severity, FirstResponse: spanOf(x.FirstResponseMinutes), Containment: spanOf(x.ContainmentMinutes)})
	}
	return out
}

// TargetSpan says a target for people: "24 jam", "7 hari".
func (rq *req) TargetSpan(sp targetSpan) string {
	return rq.Span(time.Duration(sp.Minutes) * time.Minute)
}

// TargetUnits are the unit choices of a target's field.
func (rq *req) TargetUnits(selected string) []option {
	var out []option
	for _, u := range targetUnits {
		out = append(out, option{Value: u.code, Label: rq.T("tunit." + u.code), Selected: u.code == selected})
	}
	return out
}

// targetsPage shows the response targets: everyone may read what they
// owe; administrators change them.
func (p *pages) targetsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	t, err := incident.LoadTiming(r.Context(), p.s.DB)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Has("disimpan") {
		flash = rq.T("targets.saved")
	}
	v := targetsView{Rows: targetRows(t.Targets), CanEdit: policy.ManagesNational(rq.P.Viewer), Postures: postureViews(t)}
	p.render(w, r, http.StatusOK, "targets.html", page{req: rq, Title: rq.T("nav.targets"), Active: "nav.targets", Flash: flash, Data: v})
	return nil
}

func (p *pages) targetsSave(w http.ResponseWriter, r *http.Request, rq *req) error {
	if !policy.ManagesNational(rq.P.Viewer) { // before the form is read: its errors are not for them
		return problem.New(problem.Forbidden, "response targets are national settings: only a national administrator changes them")
	}
	f := r.PostForm
	if f.Has("posture") {
		return p.postureTargetsSave(w, r, rq)
	}
	var in []incident.Target
	v := targetsView{CanEdit: true}
	var perr error
	for _, sev := range []string{"critical", "high", "medium", "low"} {
		first, ok1 := parseSpan(f.Get(sev+"_first"), f.Get(sev+"_first_unit"))
		contain, ok2 := parseSpan(f.Get(sev+"_contain"), f.Get(sev+"_contain_unit"))
		v.Rows = append(v.Rows, targetRow{Severity: sev, FirstResponse: first, Containment: contain})
		if (!ok1 || !ok2) && perr == nil {
			perr = problem.Field("minutes", "%s", rq.T("targets.whole_minutes", rq.L("sev", sev)))
		}
		in = append(in, incident.Target{Severity: sev, FirstResponseMinutes: first.Minutes, ContainmentMinutes: contain.Minutes})
	}
	err := perr
	if err == nil {
		_, err = incident.SetTargets(r.Context(), p.s.DB, *rq.P, in)
	}
	if pe, failed := formFailed(err); failed {
		if key, ok := targetErrors[pe.Field]; ok { // the rule's words are the API's, in minutes
			said := *pe
			said.Message = rq.T(key)
			pe = &said
		}
		v.Form = fieldForm{Err: pe}
		t, err := incident.LoadTiming(r.Context(), p.s.DB)
		if err != nil {
			return err
		}
		v.Postures = postureViews(t)
		p.render(w, r, pe.Status(), "targets.html", page{req: rq, Title: rq.T("nav.targets"), Active: "nav.targets", Data: v})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden/target-respons?disimpan=1", http.StatusSeeOther)
	return nil
}

// postureTargetsSave stores one posture's own targets from its table (a
// severity whose two fields are blank keeps the ordinary targets), or
// removes them all ("hapus").
func (p *pages) postureTargetsSave(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	posture := calendar.Posture(f.Get("posture"))
	var in []incident.Target
	pv := postureTargetsView{Posture: posture, Set: true}
	var perr error
	for _, sev := range []string{"critical", "high", "medium", "low"} {
		row := targetRow{Severity: sev}
		if strings.TrimSpace(f.Get(sev+"_first")) == "" && strings.TrimSpace(f.Get(sev+"_contain")) == "" || f.Has("hapus") {
			pv.Rows = append(pv.Rows, row)
			continue
		}
		first, ok1 := parseSpan(f.Get(sev+"_first"), f.Get(sev+"_first_unit"))
		contain, ok2 := parseSpan(f.Get(sev+"_contain"), f.Get(sev+"_contain_unit"))
		row.FirstResponse, row.Containment = first, contain
		pv.Rows = append(pv.Rows, row)
		if (!ok1 || !ok2) && perr == nil {
			perr = problem.Field("minutes", "%s", rq.T("targets.whole_minutes", rq.L("sev", sev)))
		}
		in = append(in, incident.Target{Severity: sev, FirstResponseMinutes: first.Minutes, ContainmentMinutes: contain.Minutes})
	}
	err := perr
	if err == nil {
		_, err = incident.SetPostureTargets(r.Context(), p.s.DB, *rq.P, posture, in)
	}
	if pe, failed := formFailed(err); failed {
		if key, ok := postureTargetErrors[pe.Field]; ok && !strings.Contains(pe.Message, "looser") {
			said := *pe
			said.Message = rq.T(key)
			pe = &said
		} else if ok {
			said := *pe
			said.Message = rq.T("targets.err_looser")
			pe = &said
		}
		t, err := incident.LoadTiming(r.Context(), p.s.DB)
		if err != nil {
			return err
		}
		v := targetsView{Rows: targetRows(t.Targets), CanEdit: true, Postures: postureViews(t)}
		for i := range v.Postures {
			if v.Postures[i].Posture == pv.Posture {
				pv.Form = fieldForm{Err: pe}
				v.Postures[i] = pv
			}
		}
		p.render(w, r, pe.Status(), "targets.html", page{req: rq, Title: rq.T("nav.targets"), Active: "nav.targets", Data: v})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden/target-respons?disimpan=1#postur-"+string(posture), http.StatusSeeOther)
	return nil
}

// postureTargetErrors say incident.SetPostureTargets' refusals, by field.
var postureTargetErrors = map[string]string{
	"first_response_minutes": "targets.err_first",
	"containment_minutes":    "targets.err_contain",
}
