package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const customBouncer = "/usr/bin/crowdsec-custom-bouncer"

// startServe runs `garda serve` on a data dir and returns its URL.
func startServe(t *testing.T, bin, dir string) string {
	t.Helper()
	return startServeWith(t, bin, dir)
}

func apiJSON(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return res.StatusCode
}

// TestSurveillanceEndToEnd is the surveillance pillar as an operator runs
// it: `garda serve`, an asset, `garda ingest` of its access log, live
// detection raising alerts, the scenario policy banning attackers, and
// Debian's crowdsec-custom-bouncer enforcing the bans Garda made.
func TestSurveillanceEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	dir := t.TempDir()
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, bin, stdin, args...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	run("", "migrate", "--data-dir", dir)
	run("analis-kpu-password\n", "user", "create", "--data-dir", dir, "--username", "analis.kpu", "--org", "kpu", "--role", "analyst", "--scope", "", "--password-stdin")
	token := run("", "token", "create", "--data-dir", dir, "--username", "analis.kpu")
	key := ""
	for _, f := range strings.Fields(run("", "bouncer", "add", "--data-dir", dir, "edge-jakarta")) {
		if len(f) >= 32 {
			key = f
		}
	}
	if key == "" {
		t.Fatal("garda bouncer add printed no key")
	}
	base := startServe(t, bin, dir)

	var a struct {
		ID int64 `json:"id"`
	}
	if code := apiJSON(t, "POST", base+"/api/v1/assets", token, `{"name":"cekdptonline","kind":"web_app","hostnames":["cekdptonline.kpu.example.id"],"criticality":"critical","tlp":"AMBER"}`, &a); code != 201 {
		t.Fatalf("create asset: %d", code)
	}

	// An access log of the last minutes: citizens, an SQL injection, a
	// scanner and a voter-data scraper.
	now := time.Now().UTC().Add(-5 * time.Minute)
	var log strings.Builder
	line := func(ip string, at time.Duration, target string, status int, ua string) {
		fmt.Fprintf(&log, "%s - - [%s] \"GET %s HTTP/1.1\" %d 512 \"-\" \"%s\"\n", ip, now.Add(at).Format("02/Jan/2006:15:04:05 -0700"), target, status, ua)
	}
	chrome := "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Mobile Safari/537.36"
	for i := range 300 {
		line(fmt.Sprintf("36.64.%d.%d", i/200, i%200+1), time.Duration(i)*time.Second, fmt.Sprintf("/berita/%d/pengumuman-dpt", i), 200, chrome)
	}
	line("36.64.9.9", 10*time.Second, "/api/dpt/cek?nik=3171234567890001", 200, chrome)
	const sqli, scanner, scraper = "203.0.113.50", "203.0.113.51", "203.0.113.52"
	line(sqli, 20*time.Second, "/cari?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", 200, chrome)
	line(sqli, 21*time.Second, "/cari?id=1%20AND%20SLEEP(5)--", 200, chrome)
	line(scanner, 30*time.Second, "/", 200, "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:007005)")
	for i := range 15 {
		line(scraper, time.Duration(40+i)*time.Second, fmt.Sprintf("/api/dpt/cek?nik=31710000000%05d", i), 200, "python-requests/2.31.0")
	}
	logFile := filepath.Join(dir, "access.log")
	os.WriteFile(logFile, []byte(log.String()), 0o644)
	// The asset's log shipper sends with the asset's ingest key, not a person's token.
	var made struct {
		Key string `json:"key"`
	}
	if code := apiJSON(t, "POST", fmt.Sprintf("%s/api/v1/assets/%d/ingest-keys", base, a.ID), token, `{"name":"nginx-cekdpt"}`, &made); code != 201 {
		t.Fatalf("create ingest key: %d", code)
	}
	if out := run("", "ingest", "--server", base, "--key", made.Key, "--asset", fmt.Sprint(a.ID), logFile); !strings.Contains(out, "sent 319 lines") {
		t.Fatalf("ingest: %s", out)
	}

	// Alerts arrive from live detection.
	flagged := map[string]map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for len(flagged) < 3 && time.Now().Before(deadline) {
		var list struct {
			Items []struct {
				Scenario string `json:"scenario"`
				SourceIP string `json:"source_ip"`
			} `json:"items"`
		}
		apiJSON(t, "GET", base+"/api/v1/alerts?limit=500", token, "", &list)
		for _, it := range list.Items {
			if flagged[it.SourceIP] == nil {
				flagged[it.SourceIP] = map[string]bool{}
			}
			flagged[it.SourceIP][it.Scenario] = true
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !flagged[sqli]["http-sqli"] || !flagged[scanner]["http-scanner"] || !flagged[scraper]["voter-data-scraping"] {
		t.Fatalf("alerts by source: %v", flagged)
	}
	for ip := range flagged {
		if strings.HasPrefix(ip, "36.64.") {
			t.Errorf("benign client %s flagged: %v", ip, flagged[ip])
		}
	}

	// The scenario policy bans the SQL injector at once and proposes the scraper.
	var decisions struct {
		Items []struct {
			Value, Status, Sender string
		} `json:"items"`
	}
	apiJSON(t, "GET", base+"/api/v1/decisions?limit=100", token, "", &decisions)
	status := map[string]string{}
	for _, d := range decisions.Items {
		status[d.Value] = d.Status
		if want := fmt.Sprintf("key:%d/nginx-cekdpt", a.ID); d.Sender != want {
			t.Errorf("decision for %s names sender %q, want %s", d.Value, d.Sender, want)
		}
	}
	if status[sqli] != "active" || status[scraper] != "proposed" {
		t.Fatalf("decisions: %v", status)
	}

	if _, err := os.Stat(customBouncer); err != nil {
		t.Skipf("%s not installed (apt-get install --no-install-recommends crowdsec-custom-bouncer): the bouncer half is skipped", customBouncer)
	}
	bdir := t.TempDir()
	calls := filepath.Join(bdir, "calls.txt")
	script := filepath.Join(bdir, "enforce.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '"+calls+"'\n"), 0o755)
	config := filepath.Join(bdir, "bouncer.yaml")
	os.WriteFile(config, []byte(fmt.Sprintf("bin_path: %s\nfeed_via_stdin: false\ntotal_retries: 0\nscenarios_containing: []\nscenarios_not_containing: []\norigins: []\npiddir: %s\nupdate_frequency: 1s\ncache_retention_duration: 1s\ndaemonize: false\nlog_mode: stdout\nlog_level: info\napi_url: %s/\napi_key: %s\nprometheus:\n  enabled: false\n",
		script, bdir, base, key)), 0o600)
	bouncer := exec.Command(customBouncer, "-c", config)
	bouncer.Dir = bdir
	if err := bouncer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bouncer.Process.Kill(); bouncer.Wait() })
	deadline = time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(calls)
		if strings.Contains(string(b), "add "+sqli+" ") && strings.Contains(string(b), "add "+scanner+" ") {
			if strings.Contains(string(b), scraper) {
				t.Fatalf("a proposed decision reached the bouncer:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bouncer's script was not called for Garda's bans; calls:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
