package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIIntelExportImport moves a bundle between two data dirs as
// scripts would: RED stays with its named user, ids and markings travel,
// a wrong bundle is refused whole with an error per object.
func TestCLIIntelExportImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	a, b := t.TempDir(), t.TempDir()
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, bin, stdin, args...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	for _, dir := range []string{a, b} {
		must("", "migrate", "--data-dir", dir)
		must("rahasia-intel-panjang-1\n", "user", "create", "--data-dir", dir, "--username", "intan", "--org", "bin", "--role", "analyst", "--scope", "", "--password-stdin")
		must("rahasia-bssn-panjang-1\n", "user", "create", "--data-dir", dir, "--username", "budi", "--org", "bssn", "--role", "analyst", "--scope", "", "--password-stdin")
	}
	partner := filepath.Join(a, "partner.json")
	os.WriteFile(partner, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
	  "pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]},
	 {"type":"indicator","spec_version":"2.1","id":"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
	  "pattern":"[url:value = 'http://phish.example/a']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
	 {"type":"x-acme","id":"x-acme--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}]}`), 0o600)
	out, errOut, code := garda(t, bin, "", "intel", "import", partner, "--as", "intan", "--data-dir", a)
	if code != 0 || !strings.Contains(out, "2 new indicators") || !strings.Contains(errOut, `"x-acme" is not STIX 2.1`) {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	if out := must("", "intel", "export", "--as", "budi", "--data-dir", a); strings.Contains(out, "203.0.113.9") || !strings.Contains(out, "phish.example") {
		t.Fatalf("budi's export:\n%s", out)
	}
	red := filepath.Join(a, "red.json")
	must("", "intel", "export", "--as", "intan", "--tlp", "red", "--out", red, "--data-dir", a)
	out = must("", "intel", "import", red, "--as", "intan", "--data-dir", b)
	if !strings.Contains(out, "1 new indicators") {
		t.Fatalf("import into B: %q", out)
	}
	var bundle struct{ Objects []map[string]any }
	body, _ := os.ReadFile(red)
	if err := json.Unmarshal(body, &bundle); err != nil {
		t.Fatal(err)
	}
	exported := must("", "intel", "export", "--as", "intan", "--data-dir", b)
	if !strings.Contains(exported, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f") || !strings.Contains(exported, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1") {
		t.Fatalf("B lost the id or the marking:\n%s", exported)
	}

	bad := filepath.Join(a, "bad.json")
	os.WriteFile(bad, []byte(`{"type":"bundle","id":"bundle--6d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--ae2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[domain-name:value = 'fine.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
	 {"type":"indicator","spec_version":"2.1","id":"indicator--be2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[file:size > 5]","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`), 0o600)
	_, errOut, code = garda(t, bin, "", "intel", "import", bad, "--as", "budi", "--data-dir", a)
	if code == 0 || !strings.Contains(errOut, "object 1 (indicator indicator--be2e2d2b") || !strings.Contains(errOut, "nothing imported") {
		t.Fatalf("bad bundle: %d %q", code, errOut)
	}
	if out := must("", "intel", "export", "--as", "budi", "--data-dir", a); strings.Contains(out, "fine.example") {
		t.Fatal("half a bundle was kept")
	}
	if _, errOut, code := garda(t, bin, "", "intel", "export", "--data-dir", a); code == 0 || !strings.Contains(errOut, "--as") {
		t.Fatalf("export without --as: %d %q", code, errOut)
	}
}
