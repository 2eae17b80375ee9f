package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/geo"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/web/shell"
)

// The UI's templates and static files are compiled in: nothing is fetched
// at run time, and a binary always serves the pages it was built with.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// pages is the server-rendered UI: one html/template set parsed at start,
// a session check in front of every page but sign-in and static files, and
// the session's CSRF token required on every form post.
type pages struct {
	s      *Server
	tmpl   map[string]*template.Template // by page file name, e.g. "assets.html"
	static map[string]staticFile         // by file name under static/
	geo    *geo.Map
}

type staticFile struct {
	body    []byte
	ctype   string
	version string // content hash, appended to URLs so they can be cached for a year
}

func newPages(s *Server) (*pages, error) {
	p := &pages{s: s, tmpl: map[string]*template.Template{}, static: map[string]staticFile{}}
	m, err := geo.Indonesia()
	if err != nil {
		return nil, err
	}
	p.geo = m
	if err := p.loadStatic(); err != nil {
		return nil, err
	}
	if err := p.loadTemplates(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pages) loadStatic() error {
	return fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) { // not left to the machine's mime.types
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		}
		sum := sha256.Sum256(b)
		p.static[strings.TrimPrefix(name, "static/")] = staticFile{body: b, ctype: ctype, version: hex.EncodeToString(sum[:5])}
		return nil
	})
}

// funcs are the template helpers that do not depend on the language;
// language-dependent ones are methods of req (T, L).
var funcs = template.FuncMap{
	"wib":      formatWIB,
	"wibDate":  formatWIBDate,
	"tlpClass": tlpClass,
	"critClass": func(c string) string {
		return "crit crit-" + c
	},
	"join":         strings.Join,
	"postureClass": postureClass,
	"dec":          func(n int) int { return n - 1 },
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	"dict": dict,
	"short": func(s string, n int) string {
		if len(s) <= n {
			return s
		}
		return s[:n] + "…"
	},
}

// dict gathers a partial's arguments by name (as Gitea's templates do):
// (dict "Action" $url "Label" $label).
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("dict wants name, value pairs")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", pairs[i])
		}
		m[name] = pairs[i+1]
	}
	return m, nil
}

func (p *pages) loadTemplates() error {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, name := range names {
		file := path.Base(name)
		if file == "layout.html" || file == "parts.html" {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, name)
		}
		if err != nil {
			return fmt.Errorf("parse %s: %w", file, err)
		}
		p.tmpl[file] = t
	}
	return nil
}

// routes registers the UI. Pages use Indonesian paths, as the people who
// share links read them.
func (p *pages) routes() {
	m := p.s.mux
	m.HandleFunc("GET /static/{file}", p.serveStatic)
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r.SetPathValue("file", "favicon.svg")
		p.serveStatic(w, r)
	})
	m.HandleFunc("GET /login", p.loginForm)
	m.HandleFunc("POST /login", p.login)
	m.HandleFunc("POST /lang", p.setLang)
	p.handle("POST /logout", p.logout)

	p.handle("GET /{$}", p.overviewPage)
	p.handle("GET /provinsi/{code}", p.provincePage)

	p.handle("GET /aset", p.assetList)
	p.handle("GET /aset/baru", p.assetNew)
	p.handle("POST /aset/baru", p.assetCreate)
	p.handle("GET /aset/{id}", p.assetDetail)
	p.handle("GET /aset/{id}/ubah", p.assetEdit)
	p.handle("POST /aset/{id}/ubah", p.assetUpdate)
	p.handle("POST /aset/{id}/pengirim-log", p.ingestKeyAdd)
	p.handle("POST /aset/{id}/pengirim-log/{key}/cabut", p.ingestKeyRevoke)

	p.handle("GET /pemantauan", p.alertQueue)
	p.handle("GET /pemantauan/peringatan/{id}", p.alertDetail)
	p.handle("GET /pemantauan/peringatan/{id}/baris", p.alertRowFragment)
	p.handle("POST /pemantauan/peringatan/{id}/status", p.alertSetStatus)
	p.handle("POST /pemantauan/peringatan/{id}/blokir", p.alertBan)
	p.handle("POST /pemantauan/peringatan/{id}/lampirkan", p.alertAttach)
	p.handle("POST /pemantauan/pilihan", p.alertSelection)
	p.handle("GET /pemantauan/keputusan", p.decisionsPage)
	p.handle("POST /pemantauan/keputusan", p.decisionCreate)
	p.handle("POST /pemantauan/keputusan/{id}/{action}", p.decisionAction)
	p.handle("GET /pemantauan/allowlist", p.allowPage)
	p.handle("POST /pemantauan/allowlist", p.allowAdd)
	p.handle("POST /pemantauan/allowlist/{id}/hapus", p.allowRemove)

	p.handle("GET /insiden", p.incidentQueue)
	p.handle("POST /insiden/tampilan", p.saveIncidentView)
	p.handle("POST /insiden/tampilan/{id}/hapus", p.deleteIncidentView)
	p.handle("GET /insiden/baru", p.incidentNew)
	p.handle("POST /insiden/baru", p.incidentCreate)
	p.handle("GET /insiden/{id}", p.incidentDetail)
	p.handle("GET /insiden/{id}/baris", p.incidentRow)
	p.handle("POST /insiden/{id}/komentar", p.incidentComment)
	p.handle("POST /insiden/{id}/ubah", p.incidentUpdate)
	p.handle("POST /insiden/{id}/eskalasi", p.incidentEscalate)
	p.handle("POST /insiden/{id}/peserta", p.incidentParticipants)
	p.handle("POST /insiden/{id}/peserta/keluarkan", p.incidentRemoveParticipant)
	p.handle("POST /insiden/{id}/minta-eskalasi", p.incidentAskEscalation)
	p.handle("POST /insiden/{id}/tugas", p.incidentTask)
	p.handle("POST /insiden/{id}/tugas/{task}/status", p.incidentTaskStatus)
	p.handle("POST /insiden/{id}/observabel", p.incidentObservable)
	p.handleUpload("POST /insiden/{id}/bukti", p.incidentEvidence)
	p.handle("POST /insiden/{id}/pdp", p.incidentBreach)
	p.handle("POST /insiden/{id}/pdp/diberitahukan", p.incidentBreachNotified)
	p.handle("GET /insiden/{id}/pdp/surat", p.incidentBreachLetter)
	p.handle("POST /insiden/{id}/label", p.incidentLabels)
	p.handle("POST /insiden/{id}/deeskalasi", p.incidentDeescalate)
	p.handle("POST /insiden/{id}/tautan", p.incidentLink)
	p.handle("POST /insiden/{id}/gabung", p.incidentMerge)
	p.handle("GET /kotak-masuk", p.inbox)
	p.handle("POST /kotak-masuk/dibaca", p.inboxAllRead)
	p.handle("GET /laporan", p.reportPage)

	p.rpzRoutes()
	p.roomRoutes()
	p.wallRoutes()  // walldrills: the rooms' wall display
	p.drillRoutes() // walldrills: drills (diklat)
	p.intelRoutes()
	p.taxiiRoutes() // taxii: the TAXII page of Intelijen
	p.mispRoutes()  // misp: MISP feeds and subscriptions
	// shifts: the operation rooms' shifts, handovers and reports upward
	p.shiftRoutes()

	p.handle("GET /admin/organisasi", p.orgsPage)
	p.handle("POST /admin/organisasi", p.orgCreate)
	p.handle("GET /admin/pengguna", p.usersPage)
	p.handle("POST /admin/pengguna", p.userCreate)
	p.handle("POST /admin/pengguna/{username}/nonaktifkan", p.userDisable)
	p.handle("GET /admin/audit", p.auditPage)
	p.handle("GET /admin/bouncer", p.bouncersPage)
	p.handle("GET /insiden/target-respons", p.targetsPage)
	p.handle("POST /insiden/target-respons", p.targetsSave)
	p.handle("POST /admin/bouncer", p.bouncerAdd)
	p.handle("POST /admin/bouncer/{name}/hapus", p.bouncerDelete)

	// Everything else is the UI's 404 page (the API has its own under /api/).
	m.HandleFunc("/", p.notFound)
}

// req is what a page handler knows about the request; templates reach it
// through page, which embeds it.
type req struct {
	Lang string
	P    *auth.Principal // nil on the sign-in and error pages of a signed-out visitor
	CSRF string          // the session's token, or the pre-session one when signed out
	Path string          // this page's path and query, for the language switch's way back
	// Unread counts the person's unread notifications, for the navigation.
	Unread int
	pg     *pages
	// ctx is the request's, for the questions templates ask while they
	// render (may this person open that record?).
	ctx context.Context
}

// T translates a message key, formatting args into it.
func (rq *req) T(key string, args ...any) string { return translate(rq.Lang, key, args...) }

// L labels a domain value (a role, kind, phase, ...) in the UI's language,
// falling back to the value itself.
func (rq *req) L(group, value string) string {
	if hasMessage(group + "." + value) {
		return rq.T(group + "." + value)
	}
	return value
}

// Actor names who did something: a person by username, the platform's own
// changes (audit.System, its detection) by the platform's name.
func (rq *req) Actor(username string) string {
	switch username {
	case audit.System.Username:
		return rq.T("actor.system")
	case alert.Detector.Username:
		return rq.T("actor.detect")
	}
	return username
}

// ReadsAsset reports whether the signed-in person may open an asset: a page
// links a record only then, and else names it without a link (an alert's
// readers need not read its asset).
func (rq *req) ReadsAsset(id int64) bool {
	if rq.P == nil || id == 0 {
		return false
	}
	_, err := asset.Get(rq.ctx, rq.pg.s.DB, *rq.P, id)
	return err == nil
}

// ReadsAssetRecord is ReadsAsset for an audit entry's record id.
func (rq *req) ReadsAssetRecord(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && rq.ReadsAsset(n)
}

// ReadsAlert reports whether the signed-in person may open an alert (a
// decision's readers need not read the alert behind it).
func (rq *req) ReadsAlert(id int64) bool {
	if rq.P == nil || id == 0 {
		return false
	}
	_, err := alert.Get(rq.ctx, rq.pg.s.DB, *rq.P, id)
	return err == nil
}

// Can reports whether the signed-in person's role allows an action.
func (rq *req) Can(action string) bool {
	return rq.P != nil && rq.P.Can(policy.Action(action))
}

// ScopeName names a region code for people: "Nasional", "Jawa Barat".
func (rq *req) ScopeName(code string) string {
	if code == "" {
		return rq.T("region.national")
	}
	return regionName(code)
}

// Static is the cache-busting URL of a static file.
func (rq *req) Static(name string) string {
	f, ok := rq.pg.static[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.version
}

// Version is the build shown in the footer.
func (rq *req) Version() string { return rq.pg.s.Version }

// Nav lists the navigation for the signed-in person.
func (rq *req) Nav() []navGroup { return navFor(rq) }

// page is the data every template executes with.
type page struct {
	*req
	Title  string // in the page's language
	Active string // the navigation key to mark as current
	Flash  string // a one-line confirmation after a change
	Data   any
}

// handler answers a signed-in page request; an error becomes an error page.
type handler func(w http.ResponseWriter, r *http.Request, rq *req) error

// handle registers a page that needs a session. Writes must carry the
// session's CSRF token in the form field "csrf".
func (p *pages) handle(pattern string, h handler) { p.register(pattern, h, false) }

// handleUpload registers a form that sends a file (multipart/form-data):
// it must send its "csrf" field first; the handler reads the rest with
// uploadOf. Other pages refuse multipart bodies, whose fields they would
// not see.
func (p *pages) handleUpload(pattern string, h handler) { p.register(pattern, h, true) }

func (p *pages) register(pattern string, h handler, upload bool) {
	p.s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		rq, err := p.signedIn(r)
		if err != nil {
			if problem.Is(err, problem.Unauthorized) {
				p.toLogin(w, r)
				return
			}
			p.fail(w, r, p.anonymous(r), err)
			return
		}
		if safeMethod(r.Method) {
			rq.Unread = p.unread(r.Context(), rq.P)
		} else {
			token, err := "", error(nil)
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch multipart := mt == "multipart/form-data"; {
			case upload && multipart:
				r, token, err = p.startUpload(w, r)
			case upload || multipart:
				err = problem.New(problem.UnsupportedMedia, "this form is sent as %s, not %q",
					map[bool]string{true: "multipart/form-data", false: "application/x-www-form-urlencoded"}[upload], mt)
			default:
				if err = parseForm(w, r); err == nil {
					token = r.PostForm.Get("csrf")
				}
			}
			if err != nil {
				p.fail(w, r, rq, err)
				return
			}
			if !sameToken(token, rq.CSRF) {
				p.fail(w, r, rq, problem.New(problem.CSRF, "the form did not carry this session's CSRF token"))
				return
			}
		}
		if err := h(w, r, rq); err != nil {
			p.fail(w, r, rq, err)
		}
	})
}

// parseForm reads a posted form of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem.New(problem.BodyTooLarge, "the form is larger than %d bytes", tooBig.Limit)
		}
		return problem.New(problem.BadRequest, "the form could not be read")
	}
	return nil
}

// unread counts the person's unread notifications for the navigation. A
// count that cannot be had is logged and shown as none: the badge must not
// take the page down with it.
func (p *pages) unread(ctx context.Context, who *auth.Principal) int {
	n, err := notify.Unread(ctx, p.s.DB, *who)
	if err != nil {
		p.s.Log.WarnContext(ctx, "unread notifications not counted", "user", who.User.Username, "err", err)
		return 0
	}
	return n
}

type uploadKey struct{}

// startUpload reads a multipart form's first field, which must be its CSRF
// token, and leaves the rest (the file) to the handler: the file is
// streamed to the evidence store, never held in memory or on disk first.
func (p *pages) startUpload(w http.ResponseWriter, r *http.Request) (*http.Request, string, error) {
	limit := p.s.evidence().Limit()
	if r.ContentLength > limit+multipartOverhead {
		return r, "", tooLargeUpload(limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return r, "", uploadError(err, limit)
	}
	part, err := mr.NextPart()
	if err != nil {
		return r, "", uploadError(err, limit)
	}
	if part.FormName() != "csrf" {
		return r, "", problem.New(problem.CSRF, "an upload form must send its CSRF token before the file")
	}
	token, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return r, "", uploadError(err, limit)
	}
	return r.WithContext(context.WithValue(r.Context(), uploadKey{}, mr)), string(token), nil
}

// uploadOf is the rest of an upload form whose CSRF token was checked.
func uploadOf(r *http.Request) (*multipart.Reader, error) {
	mr, ok := r.Context().Value(uploadKey{}).(*multipart.Reader)
	if !ok {
		return nil, problem.New(problem.UnsupportedMedia, "send the form as multipart/form-data")
	}
	return mr, nil
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signedIn resolves the session cookie to a principal; any failure to do
// so that is the visitor's (no cookie, expired, disabled) is Unauthorized.
func (p *pages) signedIn(r *http.Request) (*req, error) {
	ctx := r.Context()
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, problem.New(problem.Unauthorized, "no session")
	}
	sess, err := auth.SessionOf(ctx, p.s.DB, c.Value)
	if errors.Is(err, auth.ErrUnauthorized) {
		return nil, problem.New(problem.Unauthorized, "session expired")
	} else if err != nil {
		return nil, err
	}
	u, err := auth.UserByID(ctx, p.s.DB, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.New(problem.Unauthorized, "the session's user is gone")
	} else if err != nil {
		return nil, err
	}
	pr, err := p.s.principal(ctx, u)
	if err != nil {
		return nil, err
	}
	return &req{Lang: langOf(r), P: pr, CSRF: sess.CSRF, Path: r.URL.RequestURI(), pg: p, ctx: r.Context()}, nil
}

// anonymous is the req of a visitor without a (valid) session.
func (p *pages) anonymous(r *http.Request) *req {
	return &req{Lang: langOf(r), Path: r.URL.RequestURI(), pg: p}
}

// toLogin sends a visitor without a session to the sign-in page, asking
// it to come back here afterwards (for page views; a form post starts over).
func (p *pages) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if safeMethod(r.Method) && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext accepts only a path on this site as a place to return to: never
// an absolute URL, a scheme-relative "//host", a backslash trick or a
// control character.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return next
}

// render executes a page into a buffer first, so that a template failure
// becomes a clean 500 page rather than half a page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, file string, pg page) {
	t, ok := p.tmpl[file]
	if !ok {
		p.s.Log.Error("no such template", "file", file)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		p.s.Log.Error("render page", "file", file, "path", r.URL.Path, "err", err)
		if file != "error.html" {
			p.fail(w, r, pg.req, errors.New("template failed"))
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the data of the error page.
type errorView struct {
	Status int
	Code   problem.Code
	Body   string
	Detail string // the error's own message, for codes where it helps (never for internal)
}

// fail renders an error as a page in the layout, with the JSON API's error
// code shown small for support. Errors outside the catalogue are logged
// and shown as internal, never with their text.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, rq *req, err error) {
	pe := problem.As(err)
	if pe == nil {
		p.s.Log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "err", err)
		pe = problem.New(problem.Internal, "internal")
	}
	if rq == nil {
		rq = p.anonymous(r)
	}
	key := "error." + string(pe.Code)
	if !hasMessage(key + ".title") {
		key = "error.generic"
	}
	ev := errorView{Status: pe.Status(), Code: pe.Code, Body: rq.T(key + ".body")}
	switch pe.Code {
	case problem.BadRequest, problem.Invalid, problem.Conflict:
		ev.Detail = pe.Message
		if pe.Key != "" && hasMessage(pe.Key) {
			ev.Detail = rq.problemText(pe)
		}
	}
	if pe.Code == problem.TooManyAttempts {
		w.Header().Set("Retry-After", "60")
	}
	p.render(w, r, ev.Status, "error.html", page{req: rq, Title: rq.T(key + ".title"), Data: ev})
}

// notFound answers every path no route claims.
func (p *pages) notFound(w http.ResponseWriter, r *http.Request) {
	rq, err := p.signedIn(r)
	if err != nil {
		rq = p.anonymous(r)
	}
	p.fail(w, r, rq, problem.New(problem.NotFound, "no page %s", r.URL.Path))
}

func (p *pages) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := p.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+f.version+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(f.body)
}

// randomToken is a 32-byte URL-safe random string.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Times are shown in WIB (region.WIB says why a fixed zone).
var wib = region.WIB

func formatWIB(t time.Time) string { return shell.FormatWIB(t) }

func formatWIBDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(wib).Format("2006-01-02")
}

// tlpClass is the badge class of a TLP label: "tlp tlp-amber-strict".
func tlpClass(t policy.TLP) string { return shell.TLPClass(t) }

// regionName is a region's display name, or its code when unknown.
func regionName(code string) string {
	if r, ok := region.Lookup(code); ok {
		return r.Name
	}
	return code
}

// With is the page with other data, for passing to a shared template.
func (pg page) With(data any) page {
	pg.Data = data
	return pg
}

// pageOf is the shell's PageOf (the partial "pager" reads its links).
func pageOf[T any](list []T, size int, id func(T) int64, path string, keep url.Values, before int64) (page []T, next, first string) {
	return shell.PageOf(list, size, id, path, keep, before)
}
