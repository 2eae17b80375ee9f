package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// The TAXII page of "Intelijen": the API roots and collections this
// platform serves, with who reads each; the subscriptions to partners'
// collections with their health, a form to add one and a button to pull
// now. Who may do what is decided in package taxii.

func (p *pages) taxiiRoutes() {
	p.handle("GET /intelijen/taxii", p.taxiiPage)
	p.handle("POST /intelijen/taxii/langganan", p.taxiiSubscribe)
	p.handle("POST /intelijen/taxii/langganan/{id}/tarik", p.taxiiPull)
}

type taxiiCollectionRow struct {
	taxii.Collection
	Readers []taxii.Reader
}

type taxiiRootView struct {
	URL         string
	Title       string
	Collections []taxiiCollectionRow
}

type taxiiView struct {
	Roots         []taxiiRootView
	Subscriptions []taxii.Subscription
	CanSubscribe  bool
	Error         string
	Form          taxii.NewSubscription
}

func (p *pages) taxiiPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	flash := ""
	q := r.URL.Query()
	if n := q.Get("berlangganan"); n != "" {
		flash = rq.T("taxii.subscribed", n)
	} else if n := q.Get("ditarik"); n != "" {
		flash = rq.T("taxii.pulled", n)
	}
	return p.renderTAXII(w, r, rq, http.StatusOK, taxiiView{Error: q.Get("galat")}, flash)
}

func (p *pages) renderTAXII(w http.ResponseWriter, r *http.Request, rq *req, status int, v taxiiView, flash string) error {
	ctx := r.Context()
	srv := &taxii.Server{DB: p.s.DB, Orgs: p.s.Orgs}
	scheme := "http"
	if r.TLS != nil || p.s.TLS {
		scheme = "https"
	}
	for _, c := range srv.Roots() {
		readers, err := taxii.Readers(ctx, p.s.DB, *rq.P, c.Slug)
		if err != nil {
			return err
		}
		root := taxiiRootView{URL: scheme + "://" + r.Host + "/taxii2/" + c.Slug + "/", Title: c.Title}
		for _, col := range taxii.CollectionsFor(c.Slug, *rq.P) {
			row := taxiiCollectionRow{Collection: col}
			for _, rd := range readers {
				if rd.CollectionID == col.ID {
					row.Readers = append(row.Readers, rd)
				}
			}
			root.Collections = append(root.Collections, row)
		}
		v.Roots = append(v.Roots, root)
	}
	subs, err := taxii.Subscriptions(ctx, p.s.DB, *rq.P)
	if err != nil {
		return err
	}
	v.Subscriptions = subs
	v.CanSubscribe = rq.P.Can(policy.Investigate)
	p.render(w, r, status, "taxii.html", page{req: rq, Title: rq.T("taxii.title"), Active: "nav.intel", Flash: flash, Data: v})
	return nil
}

func (p *pages) taxiiSubscribe(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	every, _ := strconv.Atoi(strings.TrimSpace(f.Get("every")))
	in := taxii.NewSubscription{Name: f.Get("name"), APIRootURL: strings.TrimSpace(f.Get("url")), CollectionID: strings.TrimSpace(f.Get("collection")),
		Username: strings.TrimSpace(f.Get("username")), Secret: f.Get("secret"), EverySeconds: every * 60}
	sub, err := taxii.Subscribe(r.Context(), p.s.DB, *rq.P, in)
	if pe, ok := formFailed(err); ok {
		in.Secret = "" // never echoed back into the page
		return p.renderTAXII(w, r, rq, pe.Status(), taxiiView{Error: rq.T("taxii.refused", pe.Error()), Form: in}, "")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/intelijen/taxii?berlangganan="+url.QueryEscape(sub.Name), http.StatusSeeOther)
	return nil
}

func (p *pages) taxiiPull(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no subscription %q", r.PathValue("id"))
	}
	pl := &taxii.Puller{DB: p.s.DB, Orgs: p.s.Orgs, Log: p.s.Log}
	res, err := pl.PullFor(r.Context(), *rq.P, id)
	var pe *taxii.PartnerError
	if errors.As(err, &pe) {
		// The health on the page says what went wrong.
		http.Redirect(w, r, "/intelijen/taxii?galat="+url.QueryEscape(rq.T("taxii.pull_failed")), http.StatusSeeOther)
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/intelijen/taxii?ditarik="+url.QueryEscape(fmt.Sprint(res.Objects)), http.StatusSeeOther)
	return nil
}
