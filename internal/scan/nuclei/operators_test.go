package nuclei

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

func compileOps(t *testing.T, src string) *operators {
	t.Helper()
	tpl, err := Parse([]byte("id: x\ninfo: {name: x, author: garda, severity: info}\nhttp:\n  - path: ['{{BaseURL}}']\n"+src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &tpl.http[0].operators
}

func response(body string, status int, headers string) dsl.Vars {
	h := "HTTP/1.1 200 OK\r\n" + headers + "\r\n"
	return dsl.Vars{"body": body, "status_code": status, "content_length": len(body), "all_headers": h, "header": h, "response": h + body, "server": "nginx/1.25.3"}
}

func TestMatchers(t *testing.T) {
	page := response(`<html><title>Login</title>{"role":"admin","groups":["a","b"],"n":{"m":[1,2]}}</html>`, 200, "Server: nginx/1.25.3\r\nSet-Cookie: s=1\r\n")
	cases := []struct {
		name, ops string
		match     bool
		names     []string
	}{
		{"word or", "    matchers: [{type: word, words: [nope, Login]}]\n", true, nil},
		{"word and", "    matchers: [{type: word, condition: and, words: [nope, Login]}]\n", false, nil},
		{"word case-insensitive", "    matchers: [{type: word, case-insensitive: true, words: [LOGIN]}]\n", true, nil},
		{"word header part", "    matchers: [{type: word, part: header, words: [Set-Cookie]}]\n", true, nil},
		{"word named part", "    matchers: [{type: word, part: server, words: [nginx]}]\n", true, nil},
		{"word hex", "    matchers: [{type: word, encoding: hex, words: ['4c6f67696e']}]\n", true, nil},
		{"negative", "    matchers: [{type: word, negative: true, words: [Login]}]\n", false, nil},
		{"regex", "    matchers: [{type: regex, regex: ['<title>[A-Z][a-z]+</title>']}]\n", true, nil},
		{"status", "    matchers: [{type: status, status: [301, 200]}]\n", true, nil},
		{"status miss", "    matchers: [{type: status, status: [404]}]\n", false, nil},
		{"size", "    matchers: [{type: size, size: [" + itoa(len(page["body"].(string))) + "]}]\n", true, nil},
		{"binary", "    matchers: [{type: binary, binary: ['3c7469746c653e']}]\n", true, nil},
		{"xpath", "    matchers: [{type: xpath, xpath: ['//title']}]\n", true, nil},
		{"dsl", "    matchers: [{type: dsl, dsl: ['status_code == 200 && contains(body, \"admin\")']}]\n", true, nil},
		{"dsl unknown variable is no match", "    matchers: [{type: dsl, dsl: ['nosuch == 1']}]\n", false, nil},
		{"and across matchers", "    matchers-condition: and\n    matchers: [{type: status, status: [200]}, {type: word, words: [absent]}]\n", false, nil},
		{"named or: each its own", "    matchers:\n      - {type: word, name: login, words: [Login]}\n      - {type: word, name: nginx, part: header, words: [nginx]}\n      - {type: word, name: iis, part: header, words: [IIS]}\n", true, []string{"login", "nginx"}},
		{"internal named not shown", "    matchers:\n      - {type: word, name: hidden, internal: true, words: [Login]}\n      - {type: status, name: ok, status: [200]}\n", true, []string{"ok"}},
	}
	for _, c := range cases {
		ops := compileOps(t, c.ops)
		res, ok := ops.execute(copyVars(page), "body")
		if ok != c.match {
			t.Errorf("%s: matched %v, want %v", c.name, ok, c.match)
		}
		if c.names != nil && !reflect.DeepEqual(res.names, c.names) {
			t.Errorf("%s: names %v, want %v", c.name, res.names, c.names)
		}
	}
}

func copyVars(v dsl.Vars) dsl.Vars { return merge(v) }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestExtractors(t *testing.T) {
	body := `{"role":"admin","groups":["a","b"],"n":{"m":[1,2]},"items":[{"slug":"x"},{"slug":"y"}]}`
	html := `<html><head><title>KPU Portal</title><meta name="generator" content="WordPress 6.4.2"></head><body><a href="/x">x</a></body></html>`
	cases := []struct {
		name, ops, body string
		want            []string
	}{
		{"regex group", "    extractors: [{type: regex, group: 1, regex: ['\"role\":\"([a-z]+)\"']}]\n", body, []string{"admin"}},
		{"json key", "    extractors: [{type: json, json: ['.role']}]\n", body, []string{"admin"}},
		{"json array", "    extractors: [{type: json, json: ['.groups[]']}]\n", body, []string{"a", "b"}},
		{"json index", "    extractors: [{type: json, json: ['.n.m[1]']}]\n", body, []string{"2"}},
		{"json pipe", "    extractors: [{type: json, json: ['.items[] | .slug']}]\n", body, []string{"x", "y"}},
		{"kval", "    extractors: [{type: kval, kval: [server]}]\n", body, []string{"nginx/1.25.3"}},
		{"dsl", "    extractors: [{type: dsl, dsl: ['to_upper(server)']}]\n", body, []string{"NGINX/1.25.3"}},
		{"xpath text", "    extractors: [{type: xpath, xpath: ['/html/head/title']}]\n", html, []string{"KPU Portal"}},
		{"xpath attribute", "    extractors: [{type: xpath, attribute: content, xpath: [\"//meta[@name='generator']\"]}]\n", html, []string{"WordPress 6.4.2"}},
	}
	for _, c := range cases {
		ops := compileOps(t, c.ops)
		res, ok := ops.execute(response(c.body, 200, ""), "body")
		if !ok || !reflect.DeepEqual(res.extracts, c.want) {
			t.Errorf("%s: %v (ok %v), want %v", c.name, res.extracts, ok, c.want)
		}
	}
}

// TestResultShape: a run's result is nuclei's JSONL event, field for
// field, and the context bounds the run.
func TestResultShape(t *testing.T) {
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.25.3")
		io.WriteString(w, "version=1.25.3")
	}))
	tpl, err := Parse([]byte(`id: nginx-version
info:
  name: nginx version
  author: garda
  severity: info
  tags: tech,nginx
http:
  - method: GET
    path: ["{{BaseURL}}"]
    matchers:
      - {type: word, part: header, name: nginx, words: [nginx]}
    extractors:
      - {type: regex, part: header, group: 1, regex: ['nginx/([0-9.]+)']}
`), "builtin/nginx-version.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	env := testEnv("")
	env.Now = func() time.Time { return now }
	var got []scan.Result
	if err := tpl.Run(context.Background(), env, scan.Target{URL: url}, func(r scan.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d results", len(got))
	}
	b, _ := json.Marshal(got[0])
	var m map[string]any
	json.Unmarshal(b, &m)
	for k, want := range map[string]any{
		"template-id": "nginx-version", "template-path": "builtin/nginx-version.yaml", "type": "http",
		"host": "127.0.0.1", "matched-at": url, "matcher-name": "nginx", "matcher-status": true,
		"timestamp": "2026-12-06T01:02:03Z", "scheme": "http", "ip": "127.0.0.1",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if ex, _ := m["extracted-results"].([]any); len(ex) != 1 || ex[0] != "1.25.3" {
		t.Errorf("extracted-results %v", m["extracted-results"])
	}
	if info, _ := m["info"].(map[string]any); info["severity"] != "info" || info["name"] != "nginx version" {
		t.Errorf("info %v", m["info"])
	}
	if got[0].CURLCommand != "curl -X 'GET' '"+url+"'" {
		t.Errorf("curl-command %q", got[0].CURLCommand)
	}
	if !strings.HasPrefix(got[0].Request, "GET / HTTP/1.1") || !strings.Contains(got[0].Response, "version=1.25.3") {
		t.Errorf("request %q / response %q", got[0].Request, got[0].Response)
	}

	// a cancelled context stops the run and is its error
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tpl.Run(ctx, env, scan.Target{URL: url}, func(scan.Result) {}); err == nil {
		t.Error("a cancelled run reported no error")
	}
}

func TestPayloadAttacks(t *testing.T) {
	ps, err := loadPayloads(map[string]any{"a": []any{"1", "2"}, "b": []any{"x", "y"}}, "pitchfork", ".")
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.combinations(100); len(got) != 2 || got[1]["a"] != "2" || got[1]["b"] != "y" {
		t.Errorf("pitchfork %v", got)
	}
	ps.attack = "clusterbomb"
	if got := ps.combinations(100); len(got) != 4 {
		t.Errorf("clusterbomb %v", got)
	}
	ps, _ = loadPayloads(map[string]any{"a": []any{"1", "2", "3"}}, "", ".")
	if got := ps.combinations(100); len(got) != 3 || ps.attack != "batteringram" {
		t.Errorf("batteringram %v (%s)", got, ps.attack)
	}
	if got := ps.combinations(2); len(got) != 2 {
		t.Errorf("limit: %d combinations", len(got))
	}
}

// TestPayloadFileFromRoot: a payload list named from the templates' root
// (helpers/...) is found from a template deeper in the tree, as nuclei
// finds it; one that is not there is refused by name.
func TestPayloadFileFromRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "helpers", "wordlists"), 0o755)
	os.MkdirAll(filepath.Join(root, "http", "exposures"), 0o755)
	os.WriteFile(filepath.Join(root, "helpers", "wordlists", "paths.txt"), []byte("/a\n/b\r\n\n/c\n"), 0o644)
	tpl := "id: x\ninfo: {name: x, author: garda, severity: info}\nhttp:\n  - path: ['{{BaseURL}}{{p}}']\n    payloads:\n      p: helpers/wordlists/%s\n    matchers: [{type: status, status: [200]}]\n"
	p := filepath.Join(root, "http", "exposures", "x.yaml")
	os.WriteFile(p, []byte(fmt.Sprintf(tpl, "paths.txt")), 0o644)
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.http[0].payloads.values["p"]; !reflect.DeepEqual(v, []string{"/a", "/b", "/c"}) {
		t.Errorf("payload values %v", v)
	}
	os.WriteFile(p, []byte(fmt.Sprintf(tpl, "missing.txt")), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), `payload file "helpers/wordlists/missing.txt"`) {
		t.Errorf("missing list: %v", err)
	}
}

func TestXPathAttributeStep(t *testing.T) {
	ops := compileOps(t, "    extractors: [{type: xpath, xpath: ['//a/@href']}]\n")
	res, _ := ops.execute(response(`<html><body><a href="/one">1</a><a href="/two">2</a></body></html>`, 200, ""), "body")
	if !reflect.DeepEqual(res.extracts, []string{"/one", "/two"}) {
		t.Errorf("extracted %v", res.extracts)
	}
}

// TestRequestsStayOnTarget: a raw request naming another host in its
// request line goes to the target, in absolute form (nuclei's open-proxy
// checks); a path or @Host naming another host is refused; nothing
// connects anywhere but the target.
func TestRequestsStayOnTarget(t *testing.T) {
	var mu sync.Mutex
	var uris []string
	target := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		io.WriteString(w, "seen "+r.RequestURI)
	}))
	var dialed []string
	env := testEnv("")
	tr := env.HTTP.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	head := "id: x\ninfo: {name: x, author: garda, severity: info}\nhttp:\n"
	run := func(body string) ([]scan.Result, error) {
		tpl, err := Parse([]byte(head+body), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var got []scan.Result
		err = tpl.Run(context.Background(), env, scan.Target{URL: target}, func(r scan.Result) { got = append(got, r) })
		return got, err
	}
	got, err := run("  - raw: [\"GET http://elsewhere.invalid/x HTTP/1.1\\nHost: elsewhere.invalid\\n\\n\"]\n    matchers: [{type: word, words: ['seen http://elsewhere.invalid/x']}]\n")
	if err != nil || len(got) != 1 {
		t.Errorf("proxy request: %d results, %v (uris %v)", len(got), err, uris)
	}
	if _, err := run("  - path: ['http://elsewhere.invalid/x']\n    matchers: [{type: status, status: [200]}]\n"); err == nil || !strings.Contains(err.Error(), "only the target") {
		t.Errorf("path to another host: %v", err)
	}
	if _, err := run("  - raw: [\"@Host: http://elsewhere.invalid\\nGET / HTTP/1.1\\nHost: {{Hostname}}\\n\\n\"]\n    matchers: [{type: status, status: [200]}]\n"); err == nil || !strings.Contains(err.Error(), "only the target") {
		t.Errorf("@Host to another host: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	host := strings.TrimPrefix(target, "http://")
	for _, a := range dialed {
		if a != host {
			t.Errorf("connected to %s, not the target %s", a, host)
		}
	}
}
