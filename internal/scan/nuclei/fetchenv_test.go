package nuclei

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
)

// The requests a plain *http.Transport would be cloned for (@tls-sni, and
// raw requests in absolute form sent to the target as to a proxy) go
// through package fetch's Env as scans send them: its guard, its
// politeness, the scan's response cache and request count.

func fetchEnv(policy fetch.Policy) *scan.Env {
	return fetch.ScanEnv(policy, "")(scan.Authorization{RatePerSecond: 50, Concurrency: 2})
}

func scanWith(t *testing.T, env *scan.Env, target, body string) ([]scan.Result, []*scan.HostError) {
	t.Helper()
	tpl, err := Parse([]byte("id: x\ninfo: {name: x, author: garda, severity: info}\nhttp:\n"+body), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []scan.Result
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	failed := scan.ScanTargets(ctx, env, []scan.Target{{URL: target, Mode: scan.Active}}, []scan.Check{tpl},
		scan.HostOptions{Retries: -1}, func(r scan.Result) { mu.Lock(); got = append(got, r); mu.Unlock() }, nil)
	return got, failed
}

func TestTLSServerNameThroughFetch(t *testing.T) {
	target := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "sni="+r.TLS.ServerName)
	}))
	env := fetchEnv(fetch.LoopbackOnly())
	// conformance's get-override-sni.yaml: the Host header's name as SNI
	got, failed := scanWith(t, env, target, "  - raw: [\"@tls-sni:request.host\\nGET / HTTP/1.1\\nHost: test\\n\\n\"]\n    matchers: [{type: word, words: ['sni=test']}]\n")
	if len(failed) > 0 || len(got) != 1 {
		t.Fatalf("@tls-sni:request.host through fetch: %d results, failed %v", len(got), failed)
	}
	// a named server name, and then the plain request: the cache must not
	// answer one with the other
	got, failed = scanWith(t, env, target, "  - raw: [\"@tls-sni: other.test\\nGET / HTTP/1.1\\nHost: {{Hostname}}\\n\\n\", \"GET / HTTP/1.1\\nHost: {{Hostname}}\\n\\n\"]\n    matchers: [{type: word, words: ['sni=other.test']}]\n")
	if len(failed) > 0 || len(got) != 1 {
		t.Fatalf("@tls-sni: other.test: %d results (want 1: the plain request has no server name), failed %v", len(got), failed)
	}
}

func TestProxyFormThroughFetch(t *testing.T) {
	var mu sync.Mutex
	var uris []string
	target := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		io.WriteString(w, "seen "+r.RequestURI)
	}))
	proxyReq := "  - raw: [\"GET http://elsewhere.invalid/x HTTP/1.1\\nHost: elsewhere.invalid\\n\\n\"]\n    matchers: [{type: word, words: ['seen http://elsewhere.invalid/x']}]\n"
	got, failed := scanWith(t, fetchEnv(fetch.LoopbackOnly()), target, proxyReq)
	if len(failed) > 0 || len(got) != 1 {
		t.Fatalf("proxy-form request through fetch: %d results, failed %v (the target saw %v)", len(got), failed, uris)
	}
	// The target is the host connected to: the address guard applies to
	// it as to any request.
	_, failed = scanWith(t, fetchEnv(fetch.PublicInternet()), target, proxyReq)
	var denied *fetch.DeniedError
	if len(failed) != 1 || !errors.As(failed[0].Failed["x"], &denied) {
		t.Fatalf("a proxy request to a loopback target under the public-internet policy: want refused by the guard, got %v", failed)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(uris) != 1 || !strings.HasPrefix(uris[0], "http://elsewhere.invalid/") {
		t.Fatalf("the target saw %v, want the one absolute-form request", uris)
	}
}
