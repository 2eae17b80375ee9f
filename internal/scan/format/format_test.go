package format_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/format"
)

func readFile(t *testing.T, name string) []scan.Result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := format.Read(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func summary(rs []scan.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %s %s %s", r.TemplateID, r.Type, r.Info.Severity, r.MatchedAt, strings.Join(r.ExtractedResults, "|")))
	}
	return out
}

func TestNmapHandWritten(t *testing.T) {
	rs := readFile(t, "nmap-hand.xml")
	got := strings.Join(summary(rs), "\n")
	want := strings.Join([]string{
		"nmap-open-port tcp info kpu-sumbar.test:22 OpenSSH 7.4 protocol 2.0",
		"nmap-open-port tcp info kpu-sumbar.test:80 Apache httpd 2.4.49 (Unix)",
		`nmap-script-http-title tcp info kpu-sumbar.test:80 =HYPERLINK("http://evil.test") Pemilu 2024`,
		"nmap-open-port tcp info kpu-sumbar.test:443 nginx 1.18.0",
		"nmap-script-ssl-heartbleed tcp high kpu-sumbar.test:443 VULNERABLE:\n  The Heartbleed Bug is a serious vulnerability in the popular OpenSSL cryptographic software library.\n    State: VULNERABLE\n    Risk factor: High",
		"nmap-script-smb-os-discovery tcp info kpu-sumbar.test OS: Unix",
		"nmap-open-port udp info [2001:db8::5]:53 ISC BIND 9.11.4",
	}, "\n")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	https := rs[3]
	if https.Scheme != "https" || https.IP != "192.0.2.10" || https.Port != "443" ||
		https.Info.Classification == nil || https.Info.Classification.CPE != "cpe:/a:igor_sysoev:nginx:1.18.0" ||
		https.Info.Metadata["product"] != "nginx" || !https.Timestamp.Equal(time.Unix(1733450042, 0)) {
		t.Fatalf("https port: %+v", https)
	}
}

func TestNucleiJSONL(t *testing.T) {
	rs := readFile(t, "nuclei.jsonl")
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3 (blank line skipped)", len(rs))
	}
	env := rs[0]
	if env.TemplateID != "laravel-env" || env.Info.Severity != scan.SeverityHigh || env.MatchedAt != "https://kpu-jabar.test/.env" ||
		env.Info.Classification.CVSSScore != 7.5 || env.ExtractedResults[0] != "DB_PASSWORD=rahasia" || env.Timestamp.IsZero() {
		t.Fatalf("laravel-env: %+v", env)
	}
	if rs[1].CheckKey() != "tech-detect:nginx" {
		t.Fatalf("named matcher: %s", rs[1].CheckKey())
	}
	// Written back, every line reads again as the same result.
	var buf bytes.Buffer
	w := format.NewJSONL(&buf)
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	again, err := format.ReadJSONL(&buf, "again")
	if err != nil || len(again) != 3 || again[0].Response != env.Response || !again[0].Timestamp.Equal(env.Timestamp) {
		t.Fatalf("round trip: %v %d", err, len(again))
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "  \n",
		"neither":        "template-id,host\n",
		"broken json":    `{"template-id":"x","host":"h"}` + "\n" + `{"template-id":`,
		"no template-id": `{"host":"h","info":{"severity":"high"}}`,
		"bad severity":   `{"template-id":"x","host":"h","info":{"severity":"severe"}}`,
		"no host":        `{"template-id":"x","info":{"severity":"low"}}`,
		"broken xml":     `<nmaprun scanner="nmap"><host>`,
		"not nmap":       `<?xml version="1.0"?><masscan/>`,
		"other scanner":  `<nmaprun scanner="masscan"></nmaprun>`,
		"bad port":       `<nmaprun scanner="nmap"><host><status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="99999"><state state="open"/></port></ports></host></nmaprun>`,
		"bad address":    `<nmaprun scanner="nmap"><host><status state="up"/><address addr="kpu" addrtype="ipv4"/></host></nmaprun>`,
		"entity":         `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><nmaprun scanner="nmap"><host><status state="up"/><address addr="192.0.2.1" addrtype="ipv4"/><hostnames><hostname name="&e;" type="user"/></hostnames></host></nmaprun>`,
	} {
		rs, err := format.Read(strings.NewReader(in), "in")
		if err == nil {
			t.Errorf("%s: accepted: %v", name, summary(rs))
		}
	}
	_, err := format.Read(strings.NewReader(`{"template-id":"x","host":"h"}`+"\n\n"+`{"template-id":""}`), "scan.jsonl")
	if err == nil || !strings.HasPrefix(err.Error(), "scan.jsonl:3:") {
		t.Fatalf("error %v, want it to name line 3", err)
	}
}

// TestSARIFShape checks the log against what the SARIF 2.1.0 schema
// requires of the parts Garda writes.
func TestSARIFShape(t *testing.T) {
	rs := append(readFile(t, "nuclei.jsonl"), readFile(t, "nmap-hand.xml")...)
	var buf bytes.Buffer
	if err := format.WriteSARIF(&buf, rs, "test"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID                   string            `json:"id"`
						ShortDescription     map[string]string `json:"shortDescription"`
						DefaultConfiguration struct{ Level string }
						Properties           map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string            `json:"ruleId"`
				RuleIndex *int              `json:"ruleIndex"`
				Level     string            `json:"level"`
				Message   map[string]string `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("header: %q %q %d runs", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "Garda" || len(run.Results) != len(rs) {
		t.Fatalf("driver %q, %d results for %d", run.Tool.Driver.Name, len(run.Results), len(rs))
	}
	ruleIDs := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || ruleIDs[r.ID] || r.ShortDescription["text"] == "" {
			t.Fatalf("rule %+v: empty or repeated", r)
		}
		ruleIDs[r.ID] = true
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	for i, res := range run.Results {
		if !levels[res.Level] || res.Message["text"] == "" || res.RuleIndex == nil ||
			run.Tool.Driver.Rules[*res.RuleIndex].ID != res.RuleID || len(res.Locations) != 1 {
			t.Fatalf("result %d: %+v", i, res)
		}
		if uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != rs[i].Location() {
			t.Fatalf("result %d located at %q, want matched-at %q", i, uri, rs[i].Location())
		}
		if want := format.SARIFLevel(rs[i].Info.Severity); res.Level != want {
			t.Fatalf("result %d level %s, want %s", i, res.Level, want)
		}
	}
	if run.Results[0].Level != "error" || run.Results[1].Level != "note" || run.Results[2].Level != "error" {
		t.Fatalf("levels high/info/critical: %s %s %s", run.Results[0].Level, run.Results[1].Level, run.Results[2].Level)
	}
	if ruleIDs["tech-detect:nginx"] != true || run.Tool.Driver.Rules[0].Properties["security-severity"] != "7.5" {
		t.Fatalf("rules %v; first rule properties %v", ruleIDs, run.Tool.Driver.Rules[0].Properties)
	}
}

func TestCSVIsSpreadsheetSafe(t *testing.T) {
	rs := append(readFile(t, "nuclei.jsonl"), readFile(t, "nmap-hand.xml")...)
	var buf bytes.Buffer
	if err := format.WriteCSV(&buf, rs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rs)+1 || strings.Join(rows[0], ",") != strings.Join(format.CSVHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		if len(row) != len(format.CSVHeader) {
			t.Fatalf("row %d has %d cells", i, len(row))
		}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d %s: %q would be a formula", i, format.CSVHeader[j], cell)
			}
		}
	}
	hostile := rows[3]
	if hostile[2] != "'-cmd-injection" || hostile[4] != "'+SUM(1,1)" || hostile[5] != "'@kpu.test" || hostile[7] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("hostile row %q", hostile)
	}
	if rows[1][10] != "" || rows[1][11] != "cwe-200" || rows[1][12] != "7.5" {
		t.Fatalf("classification cells %q", rows[1][10:13])
	}
	for _, c := range []struct{ in, want string }{{"", ""}, {"kpu", "kpu"}, {"=1+1", "'=1+1"}, {"\t=1", "'\t=1"}, {"a=b", "a=b"}} {
		if got := format.SafeCell(c.in); got != c.want {
			t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNmapReal reads the XML of a real nmap run against a loopback web
// server (Debian's nmap; skipped without it).
func TestNmapReal(t *testing.T) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed (Debian package nmap): skipping the real nmap XML test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.49 (Unix)")
		fmt.Fprint(w, "<html><head><title>KPU Kota Padang</title></head></html>")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	out := filepath.Join(t.TempDir(), "scan.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nmap, "-sT", "-Pn", "-n", "-sV", "--version-light", "--script", "http-title",
		"-p", port, "-oX", out, "127.0.0.1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nmap: %v\n%s", err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := format.Read(f, out)
	if err != nil {
		t.Fatal(err)
	}
	var open, title *scan.Result
	for i := range rs {
		switch rs[i].TemplateID {
		case format.NmapOpenPort:
			open = &rs[i]
		case format.NmapScriptPrefix + "http-title":
			title = &rs[i]
		}
	}
	if open == nil || open.MatchedAt != "127.0.0.1:"+port || open.Type != "tcp" || open.Info.Metadata["service"] != "http" {
		t.Fatalf("open port: %+v (all: %v)", open, summary(rs))
	}
	if title == nil || !strings.Contains(strings.Join(title.ExtractedResults, ""), "KPU Kota Padang") {
		t.Fatalf("http-title: %+v", title)
	}
}
