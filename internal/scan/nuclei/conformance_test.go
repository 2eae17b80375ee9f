package nuclei

// nuclei's own integration tests (../shared/data/nuclei-conformance:
// http_test.go, ssl_test.go, dns_test.go, network_test.go,
// matcher-status_test.go), ported: the same templates, a loopback server
// serving what nuclei's test serves, the same expected number of results.
// Tests that query public hosts (scanme.sh, one.one.one.one) run against
// a loopback server answering the same; cases Garda cannot pass are
// listed with the reason.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"gopkg.in/yaml.v3"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// sharedData is ../shared/data seen from this package.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("needs ../shared/data/%s (the shared data folder beside the worktree): %v", sub, err)
	}
	return dir
}

func conformancePath(t testing.TB, rel string) string {
	return filepath.Join(sharedData(t, "nuclei-conformance"), "testdata", rel)
}

func testEnv(resolver string) *scan.Env {
	return &scan.Env{
		HTTP: &http.Client{
			Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback test servers
			Timeout:   20 * time.Second,
		},
		Dial:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		Resolver: resolver,
	}
}

// runTemplate loads and runs one template against target.
func runTemplate(t *testing.T, path, target string, vars map[string]string, env *scan.Env) []scan.Result {
	t.Helper()
	tpl, err := Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if vars != nil {
		tpl = tpl.WithVariables(vars)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var out []scan.Result
	err = tpl.Run(ctx, env, scan.Target{URL: target, Mode: scan.Active}, func(r scan.Result) {
		mu.Lock()
		out = append(out, r)
		mu.Unlock()
	})
	if err != nil {
		t.Logf("run %s: %v", filepath.Base(path), err)
	}
	return out
}

// routes is httprouter's exact matching: "METHOD /path" -> handler.
func routes(m map[string]http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := m[r.Method+" "+r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

func serve(t *testing.T, h http.Handler) string {
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func serveTLS(t *testing.T, h http.Handler) string {
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func text(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s) }
}

type httpCase struct {
	path   string
	skip   string // why Garda does not run it
	refuse string // the load error it must give instead
	target func(t *testing.T) string
	vars   map[string]string
	want   int
	check  func(t *testing.T, target string, res []scan.Result)
}

func httpCases() []httpCase {
	redirects := func(t *testing.T) string {
		return serve(t, routes(map[string]http.HandlerFunc{
			"GET /":           func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/redirected", http.StatusFound) },
			"GET /redirected": text("This is test redirects matcher text"),
		}))
	}
	matcherText := func(t *testing.T) string {
		return serve(t, routes(map[string]http.HandlerFunc{"GET /": text("This is test matcher text")}))
	}
	form := func(r *http.Request, k string) string { r.ParseForm(); return r.Form.Get(k) }
	var pathsMu sync.Mutex
	var paths []string
	recordPaths := func(t *testing.T) string {
		pathsMu.Lock()
		paths = nil
		pathsMu.Unlock()
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pathsMu.Lock()
			paths = append(paths, r.RequestURI)
			pathsMu.Unlock()
		}))
	}
	expectPaths := func(want []string) func(t *testing.T, _ string, _ []scan.Result) {
		return func(t *testing.T, _ string, _ []scan.Result) {
			pathsMu.Lock()
			defer pathsMu.Unlock()
			if strings.Join(paths, "\n") != strings.Join(want, "\n") {
				t.Errorf("paths sent:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	return []httpCase{
		{path: "protocols/http/get-headers.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				if strings.EqualFold(r.Header.Get("test"), "nuclei") {
					io.WriteString(w, "This is test headers matcher text")
				}
			}}))
		}},
		{path: "protocols/http/get-query-string.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				if strings.EqualFold(r.URL.Query().Get("test"), "nuclei") {
					io.WriteString(w, "This is test querystring matcher text")
				}
			}}))
		}},
		{path: "protocols/http/get-redirects.yaml", want: 1, target: redirects},
		{path: "protocols/http/get-host-redirects.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /":            func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/redirected1", http.StatusFound) },
				"GET /redirected1": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "redirected2", http.StatusFound) },
				"GET /redirected2": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/redirected3", http.StatusFound) },
				// nuclei's test sends the last hop to https://scanme.sh: any
				// other host serves (it must not be followed)
				"GET /redirected3": func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "http://other-host.invalid/", http.StatusTemporaryRedirect)
				},
			}))
		}},
		{path: "protocols/http/disable-redirects.yaml", skip: "runs nuclei with -dr (disable redirects for every template): a command-line option Garda does not have"},
		{path: "protocols/http/get.yaml", want: 1, target: matcherText},
		{path: "protocols/http/post-body.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"POST /": func(w http.ResponseWriter, r *http.Request) {
				if strings.EqualFold(form(r, "username"), "test") && strings.EqualFold(form(r, "password"), "nuclei") {
					io.WriteString(w, "This is test post-body matcher text")
				}
			}}))
		}},
		{path: "protocols/http/post-json-body.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"POST /": func(w http.ResponseWriter, r *http.Request) {
				var doc struct{ Username, Password string }
				if json.NewDecoder(r.Body).Decode(&doc) == nil && strings.EqualFold(doc.Username, "test") && strings.EqualFold(doc.Password, "nuclei") {
					io.WriteString(w, "This is test post-json-body matcher text")
				}
			}}))
		}},
		{path: "protocols/http/post-multipart-body.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"POST /": func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseMultipartForm(1 << 20); err != nil {
					return
				}
				pw := r.MultipartForm.Value["password"]
				files := r.MultipartForm.File["username"]
				if len(pw) == 1 && len(files) == 1 && strings.EqualFold(pw[0], "nuclei") && strings.EqualFold(files[0].Filename, "username") {
					io.WriteString(w, "This is test post-multipart matcher text")
				}
			}}))
		}},
		{path: "protocols/http/raw-cookie-reuse.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"POST /": func(w http.ResponseWriter, r *http.Request) {
					if strings.EqualFold(form(r, "testing"), "parameter") {
						http.SetCookie(w, &http.Cookie{Name: "nuclei", Value: "test"})
					}
				},
				"GET /": func(w http.ResponseWriter, r *http.Request) {
					if c, err := r.Cookie("nuclei"); err == nil && strings.EqualFold(c.Value, "test") {
						io.WriteString(w, "Test is test-cookie-reuse matcher text")
					}
				},
			}))
		}},
		{path: "protocols/http/raw-dynamic-extractor.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"POST /": func(w http.ResponseWriter, r *http.Request) {
					if strings.EqualFold(form(r, "testing"), "parameter") {
						io.WriteString(w, "Token: 'nuclei'")
					}
				},
				"GET /": func(w http.ResponseWriter, r *http.Request) {
					if strings.EqualFold(r.URL.Query().Get("username"), "nuclei") {
						io.WriteString(w, "Test is test-dynamic-extractor-raw matcher text")
					}
				},
			}))
		}},
		{path: "protocols/http/raw-get-query.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				if strings.EqualFold(r.URL.Query().Get("test"), "nuclei") {
					io.WriteString(w, "Test is test raw-get-query-matcher text")
				}
			}}))
		}},
		{path: "protocols/http/raw-get.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": text("Test is test raw-get-matcher text")}))
		}},
		rawParams("protocols/http/raw-with-params.yaml"),
		rawParams("protocols/http/raw-unsafe-with-params.yaml"),
		{path: "protocols/http/raw-path-trailing-slash.yaml", want: -1, target: recordPaths, check: expectPaths([]string{"/test/..;/..;/"})},
		{path: "protocols/http/raw-payload.yaml", want: 2, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"POST /": func(w http.ResponseWriter, r *http.Request) {
				h := r.Header.Get("another_header")
				if !strings.EqualFold(h, "bnVjbGVp") && !strings.EqualFold(h, "Z3Vlc3Q=") {
					return
				}
				if p := form(r, "password"); strings.EqualFold(form(r, "username"), "test") && (strings.EqualFold(p, "nuclei") || strings.EqualFold(p, "guest")) {
					io.WriteString(w, "Test is raw-payload matcher text")
				}
			}}))
		}},
		{path: "protocols/http/raw-post-body.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"POST /": func(w http.ResponseWriter, r *http.Request) {
				if strings.EqualFold(form(r, "username"), "test") && strings.EqualFold(form(r, "password"), "nuclei") {
					io.WriteString(w, "Test is test raw-post-body-matcher text")
				}
			}}))
		}},
		{path: "protocols/http/raw-unsafe-path.yaml", skip: "unsafe raw requests are sent through the Env's HTTP client, which normalises what nuclei's rawhttp sends byte for byte"},
		{path: "protocols/http/http-paths.yaml", want: -1, target: recordPaths, check: expectPaths(referencePaths("protocols/http/http-paths.yaml"))},
		{path: "protocols/http/request-condition.yaml", want: 1, target: statusRoutes},
		{path: "protocols/http/request-condition-new.yaml", want: 1, target: statusRoutes},
		{path: "protocols/http/self-contained.yaml", refuse: "self-contained"},
		{path: "protocols/http/self-contained-with-path.yaml", refuse: "self-contained"},
		{path: "protocols/http/self-contained-with-params.yaml", refuse: "self-contained"},
		{path: "protocols/http/self-contained-file-input.yaml", refuse: "self-contained"},
		{path: "protocols/http/get-case-insensitive.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": text("THIS IS TEST MATCHER TEXT")}))
		}},
		{path: "protocols/http/get.yaml,protocols/http/get-case-insensitive.yaml", want: 2, target: matcherText},
		{path: "protocols/http/get-redirects-chain-headers.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/redirected", http.StatusFound) },
				"GET /redirected": func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Secret", "TestRedirectHeaderMatch")
					http.Redirect(w, r, "/final", http.StatusFound)
				},
				"GET /final": text("ok"),
			}))
		}},
		{path: "protocols/http/dsl-matcher-variable.yaml", want: 5, target: matcherText},
		{path: "protocols/http/dsl-functions.yaml", refuse: `dsl function generate_java_gadget`}, // its other helpers: TestDSLFunctionsTemplate
		{path: "protocols/http/race-simple.yaml", want: 10, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {}}))
		}},
		{path: "protocols/http/race-multiple.yaml", want: 5, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {}}))
		}},
		// nuclei's test also asserts timings (two at once, the third
		// later); unit tests here assert no wall-clock limits, so only
		// the count is checked
		{path: "protocols/http/race-condition-with-delay.yaml", want: 3, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {}}))
		}},
		{path: "protocols/http/race-with-variables.yaml", want: 3, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /race": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Header.Get("X-API-Key")) }}))
		}},
		{path: "protocols/http/stop-at-first-match.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": text("This is test")}))
		}},
		{path: "protocols/http/stop-at-first-match-with-extractors.yaml", want: 2, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": text("This is test")}))
		}},
		{path: "protocols/http/variables.yaml", want: 1, target: echoTestHeaders},
		{path: "protocols/http/variables.yaml", want: 0, target: echoTestHeaders, vars: map[string]string{"a1": "failed"}},
		{path: "protocols/http/variables-threads-previous.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /login": text("token=secret123"),
				"GET /api":   func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Header.Get("Authorization")) },
			}))
		}},
		{path: "protocols/http/variable-dsl-function.yaml", want: -1, target: recordPaths, check: func(t *testing.T, _ string, _ []scan.Result) {
			pathsMu.Lock()
			defer pathsMu.Unlock()
			if len(paths) != 2 || paths[0] != paths[1] {
				t.Errorf("want 2 requests to the same URL, got %v", paths)
			}
		}},
		{path: "protocols/http/get-override-sni.yaml", want: 1, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				if r.TLS.ServerName == "test" {
					io.WriteString(w, "test-ok")
				} else {
					io.WriteString(w, "test-ko")
				}
			}}))
		}},
		{path: "protocols/http/get-sni.yaml", skip: "runs nuclei with -sni: a command-line option Garda does not have (the Env's client decides SNI)"},
		{path: "protocols/http/redirect-match-url.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /":           func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/redirected", http.StatusFound) },
				"GET /redirected": text("This is test redirects matcher text"),
			}))
		}, check: func(t *testing.T, target string, res []scan.Result) {
			if len(res) == 1 && res[0].MatchedAt != target+"/redirected" {
				t.Errorf("matched-at %q, want %q", res[0].MatchedAt, target+"/redirected")
			}
		}},
		{path: "protocols/http/get-sni-unsafe.yaml", skip: "runs nuclei with -sni: a command-line option Garda does not have (the Env's client decides SNI)"},
		{path: "protocols/http/annotation-timeout.yaml", want: 1, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": text("This is test matcher text")}))
		}},
		{path: "protocols/http/custom-attack-type.yaml", skip: "runs nuclei with -attack-type clusterbomb over the template's pitchfork: a command-line option Garda does not have (the template's own attack is tested in TestPayloadAttacks)"},
		{path: "protocols/http/get-all-ips.yaml", skip: "-scan-all-ips resolves a public name (scanme.sh) to all its addresses: the Env's resolver and address guard decide that"},
		{path: "protocols/http/get-without-scheme.yaml", want: 1, target: func(t *testing.T) string {
			// nuclei's input is "scanme.sh" without scheme: https is assumed
			u := serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": text("ok")}))
			return strings.TrimPrefix(u, "https://")
		}},
		{path: "protocols/http/cl-body-without-header.yaml", want: 1, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Length"] = []string{"-1"}
				io.WriteString(w, "this is a test")
			}}))
		}},
		{path: "protocols/http/cl-body-with-header.yaml", want: 1, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Length"] = []string{"50000"}
				io.WriteString(w, "this is a test")
			}}))
		}},
		{path: "protocols/http/cli-with-constants.yaml", want: 1, vars: map[string]string{"test": "fromcli"}, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Query().Get("p")) }}))
		}},
		{path: "protocols/http/constants-with-threads.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if v, ok := strings.CutPrefix(r.URL.Path, "/api/"); ok {
					fmt.Fprintf(w, "%s %s", r.Header.Get("X-API-Key"), v)
				}
			}))
		}},
		{path: "protocols/http/matcher-status.yaml", skip: "runs nuclei with -ms (a result for every request that did not match): Garda reports failures as Run's error, not as results"},
		{path: "protocols/http/disable-path-automerge.yaml", want: 2, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /api/v1/test": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Query().Get("id")) },
				"GET /":            text("empty path in raw request"),
			})) + "/api/v1/user"
		}},
		{path: "protocols/http/http-preprocessor.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
				if len(r.URL.Query().Get("test")) >= 25 {
					io.WriteString(w, "ok")
					return
				}
				w.WriteHeader(http.StatusBadRequest)
			}}))
		}},
		{path: "protocols/http/multi-request.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{"GET /ping": text("ping"), "GET /pong": text("pong")}))
		}},
		{path: "protocols/http/http-matcher-extractor-dy-extractor.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /":        text(`<!DOCTYPE html><html lang="en"><body><a href="/domains">Domains</a></body></html>`),
				"GET /domains": text("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>Dynamic Extractor Test</title>\n</head>\n<body></body></html>"),
			}))
		}},
		// nuclei's test asks https://scanme.sh; a loopback site answering
		// as it does (200 on / and on /200) serves the same purpose
		{path: "protocols/http/multi-http-var-sharing.yaml", want: 1, target: func(t *testing.T) string {
			return serveTLS(t, routes(map[string]http.HandlerFunc{"GET /": text("scanme"), "GET /200": text("ok")}))
		}},
		{path: "protocols/http/response-data-literal-reuse.yaml", want: 1, target: func(t *testing.T) string {
			return serve(t, routes(map[string]http.HandlerFunc{
				"GET /": text(`{{md5("Hello")}}`),
				"GET /echo": func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("x") != `{{md5("Hello")}}` {
						w.WriteHeader(http.StatusBadRequest)
					}
				},
			}))
		}},
		{path: "protocols/http/raw-path-single-slash.yaml", want: -1, target: func(t *testing.T) string { return recordPaths(t) + "/index.php" }, check: expectPaths([]string{"/index.php"})},
		{path: "protocols/http/raw-unsafe-path-single-slash.yaml", want: -1, target: func(t *testing.T) string { return recordPaths(t) + "/index.php" }, check: expectPaths([]string{"/index.php"})},
		// matcher-status_test.go
		{path: "protocols/http/matcher-status-and.yaml,protocols/http/matcher-status-and-cluster.yaml", skip: "runs nuclei with -ms -j (failed matches as results): Garda emits matches only"},
		// the out-of-band cases (interactsh_test.go in nuclei) are refused
		{path: "protocols/http/interactsh.yaml", refuse: "interactsh"},
		{path: "protocols/http/interactsh-with-payloads.yaml", refuse: "interactsh"},
		{path: "protocols/http/interactsh-stop-at-first-match.yaml", refuse: "interactsh"},
		{path: "protocols/http/interactsh-requests-mc-and.yaml", refuse: "interactsh"},
		{path: "protocols/http/default-matcher-condition.yaml", refuse: "interactsh"},
	}
}

func rawParams(path string) httpCase {
	var mu sync.Mutex
	var bad error
	return httpCase{path: path, want: 1, target: func(t *testing.T) string {
		return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if len(q["key1"]) != 1 || q["key1"][0] != "value1" || len(q["key2"]) != 1 || q["key2"][0] != "value2" {
				mu.Lock()
				bad = fmt.Errorf("query %q: want key1=value1 and key2=value2 once each", r.URL.RawQuery)
				mu.Unlock()
			}
			io.WriteString(w, "Test is test raw-params-matcher text")
		}})) + "/?key1=value1"
	}, check: func(t *testing.T, _ string, _ []scan.Result) {
		mu.Lock()
		defer mu.Unlock()
		if bad != nil {
			t.Error(bad)
		}
	}}
}

func statusRoutes(t *testing.T) string {
	return serve(t, routes(map[string]http.HandlerFunc{
		"GET /200": func(w http.ResponseWriter, r *http.Request) {},
		"GET /400": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) },
	}))
}

func echoTestHeaders(t *testing.T) string {
	return serve(t, routes(map[string]http.HandlerFunc{"GET /": func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n%s\n%s", r.Header.Get("Test"), r.Header.Get("Another"), r.Header.Get("Email"))
	}}))
}

// referencePaths reads the paths nuclei's test expects from the
// template's own info.reference.
func referencePaths(rel string) []string {
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", "nuclei-conformance", "testdata", rel)
	b, err := os.ReadFile(dir)
	if err != nil {
		return nil
	}
	var doc struct {
		Info struct {
			Reference []string `yaml:"reference"`
		} `yaml:"info"`
	}
	yaml.Unmarshal(b, &doc)
	return doc.Info.Reference
}

func TestConformanceHTTP(t *testing.T) {
	sharedData(t, "nuclei-conformance")
	env := testEnv("")
	for _, c := range httpCases() {
		name := strings.TrimPrefix(c.path, "protocols/http/")
		if c.vars != nil {
			name += "+vars"
		}
		t.Run(name, func(t *testing.T) {
			runCase(t, c, env)
		})
	}
}

func runCase(t *testing.T, c httpCase, env *scan.Env) {
	t.Helper()
	if c.refuse != "" {
		_, err := Load(conformancePath(t, c.path))
		if err == nil || !strings.Contains(err.Error(), c.refuse) {
			t.Fatalf("load: %v, want a refusal naming %q", err, c.refuse)
		}
		var ue *UnsupportedError
		var pe *ProtocolError
		if !errors.As(err, &ue) && !errors.As(err, &pe) {
			t.Fatalf("refusal %v is not an unsupported-feature error", err)
		}
		t.Skipf("refused at load, as Garda documents: %v", err)
	}
	if c.skip != "" {
		t.Skip(c.skip)
	}
	target := c.target(t)
	var res []scan.Result
	for _, p := range strings.Split(c.path, ",") {
		res = append(res, runTemplate(t, conformancePath(t, p), target, c.vars, env)...)
	}
	if c.want >= 0 && len(res) != c.want {
		t.Errorf("%d results, want %d: %s", len(res), c.want, summary(res))
	}
	if c.check != nil {
		c.check(t, target, res)
	}
}

func summary(res []scan.Result) string {
	var parts []string
	for _, r := range res {
		parts = append(parts, fmt.Sprintf("%s %s %v", r.MatchedAt, r.MatcherName, r.ExtractedResults))
	}
	return strings.Join(parts, "; ")
}

// tcpServer is nuclei's testutils.NewTCPServer: it accepts on loopback
// and runs handle per connection, optionally under TLS.
func tcpServer(t *testing.T, cfg *tls.Config, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func readN(c net.Conn, n int) string {
	b := make([]byte, n)
	k, _ := io.ReadFull(c, b)
	return string(b[:k])
}

func pingPong(c net.Conn) {
	if readN(c, 4) == "PING" {
		c.Write([]byte("PONG"))
	}
}

func TestConformanceNetwork(t *testing.T) {
	sharedData(t, "nuclei-conformance")
	env := testEnv("")
	cases := []httpCase{
		{path: "protocols/network/basic.yaml", want: 1, target: func(t *testing.T) string { return tcpServer(t, nil, pingPong) }},
		{path: "protocols/network/hex.yaml", want: 1, target: func(t *testing.T) string { return tcpServer(t, nil, pingPong) }},
		{path: "protocols/network/multi-step.yaml", want: 1, target: func(t *testing.T) string {
			return tcpServer(t, nil, func(c net.Conn) {
				if readN(c, 5) == "FIRST" {
					c.Write([]byte("PING"))
				}
				if readN(c, 6) == "SECOND" {
					c.Write([]byte("PONG"))
				}
				c.Write([]byte("NUCLEI"))
			})
		}},
		{path: "protocols/network/self-contained.yaml", refuse: "self-contained"},
		{path: "protocols/network/variables.yaml", want: 1, target: func(t *testing.T) string {
			return tcpServer(t, nil, func(c net.Conn) {
				if readN(c, 4) == "PING" {
					c.Write([]byte("aGVsbG8="))
				}
			})
		}},
		{path: "protocols/network/same-address.yaml", want: 1, target: func(t *testing.T) string { return tcpServer(t, nil, pingPong) }},
		// nuclei's test listens on the template's port 23846 and on
		// others named by the input; here the input names a free port,
		// which wins over the template's, as in nuclei's second and third runs
		{path: "protocols/network/network-port.yaml", want: 1, target: func(t *testing.T) string { return tcpServer(t, nil, pingPong) }},
		{path: "protocols/network/net-https.yaml", want: 1, target: func(t *testing.T) string {
			return tcpServer(t, selfSignedConfig(t, nil), func(c net.Conn) {
				readN(c, 16)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			})
		}},
		{path: "protocols/network/net-https-timeout.yaml", want: 1, target: func(t *testing.T) string {
			return tcpServer(t, selfSignedConfig(t, nil), func(c net.Conn) {
				readN(c, 16)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			})
		}},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "protocols/network/"), func(t *testing.T) { runCase(t, c, env) })
	}
}

func TestConformanceSSL(t *testing.T) {
	sharedData(t, "nuclei-conformance")
	env := testEnv("")
	srv := func(mod func(*tls.Config)) func(t *testing.T) string {
		return func(t *testing.T) string {
			return tcpServer(t, selfSignedConfig(t, mod), func(c net.Conn) { readN(c, 4) })
		}
	}
	cases := []httpCase{
		{path: "protocols/ssl/basic.yaml", want: 1, target: srv(nil)},
		{path: "protocols/ssl/basic-ztls.yaml", skip: "runs nuclei with -ztls and matches tls_connection == 'ztls': zcrypto's TLS stack is not Garda's (Garda's is crypto/tls, tls_connection 'ctls')"},
		{path: "protocols/ssl/custom-cipher.yaml", want: 1, target: srv(func(c *tls.Config) { c.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256} })},
		{path: "protocols/ssl/custom-version.yaml", want: 1, target: srv(func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12 })},
		{path: "protocols/ssl/ssl-with-vars.yaml", want: 1, vars: map[string]string{"test": "asdasdas"}, target: srv(nil)},
		// the server speaks SSL 3.0 to TLS 1.1; Go has no SSL 3.0, so
		// the server here offers TLS 1.0-1.1 and the ssl30 request finds
		// nothing, as in nuclei's run
		{path: "protocols/ssl/multi-req.yaml", want: 2, target: srv(func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 })},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "protocols/ssl/"), func(t *testing.T) { runCase(t, c, env) })
	}
}

// dnsServer answers, on loopback UDP, what the public resolvers nuclei's
// dns_test.go asks answer for its names.
func dnsServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	records := map[string][]string{
		"one.one.one.one. A":        {"one.one.one.one. 300 IN A 1.1.1.1", "one.one.one.one. 300 IN A 1.0.0.1"},
		"one.one.one.one. AAAA":     {"one.one.one.one. 300 IN AAAA 2606:4700:4700::1001"},
		"one.one.one.one. NS":       {"one.one.one.one. 300 IN NS ns1.one.one.one."},
		"one.one.one.one. TXT":      {`one.one.one.one. 300 IN TXT "v=spf1 -all"`},
		"one.one.one.one. SRV":      {"one.one.one.one. 300 IN SRV 0 5 443 one.one.one.one."},
		"1.1.1.1.in-addr.arpa. PTR": {"1.1.1.1.in-addr.arpa. 300 IN PTR one.one.one.one."},
		"pki.goog. CAA":             {`pki.goog. 300 IN CAA 0 issue "pki.goog"`},
		"docs.google.com. A":        {"docs.google.com. 300 IN A 142.250.4.100"},
		"drive.google.com. A":       {"drive.google.com. 300 IN A 142.250.4.101"},
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.RecursionAvailable = true
		qq := q.Question[0]
		for _, s := range records[strings.ToLower(qq.Name)+" "+dns.TypeToString[qq.Qtype]] {
			rr, err := dns.NewRR(s)
			if err == nil {
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestConformanceDNS(t *testing.T) {
	sharedData(t, "nuclei-conformance")
	env := testEnv(dnsServer(t))
	name := func(n string) func(*testing.T) string { return func(*testing.T) string { return n } }
	cases := []httpCase{
		{path: "protocols/dns/a.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/aaaa.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/cname.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/srv.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/ns.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/txt.yaml", want: 1, target: name("one.one.one.one")},
		{path: "protocols/dns/ptr.yaml", want: 1, target: name("1.1.1.1")},
		{path: "protocols/dns/caa.yaml", want: 1, target: name("pki.goog")},
		{path: "protocols/dns/tlsa.yaml", want: 0, target: name("scanme.sh")},
		{path: "protocols/dns/variables.yaml", want: 1, target: name("one.one.one.one")},
		// nuclei accepts 1 to 3 from public DNS; the loopback server
		// knows two of the three names
		{path: "protocols/dns/payload.yaml", want: 2, target: name("google.com")},
		{path: "protocols/dns/dsl-matcher-variable.yaml", want: 1, target: name("one.one.one.one")},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "protocols/dns/"), func(t *testing.T) {
			if _, err := os.Stat(conformancePath(t, c.path)); err != nil {
				t.Skipf("template not in the conformance set: %v", err)
			}
			runCase(t, c, env)
		})
	}
}

// TestDSLFunctionsTemplate ports nuclei's dsl-functions case for the
// helpers Garda provides: every header expression of the template but
// jarm and generate_java_gadget (refused) evaluates to something.
func TestDSLFunctionsTemplate(t *testing.T) {
	b, err := os.ReadFile(conformancePath(t, "protocols/http/dsl-functions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		idx, expr, ok := strings.Cut(line, ": {{")
		if !ok || len(idx) != 2 || !strings.HasSuffix(expr, "}}") {
			continue
		}
		src := strings.TrimSuffix(expr, "}}")
		if strings.HasPrefix(src, "jarm(") || strings.HasPrefix(src, "generate_java_gadget(") {
			continue
		}
		n++
		got := dslInterpolate("{{" + src + "}}")
		if strings.Contains(got, "{{") || strings.TrimSpace(got) == "" {
			t.Errorf("%s: {{%s}} gave %q", idx, src, got)
		}
	}
	if n != 86 {
		t.Errorf("%d expressions evaluated, want 86 (88 less jarm and generate_java_gadget)", n)
	}
}

func dslInterpolate(s string) string { return dsl.Interpolate(s, dsl.Vars{}) }
