package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/web/locale"
	"github.com/garda-id/garda/internal/web/webtest"
)

// site, client and their helpers are package webtest's worlds under the
// names this package's tests use (webtest sets every test server up).
type site struct {
	*webtest.Site
	t  *testing.T
	db *store.DB
	ts *httptest.Server
}

var siteUsers = webtest.SiteUsers

func password(username string) string { return webtest.Password(username) }

func newSite(t *testing.T) *site { return newSiteWith(t, Deps{}) }

// newSiteWith is newSite with more of the server's dependencies (a data
// directory, a bus...); the database is always a fresh one.
func newSiteWith(t *testing.T, deps Deps) *site {
	t.Helper()
	deps.Version = "test"
	s := webtest.NewSite(t, deps.Handler)
	return &site{Site: s, t: t, db: s.DB, ts: s.TS}
}

// client is a webtest browser (CSRF is the last token it saw).
type client struct {
	*webtest.Client
	t  *testing.T
	hc *http.Client
}

func (s *site) browser() *client {
	c := s.Site.Browser()
	return &client{Client: c, t: s.t, hc: c.HTTP()}
}

func (s *site) as(username string) *client { return s.browser().login(username) }

func (c *client) login(username string) *client {
	c.t.Helper()
	c.Client.Login(username)
	return c
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	return c.Do(method, path, form)
}

func (c *client) upload(path string, fields [][2]string, fileName string, content []byte) (*http.Response, string) {
	c.t.Helper()
	return c.Upload(path, fields, fileName, content)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	return c.Get(path)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	return c.Post(path, form)
}

var (
	csrfField  = webtest.CSRFField
	cloneForm  = webtest.CloneForm
	wantStatus = webtest.WantStatus
)

func TestSignIn(t *testing.T) {
	s := newSite(t)

	t.Run("page renders", func(t *testing.T) {
		c := s.browser()
		resp, html := c.get("/login")
		wantStatus(t, resp, 200, "GET /login")
		for _, want := range []string{`name="username"`, `name="password"`, `action="/login"`, "Masuk ke Garda", `lang="id"`} {
			if !strings.Contains(html, want) {
				t.Errorf("sign-in page lacks %s", want)
			}
		}
		if c.CSRF == "" {
			t.Error("sign-in form carries no CSRF token")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c := s.browser()
		c.get("/login")
		resp, html := c.post("/login", url.Values{"username": {"wrong.password"}, "password": {"not-the-password"}})
		wantStatus(t, resp, http.StatusUnauthorized, "wrong password")
		if !strings.Contains(html, translate(langID, "login.err_bad")) {
			t.Error("no error message on the form")
		}
		if !strings.Contains(html, `value="wrong.password"`) {
			t.Error("the username typed was not kept")
		}
	})

	t.Run("too many attempts", func(t *testing.T) {
		c := s.browser()
		c.get("/login")
		var resp *http.Response
		var html string
		for range auth.MaxFailures + 1 {
			resp, html = c.post("/login", url.Values{"username": {"kpu.nobody"}, "password": {"guess-guess-guess"}})
		}
		wantStatus(t, resp, http.StatusTooManyRequests, "throttled sign-in")
		if !strings.Contains(html, "Terlalu banyak percobaan") || !strings.Contains(html, "detik, lalu coba lagi") {
			t.Error("no message saying how long to wait")
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > int(auth.FirstWait.Seconds()) {
			t.Errorf("Retry-After %q, want the wait in seconds", resp.Header.Get("Retry-After"))
		}
	})

	t.Run("missing fields", func(t *testing.T) {
		c := s.browser()
		c.get("/login")
		resp, _ := c.post("/login", url.Values{"username": {"kpu.analyst"}})
		wantStatus(t, resp, http.StatusBadRequest, "no password")
	})

	t.Run("success sets an HttpOnly session cookie", func(t *testing.T) {
		c := s.browser()
		c.get("/login?next=/aset")
		resp, _ := c.post("/login", url.Values{"username": {"kpu.analyst"}, "password": {password("kpu.analyst")}, "next": {"/aset?kind=api"}})
		wantStatus(t, resp, http.StatusSeeOther, "sign in")
		if loc := resp.Header.Get("Location"); loc != "/aset?kind=api" {
			t.Errorf("redirected to %q, want the next path", loc)
		}
		var sess *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				sess = ck
			}
		}
		if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Value == "" {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", sess)
		}
		resp, html := c.get("/")
		wantStatus(t, resp, 200, "overview after sign-in")
		if !strings.Contains(html, "Analis KPU") {
			t.Error("the top bar does not name the user")
		}
	})

	t.Run("next must stay on the site", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x"} {
			c := s.browser()
			c.get("/login")
			resp, _ := c.post("/login", url.Values{"username": {"kpu.analyst"}, "password": {password("kpu.analyst")}, "next": {next}})
			if loc := resp.Header.Get("Location"); loc != "/" && !(strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.Contains(loc, "\\")) {
				t.Errorf("next %q redirected to %q", next, loc)
			}
			if loc := resp.Header.Get("Location"); strings.Contains(loc, "evil") && !strings.HasPrefix(next, "/%") {
				t.Errorf("next %q redirected off the site to %q", next, loc)
			}
		}
	})

	t.Run("sign-in form without its token is refused", func(t *testing.T) {
		c := s.browser()
		resp, html := c.do(http.MethodPost, "/login", url.Values{"username": {"kpu.analyst"}, "password": {password("kpu.analyst")}})
		wantStatus(t, resp, http.StatusForbidden, "sign-in without a pre-session token")
		if !strings.Contains(html, "csrf_failed") {
			t.Error("the 403 page does not show the error code")
		}
		c.get("/login")
		resp, _ = c.post("/login", url.Values{"csrf": {"forged"}, "username": {"kpu.analyst"}, "password": {password("kpu.analyst")}})
		wantStatus(t, resp, http.StatusForbidden, "sign-in with a forged token")
	})

	t.Run("pages need a session", func(t *testing.T) {
		c := s.browser()
		for _, path := range []string{"/", "/aset", "/aset/1", "/provinsi/32", "/admin/pengguna", "/insiden"} {
			resp, _ := c.get(path)
			wantStatus(t, resp, http.StatusSeeOther, "GET "+path+" without a session")
			loc := resp.Header.Get("Location")
			if !strings.HasPrefix(loc, "/login") {
				t.Errorf("GET %s without a session went to %q", path, loc)
			}
			if path != "/" && !strings.Contains(loc, "next="+url.QueryEscape(path)) {
				t.Errorf("GET %s: the sign-in link %q does not come back", path, loc)
			}
		}
	})

	t.Run("sign out", func(t *testing.T) {
		c := s.as("kpu.analyst")
		resp, _ := c.post("/logout", nil)
		wantStatus(t, resp, http.StatusSeeOther, "sign out")
		resp, _ = c.get("/")
		wantStatus(t, resp, http.StatusSeeOther, "overview after signing out")
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "/",
		"/":                "/",
		"/aset?kind=api":   "/aset?kind=api",
		"/provinsi/32":     "/provinsi/32",
		"//evil.example":   "/",
		"///evil.example":  "/",
		"/\\evil.example":  "/",
		"https://evil.x/":  "/",
		"evil.example":     "/",
		"javascript:x":     "/",
		"/a\r\nLocation:x": "/",
		"/a\\b":            "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

var dataRegion = regexp.MustCompile(`<a href="/provinsi/([0-9]{2})"><path data-region="([0-9]{2})"`)

func TestOverview(t *testing.T) {
	s := newSite(t)
	c := s.as("jabar.analyst")
	resp, html := c.get("/")
	wantStatus(t, resp, 200, "overview")
	if n := strings.Count(html, "data-region="); n != 38 {
		t.Errorf("%d data-region paths, want 38", n)
	}
	links := dataRegion.FindAllStringSubmatch(html, -1)
	if len(links) != 38 {
		t.Fatalf("%d province paths inside a link to their page, want 38", len(links))
	}
	seen := map[string]bool{}
	for _, m := range links {
		if m[1] != m[2] {
			t.Errorf("path %s links to /provinsi/%s", m[2], m[1])
		}
		seen[m[1]] = true
	}
	for _, p := range region.Provinces() {
		if !seen[p.Code] {
			t.Errorf("province %s (%s) missing from the map", p.Code, p.Name)
		}
	}
	for _, want := range []string{`role="img"`, `aria-label="Peta 38 provinsi`, `class="lvl-none own"`, "<title>Jawa Barat", `class="legend"`, "Analis", "KPU Provinsi Jawa Barat"} {
		if !strings.Contains(html, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
	if strings.Count(html, " own\"") != 1 {
		t.Error("the user's own province is not highlighted exactly once on the map")
	}
}

func TestProvincePage(t *testing.T) {
	s := newSite(t)
	c := s.as("kpu.analyst")
	resp, html := c.get("/provinsi/32")
	wantStatus(t, resp, 200, "province page")
	for _, want := range []string{"Jawa Barat", "Kabupaten Bandung", "Kota Bandung", `href="/aset?region=32.04"`, "KPU Provinsi Jawa Barat", "Diskominfo Provinsi Jawa Barat", "27 KPU Kabupaten/Kota", `class="lvl-none focus"`} {
		if !strings.Contains(html, want) {
			t.Errorf("province page lacks %s", want)
		}
	}
	for _, bad := range []string{"99", "32.04", "x", "3"} {
		resp, html := c.get("/provinsi/" + bad)
		wantStatus(t, resp, 404, "province "+bad)
		if !strings.Contains(html, "not_found") || !strings.Contains(html, `class="sidenav"`) {
			t.Errorf("province %s: 404 page not in the layout with its code", bad)
		}
	}
}

func TestAssetsThroughForms(t *testing.T) {
	s := newSite(t)
	jabar := s.as("jabar.analyst")

	resp, html := jabar.get("/aset/baru")
	wantStatus(t, resp, 200, "new asset form")
	if !strings.Contains(html, `name="phases"`) || !strings.Contains(html, `value="AMBER" checked`) {
		t.Error("the form lacks its phases or the default TLP")
	}

	form := url.Values{
		"name": {"Sirekap Jawa Barat"}, "kind": {"web_app"}, "description": {"Unggah formulir C1"},
		"urls": {"https://sirekap-jabar.kpu.go.id/\n\n"}, "hostnames": {"sirekap-jabar.kpu.go.id"},
		"owner": {"kpu-32"}, "region": {"32.04"}, "criticality": {"critical"}, "phases": {"voting", "counting"}, "tlp": {"GREEN"},
	}

	t.Run("without CSRF token refused", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("csrf", "")
		resp, html := jabar.post("/aset/baru", f)
		wantStatus(t, resp, http.StatusForbidden, "post without token")
		if !strings.Contains(html, "csrf_failed") {
			t.Error("403 page lacks its code")
		}
		f.Set("csrf", "not-the-token")
		resp, _ = jabar.post("/aset/baru", f)
		wantStatus(t, resp, http.StatusForbidden, "post with a wrong token")
		if list, _ := asset.List(context.Background(), s.db, principal(t, s, "jabar.analyst"), asset.Filter{}); len(list) != 0 {
			t.Fatal("a refused post created an asset")
		}
	})

	t.Run("validation error keeps the input", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("urls", "ftp://wrong.example")
		resp, html := jabar.post("/aset/baru", f)
		wantStatus(t, resp, http.StatusBadRequest, "invalid URL")
		if !strings.Contains(html, `value="Sirekap Jawa Barat"`) || !strings.Contains(html, "ftp://wrong.example</textarea>") {
			t.Error("the form did not keep what was typed")
		}
		i, j := strings.Index(html, `id="urls"`), strings.Index(html, `class="field-error"`)
		if i < 0 || j < i || j-i > 600 {
			t.Error("the error is not shown next to the URL field")
		}
		if !strings.Contains(html, `value="counting" checked`) {
			t.Error("the chosen phases were not kept")
		}
		if !strings.Contains(html, `<p class="alert alert-error" role="alert">Periksa isian yang ditandai.</p>`) {
			t.Error("the refused form has no banner above it")
		}
	})

	var id string
	t.Run("create", func(t *testing.T) {
		resp, _ := jabar.post("/aset/baru", form)
		wantStatus(t, resp, http.StatusSeeOther, "create asset")
		loc := resp.Header.Get("Location")
		m := regexp.MustCompile(`^/aset/([0-9]+)\?disimpan=1$`).FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("redirected to %q", loc)
		}
		id = m[1]
		resp, html := jabar.get(loc)
		wantStatus(t, resp, 200, "asset page")
		for _, want := range []string{"Sirekap Jawa Barat", "TLP:GREEN", "Kritis", "Kabupaten Bandung", "Pemungutan suara, Penghitungan suara", "sirekap-jabar.kpu.go.id", `class="flash"`, "WIB"} {
			if !strings.Contains(html, want) {
				t.Errorf("asset page lacks %s", want)
			}
		}
		resp, html = jabar.get("/aset")
		wantStatus(t, resp, 200, "asset list")
		if !strings.Contains(html, `href="/aset/`+id+`"`) {
			t.Error("the new asset is not in the list")
		}
		_, html = jabar.get("/aset?region=32.04&kind=web_app&criticality=critical&q=sirekap")
		if !strings.Contains(html, "Sirekap Jawa Barat") {
			t.Error("the filtered list misses the asset")
		}
		resp, html = jabar.get("/aset?region=32.99")
		wantStatus(t, resp, http.StatusBadRequest, "asset list of an unknown region")
		wantIn(t, html, "asset list of an unknown region", "Kode wilayah &#34;32.99&#34; tidak dikenal", `data-picker="/api/v1/regions"`, "Kosongkan untuk semua wilayah")
		_, html = jabar.get("/aset?kind=api")
		if strings.Contains(html, "Sirekap Jawa Barat") {
			t.Error("the kind filter did not apply")
		}
		_, html = jabar.get("/provinsi/32")
		if !strings.Contains(html, "Sirekap Jawa Barat") {
			t.Error("the province page misses the asset")
		}
	})

	t.Run("an unknown region code is refused", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("name", "Aset Wilayah Salah")
		f.Set("region", "32.99")
		resp, html := jabar.post("/aset/baru", f)
		wantStatus(t, resp, http.StatusBadRequest, "an unknown region code")
		wantIn(t, html, "refused asset", "Kode wilayah &#34;32.99&#34; tidak dikenal", `name="region" value="32.99"`)
		_, html = jabar.get("/aset")
		wantNotIn(t, html, "asset list", "Aset Wilayah Salah")
	})

	t.Run("a host name another asset lists is refused", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("name", "Cermin Sirekap")
		f.Set("hostnames", "cermin.example\nsirekap-jabar.kpu.go.id")
		resp, html := jabar.post("/aset/baru", f)
		wantStatus(t, resp, http.StatusConflict, "a used host name")
		if !strings.Contains(html, "sudah dipakai aset lain") {
			t.Error("the refusal is not said in Bahasa Indonesia")
		}
	})

	t.Run("edit", func(t *testing.T) {
		resp, html := jabar.get("/aset/" + id + "/ubah")
		wantStatus(t, resp, 200, "edit form")
		if !strings.Contains(html, `value="Sirekap Jawa Barat"`) || !strings.Contains(html, `name="region" value="32.04"`) {
			t.Error("the edit form is not filled in")
		}
		f := cloneForm(form)
		f.Set("name", "Sirekap Jabar")
		f.Set("criticality", "high")
		resp, _ = jabar.post("/aset/"+id+"/ubah", f)
		wantStatus(t, resp, http.StatusSeeOther, "edit")
		_, html = jabar.get("/aset/" + id)
		if !strings.Contains(html, "Sirekap Jabar") || !strings.Contains(html, "Tinggi") {
			t.Error("the change did not show")
		}
	})

	t.Run("hidden from another province", func(t *testing.T) {
		jateng := s.as("jateng.analyst")
		for _, path := range []string{"/aset/" + id, "/aset/" + id + "/ubah", "/aset/999999", "/aset/abc"} {
			resp, html := jateng.get(path)
			wantStatus(t, resp, http.StatusNotFound, "GET "+path+" from another province")
			if strings.Contains(html, "Sirekap") {
				t.Errorf("%s leaks the asset's name", path)
			}
		}
		resp, _ := jateng.post("/aset/"+id+"/ubah", form)
		wantStatus(t, resp, http.StatusNotFound, "edit from another province")
		_, html := jateng.get("/aset")
		if strings.Contains(html, "Sirekap") {
			t.Error("the list shows another province's asset")
		}
	})

	t.Run("viewers may not add", func(t *testing.T) {
		v := s.as("jabar.viewer")
		_, html := v.get("/aset")
		if strings.Contains(html, `href="/aset/baru"`) {
			t.Error("a viewer is offered the add button")
		}
		resp, _ := v.get("/aset/baru")
		wantStatus(t, resp, http.StatusForbidden, "viewer's new asset form")
		resp, _ = v.get("/aset/" + id)
		wantStatus(t, resp, 200, "viewer reads a GREEN asset of their province")
		resp, _ = v.get("/aset/" + id + "/ubah")
		wantStatus(t, resp, http.StatusForbidden, "viewer's edit form")
	})
}

func principal(t *testing.T, s *site, username string) auth.Principal {
	t.Helper()
	return webtest.Principal(t, s.db, username)
}

func TestAssetPaging(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	who := principal(t, s, "kpu.analyst")
	tree, _ := org.Load(ctx, s.db)
	for i := range assetPageSize + 5 {
		name, kind := fmt.Sprintf("Situs %03d", i), "site"
		if _, err := asset.Create(ctx, s.db, who, tree, asset.Input{Name: &name, Kind: &kind}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.as("kpu.analyst")
	_, html := c.get("/aset")
	if n := strings.Count(html, `<a href="/aset/`); n != assetPageSize {
		t.Errorf("first page lists %d assets, want %d", n, assetPageSize)
	}
	m := regexp.MustCompile(`href="(/aset\?before=[0-9]+)" rel="next"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no next-page link")
	}
	_, html = c.get(m[1])
	if n := strings.Count(html, `<a href="/aset/`); n != 5 {
		t.Errorf("second page lists %d assets, want 5", n)
	}
	if !strings.Contains(html, "Situs 000") || strings.Contains(html, `rel="next"`) {
		t.Error("the second page is not the last five")
	}
}

func TestAdminPages(t *testing.T) {
	s := newSite(t)
	analyst := s.as("kpu.analyst")
	for _, path := range []string{"/admin/organisasi", "/admin/pengguna", "/admin/audit"} {
		resp, html := analyst.get(path)
		wantStatus(t, resp, http.StatusForbidden, path+" as analyst")
		if !strings.Contains(html, "forbidden") || !strings.Contains(html, "Akses ditolak") {
			t.Errorf("%s: 403 page lacks its title or code", path)
		}
	}
	resp, _ := analyst.post("/admin/pengguna", url.Values{"username": {"sneaky"}})
	wantStatus(t, resp, http.StatusForbidden, "create user as analyst")
	_, html := analyst.get("/")
	if strings.Contains(html, "/admin/") {
		t.Error("an analyst's navigation links to the admin pages")
	}

	admin := s.as("bssn.admin")

	t.Run("organisations", func(t *testing.T) {
		resp, html := admin.get("/admin/organisasi")
		wantStatus(t, resp, 200, "organisations")
		for _, want := range []string{"Badan Siber dan Sandi Negara", "KPU Provinsi Jawa Barat", "27 kantor", "<details"} {
			if !strings.Contains(html, want) {
				t.Errorf("organisation page lacks %s", want)
			}
		}
		resp, html = admin.post("/admin/organisasi", url.Values{"slug": {"Bad Slug"}, "name": {"X"}, "kind": {"other"}, "region": {""}})
		wantStatus(t, resp, http.StatusBadRequest, "invalid slug")
		if !strings.Contains(html, `value="Bad Slug"`) || !strings.Contains(html, `class="field-error"`) {
			t.Error("the organisation form did not keep its input or show the error")
		}
		resp, html = admin.post("/admin/organisasi", url.Values{"slug": {"csirt-32"}, "name": {"CSIRT Jawa Barat"}, "kind": {"other"}, "region": {"32.99"}})
		wantStatus(t, resp, http.StatusBadRequest, "organisation in an unknown region")
		wantIn(t, html, "refused organisation", "Kode wilayah &#34;32.99&#34; tidak dikenal", `name="region" value="32.99"`, `data-picker="/api/v1/regions"`)
		resp, _ = admin.post("/admin/organisasi", url.Values{"slug": {"csirt-32"}, "name": {"CSIRT Jawa Barat"}, "kind": {"other"}, "region": {"32"}})
		wantStatus(t, resp, http.StatusSeeOther, "create organisation")
		_, html = admin.get(resp.Header.Get("Location"))
		if !strings.Contains(html, "CSIRT Jawa Barat") || !strings.Contains(html, `class="flash"`) {
			t.Error("the new organisation is not shown")
		}
	})

	t.Run("users", func(t *testing.T) {
		resp, html := admin.get("/admin/pengguna")
		wantStatus(t, resp, 200, "users")
		if !strings.Contains(html, "jabar.analyst") || !strings.Contains(html, `data-confirm=`) {
			t.Error("user list lacks a user or the confirm on disable")
		}
		resp, html = admin.post("/admin/pengguna", url.Values{"username": {"op.jabar"}, "display_name": {"Operator Jabar"}, "org": {"diskominfo-32"},
			"role": {"operator"}, "scope": {"32.99"}, "password": {"a-long-enough-password"}})
		wantStatus(t, resp, http.StatusBadRequest, "user with an unknown scope")
		wantIn(t, html, "refused user", "Kode wilayah &#34;32.99&#34; tidak dikenal", `name="scope" value="32.99"`)
		resp, html = admin.post("/admin/pengguna", url.Values{"username": {"op.jabar"}, "display_name": {"Operator Jabar"}, "org": {"diskominfo-32"},
			"role": {"operator"}, "scope": {"32"}, "password": {"short"}})
		wantStatus(t, resp, http.StatusBadRequest, "short password")
		if !strings.Contains(html, `value="op.jabar"`) || strings.Contains(html, `value="short"`) {
			t.Error("the user form should keep the username and never echo the password")
		}
		resp, html = admin.post("/admin/pengguna", url.Values{"username": {"op.jabar"}, "display_name": {"Operator Jabar"}, "org": {"diskominfo-32"},
			"role": {"operator"}, "scope": {"32"}, "password": {"password123"}})
		wantStatus(t, resp, http.StatusBadRequest, "a common password")
		if !strings.Contains(html, "paling umum dipakai") {
			t.Error("the refusal of a common password is not said in Bahasa Indonesia")
		}
		resp, _ = admin.post("/admin/pengguna", url.Values{"username": {"op.jabar"}, "display_name": {"Operator Jabar"}, "org": {"diskominfo-32"},
			"role": {"operator"}, "scope": {"32"}, "password": {"a-long-enough-password"}})
		wantStatus(t, resp, http.StatusSeeOther, "create user")
		op := s.browser()
		op.get("/login")
		resp, _ = op.post("/login", url.Values{"username": {"op.jabar"}, "password": {"a-long-enough-password"}})
		wantStatus(t, resp, http.StatusSeeOther, "new user signs in")
		op.get("/")

		resp, _ = admin.post("/admin/pengguna/op.jabar/nonaktifkan", nil)
		wantStatus(t, resp, http.StatusSeeOther, "disable user")
		_, html = admin.get(resp.Header.Get("Location"))
		if !strings.Contains(html, "Akun op.jabar dinonaktifkan") {
			t.Error("no confirmation of the disabling")
		}
		resp, _ = op.get("/")
		wantStatus(t, resp, http.StatusSeeOther, "disabled user's session")
		resp, _ = admin.post("/admin/pengguna/bssn.admin/nonaktifkan", nil)
		wantStatus(t, resp, http.StatusConflict, "disable oneself")
		resp, _ = admin.post("/admin/pengguna/nobody.here/nonaktifkan", nil)
		wantStatus(t, resp, http.StatusNotFound, "disable an unknown user")
	})

	t.Run("audit", func(t *testing.T) {
		resp, html := admin.get("/admin/audit")
		wantStatus(t, resp, 200, "audit")
		if !strings.Contains(html, "Rantai utuh") || !strings.Contains(html, "user.disable") {
			t.Error("audit page lacks the verification or the newest entries")
		}
		if i, j := strings.Index(html, "user.disable"), strings.Index(html, "org.seed"); j >= 0 && i > j {
			t.Error("audit entries are not newest first")
		}
		if _, err := s.db.Exec(context.Background(), `UPDATE audit_log SET action = 'forged' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		_, html = admin.get("/admin/audit")
		if !strings.Contains(html, "Rantai rusak pada entri 2") {
			t.Error("a broken chain is not reported")
		}
	})
}

func TestLanguageSwitch(t *testing.T) {
	s := newSite(t)
	c := s.as("kpu.analyst")
	_, html := c.get("/aset")
	if !strings.Contains(html, "Tambah aset") {
		t.Fatal("the Indonesian label is missing")
	}
	resp, _ := c.do(http.MethodPost, "/lang", url.Values{"lang": {"en"}, "next": {"/aset"}})
	wantStatus(t, resp, http.StatusForbidden, "language switch without a token")
	resp, _ = c.post("/lang", url.Values{"lang": {"en"}, "next": {"/aset"}})
	wantStatus(t, resp, http.StatusSeeOther, "language switch")
	if loc := resp.Header.Get("Location"); loc != "/aset" {
		t.Errorf("switch went to %q, want back to /aset", loc)
	}
	_, html = c.get("/aset")
	if !strings.Contains(html, "Add asset") || strings.Contains(html, "Tambah aset") || !strings.Contains(html, `lang="en"`) {
		t.Error("the page is not in English after the switch")
	}
	resp, _ = c.post("/lang", url.Values{"lang": {"id"}, "next": {"//evil.example/"}})
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("switch with an off-site next went to %q", loc)
	}

	// Signed out, on the sign-in page, the switch uses the pre-session token.
	b := s.browser()
	b.get("/login")
	resp, _ = b.post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}})
	wantStatus(t, resp, http.StatusSeeOther, "switch before signing in")
	_, html = b.get("/login")
	if !strings.Contains(html, "Sign in to Garda") {
		t.Error("the sign-in page is not in English after the switch")
	}
}

// TestInternalError checks that an error outside the catalogue becomes a
// 500 page with the code "internal" and without its own text.
func TestInternalError(t *testing.T) {
	s := newSite(t)
	srv, err := New(Deps{DB: s.db, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/aset", nil)
	srv.pages.fail(rec, r, nil, fmt.Errorf("database password is hunter2"))
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(body, "internal") || strings.Contains(body, "hunter2") {
		t.Errorf("status %d, body leaks or lacks the code:\n%s", rec.Code, body)
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Error("the 500 page is not HTML")
	}
}

func TestErrorPagesAndStatic(t *testing.T) {
	s := newSite(t)
	c := s.as("kpu.analyst")
	resp, html := c.get("/no/such/page")
	wantStatus(t, resp, 404, "unknown path")
	if !strings.Contains(html, "Tidak ditemukan") || !strings.Contains(html, "not_found") {
		t.Error("404 page lacks its title or code")
	}
	resp, _ = s.browser().get("/no/such/page")
	wantStatus(t, resp, 404, "unknown path, signed out")
	resp, _ = c.get("/api/v1/nothing")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("an unknown API path answered %s, want the API's JSON 404", ct)
	}

	for file, ctype := range map[string]string{"garda.css": "text/css", "garda.js": "text/javascript", "favicon.svg": "image/svg+xml"} {
		resp, body := c.get("/static/" + file)
		wantStatus(t, resp, 200, file)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || body == "" {
			t.Errorf("%s: Content-Type %q, Cache-Control %q", file, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	resp, _ = c.get("/static/nothing.css")
	wantStatus(t, resp, 404, "unknown static file")
	resp, _ = c.get("/favicon.ico")
	wantStatus(t, resp, 200, "favicon")
}

// TestMessages checks that every key the templates and handlers use, and
// every value the domain can hand a page to label, has words (both
// languages and their arguments: TestMessageFiles).
func TestMessages(t *testing.T) {
	undefined, err := locale.Registered().Undefined(os.DirFS("."), "templates/*.html", "*.go")
	if err != nil || len(undefined) > 0 {
		t.Errorf("keys no message file defines: %v %v", undefined, err)
	}
	want := []string{"error.generic.title", "error.generic.body"}
	for _, r := range policy.Roles() {
		want = append(want, "role."+string(r))
	}
	for _, t := range policy.TLPs() {
		want = append(want, "tlp."+string(t))
	}
	for _, lvl := range []string{"none", "low", "medium", "high"} {
		want = append(want, "level."+lvl, "legend."+lvl)
	}
	for group, values := range map[string][]string{"kind": asset.Kinds, "crit": asset.Criticalities, "phase": asset.Phases,
		"orgkind": {org.KindKPU, org.KindAgency, org.KindDiskominfo, org.KindOther}} {
		for _, v := range values {
			want = append(want, group+"."+v)
		}
	}
	for _, k := range want {
		if !hasMessage(k) {
			t.Errorf("message %q is missing", k)
		}
	}
	if translate(langID, "nav.oprooms") != "Ruang Operasi" || translate(langID, "region.regency") != "Kabupaten/Kota" || translate(langID, "region.province") != "Provinsi" {
		t.Error("the Indonesian UI must use the glossary's terms")
	}
}

// TestDict: a partial's named arguments; a mistake in a template's call is
// an error at render time, not a silent empty value.
func TestDict(t *testing.T) {
	m, err := dict("Action", "/x", "ID", 7)
	if err != nil || m["Action"] != "/x" || m["ID"] != 7 || len(m) != 2 {
		t.Fatalf("dict = %v, %v", m, err)
	}
	if _, err := dict("Action"); err == nil {
		t.Error("dict took a name without a value")
	}
	if _, err := dict(1, "x"); err == nil {
		t.Error("dict took a name that is not a string")
	}
}
