package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIIntelMISP moves intelligence as MISP speaks it: an event file in,
// a community's feed directory out, the feed into another data dir; a
// resolver is refused by its warninglist's name, a broken event is named
// and the exit status says so.
func TestCLIIntelMISP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	a, b := t.TempDir(), t.TempDir()
	must := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, code := garda(t, bin, "", args...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return out, errOut
	}
	for _, dir := range []string{a, b} {
		must("migrate", "--data-dir", dir)
		if _, errOut, code := garda(t, bin, "rahasia-intel-panjang-1\n", "user", "create", "--data-dir", dir, "--username", "intan", "--org", "bin", "--role", "analyst", "--scope", "", "--password-stdin"); code != 0 {
			t.Fatal(errOut)
		}
	}
	ev := filepath.Join(a, "event.json")
	os.WriteFile(ev, []byte(`{"Event":{"uuid":"5a000000-0000-4000-8000-000000000001","info":"Phishing Sirekap","date":"2026-02-14","timestamp":"1760000000",
	 "threat_level_id":"2","analysis":"2","published":true,"Orgc":{"name":"CSIRT Mitra","uuid":"5b000000-0000-4000-8000-000000000001"},"Tag":[{"name":"tlp:green"}],
	 "Attribute":[{"uuid":"5c000000-0000-4000-8000-000000000001","type":"domain","category":"Network activity","value":"sirekap-masuk.example","to_ids":true,"timestamp":"1760000000"},
	  {"uuid":"5c000000-0000-4000-8000-000000000002","type":"ip-dst","category":"Network activity","value":"1.1.1.1","to_ids":true,"timestamp":"1760000000"}]}}`), 0o600)
	out, errOut := must("intel", "import", ev, "--as", "intan", "--data-dir", a)
	if !strings.Contains(out, "1 MISP events: 1 values held (1 new indicators), 1 on a warninglist") || !strings.Contains(errOut, "warninglist public-dns-v4") {
		t.Fatalf("import: %q %q", out, errOut)
	}
	feed := filepath.Join(a, "feed")
	_, errOut = must("intel", "export", "--format", "misp", "--community", "mitra", "--out", feed, "--as", "intan", "--data-dir", a)
	if !strings.Contains(errOut, "1 events, 1 attributes") {
		t.Fatalf("export: %q", errOut)
	}
	for _, f := range []string{"manifest.json", "hashes.csv", "sightings.json"} {
		if _, err := os.Stat(filepath.Join(feed, f)); err != nil {
			t.Error(err)
		}
	}
	out, _ = must("intel", "import", feed, "--as", "intan", "--data-dir", b)
	if !strings.Contains(out, "1 values held (1 new indicators)") {
		t.Fatalf("feed into B: %q", out)
	}
	if out, _ := must("intel", "export", "--as", "intan", "--data-dir", b); !strings.Contains(out, "indicator--5c000000-0000-4000-8000-000000000001") {
		t.Fatalf("B lost the attribute's id:\n%s", out)
	}
	os.WriteFile(filepath.Join(feed, "5a000000-0000-4000-8000-000000000002.json"), []byte(`{"Event":{"uuid":"5a000000-0000-4000-8000-000000000002","info":"x","Attribute":[{"uuid":"5c000000-0000-4000-8000-000000000009","type":"ip-dst","value":"999.1.1.1"}]}}`), 0o600)
	os.Remove(filepath.Join(feed, "manifest.json"))
	_, errOut, code := garda(t, bin, "", "intel", "import", feed, "--as", "intan", "--data-dir", b)
	if code == 0 || !strings.Contains(errOut, "1 of 2 MISP events refused") || !strings.Contains(errOut, "999.1.1.1") {
		t.Fatalf("broken event: %d %q", code, errOut)
	}
	if _, errOut, code := garda(t, bin, "", "intel", "export", "--format", "misp", "--community", "rahasia", "--out", feed, "--as", "intan", "--data-dir", a); code == 0 || !strings.Contains(errOut, "publik") {
		t.Fatalf("unknown community: %d %q", code, errOut)
	}
}
