package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/web/webtest"
)

// apiWorld is webtest's APIWorld under the names this package's tests
// use; srv is the world's Srv (serve replaces both).
type apiWorld struct {
	*webtest.APIWorld
	t      *testing.T
	db     *store.DB
	srv    *httptest.Server
	tokens map[string]string
}

func newAPIWorld(t *testing.T, db *store.DB) *apiWorld {
	t.Helper()
	w := webtest.NewAPIWorld(t, db, Deps{}.Handler)
	return &apiWorld{APIWorld: w, t: t, db: db, srv: w.Srv, tokens: w.Tokens}
}

// call makes a request as a user ("" = anonymous), checks the status and
// decodes the JSON answer into out (if not nil).
func (w *apiWorld) call(user, method, path, body string, want int, out any) http.Header {
	w.t.Helper()
	return w.Call(user, method, path, body, want, out)
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, err := New(Deps{DB: storetest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	registered := s.APIRoutes()
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is registered but not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("openapi.json documents %s, which no route answers", d)
		}
	}
	var codes []string
	for _, c := range problem.Codes() {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	enum := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	sort.Strings(enum)
	if !slices.Equal(codes, enum) {
		t.Errorf("error codes in openapi.json %v differ from the catalogue %v", enum, codes)
	}
}

// TestAPIVisibility creates assets over the API as users of different
// organisations, provinces and TLPs, and reads them back as everyone. The
// expected readers are written out from DESIGN.md's table by hand.
func TestAPIVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		everyone := []string{"kpu.analyst", "kpu.admin", "jabar.analyst", "bandung.analyst", "jateng.viewer", "bssn.analyst", "diskominfo.jabar"}
		type want struct {
			creator, region, tlp string
			readers              []string
		}
		cases := []want{
			// A regency's records: its scope chain sees CLEAR/GREEN; AMBER goes up the KPU tree only.
			{"bandung.analyst", "32.04", "CLEAR", []string{"kpu.analyst", "kpu.admin", "jabar.analyst", "bandung.analyst", "bssn.analyst", "diskominfo.jabar"}},
			{"bandung.analyst", "32.04", "GREEN", []string{"kpu.analyst", "kpu.admin", "jabar.analyst", "bandung.analyst", "bssn.analyst", "diskominfo.jabar"}},
			{"bandung.analyst", "32.04", "AMBER", []string{"kpu.analyst", "kpu.admin", "jabar.analyst", "bandung.analyst"}},
			{"bandung.analyst", "32.04", "AMBER+STRICT", []string{"bandung.analyst"}},
			{"bandung.analyst", "32.04", "RED", []string{"bandung.analyst"}},
			// A province's records: the regency's scope does not contain the province.
			{"jabar.analyst", "32", "GREEN", []string{"kpu.analyst", "kpu.admin", "jabar.analyst", "bssn.analyst", "diskominfo.jabar"}},
			{"jabar.analyst", "32", "AMBER", []string{"kpu.analyst", "kpu.admin", "jabar.analyst"}},
			{"jabar.analyst", "32", "RED", []string{"jabar.analyst"}},
			// National records: only national scopes; BSSN has no ancestors.
			{"bssn.analyst", "", "CLEAR", []string{"kpu.analyst", "kpu.admin", "bssn.analyst"}},
			{"bssn.analyst", "", "AMBER", []string{"bssn.analyst"}},
			{"bssn.analyst", "", "AMBER+STRICT", []string{"bssn.analyst"}},
			{"kpu.analyst", "", "AMBER+STRICT", []string{"kpu.analyst", "kpu.admin"}},
			{"kpu.analyst", "", "RED", []string{"kpu.analyst"}},
		}
		ids := make([]int64, len(cases))
		for i, c := range cases {
			var a struct {
				ID int64 `json:"id"`
			}
			w.call(c.creator, "POST", "/api/v1/assets", fmt.Sprintf(`{"name":"asset %d","kind":"site","region":%q,"tlp":%q,"urls":["https://a%d.example.id/"]}`, i, c.region, c.tlp, i), 201, &a)
			ids[i] = a.ID
		}
		for _, viewer := range everyone {
			var list struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				Next string `json:"next_cursor"`
			}
			w.call(viewer, "GET", "/api/v1/assets?limit=500", "", 200, &list)
			listed := map[int64]bool{}
			for _, it := range list.Items {
				listed[it.ID] = true
			}
			for i, c := range cases {
				may := slices.Contains(c.readers, viewer)
				if listed[ids[i]] != may {
					t.Errorf("%s listing %s's %s asset in %q: listed=%v, want %v", viewer, c.creator, c.tlp, c.region, listed[ids[i]], may)
				}
				status := 404
				if may {
					status = 200
				}
				var e struct {
					Error problem.Error `json:"error"`
				}
				w.call(viewer, "GET", fmt.Sprintf("/api/v1/assets/%d", ids[i]), "", status, &e)
				if !may && e.Error.Code != problem.NotFound {
					t.Errorf("hidden asset answered %+v", e.Error)
				}
			}
		}
		// Pagination walks every visible asset once.
		seen := map[int64]int{}
		cursor := ""
		for pages := 0; ; pages++ {
			var list struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				Next string `json:"next_cursor"`
			}
			w.call("kpu.analyst", "GET", "/api/v1/assets?limit=3&cursor="+cursor, "", 200, &list)
			for _, it := range list.Items {
				seen[it.ID]++
			}
			if list.Next == "" || pages > 20 {
				break
			}
			cursor = list.Next
		}
		visible := 0
		for _, c := range cases {
			if slices.Contains(c.readers, "kpu.analyst") {
				visible++
			}
		}
		if len(seen) != visible {
			t.Errorf("paging saw %d assets, want %d", len(seen), visible)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("asset %d seen %d times while paging", id, n)
			}
		}
		// Writes need read access and the role.
		w.call("jateng.viewer", "PATCH", fmt.Sprintf("/api/v1/assets/%d", ids[0]), `{"criticality":"high"}`, 404, nil) // outside its scope: unseen
		w.call("diskominfo.jabar", "PATCH", fmt.Sprintf("/api/v1/assets/%d", ids[0]), `{"criticality":"high"}`, 403, nil)
		w.call("jabar.analyst", "PATCH", fmt.Sprintf("/api/v1/assets/%d", ids[3]), `{"criticality":"high"}`, 404, nil)
		w.call("jabar.analyst", "PATCH", fmt.Sprintf("/api/v1/assets/%d", ids[2]), `{"criticality":"high"}`, 200, nil)
	})
}

func TestAPIBadInputChangesNothing(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		ctx := context.Background()
		count := func() (assets, entries int) {
			db.QueryRow(ctx, `SELECT COUNT(*) FROM assets`).Scan(&assets)
			db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&entries)
			return
		}
		a0, e0 := count()
		huge := `{"name":"` + strings.Repeat("x", 2<<20) + `","kind":"site"}`
		cases := []struct {
			name, body string
			code       problem.Code
		}{
			{"malformed", `{"name":"x",`, problem.InvalidJSON},
			{"not json", `name=x`, problem.InvalidJSON},
			{"empty", ``, problem.InvalidJSON},
			{"two objects", `{"name":"x","kind":"site"}{}`, problem.InvalidJSON},
			{"unknown field", `{"name":"x","kind":"site","colour":"red"}`, problem.UnknownField},
			{"wrong type", `{"name":"x","kind":"site","urls":"https://x.example.id"}`, problem.WrongType},
			{"number for string", `{"name":42,"kind":"site"}`, problem.WrongType},
			{"array body", `[1,2]`, problem.WrongType},
			{"oversized", huge, problem.BodyTooLarge},
			{"unknown region", `{"name":"x","kind":"site","region":"32.99"}`, problem.Invalid},
			{"bad tlp", `{"name":"x","kind":"site","tlp":"WHITE"}`, problem.Invalid},
		}
		for _, c := range cases {
			var e struct {
				Error problem.Error `json:"error"`
			}
			w.call("kpu.analyst", "POST", "/api/v1/assets", c.body, (&problem.Error{Code: c.code}).Status(), &e)
			if e.Error.Code != c.code || e.Error.Message == "" {
				t.Errorf("%s: got %+v, want code %s", c.name, e.Error, c.code)
			}
		}
		var e struct {
			Error problem.Error `json:"error"`
		}
		w.call("", "GET", "/api/v1/regions?parent=99", "", 400, &e)
		w.call("kpu.admin", "POST", "/api/v1/users", `{"username":"x1x","org":"kpu","role":"viewer","scope":"32.99","password":"long enough pw"}`, 400, &e)
		if e.Error.Field != "scope" {
			t.Errorf("unknown scope: %+v", e.Error)
		}
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/assets", strings.NewReader(`{"name":"x","kind":"site"}`))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "Bearer "+w.tokens["kpu.analyst"])
		res, _ := http.DefaultClient.Do(req)
		res.Body.Close()
		if res.StatusCode != 415 {
			t.Errorf("text/plain body: %d", res.StatusCode)
		}
		if a, en := count(); a != a0 || en != e0 {
			t.Fatalf("bad input changed the store: assets %d→%d, audit %d→%d", a0, a, e0, en)
		}
	})
}

func TestAPIAuthAndConventions(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	var e struct {
		Error problem.Error `json:"error"`
	}
	w.call("", "GET", "/api/v1/me", "", 401, &e)
	if e.Error.Code != problem.Unauthorized {
		t.Errorf("anonymous: %+v", e.Error)
	}
	w.tokens["forger"] = "garda_notatoken"
	w.call("forger", "GET", "/api/v1/me", "", 401, nil)
	w.call("", "POST", "/api/v1/auth/login", `{"username":"kpu.analyst","password":"wrong"}`, 401, nil)
	for range auth.MaxFailures {
		w.call("", "POST", "/api/v1/auth/login", `{"username":"jateng.viewer","password":"wrong"}`, 401, nil)
	}
	h := w.call("", "POST", "/api/v1/auth/login", `{"username":"jateng.viewer","password":"pw-jateng.viewer-long"}`, 429, &e)
	if e.Error.Code != problem.TooManyAttempts || h.Get("Retry-After") == "" {
		t.Errorf("throttled: %+v", e.Error)
	}

	var me struct {
		Username    string   `json:"username"`
		Org         string   `json:"org"`
		Scope       string   `json:"scope"`
		Permissions []string `json:"permissions"`
	}
	h = w.call("jabar.analyst", "GET", "/api/v1/me", "", 200, &me)
	if me.Username != "jabar.analyst" || me.Org != "kpu-32" || me.Scope != "32" || !slices.Contains(me.Permissions, "create_asset") {
		t.Errorf("me: %+v", me)
	}
	for _, hdr := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
		if h.Get(hdr) == "" {
			t.Errorf("missing %s", hdr)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Errorf("CSP: %s", h.Get("Content-Security-Policy"))
	}

	var regions struct {
		Count int `json:"count"`
		Items []struct {
			Code string `json:"Code"`
		} `json:"items"`
	}
	w.call("", "GET", "/api/v1/regions?level=province", "", 200, &regions)
	if regions.Count != 38 {
		t.Errorf("%d provinces", regions.Count)
	}
	w.call("", "GET", "/api/v1/regions?level=regency", "", 200, &regions)
	if regions.Count != 514 {
		t.Errorf("%d regencies", regions.Count)
	}
	w.call("", "GET", "/api/v1/regions?level=regency&parent=32", "", 200, &regions)
	if regions.Count != 27 || regions.Items[0].Code != "32.01" {
		t.Errorf("Jawa Barat has %d regencies", regions.Count)
	}
	w.call("", "GET", "/api/v1/regions?level=district", "", 400, nil)
	w.call("", "GET", "/api/v1/nope", "", 404, nil)

	// Tokens: created, used, revoked; admin-only endpoints refuse others.
	var tok struct {
		Token string `json:"token"`
		Info  struct {
			ID int64 `json:"id"`
		} `json:"info"`
	}
	w.call("bssn.analyst", "POST", "/api/v1/tokens", `{"name":"script","expires_in":"1h"}`, 201, &tok)
	w.tokens["script"] = tok.Token
	w.call("script", "GET", "/api/v1/me", "", 200, nil)
	w.call("kpu.analyst", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.Info.ID), "", 404, nil)
	w.call("bssn.analyst", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.Info.ID), "", 204, nil)
	w.call("script", "GET", "/api/v1/me", "", 401, nil)
	w.call("bssn.analyst", "GET", "/api/v1/audit", "", 403, nil)
	w.call("bssn.analyst", "POST", "/api/v1/users", `{}`, 403, nil)
	var entries struct {
		Items []audit.Entry `json:"items"`
	}
	w.call("kpu.admin", "GET", "/api/v1/audit?limit=5", "", 200, &entries)
	if len(entries.Items) != 5 || entries.Items[0].Seq < entries.Items[1].Seq {
		t.Errorf("audit list: %d entries", len(entries.Items))
	}
	w.call("kpu.admin", "POST", "/api/v1/users", `{"username":"baru","org":"kpu-32","role":"viewer","scope":"32","password":"long enough pw"}`, 201, nil)
	w.call("kpu.admin", "POST", "/api/v1/users/baru/disable", "", 204, nil)
	w.call("kpu.admin", "POST", "/api/v1/orgs", `{"slug":"csirt-jabar","name":"CSIRT Jabar","kind":"agency","region":"32"}`, 201, nil)

	// Health, readiness, metrics.
	w.call("", "GET", "/healthz", "", 200, nil)
	w.call("", "GET", "/readyz", "", 200, nil)
	res, err := http.Get(w.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`garda_http_requests_total{route="GET /api/v1/me",code="200"}`,
		`garda_http_requests_total{route="POST /api/v1/auth/login",code="429"} 1`,
		`garda_http_request_duration_seconds_bucket{route="GET /api/v1/me",le="+Inf"}`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
