package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/store/storetest"
)

// buildGarda builds the real binary once per test run.
func buildGarda(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "garda")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startDemo runs `garda demo` with no terminal, as a script would, and
// returns its URL and data dir once it prints the URL.
func startDemo(t *testing.T, bin string, extra ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"demo", "--data-dir", dir, "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Stdin = nil
	stdout, _ := cmd.StdoutPipe()
	logs, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		<-exited
		// Wait reports the cancelled context; what matters is the exit code.
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			log, _ := os.ReadFile(filepath.Join(dir, "demo.log"))
			t.Errorf("demo exited with %d on interrupt\n%s", code, log)
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Garda demo: "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { exited <- cmd.Wait() }()
	select {
	case u := <-urls:
		return strings.TrimSuffix(u, "/"), dir
	case err := <-exited:
		exited <- err
		log, _ := os.ReadFile(filepath.Join(dir, "demo.log"))
		t.Fatalf("demo exited early: %v\n%s", err, log)
	case <-time.After(90 * time.Second):
		t.Fatal("demo printed no URL within 90s")
	}
	return "", ""
}

type demoAccount struct{ user, password, role, org, scope string }

func readAccounts(t *testing.T, dir string) []demoAccount {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "demo-accounts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []demoAccount
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, " ")
		if len(f) < 4 || len(f) > 5 {
			t.Fatalf("accounts line %q: want username password role org [scope]", line)
		}
		a := demoAccount{f[0], f[1], f[2], f[3], ""}
		if len(f) == 5 {
			a.scope = f[4]
		}
		out = append(out, a)
	}
	return out
}

func getJSON(t *testing.T, url, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

func login(t *testing.T, base string, a demoAccount) string {
	t.Helper()
	res, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, a.user, a.password)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 200 || out.Token == "" {
		t.Fatalf("%s cannot sign in: %d", a.user, res.StatusCode)
	}
	return out.Token
}

// TestDemoEndToEnd drives the built binary as a newcomer would: start the
// demo, sign in as every demo account, and check each sees what its role
// and scope allow and no more.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	t.Run("embedded", func(t *testing.T) { checkDemo(t, bin) })
	t.Run("postgres+nats", func(t *testing.T) {
		pg := storetest.PostgresURL(t)
		nats := os.Getenv("GARDA_TEST_NATS")
		if nats == "" {
			t.Skip("GARDA_TEST_NATS not set (a nats:// URL): skipping the external-NATS demo")
		}
		checkDemo(t, bin, "--database", pg, "--nats", nats)
	})
}

func checkDemo(t *testing.T, bin string, extra ...string) {
	base, dir := startDemo(t, bin, extra...)
	// The serving instance anchors the audit chain outside the database
	// (as it starts: by the end of this test it has).
	defer func() {
		if b, err := os.ReadFile(filepath.Join(dir, audit.CheckpointsFile)); err != nil || !strings.Contains(string(b), `"sig"`) {
			log, _ := os.ReadFile(filepath.Join(dir, "demo.log"))
			t.Errorf("no signed audit checkpoint in the data dir: %v %q\n%s", err, b, log)
		}
	}()
	accounts := readAccounts(t, dir)
	if len(accounts) < 14 {
		t.Fatalf("%d demo accounts", len(accounts))
	}
	roles := map[string]bool{}
	provincial := 0
	for _, a := range accounts {
		roles[a.role] = true
		if a.scope != "" {
			provincial++
		}
	}
	if len(roles) != 7 || provincial == 0 {
		t.Fatalf("demo accounts cover roles %v, %d provincial", roles, provincial)
	}
	var regions struct {
		Count int `json:"count"`
	}
	getJSON(t, base+"/api/v1/regions?level=province", "", &regions)
	if regions.Count != 38 {
		t.Fatalf("%d provinces", regions.Count)
	}

	// What some accounts must and must not see, from DESIGN.md's table.
	must := map[string][]string{
		"analis.kpu":       {"Sidalih", "Server rekapitulasi cadangan", "Sirekap API", "Situs KPU Provinsi Jawa Barat"},
		"admin":            {"Sidalih", "Sirekap API", "Situs KPU Kota Medan"},
		"analis.bssn":      {"Sensor honeypot BSSN", "cekdptonline", "infopemilu"},
		"koordinator.bssn": {"Sensor honeypot BSSN"},
		"operator.jabar":   {"Situs KPU Provinsi Jawa Barat", "Situs KPU Kabupaten Bandung"},
		"pemantau.dki":     {"Situs KPU Provinsi DKI Jakarta"},
		"pemantau.bawaslu": {"infopemilu", "Sidapil", "Situs KPU Provinsi Bali"},
	}
	mustNot := map[string][]string{
		"admin":            {"Server rekapitulasi cadangan", "Sensor honeypot BSSN"},
		"analis.kpu":       {"Sensor honeypot BSSN"},
		"analis.bssn":      {"Sidalih", "Server rekapitulasi cadangan"},
		"operator.jabar":   {"Sidalih", "infopemilu", "Situs KPU Provinsi Jawa Timur"},
		"operator.bandung": {"Situs KPU Provinsi Jawa Barat", "Situs KPU Kota Bandung"},
		"pemantau.dki":     {"Situs KPU Provinsi Jawa Barat", "Sipol"},
		"pemantau.bawaslu": {"Sidalih", "Sirekap"},
	}
	for _, a := range accounts {
		tok := login(t, base, a)
		var me struct {
			Username, Org, Role, Scope string
		}
		if code := getJSON(t, base+"/api/v1/me", tok, &me); code != 200 || me.Org != a.org || me.Role != a.role || me.Scope != a.scope {
			t.Errorf("%s: /me says %+v (%d), accounts file says %+v", a.user, me, code, a)
		}
		var list struct {
			Items []struct {
				Name   string `json:"name"`
				Region string `json:"region"`
			} `json:"items"`
		}
		getJSON(t, base+"/api/v1/assets?limit=500", tok, &list)
		var names []string
		for _, it := range list.Items {
			names = append(names, it.Name)
			if a.scope != "" && it.Region != a.scope && !strings.HasPrefix(it.Region, a.scope+".") {
				t.Errorf("%s (scope %s) sees %s in region %q", a.user, a.scope, it.Name, it.Region)
			}
		}
		for _, n := range must[a.user] {
			if !slices.Contains(names, n) {
				t.Errorf("%s does not see %q", a.user, n)
			}
		}
		for _, n := range mustNot[a.user] {
			if slices.Contains(names, n) {
				t.Errorf("%s sees %q", a.user, n)
			}
		}
		// The national map page: 38 provinces, each a link.
		if html := pageAs(t, base, a, "/"); strings.Count(html, "data-region=") != 38 {
			t.Errorf("%s's overview has %d provinces", a.user, strings.Count(html, "data-region="))
		}
		// The demo's incidents: the intelligence lead (RED) reaches its
		// named users only; West Java's defacement, escalated to the
		// national desk, reaches BSSN and the agencies given tasks, never
		// another province.
		var incs struct {
			Items []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		getJSON(t, base+"/api/v1/incidents?limit=100&status=new,triage,containment,eradication,recovery,resolved,closed", tok, &incs)
		seen := map[string]bool{}
		for _, it := range incs.Items {
			seen[it.Title] = true
		}
		red := seen["Rencana serangan DDoS ke Sirekap saat rekapitulasi"]
		if want := a.user == "analis.bin" || a.user == "koordinator.bssn"; red != want {
			t.Errorf("%s sees the RED incident: %v, want %v", a.user, red, want)
		}
		deface := seen["Situs KPU Kabupaten Bandung di-deface"]
		if want := slices.Contains([]string{"admin", "koordinator.bssn", "analis.bssn", "liaison.komdigi", "penyidik.polri", "analis.kpu", "responder.kpu",
			"koordinator.jabar", "analis.jabar", "operator.jabar", "operator.bandung", "koordinator.komdigi", "patroli.komdigi"}, a.user); deface != want {
			t.Errorf("%s sees the escalated defacement: %v, want %v", a.user, deface, want)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pageAs signs in through the login form and fetches a page.
func pageAs(t *testing.T, base string, a demoAccount, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	form := "username=" + a.user + "&password=" + a.password
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfField.FindSubmatch(b); m != nil {
		form += "&csrf=" + string(m[1])
	}
	res, err = client.Post(base+"/login", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	res, err = client.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Errorf("%s GET %s: %d", a.user, path, res.StatusCode)
	}
	return string(b)
}
