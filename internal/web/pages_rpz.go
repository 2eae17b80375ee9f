package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/rpz"
)

// The "Blokir DNS" page: the DNS blocklist that resolvers load (package
// rpz decides who may change it), with search, the zone serial, the
// registered resolvers' health, and a national coordinator's block and
// unblock forms.

func (p *pages) rpzRoutes() {
	p.handle("GET /blokir-dns", p.rpzPage)
	p.handle("POST /blokir-dns", p.rpzBlock)
	p.handle("POST /blokir-dns/cabut", p.rpzUnblock)
}

type rpzView struct {
	Entries   []rpz.Entry
	Search    string
	All       bool
	Next      string
	First     string
	Serial    uint32
	Live      int
	Resolvers []rpz.Resolver // nil: not the reader's to see
	CanCut    bool
	Form      rpzForm
	Lift      rpzForm
}

type rpzForm struct {
	fieldForm
	Domain, Reason, Landing string
}

// mayReadResolvers: which ISPs' resolvers load the zone, and from where,
// is for those who run blocking (administrators, coordinators, liaisons).
func mayReadResolvers(rq *req) bool {
	return rq.P.Can(policy.ManageSettings) || rq.P.Can(policy.Takedown)
}

func (p *pages) rpzPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	flash := ""
	q := r.URL.Query()
	if d := q.Get("diblokir"); d != "" {
		flash = rq.T("rpz.blocked", d)
	} else if d := q.Get("dicabut"); d != "" {
		flash = rq.T("rpz.lifted", d)
	}
	return p.renderRPZ(w, r, rq, http.StatusOK, rpzView{}, flash)
}

const rpzPageSize = 100

func (p *pages) renderRPZ(w http.ResponseWriter, r *http.Request, rq *req, status int, v rpzView, flash string) error {
	ctx := r.Context()
	q := r.URL.Query()
	v.Search, v.All = strings.TrimSpace(q.Get("q")), q.Get("semua") == "1"
	before, _ := strconv.ParseInt(q.Get("sebelum"), 10, 64)
	list, err := rpz.List(ctx, p.s.DB, rpz.Filter{Search: v.Search, All: v.All, Limit: rpzPageSize + 1, Before: before})
	if err != nil {
		return err
	}
	link := func(before int64) string {
		u := url.Values{}
		if v.Search != "" {
			u.Set("q", v.Search)
		}
		if v.All {
			u.Set("semua", "1")
		}
		if before > 0 {
			u.Set("sebelum", strconv.FormatInt(before, 10))
		}
		if len(u) == 0 {
			return "/blokir-dns"
		}
		return "/blokir-dns?" + u.Encode()
	}
	if len(list) > rpzPageSize {
		list = list[:rpzPageSize]
		v.Next = link(list[len(list)-1].ID)
	}
	if before > 0 {
		v.First = link(0)
	}
	v.Entries = list
	if v.Serial, err = rpz.Serial(ctx, p.s.DB); err != nil {
		return err
	}
	if v.Live, err = rpz.Count(ctx, p.s.DB); err != nil {
		return err
	}
	if mayReadResolvers(rq) {
		if v.Resolvers, err = rpz.ListResolvers(ctx, p.s.DB, false); err != nil {
			return err
		}
		if v.Resolvers == nil {
			v.Resolvers = []rpz.Resolver{}
		}
	}
	v.CanCut = policy.CutsAccess(rq.P.Viewer)
	v.Form.fields = []string{"domain", "reason", "landing"}
	v.Lift.fields = []string{"domain", "reason"}
	p.render(w, r, status, "rpz.html", page{req: rq, Title: rq.T("rpz.title"), Active: "nav.rpz", Flash: flash, Data: v})
	return nil
}

func (p *pages) rpzBlock(w http.ResponseWriter, r *http.Request, rq *req) error {
	in := rpz.Input{Domain: r.PostForm.Get("domain"), Reason: r.PostForm.Get("reason"), LandingHost: strings.TrimSpace(r.PostForm.Get("landing"))}
	e, err := rpz.BlockAs(r.Context(), p.s.DB, *rq.P, in)
	if pe, ok := formFailed(err); ok {
		f := rpzForm{fieldForm: fieldForm{Err: fieldMessage(rq, pe, r.PostForm), fields: []string{"domain", "reason", "landing"}},
			Domain: in.Domain, Reason: in.Reason, Landing: in.LandingHost}
		return p.renderRPZ(w, r, rq, pe.Status(), rpzView{Form: f}, "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/blokir-dns?diblokir="+url.QueryEscape(e.Domain), http.StatusSeeOther)
	return nil
}

func (p *pages) rpzUnblock(w http.ResponseWriter, r *http.Request, rq *req) error {
	domain, reason := r.PostForm.Get("domain"), r.PostForm.Get("reason")
	e, err := rpz.UnblockAs(r.Context(), p.s.DB, *rq.P, domain, reason)
	pe, ok := formFailed(err)
	if nf := problem.As(err); !ok && nf != nil && nf.Code == problem.NotFound && policy.CutsAccess(rq.P.Viewer) {
		pe, ok = nf, true // "not blocked": said on the form, not as a missing page
	}
	if ok {
		f := rpzForm{fieldForm: fieldForm{Err: fieldMessage(rq, pe, r.PostForm), fields: []string{"domain", "reason"}}, Domain: domain, Reason: reason}
		return p.renderRPZ(w, r, rq, pe.Status(), rpzView{Lift: f}, "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/blokir-dns?dicabut="+url.QueryEscape(e.Domain), http.StatusSeeOther)
	return nil
}
