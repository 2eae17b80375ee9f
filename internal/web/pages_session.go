package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The sign-in form and the language switch are posted before there is a
// session, so they cannot carry a session's CSRF token. They are protected
// by a double-submit token instead: GET /login sets a random value in the
// cookie garda_presession (HttpOnly, SameSite=Strict) and repeats it in a
// hidden field; a post must carry both, equal. A cross-site page can
// neither read the cookie nor make the browser send it (SameSite=Strict),
// so it cannot forge the pair; this also stops login CSRF (signing a victim
// into the attacker's account). An Origin header, when the browser sends
// one, must name this site as a second, independent check.
const preSessionCookie = "garda_presession"

// preSession returns the visitor's pre-session token, setting one if absent.
func (p *pages) preSession(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: p.s.TLS, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
	return tok
}

// preSessionValid checks a signed-out post: the double-submitted token and,
// when present, the Origin.
func (p *pages) preSessionValid(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	c, err := r.Cookie(preSessionCookie)
	return err == nil && sameToken(r.PostForm.Get("csrf"), c.Value)
}

// loginView is the data of the sign-in page.
type loginView struct {
	Username string
	Next     string
	Error    string
}

func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := p.signedIn(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	rq := p.anonymous(r)
	rq.CSRF = p.preSession(w, r)
	p.render(w, r, http.StatusOK, "login.html", page{req: rq, Title: rq.T("login.title"), Data: loginView{Next: next}})
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	rq := p.anonymous(r)
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, rq, err)
		return
	}
	if !p.preSessionValid(r) {
		p.fail(w, r, rq, problem.New(problem.CSRF, "the sign-in form did not carry its pre-session token"))
		return
	}
	rq.CSRF = p.preSession(w, r)
	f := r.PostForm
	v := loginView{Username: strings.TrimSpace(f.Get("username")), Next: safeNext(f.Get("next"))}
	status := http.StatusOK
	again := func() {
		p.render(w, r, status, "login.html", page{req: rq, Title: rq.T("login.title"), Data: v})
	}
	if v.Username == "" || f.Get("password") == "" {
		status, v.Error = http.StatusBadRequest, rq.T("login.err_missing")
		again()
		return
	}
	u, err := p.s.signIn(r.Context(), v.Username, f.Get("password"), clientAddr(r))
	if pe := problem.As(err); pe != nil {
		status = pe.Status()
		switch pe.Code {
		case problem.TooManyAttempts:
			wait := time.Minute
			if throttled := (*auth.ThrottledError)(nil); errors.As(err, &throttled) {
				wait = throttled.Wait(store.Now())
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
			if wait < 2*time.Minute {
				v.Error = rq.T("login.err_wait_seconds", int(wait.Seconds()))
			} else {
				v.Error = rq.T("login.err_wait_minutes", int((wait+time.Minute-1)/time.Minute))
			}
		default:
			v.Error = rq.T("login.err_bad")
		}
		again()
		return
	} else if err != nil {
		p.fail(w, r, rq, err)
		return
	}
	if _, err := p.s.principal(r.Context(), u); err != nil {
		p.fail(w, r, rq, err)
		return
	}
	plain, _, err := auth.CreateSession(r.Context(), p.s.DB, u.ID)
	if err != nil {
		p.fail(w, r, rq, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: plain, Path: "/", HttpOnly: true,
		Secure: p.s.TLS, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request, rq *req) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := auth.EndSession(r.Context(), p.s.DB, c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: p.s.TLS, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLang switches the UI language and goes back to the page it came from
// (a path on this site only). Signed in, the form carries the session's
// CSRF token; signed out (the sign-in page), the pre-session one.
func (p *pages) setLang(w http.ResponseWriter, r *http.Request) {
	rq := p.anonymous(r)
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, rq, err)
		return
	}
	ok := false
	if s, err := p.signedIn(r); err == nil {
		rq, ok = s, sameToken(r.PostForm.Get("csrf"), s.CSRF)
	} else {
		ok = p.preSessionValid(r)
	}
	if !ok {
		p.fail(w, r, rq, problem.New(problem.CSRF, "the language form did not carry a valid CSRF token"))
		return
	}
	lang := langID
	if r.PostForm.Get("lang") == langEN {
		lang = langEN
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", HttpOnly: true,
		Secure: p.s.TLS, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}
