package misp_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func event(uuid, info string, attrs ...[3]string) map[string]any {
	var list []map[string]any
	for i, a := range attrs {
		list = append(list, map[string]any{"uuid": a[0], "type": a[1], "category": "Network activity", "value": a[2],
			"to_ids": true, "timestamp": "1760000000", "comment": "", "deleted": false, "disable_correlation": false, "x-order": i})
	}
	return map[string]any{"Event": map[string]any{"uuid": uuid, "info": info, "date": "2026-02-14", "timestamp": 1760000000,
		"threat_level_id": "2", "analysis": "1", "published": true, "Orgc": map[string]string{"name": "Mitra", "uuid": "11111111-2222-4333-8444-555555555555"},
		"Tag": []map[string]string{{"name": "tlp:green"}}, "Attribute": list}}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bad input: a malformed event, an event with one value that is not one, a
// file beyond the limit, an event whose file holds another: each refused
// with its own error, nothing of it kept, and the good event goes in.
func TestImportRefusesBadEventsOneByOne(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		dir := t.TempDir()
		good := "0a000000-0000-4000-8000-000000000001"
		badValue := "0a000000-0000-4000-8000-000000000002"
		broken := "0a000000-0000-4000-8000-000000000003"
		huge := "0a000000-0000-4000-8000-000000000004"
		other := "0a000000-0000-4000-8000-000000000005"
		missing := "0a000000-0000-4000-8000-000000000006"
		writeJSON(t, filepath.Join(dir, good+".json"), event(good, "baik",
			[3]string{"0b000000-0000-4000-8000-000000000001", "ip-dst", "203.0.113.11"},
			[3]string{"0b000000-0000-4000-8000-000000000002", "domain", "baik.example"}))
		writeJSON(t, filepath.Join(dir, badValue+".json"), event(badValue, "nilai rusak",
			[3]string{"0b000000-0000-4000-8000-000000000003", "ip-dst", "203.0.113.12"},
			[3]string{"0b000000-0000-4000-8000-000000000004", "ip-dst", "bukan-alamat"}))
		if err := os.WriteFile(filepath.Join(dir, broken+".json"), []byte(`{"Event": {"uuid": "`+broken+`", "info": "x", "Attribute": [{"uuid": 7`), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, huge+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(misp.MaxEventBytes + 1); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
		writeJSON(t, filepath.Join(dir, other+".json"), event(good, "salah berkas"))
		manifest := map[string]any{}
		for _, id := range []string{good, badValue, broken, huge, other, missing} {
			manifest[id] = map[string]any{"info": id, "timestamp": "1760000000"}
		}
		writeJSON(t, filepath.Join(dir, "manifest.json"), manifest)

		res, err := misp.ImportPath(ctx, db, w.who["budi"], dir)
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed != 5 || len(res.Events) != 6 {
			t.Fatalf("%d of %d failed: %+v", res.Failed, len(res.Events), res)
		}
		wantErr := map[string]string{badValue: "bukan-alamat", broken: "not a MISP event", huge: "larger than 32 MiB", other: "holds event", missing: "no such file"}
		for _, e := range res.Events {
			if want, ok := wantErr[e.Event]; ok && !strings.Contains(e.Error, want) {
				t.Errorf("event %s: error %q, want one naming %q", e.Event, e.Error, want)
			}
			if e.Event == good && (e.Error != "" || e.Held != 2) {
				t.Errorf("good event: %+v", e)
			}
		}
		if err := res.Err(); err == nil || !strings.Contains(err.Error(), "5 of 6 MISP events refused") {
			t.Errorf("summary: %v", err)
		}
		list, err := intel.List(ctx, db, w.who["budi"], intel.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var vals []string
		for _, i := range list {
			vals = append(vals, i.Value)
			if i.TLP != policy.Green {
				t.Errorf("%s at %s, want the event's tlp:green", i.Value, i.TLP)
			}
		}
		if len(vals) != 2 || strings.Contains(strings.Join(vals, " "), "203.0.113.12") {
			t.Errorf("held %v: the refused event's good value must not be half-imported", vals)
		}

		// A deleted attribute revokes what Garda holds under its UUID.
		del := event(good, "baik", [3]string{"0b000000-0000-4000-8000-000000000001", "ip-dst", "203.0.113.11"})
		del["Event"].(map[string]any)["Attribute"].([]map[string]any)[0]["deleted"] = true
		b, _ := json.Marshal(del)
		ev, err := misp.ParseEvent(b)
		if err != nil {
			t.Fatal(err)
		}
		r, err := misp.ImportEvent(ctx, db, w.who["budi"], ev)
		if err != nil || r.Error != "" || r.Imported.Revoked != 1 {
			t.Fatalf("deleted attribute: %+v %v", r, err)
		}
	})
}

// MISP warninglists: a resolver, a CDN range or a platform's domain never
// becomes an indicator, whichever way it comes, and the refusal names the
// list; a phishing page on a platform's host is still an indicator.
func TestWarninglistsRefuseResolversAndCDNs(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	for _, c := range []struct {
		kind intel.Kind
		val  string
		list string
	}{
		{intel.IPv4, "8.8.8.8", "public-dns-v4"},
		{intel.IPv4, "1.1.1.1", "public-dns-v4"},
		{intel.IPv4, "9.9.9.9", "public-dns-v4"},
		{intel.IPv4, "8.0.0.0/8", "public-dns-v4"}, // a range holding a resolver
		{intel.IPv6, "2620:fe::fe", "public-dns-v6"},
		{intel.IPv4, "104.16.132.229", "cloudflare"},
		{intel.IPv4, "151.101.1.69", "fastly"},
		{intel.IPv4, "13.32.5.6", "amazon-cloudfront"},
		{intel.Domain, "google.com", "well-known-domains"},
		{intel.Domain, "WWW.Cloudflare.com.", "well-known-domains"},
		{intel.URL, "https://dns.google/", "well-known-domains"},
	} {
		_, err := intel.Create(ctx, db, w.who["budi"], intel.Input{Kind: c.kind, Value: c.val})
		pe := problem.As(err)
		if pe == nil || pe.Field != "value" || !strings.Contains(pe.Message, "warninglist "+c.list) {
			t.Errorf("%s %s: want a refusal naming warninglist %s, got %v", c.kind, c.val, c.list, err)
		}
	}
	for _, ok := range []intel.Input{
		{Kind: intel.IPv4, Value: "203.0.113.7"},
		{Kind: intel.Domain, Value: "google.com.phish.example"},
		{Kind: intel.URL, Value: "https://storage.googleapis.com/kpu-palsu/login.html"},
	} {
		w.create(t, "budi", ok)
	}
	// The same through a STIX bundle: refused by name, nothing imported.
	bundle := `{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd30","created":"2026-02-14T00:00:00.000Z","modified":"2026-02-14T00:00:00.000Z",
	  "pattern":"[ipv4-addr:value = '1.0.0.1']","pattern_type":"stix","valid_from":"2026-02-14T00:00:00.000Z"}]}`
	_, err := intel.Import(ctx, db, w.who["budi"], strings.NewReader(bundle))
	if err == nil || !strings.Contains(err.Error(), "warninglist public-dns-v4") {
		t.Errorf("STIX import of a resolver: %v", err)
	}
}
