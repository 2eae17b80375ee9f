package nuclei

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// runShipped runs every shipped template of the given protocols against
// target and returns the results by template id.
func runShipped(t *testing.T, env *scan.Env, target string, protos ...string) map[string][]scan.Result {
	t.Helper()
	checks, err := Checks("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, p := range protos {
		want[p] = true
	}
	var mu sync.Mutex
	out := map[string][]scan.Result{}
	for _, c := range checks {
		tpl := c.(*Template)
		if !want[tpl.Protocol()] {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := tpl.Run(ctx, env, scan.Target{URL: target, Mode: scan.Active}, func(r scan.Result) {
			mu.Lock()
			out[r.TemplateID] = append(out[r.TemplateID], r)
			mu.Unlock()
		})
		cancel()
		if err != nil {
			t.Logf("%s: %v", tpl.ID(), err)
		}
	}
	return out
}

func ids(m map[string][]scan.Result) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestShippedFindsPlantedWeaknesses: the shipped set finds a .git/config,
// a Laravel .env, an open Apache server-status, an expired self-signed
// certificate and TLS 1.0 on a weak site, with the templates' severities,
// and none of them on a hardened one.
func TestShippedFindsPlantedWeaknesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the shipped set against loopback sites")
	}
	weakPages := map[string]string{
		"/.git/config":   "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n[remote \"origin\"]\n\turl = https://git.example.invalid/kpu/site.git\n",
		"/.env":          "APP_NAME=Laravel\nAPP_ENV=production\nAPP_KEY=base64:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\nDB_HOST=127.0.0.1\nDB_PASSWORD=rahasia\n",
		"/server-status": "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html><head>\n<title>Apache Status</title>\n</head><body>\n<h1>Apache Server Status for localhost (via 127.0.0.1)</h1>\n<dl><dt>Server Version: Apache/2.4.57 (Debian)</dt>\n",
	}
	weak := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.57 (Debian)")
		if body, ok := weakPages[r.URL.Path]; ok {
			io.WriteString(w, body)
			return
		}
		http.NotFound(w, r)
	}))
	expired := selfSigned(t, "localhost", time.Now().Add(-60*24*time.Hour), time.Now().Add(-24*time.Hour))
	weak.TLS = &tls.Config{Certificates: []tls.Certificate{expired}, MinVersion: tls.VersionTLS10}
	weak.Config.ErrorLog = log.New(io.Discard, "", 0)
	weak.StartTLS()
	defer weak.Close()

	hard := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "geolocation=()")
		if r.URL.Path == "/" {
			io.WriteString(w, "<!doctype html><html><head><title>KPU</title></head><body>Komisi Pemilihan Umum</body></html>")
			return
		}
		http.NotFound(w, r)
	}))
	hard.TLS = selfSignedConfig(t, func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 })
	hard.Config.ErrorLog = log.New(io.Discard, "", 0)
	hard.StartTLS()
	defer hard.Close()

	env := testEnv("")
	got := runShipped(t, env, weak.URL, "http", "ssl")
	t.Logf("weak site: %s", strings.Join(ids(got), " "))
	planted := map[string]scan.Severity{
		"git-config":           scan.SeverityMedium,
		"laravel-env":          scan.SeverityHigh,
		"apache-server-status": scan.SeverityLow,
		"expired-ssl":          scan.SeverityLow,
		"self-signed-ssl":      scan.SeverityLow,
		"deprecated-tls":       scan.SeverityInfo,
	}
	for id, sev := range planted {
		res := got[id]
		if len(res) == 0 {
			t.Errorf("%s: not found on the weak site", id)
			continue
		}
		r := res[0]
		if r.Info.Severity != sev {
			t.Errorf("%s: severity %s, want the template's %s", id, r.Info.Severity, sev)
		}
		if !r.MatcherStatus || r.Timestamp.IsZero() || r.Host != "127.0.0.1" || r.MatchedAt == "" || r.TemplatePath == "" {
			t.Errorf("%s: result lacks nuclei's fields: %+v", id, r)
		}
	}
	if r := got["git-config"]; len(r) > 0 && !strings.HasSuffix(r[0].MatchedAt, "/.git/config") {
		t.Errorf("git-config matched at %q", r[0].MatchedAt)
	}
	if r := got["deprecated-tls"]; len(r) > 0 && !strings.Contains(strings.Join(r[0].ExtractedResults, ","), "tls10") {
		t.Errorf("deprecated-tls extracted %v, want tls10", r[0].ExtractedResults)
	}

	got = runShipped(t, env, hard.URL, "http", "ssl")
	t.Logf("hardened site: %s", strings.Join(ids(got), " "))
	for id := range planted {
		if id == "self-signed-ssl" {
			continue // the test's own certificate is self-signed
		}
		if len(got[id]) > 0 {
			t.Errorf("%s: found on the hardened site: %+v", id, got[id][0])
		}
	}
	for id, res := range got {
		if res[0].Info.Severity.Rank() >= scan.SeverityMedium.Rank() {
			t.Errorf("%s (%s) on the hardened site: %s", id, res[0].Info.Severity, res[0].MatchedAt)
		}
	}
}

// TestShippedCatchAllSite: a site that answers every path with its home
// page (common: a framework's catch-all route) gives no finding above
// info: the exposure templates check what they fetched, not only 200.
func TestShippedCatchAllSite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the shipped set against a loopback site")
	}
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		io.WriteString(w, "<!doctype html><html><head><title>Beranda</title></head><body>Selamat datang di KPU</body></html>")
	}))
	site.TLS = selfSignedConfig(t, nil)
	site.Config.ErrorLog = log.New(io.Discard, "", 0)
	site.StartTLS()
	defer site.Close()
	got := runShipped(t, testEnv(""), site.URL, "http")
	for id, res := range got {
		if res[0].Info.Severity.Rank() > scan.SeverityInfo.Rank() {
			t.Errorf("%s (%s) on a catch-all site: %s", id, res[0].Info.Severity, res[0].MatchedAt)
		}
	}
	t.Logf("catch-all site: %s", strings.Join(ids(got), " "))
}
