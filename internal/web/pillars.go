package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/takedown"
	patrolpages "github.com/garda-id/garda/internal/web/patrol"
	"github.com/garda-id/garda/internal/web/pentest"
	"github.com/garda-id/garda/internal/web/shell"
	takedownpages "github.com/garda-id/garda/internal/web/takedown"
)

// mountPillars mounts the pillars that have their own pages package
// (internal/web/<pillar>, see package shell): the one list of them, each
// given the dependencies it needs from Deps, explicitly.
func (s *Server) mountPillars() error {
	if err := s.mount("pentest", func(sh shell.Shell) error {
		return pentest.Mount(sh, pentest.Deps{DB: s.DB, Orgs: s.Orgs, Log: s.Log, Scans: s.Scans, Stopping: s.Stopping,
			Files: evidence.Store{Dir: s.DataDir, MaxBytes: s.EvidenceMaxBytes}, IncidentFiles: s.evidence()})
	}); err != nil {
		return err
	}
	if err := s.mount("takedown", func(sh shell.Shell) error {
		d := takedownpages.Deps{DB: s.DB, Checks: s.TakedownChecks, Deadlines: s.TakedownDeadlines}
		if s.Notify != nil {
			// Letters go by the notifier's SMTP server and webhook signature.
			d.Outbox = s.Notify.TakedownOutbox()
		}
		return takedownpages.Mount(sh, d)
	}); err != nil {
		return err
	}
	return s.mount("patrol", func(sh shell.Shell) error {
		return patrolpages.Mount(sh, patrolpages.Deps{DB: s.DB, Orgs: s.Orgs, Log: s.Log, Bus: s.Bus, Patrol: s.Patrol,
			DataDir: s.DataDir, Claims: s.Claims, TLS: s.TLS})
	})
}

// mount gives one pillar its shell; its pages are rendered from its own
// templates, keyed "<name>/<file>" beside the shell's.
func (s *Server) mount(name string, mount func(shell.Shell) error) error {
	if err := mount(&pillarShell{name: name, p: s.pages}); err != nil {
		return fmt.Errorf("mount the %s pages: %w", name, err)
	}
	return nil
}

// pillarShell is the Shell a pillar's pages package registers on.
type pillarShell struct {
	name string
	p    *pages
}

func (ps *pillarShell) Templates(fsys fs.FS) error {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return fmt.Errorf("parse layout: %w", err)
	}
	// The pillar's partials may not redefine the shell's: a page of
	// another pillar would render differently from what its author saw.
	if own, err := fs.Glob(fsys, "templates/parts.html"); err == nil && len(own) == 1 {
		parts, err := template.New("").Funcs(funcs).ParseFS(fsys, own[0])
		if err != nil {
			return fmt.Errorf("parse %s partials: %w", ps.name, err)
		}
		for _, t := range parts.Templates() {
			if t.Name() != "" && t.Name() != "parts.html" && base.Lookup(t.Name()) != nil {
				return fmt.Errorf("%s's templates/parts.html redefines the shell's partial %q", ps.name, t.Name())
			}
		}
		if base, err = base.ParseFS(fsys, own[0]); err != nil {
			return fmt.Errorf("parse %s partials: %w", ps.name, err)
		}
	}
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("no templates/*.html")
	}
	for _, name := range names {
		file := path.Base(name)
		if file == "parts.html" {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(fsys, name)
		}
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		ps.p.tmpl[ps.name+"/"+file] = t
	}
	return nil
}

func (ps *pillarShell) Page(pattern string, h shell.PageHandler) {
	ps.p.handle(pattern, func(w http.ResponseWriter, r *http.Request, rq *req) error { return h(w, r, rq) })
}

func (ps *pillarShell) Upload(pattern string, h shell.PageHandler) {
	ps.p.handleUpload(pattern, func(w http.ResponseWriter, r *http.Request, rq *req) error { return h(w, r, rq) })
}

func (ps *pillarShell) UploadOf(r *http.Request) (*multipart.Reader, error) { return uploadOf(r) }

func (ps *pillarShell) Public(pattern string, h shell.PageHandler) {
	p := ps.p
	p.s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq := p.anonymous(r)
		if !safeMethod(r.Method) {
			if err := parseForm(w, r); err != nil {
				p.fail(w, r, rq, err)
				return
			}
			if !p.preSessionValid(r) {
				p.fail(w, r, rq, problem.New(problem.CSRF, "the form did not carry its pre-session token"))
				return
			}
		}
		rq.CSRF = p.preSession(w, r)
		if err := h(w, r, rq); err != nil {
			p.fail(w, r, rq, err)
		}
	})
}

func (ps *pillarShell) Part(w http.ResponseWriter, rq shell.Request, file, name string, data any) error {
	own, ok := rq.(*req)
	t := ps.p.tmpl[ps.name+"/"+file]
	if !ok || t == nil {
		return fmt.Errorf("the %s pages rendered %s of %s without a request the shell resolved or the page", ps.name, name, file)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return t.ExecuteTemplate(w, name, page{req: own, Data: data})
}

func (ps *pillarShell) Changes(w http.ResponseWriter, r *http.Request, p *auth.Principal, kind string, render func(id int64) ([]byte, bool)) error {
	return ps.p.s.serveChanges(w, r, p, kind, render)
}

func (ps *pillarShell) API(pattern string, a shell.Access, h shell.APIHandler) {
	acc := public
	if a == shell.SignedIn {
		acc = signedIn
	}
	ps.p.s.api(pattern, acc, apiHandler(h))
}

func (ps *pillarShell) Render(w http.ResponseWriter, r *http.Request, rq shell.Request, status int, file string, v shell.View) {
	own, ok := rq.(*req)
	if !ok {
		ps.p.fail(w, r, nil, fmt.Errorf("the %s pages rendered %s with a request the shell did not resolve", ps.name, file))
		return
	}
	ps.p.render(w, r, status, ps.name+"/"+file, page{req: own, Title: v.Title, Active: v.Active, Flash: v.Flash, Data: v.Data})
}

func (ps *pillarShell) Authenticate(w http.ResponseWriter, r *http.Request) (*auth.Principal, error) {
	return ps.p.s.authenticateAPI(w, r)
}

// Principal is the signed-in person (shell.Request).
func (rq *req) Principal() *auth.Principal { return rq.P }

// ProblemText is problemText for the pillars (shell.Request).
func (rq *req) ProblemText(pe *problem.Error) string { return rq.problemText(pe) }

// pageURL is shell.PageURL for the shell's own pages.
func pageURL(r *http.Request, key, value string) string { return shell.PageURL(r, key, value) }

// MayRequestTakedown says whether the page's reader files takedown
// requests, for the shell's pages' buttons that open the takedown
// pillar's form (an incident's, a patrol item's).
func (rq *req) MayRequestTakedown() bool {
	if rq.P == nil || rq.pg == nil {
		return false
	}
	ctx := rq.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ok, err := takedown.MayFile(ctx, rq.pg.s.DB, *rq.P)
	return err == nil && ok
}
