package builtin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// obsCase is one header configuration of a loopback site: what its https
// side answers (and its http side, which redirects unless told not to).
type obsCase struct {
	name       string
	headers    map[string]string
	cookies    []string
	body       string
	noRedirect bool // http serves the page too
	noHTTPS    bool
	acao       string // Access-Control-Allow-Origin for the preflight ("reflect": the Origin)
	creds      bool
	want       string // the Observatory's grade, from scripts/crosscheck-observatory.sh
}

const page = "<!doctype html><html><head><title>KPU</title></head><body><h1>KPU</h1></body></html>"

var good = map[string]string{
	"Strict-Transport-Security":    "max-age=63072000; includeSubDomains; preload",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Resource-Policy": "same-origin",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

var obsCases = []obsCase{
	{name: "bare", want: "D"},
	{name: "bare-no-redirect", noRedirect: true, want: "F"},
	{name: "http-only", noHTTPS: true, want: "F"},
	{name: "hardened", headers: good, want: "A+"},
	{name: "csp-unsafe-inline", headers: with(good, "Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"), want: "B+"},
	{name: "csp-unsafe-eval", headers: with(good, "Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-eval'"), want: "A+"},
	{name: "csp-self", headers: with(good, "Content-Security-Policy", "default-src 'self'"), want: "A+"},
	{name: "csp-insecure-scheme", headers: with(good, "Content-Security-Policy", "default-src 'self'; script-src http://cdn.example.com"), want: "B+"},
	{name: "csp-passive-insecure", headers: with(good, "Content-Security-Policy", "default-src 'self'; img-src http://img.example.com"), want: "A+"},
	{name: "csp-report-only", headers: with(good, "Content-Security-Policy", "", "Content-Security-Policy-Report-Only", "default-src 'none'"), want: "B"},
	{name: "csp-invalid-duplicate", headers: with(good, "Content-Security-Policy", "default-src 'self'; default-src 'none'"), want: "B"},
	{name: "csp-nonce-strict-dynamic", headers: with(good, "Content-Security-Policy", "script-src 'nonce-abc123' 'strict-dynamic' https: 'unsafe-inline'; object-src 'none'; base-uri 'none'"), want: "A+"},
	{name: "hsts-short", headers: with(good, "Strict-Transport-Security", "max-age=300"), want: "A+"},
	{name: "hsts-invalid", headers: with(good, "Strict-Transport-Security", "includeSubDomains"), want: "B+"},
	{name: "xfo-allow-from", headers: with(good, "X-Frame-Options", "ALLOW-FROM https://kpu.go.id", "Content-Security-Policy", "default-src 'none'"), want: "A+"},
	{name: "xfo-invalid", headers: with(good, "X-Frame-Options", "foo", "Content-Security-Policy", "default-src 'none'"), want: "B+"},
	{name: "xcto-invalid", headers: with(good, "X-Content-Type-Options", "sniff"), want: "A+"},
	{name: "referrer-unsafe", headers: with(good, "Referrer-Policy", "unsafe-url"), want: "A+"},
	{name: "referrer-invalid", headers: with(good, "Referrer-Policy", "bogus"), want: "A+"},
	{name: "corp-invalid", headers: with(good, "Cross-Origin-Resource-Policy", "bogus"), want: "A+"},
	{name: "cookie-session-insecure", headers: good, cookies: []string{"PHPSESSID=abc; Path=/"}, want: "B"},
	{name: "cookie-good", headers: good, cookies: []string{"sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Strict"}, want: "A+"},
	{name: "cookie-samesite-invalid", headers: good, cookies: []string{"pref=1; Path=/; Secure; SameSite=foo"}, want: "B+"},
	{name: "cookie-csrf-no-samesite", headers: good, cookies: []string{"csrftoken=x; Path=/; Secure"}, want: "B+"},
	{name: "sri-external-http", headers: with(good, "Content-Security-Policy", ""), body: `<html><head><script src="http://cdn.example.com/x.js"></script></head><body></body></html>`, want: "D-"},
	{name: "sri-external-https-integrity", headers: good, body: `<html><head><script src="https://cdn.example.com/x.js" integrity="sha384-abc" crossorigin="anonymous"></script></head></html>`, want: "A+"},
	{name: "cors-wildcard", headers: good, acao: "*", want: "A+"},
	{name: "cors-reflect-credentials", headers: good, acao: "reflect", creds: true, want: "A+"},
	{name: "meta-csp-and-referrer", headers: with(good, "Content-Security-Policy", "", "Referrer-Policy", ""), body: `<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><meta name="referrer" content="no-referrer"></head><body></body></html>`, want: "A+"},
}

// serveCase starts the case's https and http sides on loopback.
func serveCase(t *testing.T, c obsCase, p *pki, cert, key string) (httpPort, httpsPort string) {
	t.Helper()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			switch c.acao {
			case "reflect":
				w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			case "":
			default:
				w.Header().Set("Access-Control-Allow-Origin", c.acao)
			}
			if c.creds {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		for k, v := range c.headers {
			w.Header().Set(k, v)
		}
		for _, ck := range c.cookies {
			w.Header().Add("Set-Cookie", ck)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body := c.body
		if body == "" {
			body = page
		}
		_, _ = w.Write([]byte(body))
	})
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	httpsPort = freePort(t) // closed unless served
	if !c.noHTTPS {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		l := listen()
		httpsPort = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		srv := &http.Server{Handler: handler, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}}
		go func() { _ = srv.ServeTLS(l, "", "") }()
		t.Cleanup(func() { srv.Close() })
	}
	plain := handler
	if !c.noRedirect && !c.noHTTPS {
		plain = func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://127.0.0.1:"+httpsPort+r.URL.RequestURI(), http.StatusMovedPermanently)
		}
	}
	l := listen()
	httpPort = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: plain}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return httpPort, httpsPort
}

func gardaGrade(t *testing.T, c obsCase, p *pki, httpPort, httpsPort string) ObsGrade {
	t.Helper()
	target := scan.Target{URL: "https://127.0.0.1:" + httpsPort}
	if c.noHTTPS {
		target.URL = "http://127.0.0.1:" + httpPort
	}
	in, err := Pair{HTTPPort: httpPort, HTTPSPort: httpsPort, Roots: p.pool}.Gather(context.Background(), testEnv(t), target)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return Grade(in)
}

// TestObservatoryGrades: Garda's grade of each configuration is the one
// the Observatory gave it (recorded by scripts/crosscheck-observatory.sh).
func TestObservatoryGrades(t *testing.T) {
	p := newPKI(t)
	cert, key := p.leaf(t, "obs", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	for _, c := range obsCases {
		httpPort, httpsPort := serveCase(t, c, p, cert, key)
		g := gardaGrade(t, c, p, httpPort, httpsPort)
		if g.Grade != c.want {
			t.Errorf("%s: Garda grades %s (%d), the Observatory %s; tests %v", c.name, g.Grade, g.Score, c.want, g.Tests)
		}
	}
}

// TestObservatoryCrosscheck runs the Observatory itself on the same
// servers (scripts/crosscheck-observatory.sh sets the module's path).
func TestObservatoryCrosscheck(t *testing.T) {
	mod := os.Getenv("GARDA_OBSERVATORY_MODULE")
	if mod == "" {
		t.Skip("set GARDA_OBSERVATORY_MODULE (scripts/crosscheck-observatory.sh does) to run the MDN HTTP Observatory alongside")
	}
	script, _ := filepath.Abs("../../../scripts/crosscheck-observatory.mjs")
	p := newPKI(t)
	cert, key := p.leaf(t, "obs", time.Now().Add(-time.Hour), time.Now().Add(200*24*time.Hour), false)
	agree := 0
	for _, c := range obsCases {
		httpPort, httpsPort := serveCase(t, c, p, cert, key)
		g := gardaGrade(t, c, p, httpPort, httpsPort)
		cmd := exec.Command("node", script, mod, "127.0.0.1", httpPort, httpsPort)
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+filepath.Join(p.dir, "ca.pem"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: node: %v", c.name, err)
		}
		var o struct {
			Grade, Error string
			Score        int
			Tests        map[string]string
		}
		if err := json.Unmarshal(out, &o); err != nil || o.Error != "" {
			t.Fatalf("%s: observatory: %s %v", c.name, out, err)
		}
		same := o.Grade == g.Grade && o.Score == g.Score
		if same {
			agree++
		} else {
			t.Errorf("%s: Garda %s (%d) %v; Observatory %s (%d) %v", c.name, g.Grade, g.Score, g.Tests, o.Grade, o.Score, o.Tests)
		}
		t.Logf("%-30s garda %-2s %3d  observatory %-2s %3d", c.name, g.Grade, g.Score, o.Grade, o.Score)
	}
	t.Logf("%d/%d configurations: same grade and score", agree, len(obsCases))
}
