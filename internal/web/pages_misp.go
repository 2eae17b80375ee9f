package web

import (
	"net/http"
	"time"

	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/policy"
)

// The MISP page ("Intelijen → MISP"): the sharing communities' feeds a
// person can hand to a MISP instance, and the partners' feeds Garda pulls
// with their health. Subscriptions carry partners' tokens, which never
// show; the list is for those who may import intelligence.

func (p *pages) mispRoutes() {
	p.handle("GET /intelijen/misp", p.mispPage)
	p.handle("POST /intelijen/misp", p.mispSubscribe)
}

type mispView struct {
	Communities   []misp.Community
	CanSubscribe  bool
	Subscriptions []misp.Subscription
	FormError     string
	Name, URL     string
	Every         string
}

func (p *pages) mispView(r *http.Request, rq *req) (mispView, error) {
	v := mispView{Communities: misp.Communities, Every: "60"}
	if v.CanSubscribe = rq.P.Can(policy.Investigate); v.CanSubscribe {
		subs, err := misp.Subscriptions(r.Context(), p.s.DB)
		if err != nil {
			return v, err
		}
		v.Subscriptions = subs
	}
	return v, nil
}

func (p *pages) mispPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.mispView(r, rq)
	if err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "misp.html", page{req: rq, Title: rq.T("misp.title"), Active: "nav.intel", Data: v})
	return nil
}

// mispSubscribe adds a partner's feed, pulled as the person who adds it.
func (p *pages) mispSubscribe(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	every := time.Hour
	switch f.Get("every") {
	case "15":
		every = 15 * time.Minute
	case "360":
		every = 6 * time.Hour
	case "1440":
		every = 24 * time.Hour
	}
	in := misp.NewSubscription{Name: f.Get("name"), URL: f.Get("url"), Headers: f.Get("headers"), Every: every}
	_, err := misp.Subscribe(r.Context(), p.s.DB, *rq.P, in)
	if err == nil {
		http.Redirect(w, r, "/intelijen/misp", http.StatusSeeOther)
		return nil
	}
	pe, ok := formFailed(err)
	if !ok {
		return err
	}
	v, verr := p.mispView(r, rq)
	if verr != nil {
		return verr
	}
	v.FormError, v.Name, v.URL = rq.T("misp.refused", pe.Error()), in.Name, in.URL
	p.render(w, r, pe.Status(), "misp.html", page{req: rq, Title: rq.T("misp.title"), Active: "nav.intel", Data: v})
	return nil
}
