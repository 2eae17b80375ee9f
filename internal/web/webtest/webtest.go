// Package webtest builds the test worlds of package web and of the
// pillars' pages packages: a real server (package web, every pillar
// mounted) on a fresh store with the standard organisations and a few
// people, a browser that signs in and checks every page it gets, and an
// API caller with bearer tokens. It does not import web (web's own
// in-package tests use it: they could not import a package that imports
// web); a world is given its server as a Server, web.Deps{...}.Handler.
//
// It is for tests only: nothing else may import it.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/web/locale"
)

// Server builds the server under test on a world's database: package
// web's web.Deps{...}.Handler (the dependencies a test needs, DB set by
// the world).
type Server func(db *store.DB) (http.Handler, error)

// Site is a real server on a fresh SQLite store with the standard
// organisations and SiteUsers in them.
type Site struct {
	T  *testing.T
	DB *store.DB
	TS *httptest.Server
}

// SiteUsers are the people of a Site; each signs in with Password.
var SiteUsers = []auth.NewUser{
	{Username: "kpu.analyst", DisplayName: "Analis KPU", Org: "kpu", Role: "analyst", Scope: ""},
	{Username: "jabar.analyst", DisplayName: "Analis Jabar", Org: "kpu-32", Role: "analyst", Scope: "32"},
	{Username: "jateng.analyst", DisplayName: "Analis Jateng", Org: "kpu-33", Role: "analyst", Scope: "33"},
	{Username: "jabar.viewer", DisplayName: "Peninjau Jabar", Org: "kpu-32", Role: "viewer", Scope: "32"},
	{Username: "bssn.admin", DisplayName: "Admin BSSN", Org: "bssn", Role: "admin", Scope: ""},
	{Username: "wrong.password", Org: "bssn", Role: "viewer", Scope: ""},
}

// Password is a test user's password.
func Password(username string) string { return "password-" + username }

// NewSite is a Site served by srv (web.Deps{}.Handler, or with more of
// the server's dependencies: a data directory, a scan runner...); the
// database is always a fresh one.
func NewSite(t *testing.T, srv Server) *Site {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, n := range SiteUsers {
		n.Password = Password(n.Username)
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	h, err := srv(db)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &Site{T: t, DB: db, TS: ts}
}

// Client is a browser: a cookie jar, no automatic redirects (the tests
// look at them), and a check of every response it gets.
type Client struct {
	t    *testing.T
	s    *Site
	hc   *http.Client
	CSRF string // the last CSRF token seen in a page
}

// Browser is a browser with no session.
func (s *Site) Browser() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: s.T, s: s, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// As is a browser signed in as username.
func (s *Site) As(username string) *Client { return s.Browser().Login(username) }

// HTTP is the browser's HTTP client (its cookies), for a request the
// checks of RoundTrip do not suit (a stream).
func (c *Client) HTTP() *http.Client { return c.hc }

// URL is the site's address followed by path, for such a request.
func (c *Client) URL(path string) string { return c.s.TS.URL + path }

var (
	// CSRFField finds a page's CSRF token.
	CSRFField     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	inlineStyle   = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	inlineHandler = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	scriptTag     = regexp.MustCompile(`(?i)<script\b[^>]*>`)
)

// Do sends a form (or nothing) and checks the response (RoundTrip).
func (c *Client) Do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.s.TS.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.RoundTrip(req)
}

// Upload posts a multipart form: the fields in the order given (the CSRF
// token first unless fields name it), then a file, as a browser sends it.
func (c *Client) Upload(path string, fields [][2]string, fileName string, content []byte) (*http.Response, string) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if !slices.ContainsFunc(fields, func(f [2]string) bool { return f[0] == "csrf" }) {
		fields = append([][2]string{{"csrf", c.CSRF}}, fields...)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.s.TS.URL+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.RoundTrip(req)
}

// RoundTrip sends a request and checks what every response must satisfy:
// the CSP header; in HTML, no inline style, script or event handler, and no
// untranslated message key.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	method, path := req.Method, req.URL.Path
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	html := string(b)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		c.t.Errorf("%s %s: CSP header %q", method, path, csp)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if m := inlineStyle.FindString(html); m != "" {
			c.t.Errorf("%s %s: inline style attribute: %s", method, path, m)
		}
		if m := inlineHandler.FindString(html); m != "" {
			c.t.Errorf("%s %s: inline event handler: %s", method, path, m)
		}
		for _, tag := range scriptTag.FindAllString(html, -1) {
			if !strings.Contains(tag, " src=") {
				c.t.Errorf("%s %s: inline script: %s", method, path, tag)
			}
		}
		if i := strings.Index(html, "[["); i >= 0 {
			c.t.Errorf("%s %s: untranslated message: %s", method, path, html[i:min(len(html), i+60)])
		}
		if m := CSRFField.FindStringSubmatch(html); m != nil {
			c.CSRF = m[1]
		}
	}
	return resp, html
}

// Get fetches a page.
func (c *Client) Get(path string) (*http.Response, string) {
	c.t.Helper()
	return c.Do(http.MethodGet, path, nil)
}

// Post sends a form with the last CSRF token seen, unless it has one.
func (c *Client) Post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	form = CloneForm(form)
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.CSRF)
	}
	return c.Do(http.MethodPost, path, form)
}

// CloneForm copies a form, so that a case can change its copy.
func CloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = slices.Clone(v)
	}
	return out
}

// Login signs the browser in as username (with Password).
func (c *Client) Login(username string) *Client {
	c.t.Helper()
	c.Get("/login")
	resp, html := c.Post("/login", url.Values{"username": {username}, "password": {Password(username)}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d\n%s", username, resp.StatusCode, html)
	}
	c.Get("/") // pick up the session's CSRF token
	return c
}

// WantStatus stops the test unless resp has the status.
func WantStatus(t *testing.T, resp *http.Response, want int, what string) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, want)
	}
}

// Principal is a user as the policy sees them, for calling domain
// packages directly.
func Principal(t *testing.T, db *store.DB, username string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := auth.UserByName(ctx, db, username)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.PrincipalOf(u, tree)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// APIWorld is a running server with users signed in over the API.
type APIWorld struct {
	T      *testing.T
	DB     *store.DB
	Srv    *httptest.Server
	Tokens map[string]string // username → bearer token
}

// APIUsers are the people of an APIWorld; each signs in with
// "pw-<username>-long".
var APIUsers = []auth.NewUser{
	{Username: "kpu.analyst", Org: "kpu", Role: "analyst", Scope: ""},
	{Username: "kpu.admin", Org: "kpu", Role: "admin", Scope: ""},
	{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
	{Username: "bandung.analyst", Org: "kpu-32.04", Role: "analyst", Scope: "32.04"},
	{Username: "jateng.viewer", Org: "kpu-33", Role: "viewer", Scope: "33"},
	{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
	{Username: "diskominfo.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
}

// NewAPIWorld serves srv on db (with the standard organisations), and
// signs in more and APIUsers over the API.
func NewAPIWorld(t *testing.T, db *store.DB, srv Server, more ...auth.NewUser) *APIWorld {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	h, err := srv(db)
	if err != nil {
		t.Fatal(err)
	}
	w := &APIWorld{T: t, DB: db, Srv: httptest.NewServer(h), Tokens: map[string]string{}}
	t.Cleanup(w.Srv.Close)
	for _, n := range append(slices.Clone(more), APIUsers...) {
		n.Password = "pw-" + n.Username + "-long"
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Token string `json:"token"`
		}
		w.Call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &out)
		w.Tokens[n.Username] = out.Token
	}
	return w
}

// Call makes a request as a user ("" = anonymous), checks the status and
// decodes the JSON answer into out (if not nil).
func (w *APIWorld) Call(user, method, path, body string, want int, out any) http.Header {
	w.T.Helper()
	req, _ := http.NewRequest(method, w.Srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+w.Tokens[user])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		w.T.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.T.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.Header
}

// Serve replaces the world's server with srv, on the world's database
// (the signed-in tokens stay valid: they are in the database).
func (w *APIWorld) Serve(srv Server) {
	w.T.Helper()
	h, err := srv(w.DB)
	if err != nil {
		w.T.Fatal(err)
	}
	w.Srv.Close()
	w.Srv = httptest.NewServer(h)
	w.T.Cleanup(w.Srv.Close)
}

// Messages fails t on what is wrong with the registered message files (a
// key without words in both languages, or taking other arguments in one)
// and on the keys that the package under test (its templates/*.html and
// *.go) uses and no file defines.
func Messages(t *testing.T) {
	t.Helper()
	for _, p := range locale.Registered().Problems() {
		t.Error(p)
	}
	undefined, err := locale.Registered().Undefined(os.DirFS("."), "templates/*.html", "*.go")
	if err != nil || len(undefined) > 0 {
		t.Errorf("keys no message file defines: %v %v", undefined, err)
	}
}
