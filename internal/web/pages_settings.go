package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// targetsView is the data of the response targets page.
type targetsView struct {
	Rows    []targetRow
	CanEdit bool
	Form    fieldForm
}

// targetRow is one severity's targets as the form shows them.
type targetRow struct {
	Severity, FirstResponse, Containment string
}

func targetRows(t incident.Targets) []targetRow {
	var out []targetRow
	for _, x := range t.List() {
		out = append(out, targetRow{Severity: x.Severity, FirstResponse: strconv.FormatInt(x.FirstResponseMinutes, 10),
			Containment: strconv.FormatInt(x.ContainmentMinutes, 10)})
	}
	return out
}

// targetsPage shows the response targets: everyone may read what they
// owe; administrators change them.
func (p *pages) targetsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	t, err := incident.LoadTargets(r.Context(), p.s.DB)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Has("disimpan") {
		flash = rq.T("targets.saved")
	}
	v := targetsView{Rows: targetRows(t), CanEdit: policy.ManagesNational(rq.P.Viewer)}
	p.render(w, r, http.StatusOK, "targets.html", page{req: rq, Title: rq.T("nav.targets"), Active: "nav.targets", Flash: flash, Data: v})
	return nil
}

func (p *pages) targetsSave(w http.ResponseWriter, r *http.Request, rq *req) error {
	if !policy.ManagesNational(rq.P.Viewer) { // before the form is read: its errors are not for them
		return problem.New(problem.Forbidden, "response targets are national settings: only a national administrator changes them")
	}
	f := r.PostForm
	var in []incident.Target
	v := targetsView{CanEdit: true}
	var perr error
	for _, sev := range []string{"critical", "high", "medium", "low"} {
		row := targetRow{Severity: sev, FirstResponse: strings.TrimSpace(f.Get(sev + "_first")), Containment: strings.TrimSpace(f.Get(sev + "_contain"))}
		v.Rows = append(v.Rows, row)
		first, err1 := strconv.ParseInt(row.FirstResponse, 10, 64)
		contain, err2 := strconv.ParseInt(row.Containment, 10, 64)
		if (err1 != nil || err2 != nil) && perr == nil {
			perr = problem.Field("minutes", "%s", rq.T("targets.whole_minutes", rq.L("sev", sev)))
		}
		in = append(in, incident.Target{Severity: sev, FirstResponseMinutes: first, ContainmentMinutes: contain})
	}
	err := perr
	if err == nil {
		_, err = incident.SetTargets(r.Context(), p.s.DB, *rq.P, in)
	}
	if pe, failed := formFailed(err); failed {
		v.Form = fieldForm{Err: pe}
		p.render(w, r, pe.Status(), "targets.html", page{req: rq, Title: rq.T("nav.targets"), Active: "nav.targets", Data: v})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/insiden/target-respons?disimpan=1", http.StatusSeeOther)
	return nil
}
