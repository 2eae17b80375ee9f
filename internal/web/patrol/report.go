package patrol

import (
	"github.com/garda-id/garda/internal/web/shell"
	"net/http"

	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The public report form "Aduan Konten": no account; a pre-session CSRF
// token as the sign-in form has; a rate limit per address (its salted
// hash, counted in the database, so across instances); a reference the
// reporter looks up on a public page, which shows the status only.

func (s *pillar) patrolReportRoutes() {
	s.sh.Public("GET /aduan-konten", s.aduanForm)
	s.sh.Public("POST /aduan-konten", s.aduanSubmit)
	s.sh.Public("GET /aduan-konten/cek", s.aduanLookup)
}

// aduanView is the data of the public form's pages.
type aduanView struct {
	Categories []shell.Option
	Form       patrol.ReportInput
	Error      string
	Reference  string         // after a report
	Found      *patrol.Report // a look-up's answer
	Asked      string
}

func (s *pillar) aduanPage(w http.ResponseWriter, r *http.Request, rq shell.Request, status int, v aduanView) error {
	for _, c := range patrol.ReportCategories {
		v.Categories = append(v.Categories, shell.Option{Value: c, Label: rq.T("report_cat." + c), Selected: v.Form.Category == c})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.sh.Render(w, r, rq, status, "patrol_report.html", shell.View{Title: rq.T("aduan.title"), Data: v})
	return nil
}

func (s *pillar) aduanForm(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	return s.aduanPage(w, r, rq, http.StatusOK, aduanView{})
}

// aduanSubmit takes a report (the shell checked the form's pre-session
// token); a refusal shows the form again with what was typed.
func (s *pillar) aduanSubmit(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	f := r.PostForm
	v := aduanView{Form: patrol.ReportInput{URL: f.Get("url"), Text: f.Get("text"), Category: f.Get("category"), Region: f.Get("region")}}
	refuse := func(err error) error {
		pe := problem.As(err)
		if pe == nil || pe.Code == problem.Internal {
			return err
		}
		v.Error = pe.Error()
		return s.aduanPage(w, r, rq, pe.Status(), v)
	}
	if s.Patrol == nil {
		return refuse(problem.New(problem.Unavailable, "the report form is not available on this instance"))
	}
	ctx := r.Context()
	now := store.Now()
	hash, err := patrol.AddrHash(ctx, s.DB, shell.ClientAddr(r))
	if err != nil {
		return err
	}
	if err := patrol.ReportLimited(ctx, s.DB, hash, now); err != nil {
		return refuse(err)
	}
	if err := v.Form.Check(); err != nil {
		return refuse(err)
	}
	src, err := patrol.FormSource(ctx, s.DB)
	if err != nil {
		return err
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
	_, saved, err := s.Patrol.Submit(ctx, patrol.ReportActor, owner, []patrol.Post{post})
	if err != nil {
		return err
	}
	var itemID int64
	if len(saved) == 1 {
		itemID = saved[0].ID
	}
	if err := patrol.RecordReport(ctx, s.DB, ref, v.Form, hash, itemID, now); err != nil {
		return err
	}
	return s.aduanPage(w, r, rq, http.StatusCreated, aduanView{Reference: ref})
}

func (s *pillar) aduanLookup(w http.ResponseWriter, r *http.Request, rq shell.Request) error {
	v := aduanView{Asked: r.URL.Query().Get("ref")}
	status := http.StatusOK
	if v.Asked != "" {
		rep, err := patrol.LookupReport(r.Context(), s.DB, v.Asked)
		switch {
		case problem.Is(err, problem.NotFound):
			v.Error, status = rq.T("aduan.unknown_ref"), http.StatusNotFound
		case err != nil:
			return err
		default:
			v.Found = &rep
		}
	}
	return s.aduanPage(w, r, rq, status, v)
}
