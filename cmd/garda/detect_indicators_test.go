package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayIndicators: `garda detect replay --indicators` loads its
// indicators beside the engine and still sees them on the first line and
// on an empty log; a bad indicators file is an error naming its line, and
// the replay prints nothing, per event or aggregated.
func TestReplayIndicators(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	for i := range 200 {
		ip := "36.64.1.9"
		if i == 0 || i == 150 {
			ip = "198.51.100.7"
		}
		fmt.Fprintf(&log, "%s - - [14/Feb/2024:06:00:%02d +0700] \"GET /x?id=1%%27%%20OR%%201=1-- HTTP/1.1\" 200 512 \"https://kpu.example.id/\" \"sqlmap/1.7\"\n", ip, i%60)
	}
	logPath, empty := filepath.Join(dir, "access.log"), filepath.Join(dir, "empty.log")
	good, bad := filepath.Join(dir, "good.txt"), filepath.Join(dir, "bad.txt")
	for p, s := range map[string]string{logPath: log.String(), empty: "",
		good: "# two\nipv4-addr 198.51.100.7\ndomain-name example.id\n",
		bad:  "ipv4-addr 198.51.100.7\ndomain-name example.id\nipv4-addr 198.51.100.300\n"} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hits := filepath.Join(dir, "hits.txt")
	out, errOut, code := runGarda(t, "", "detect", "replay", "--no-crs", "--indicators", good, "--indicator-hits", hits, logPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"indicator-1"`) || !strings.Contains(out, `"indicator-2"`) || !strings.Contains(errOut, `"indicators":2,"indicators_hit":2`) {
		t.Errorf("alerts:\n%s\nsummary: %s", out, errOut)
	}
	if b, _ := os.ReadFile(hits); string(b) != "2\tipv4-addr\t198.51.100.7\n200\tdomain-name\texample.id\n" {
		t.Errorf("hits file:\n%s", b)
	}
	if _, errOut, code := runGarda(t, "", "detect", "replay", "--no-crs", "--indicators", good, empty); code != 0 || !strings.Contains(errOut, `"indicators":2`) {
		t.Errorf("empty log: exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{{logPath}, {"--per-event", logPath}, {empty, logPath}} {
		out, errOut, code = runGarda(t, "", append([]string{"detect", "replay", "--no-crs", "--indicators", bad}, args...)...)
		if code == 0 || out != "" || !strings.Contains(errOut, "bad.txt: line 3:") {
			t.Errorf("bad indicators, %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if _, errOut, code = runGarda(t, "", "detect", "replay", "--indicators", filepath.Join(dir, "none.txt"), logPath); code == 0 || !strings.Contains(errOut, "none.txt") {
		t.Errorf("missing indicators file: exit %d: %s", code, errOut)
	}
}
