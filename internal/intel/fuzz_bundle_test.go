package intel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/store/storetest"
)

// FuzzImportBundle: whatever a partner sends as a STIX bundle, Import
// answers without panicking, and all or nothing: an error leaves the
// indicators as they were, a success stores exactly what it counts.
func FuzzImportBundle(f *testing.F) {
	ind := func(id, pattern string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + id + `","created":"2026-02-14T00:00:00.000Z","modified":"2026-02-14T00:00:00.000Z",` +
			`"pattern":"` + pattern + `","pattern_type":"stix","valid_from":"2026-02-14T00:00:00.000Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`
	}
	bundle := func(objs ...string) string {
		return `{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[` + strings.Join(objs, ",") + `]}`
	}
	for _, s := range []string{
		bundle(ind("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd30", "[ipv4-addr:value = '203.0.113.7']")),
		bundle(ind("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd31", "[domain-name:value = 'a.example']"), ind("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd32", "[x:y = 1]")),
		bundle(`{"type":"x-unknown","id":"x-unknown--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd33"}`, `{"type":"report","spec_version":"2.1","id":"report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd34","name":"r"}`),
		bundle(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd35","revoked":true,"pattern":"[url:value = 'http://a.example/']","pattern_type":"stix","valid_from":"2026-02-14T00:00:00Z"}`),
		`{"type":"bundle"}`, `[]`, `{"objects":[1,2]}`,
	} {
		f.Add([]byte(s))
	}
	db := storetest.SQLite(f)
	w := newWorld(f, db)
	count := func(t *testing.T) int {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM indicators`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := count(t)
		res, err := intel.Import(context.Background(), db, w.who["intan"], strings.NewReader(string(data)))
		after := count(t)
		if err != nil && after != before {
			t.Fatalf("refused bundle (%v) changed the indicators %d -> %d", err, before, after)
		}
		if err == nil && after-before != res.Indicators {
			t.Fatalf("%d new indicators counted, %d stored", res.Indicators, after-before)
		}
	})
}
