package nuclei

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// TestRealTemplatesLoad loads every template of ../shared/data/nuclei-templates
// (a sample of nuclei-templates, INDEX.tsv lists them): each loads or is
// refused with a named unsupported feature, and at least 90% of the http,
// ssl, dns and network ones load.
func TestRealTemplatesLoad(t *testing.T) {
	dir := sharedData(t, "nuclei-templates")
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type count struct{ total, ok int }
	counts := map[string]*count{}
	features := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		path, proto, id := cols[0], cols[1], cols[2]
		c := counts[proto]
		if c == nil {
			c = &count{}
			counts[proto] = c
		}
		c.total++
		tpl, err := Load(filepath.Join(dir, path))
		if err == nil {
			if tpl.ID() != id {
				t.Errorf("%s: id %q, INDEX says %q", path, tpl.ID(), id)
			}
			c.ok++
			continue
		}
		var ue *UnsupportedError
		var pe *ProtocolError
		switch {
		case errors.As(err, &ue):
			features[ue.Feature]++
		case errors.As(err, &pe):
			features[pe.Error()]++
		default:
			t.Errorf("%s: %v (neither loads nor names an unsupported feature)", path, err)
		}
		if proto == "http" || proto == "ssl" || proto == "dns" || proto == "network" {
			t.Logf("%s (%s): %v", path, proto, err)
		}
	}
	var protos []string
	for p := range counts {
		protos = append(protos, p)
	}
	sort.Strings(protos)
	core, coreOK := 0, 0
	for _, p := range protos {
		c := counts[p]
		t.Logf("%-10s %3d/%3d load", p, c.ok, c.total)
		if p == "http" || p == "ssl" || p == "dns" || p == "network" {
			core += c.total
			coreOK += c.ok
		}
	}
	for f, n := range features {
		t.Logf("refused %2d x %s", n, f)
	}
	if core == 0 {
		t.Fatal("no http, ssl, dns or network template in INDEX.tsv")
	}
	share := float64(coreOK) / float64(core)
	t.Logf("http+ssl+dns+network: %d/%d load (%.1f%%)", coreOK, core, 100*share)
	if share < 0.9 {
		t.Errorf("only %.1f%% of the http, ssl, dns and network templates load; want at least 90%%", 100*share)
	}
}

// TestRealTemplatesRun runs every loaded http, ssl, dns and network
// template of ../shared/data/nuclei-templates against loopback servers (an
// HTTPS site, a TCP banner, a DNS server) and counts the ones that run
// without error and send no request with an unresolved {{placeholder}}: at
// least 90% of all the http, ssl, dns and network templates must.
func TestRealTemplatesRun(t *testing.T) {
	dir := sharedData(t, "nuclei-templates")
	if testing.Short() {
		t.Skip("runs ~200 templates against loopback servers")
	}
	var mu sync.Mutex
	unresolved := map[string]bool{}
	var current string
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.RequestURI, "{{") || strings.Contains(r.Host, "{{") {
			mu.Lock()
			unresolved[current] = true
			mu.Unlock()
		}
		w.Header().Set("Server", "nginx/1.18.0")
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		io.WriteString(w, `<html><head><title>KPU</title><meta name="generator" content="WordPress 6.4"></head><body>Komisi Pemilihan Umum</body></html>`)
	}))
	site.TLS = selfSignedConfig(t, nil)
	site.Config.ErrorLog = log.New(io.Discard, "", 0) // the ssl templates' refused versions
	site.StartTLS()
	defer site.Close()
	banner := tcpServer(t, nil, func(c net.Conn) {
		io.WriteString(c, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")
		readN(c, 64)
	})
	env := testEnv(dnsServer(t))

	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, ran := 0, 0
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		path, proto := cols[0], cols[1]
		target := site.URL
		switch proto {
		case "http", "ssl":
		case "network":
			target = banner
		case "dns":
			target = "https://one.one.one.one"
		default:
			continue
		}
		total++
		tpl, err := Load(filepath.Join(dir, path))
		if err != nil {
			continue
		}
		mu.Lock()
		current = path
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		n := 0
		err = tpl.Run(ctx, env, scan.Target{URL: target, Mode: scan.Active}, func(scan.Result) { n++ })
		cancel()
		mu.Lock()
		bad := unresolved[path]
		mu.Unlock()
		switch {
		case err != nil:
			t.Logf("%s: run: %v", path, err)
		case bad:
			t.Logf("%s: sent a request with an unresolved {{placeholder}}", path)
		default:
			ran++
		}
	}
	share := float64(ran) / float64(total)
	t.Logf("http+ssl+dns+network: %d/%d load and run (%.1f%%)", ran, total, 100*share)
	if share < 0.9 {
		t.Errorf("only %.1f%% of the http, ssl, dns and network templates load and run; want at least 90%%", 100*share)
	}
}
