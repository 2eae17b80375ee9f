package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
)

// TestCLITAXIISubscribePull: instance A runs `garda serve`; instance B (its
// own data dir) subscribes with `garda intel subscribe` to A's AMBER
// collection with the account A gave it, and `garda intel pull` brings
// A's AMBER indicator with its id and marking; A's RED stays on A; a
// revocation on A reaches B on the next pull.
func TestCLITAXIISubscribePull(t *testing.T) {
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
	must("", "migrate", "--data-dir", a)
	must("", "migrate", "--data-dir", b)
	must("rahasia-bssn-panjang-1\n", "user", "create", "--data-dir", a, "--username", "budi", "--org", "bssn", "--role", "analyst", "--scope", "", "--password-stdin")
	must("rahasia-mitra-panjang-1\n", "user", "create", "--data-dir", a, "--username", "mitra", "--org", "bssn", "--role", "viewer", "--scope", "", "--password-stdin")
	must("rahasia-kpu-panjang-12\n", "user", "create", "--data-dir", b, "--username", "sari", "--org", "kpu", "--role", "analyst", "--scope", "", "--password-stdin")
	bundle := filepath.Join(a, "in.json")
	os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
	  "pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]},
	 {"type":"indicator","spec_version":"2.1","id":"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
	  "pattern":"[domain-name:value = 'phish.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","created_by_ref":"identity--afe8a10d-45c4-5319-bc88-73286666a0dc",
	  "object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}]}`), 0o600)
	must("", "intel", "import", bundle, "--as", "budi", "--data-dir", a)
	mitra := strings.TrimSpace(must("", "token", "create", "--data-dir", a, "--username", "mitra"))
	budi := strings.TrimSpace(must("", "token", "create", "--data-dir", a, "--username", "budi"))
	secret := filepath.Join(b, "secret")
	os.WriteFile(secret, []byte(mitra+"\n"), 0o600)

	base := startServe(t, bin, a)
	out := must("", "intel", "subscribe", "--data-dir", b, "--as", "sari", "--name", "BSSN", "--url", base+"/taxii2/nasional/",
		"--collection", taxii.TLPCollectionID("nasional", policy.Amber), "--username", "mitra", "--secret-file", secret)
	if !strings.Contains(out, "subscription 1") {
		t.Fatalf("subscribe: %q", out)
	}
	out = must("", "intel", "pull", "--data-dir", b, "--as", "sari")
	if !strings.Contains(out, "1 new indicators") {
		t.Fatalf("pull: %q", out)
	}
	exported := must("", "intel", "export", "--as", "sari", "--data-dir", b)
	if !strings.Contains(exported, "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f") || !strings.Contains(exported, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421") ||
		!strings.Contains(exported, "identity--afe8a10d-45c4-5319-bc88-73286666a0dc") {
		t.Fatalf("B lost the id, marking or creator:\n%s", exported)
	}
	if strings.Contains(exported, "203.0.113.9") {
		t.Fatal("RED left A")
	}
	// Revoke on A over its API; the next pull carries it.
	var list struct{ Items []struct{ ID int64 } }
	if st := apiJSON(t, "GET", base+"/api/v1/indicators?q=phish", budi, "", &list); st != 200 || len(list.Items) != 1 {
		t.Fatalf("A's list: %d %+v", st, list)
	}
	if st := apiJSON(t, "POST", base+"/api/v1/indicators/"+strconv.FormatInt(list.Items[0].ID, 10)+"/revoke", budi, `{"reason":"salah"}`, nil); st != 200 {
		t.Fatalf("revoke on A: %d", st)
	}
	out = must("", "intel", "pull", "--data-dir", b, "--as", "sari", "1")
	if !strings.Contains(out, "1 revoked") {
		t.Fatalf("second pull: %q", out)
	}
	out = must("", "intel", "subscriptions", "--data-dir", b, "--as", "sari")
	if !strings.Contains(out, "\tok") {
		t.Fatalf("subscriptions: %q", out)
	}
}
