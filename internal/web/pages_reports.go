package web

import (
	"net/http"
	"net/url"

	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/report"
)

// reportView is the data of the daily report page.
type reportView struct {
	Region, Date string
	Regions      picker
	Report       *report.Report
	Sections     []reportSection
	PDF, MD      string // download links
	Error        string
}

// reportSection is one breakdown table: a message key and its rows.
type reportSection struct {
	Title string
	Rows  []report.Row
}

// reportPage shows the daily situation report with its region and date
// pickers; format=pdf or format=md downloads it.
func (p *pages) reportPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	q := r.URL.Query()
	params := reportParams(r)
	if f := q.Get("format"); f != "pdf" && f != "md" {
		params.Labels = rq // the page speaks the reader's language
	}
	v := reportView{Region: rq.P.User.Scope, Date: q.Get("date")}
	if params.RegionSet {
		v.Region = params.Region
	}
	status := http.StatusOK
	rep, err := report.Build(r.Context(), p.s.DB, *rq.P, params)
	if pe := problem.As(err); pe != nil && pe.Code == problem.Invalid {
		status, v.Error = pe.Status(), fieldMessage(rq, pe, q).Error()
		rep, err = report.Build(r.Context(), p.s.DB, *rq.P, report.Params{Labels: rq})
	}
	if err != nil {
		return err
	}
	if f := q.Get("format"); status == http.StatusOK && (f == "pdf" || f == "md") {
		writeReport(w, rep, f)
		return nil
	}
	v.Report, v.Region, v.Date = rep, rep.Region, rep.Date
	v.Sections = []reportSection{{"report.by_cat", rep.Incidents.ByCategory}, {"report.by_sev", rep.Incidents.BySeverity}}
	if rep.Region == "" {
		v.Sections = append(v.Sections, reportSection{"report.by_prov", rep.Incidents.ByProvince})
	}
	v.Sections = append(v.Sections, reportSection{"report.a_by_sev", rep.Alerts.BySeverity}, reportSection{"report.a_by_scen", rep.Alerts.ByScenario},
		reportSection{"pentest.report_by_sev", rep.Scans.BySeverity})
	if rep.Region == "" {
		v.Sections = append(v.Sections, reportSection{"pentest.report_by_prov", rep.Scans.ByProvince})
	}
	v.Regions = rq.RegionPicker("f-region", "region", v.Region)
	link := url.Values{"region": {rep.Region}, "date": {rep.Date}}
	link.Set("format", "pdf")
	v.PDF = "/laporan?" + link.Encode()
	link.Set("format", "md")
	v.MD = "/laporan?" + link.Encode()
	p.render(w, r, status, "report.html", page{req: rq, Title: rq.T("nav.report"), Active: "nav.report", Data: v})
	return nil
}
