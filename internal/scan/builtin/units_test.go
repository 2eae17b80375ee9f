package builtin

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
)

// A site that answers 200 to every path, with a page that happens to
// name phpMyAdmin and Apache's status page, must give no exposure.
func TestExposuresSoft404(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><head><title>KPU - Halaman</title></head><body>Berita: pelatihan phpMyAdmin dan Apache Server Status for admin. Path "+r.URL.Path+"</body></html>")
	}))
	defer srv.Close()
	rs := runChecks(t, testEnv(t), scan.Target{URL: srv.URL, Mode: scan.Active}, Exposures{})
	for _, r := range rs {
		t.Errorf("soft-404 site: %s at %s", r.CheckKey(), r.MatchedAt)
	}
}

func TestExposuresPassiveModeSkips(t *testing.T) {
	if !(Exposures{}).Active() || !(Ports{}).Active() {
		t.Fatal("guessing paths and knocking on ports are active probes")
	}
	for _, c := range []scan.Check{&TLS{}, HSTS{}, Headers{}, CORS{}, Versions{}, DNS{}} {
		if c.Active() {
			t.Errorf("%s reads only what a browser would: passive", c.ID())
		}
	}
}

func TestPorts(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	openPort := open.Addr().(*net.TCPAddr).Port
	closedPort, _ := strconv.Atoi(freePort(t))
	list := []int{openPort, closedPort}
	docker, err := net.Listen("tcp", "127.0.0.1:2375")
	if err == nil {
		defer docker.Close()
		list = append(list, 2375)
	}
	rs := runChecks(t, testEnv(t), scan.Target{URL: "http://127.0.0.1", Mode: scan.Active}, Ports{List: list})
	r := wantFound(t, rs, "garda-port-open", scan.SeverityInfo)
	if r.Port != strconv.Itoa(openPort) {
		t.Errorf("open port %d reported as %s", openPort, r.Port)
	}
	for _, r := range rs {
		if r.Port == strconv.Itoa(closedPort) {
			t.Errorf("closed port %d reported open", closedPort)
		}
	}
	if docker != nil {
		wantFound(t, rs, "garda-port-exposed-service", scan.SeverityCritical)
	}
	if len(CommonPorts) < 90 {
		t.Errorf("the common list has %d ports", len(CommonPorts))
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.4.49", "2.4.50", -1}, {"2.4.62", "2.4.62", 0}, {"2.4.100", "2.4.64", 1},
		{"1.0.1", "1.0.1a", -1}, {"1.0.1f", "1.0.1g", -1}, {"1.0.1g", "1.0.2", -1}, {"8.1.29", "8.1.3", 1},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestDisclosedAndAffected(t *testing.T) {
	sw := Disclosed("Apache/2.4.49 (Unix) OpenSSL/1.0.1f PHP/8.1.2", "PHP/8.1.2",
		[]byte(`<meta name="generator" content="WordPress 6.4.2">`))
	got := map[string]string{}
	for _, s := range sw {
		got[s.Product] = s.CPE
	}
	want := map[string]string{
		"apache_httpd": "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*",
		"openssl":      "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*",
		"php":          "cpe:2.3:a:php:php:8.1.2:*:*:*:*:*:*:*",
		"wordpress":    "cpe:2.3:a:wordpress:wordpress:6.4.2:*:*:*:*:*:*:*",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: CPE %q, want %q", k, got[k], v)
		}
	}
	cves := map[string]bool{}
	for _, s := range sw {
		advs, err := Affected(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range advs {
			cves[a.CVE] = true
			if a.Source == "" || !strings.HasPrefix(a.Source, "https://") {
				t.Errorf("%s has no source", a.CVE)
			}
		}
	}
	for _, c := range []string{"CVE-2021-41773", "CVE-2021-42013", "CVE-2014-0160", "CVE-2024-4577"} {
		if !cves[c] {
			t.Errorf("%s not matched", c)
		}
	}
	if advs, _ := Affected(Software{Product: "apache_httpd", Version: "2.4.71"}); len(advs) != 0 {
		t.Errorf("2.4.71 is past every shipped fix, got %v", advs)
	}
}

func TestParseHSTS(t *testing.T) {
	for _, c := range []struct {
		in              string
		strong, preload bool
	}{
		{"max-age=31536000", true, false},
		{"max-age=31536000; includeSubDomains; preload", true, true},
		{"max-age=63072000; preload", true, false},
		{`max-age="31536000"; includeSubDomains; preload`, true, true},
		{"max-age=300; includeSubDomains; preload", false, false},
		{"includeSubDomains", false, false},
	} {
		h := ParseHSTS(c.in)
		if h.Strong() != c.strong || h.PreloadReady() != c.preload {
			t.Errorf("%q: strong %v preload-ready %v", c.in, h.Strong(), h.PreloadReady())
		}
	}
}

func TestGradeChart(t *testing.T) {
	for score, want := range map[int]string{135: "A+", 100: "A+", 99: "A", 90: "A", 89: "A-", 80: "B+", 70: "B", 65: "B-", 60: "C+", 50: "C", 45: "C-", 40: "D+", 30: "D", 25: "D-", 24: "F", 0: "F", -20: "F"} {
		if got := gradeForScore(score); got != want {
			t.Errorf("score %d: %s, want %s", score, got, want)
		}
	}
}

// Waiting for the host's rate is not a closed port: under a tight limit
// the last port of the list is still found open.
func TestPortsUnderRateLimit(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	var list []int
	for i := 0; i < 29; i++ {
		p, _ := strconv.Atoi(freePort(t))
		list = append(list, p)
	}
	list = append(list, open.Addr().(*net.TCPAddr).Port)
	f := fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(), PerHost: fetch.HostLimit{Conns: 2, RPS: 20}})
	env := &scan.Env{HTTP: f.Client(), Dial: f.Dial}
	rs := runChecks(t, env, scan.Target{URL: "http://127.0.0.1", Mode: scan.Active}, Ports{List: list})
	if len(rs) != 1 || rs[0].Port != strconv.Itoa(list[29]) {
		t.Fatalf("want the one open port %d, got %d results", list[29], len(rs))
	}
}
