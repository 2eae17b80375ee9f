package web

import (
	"net/http"

	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The public report form "Aduan Konten": no account; a pre-session CSRF
// token as the sign-in form has; a rate limit per address (its salted
// hash, counted in the database, so across instances); a reference the
// reporter looks up on a public page, which shows the status only.

func (p *pages) patrolReportRoutes() {
	m := p.s.mux
	m.HandleFunc("GET /aduan-konten", p.aduanForm)
	m.HandleFunc("POST /aduan-konten", p.aduanSubmit)
	m.HandleFunc("GET /aduan-konten/cek", p.aduanLookup)
}

// aduanView is the data of the public form's pages.
type aduanView struct {
	Categories []option
	Form       patrol.ReportInput
	Error      string
	Reference  string         // after a report
	Found      *patrol.Report // a look-up's answer
	Asked      string
}

func (p *pages) aduanPage(w http.ResponseWriter, r *http.Request, rq *req, status int, v aduanView) {
	for _, c := range patrol.ReportCategories {
		v.Categories = append(v.Categories, option{Value: c, Label: rq.T("report_cat." + c), Selected: v.Form.Category == c})
	}
	w.Header().Set("Cache-Control", "no-store")
	p.render(w, r, status, "patrol_report.html", page{req: rq, Title: rq.T("aduan.title"), Data: v})
}

func (p *pages) aduanForm(w http.ResponseWriter, r *http.Request) {
	rq := p.anonymous(r)
	rq.CSRF = p.preSession(w, r)
	p.aduanPage(w, r, rq, http.StatusOK, aduanView{})
}

func (p *pages) aduanSubmit(w http.ResponseWriter, r *http.Request) {
	rq := p.anonymous(r)
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, rq, err)
		return
	}
	if !p.preSessionValid(r) {
		p.fail(w, r, rq, problem.New(problem.CSRF, "the report form did not carry its pre-session token"))
		return
	}
	rq.CSRF = p.preSession(w, r)
	f := r.PostForm
	v := aduanView{Form: patrol.ReportInput{URL: f.Get("url"), Text: f.Get("text"), Category: f.Get("category"), Region: f.Get("region")}}
	refuse := func(err error) {
		pe := problem.As(err)
		if pe == nil || pe.Code == problem.Internal {
			p.fail(w, r, rq, err)
			return
		}
		v.Error = pe.Error()
		p.aduanPage(w, r, rq, pe.Status(), v)
	}
	if p.s.Patrol == nil {
		refuse(problem.New(problem.Unavailable, "the report form is not available on this instance"))
		return
	}
	ctx := r.Context()
	now := store.Now()
	hash, err := patrol.AddrHash(ctx, p.s.DB, clientAddr(r))
	if err != nil {
		p.fail(w, r, rq, err)
		return
	}
	if err := patrol.ReportLimited(ctx, p.s.DB, hash, now); err != nil {
		refuse(err)
		return
	}
	if err := v.Form.Check(); err != nil {
		refuse(err)
		return
	}
	src, err := patrol.FormSource(ctx, p.s.DB)
	if err != nil {
		p.fail(w, r, rq, err)
		return
	}
	owner := src.ItemOwner()
	if v.Form.Region != "" {
		owner.Region = v.Form.Region
	}
	ref := patrol.NewReference()
	post := patrol.Post{URL: v.Form.URL, Text: v.Form.Text, Title: "Aduan " + ref + " (" + v.Form.Category + ")", Platform: ""}
	if post.URL == "" {
		post.PostID = ref
	}
	_, saved, err := p.s.Patrol.Submit(ctx, patrol.ReportActor, owner, []patrol.Post{post})
	if err != nil {
		p.fail(w, r, rq, err)
		return
	}
	var itemID int64
	if len(saved) == 1 {
		itemID = saved[0].ID
	}
	if err := patrol.RecordReport(ctx, p.s.DB, ref, v.Form, hash, itemID, now); err != nil {
		p.fail(w, r, rq, err)
		return
	}
	p.aduanPage(w, r, rq, http.StatusCreated, aduanView{Reference: ref})
}

func (p *pages) aduanLookup(w http.ResponseWriter, r *http.Request) {
	rq := p.anonymous(r)
	rq.CSRF = p.preSession(w, r)
	v := aduanView{Asked: r.URL.Query().Get("ref")}
	status := http.StatusOK
	if v.Asked != "" {
		rep, err := patrol.LookupReport(r.Context(), p.s.DB, v.Asked)
		switch {
		case problem.Is(err, problem.NotFound):
			v.Error, status = rq.T("aduan.unknown_ref"), http.StatusNotFound
		case err != nil:
			p.fail(w, r, rq, err)
			return
		default:
			v.Found = &rep
		}
	}
	p.aduanPage(w, r, rq, status, v)
}
