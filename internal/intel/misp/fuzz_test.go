package misp_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func indicatorCount(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM indicators`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func seedEvents(f *testing.F) {
	for _, e := range []map[string]any{
		event("0a000000-0000-4000-8000-000000000001", "baik",
			[3]string{"0b000000-0000-4000-8000-000000000001", "ip-dst", "203.0.113.11"},
			[3]string{"0b000000-0000-4000-8000-000000000002", "domain|ip", "a.example|198.51.100.1"},
			[3]string{"0b000000-0000-4000-8000-000000000003", "filename|sha256", "x.exe|aa"},
			[3]string{"0b000000-0000-4000-8000-000000000004", "ip-dst", "8.8.8.8"}),
		event("0a000000-0000-4000-8000-000000000002", "rusak", [3]string{"0b000000-0000-4000-8000-000000000005", "url", "javascript:1"}),
	} {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	for _, s := range []string{`{"response":[{"Event":{"uuid":"0a000000-0000-4000-8000-000000000009","info":"r","timestamp":1.5e9}}]}`,
		`{"Event":{"uuid":"x"}}`, `[]`, `{"Event":null}`, `{"uuid":"0a000000-0000-4000-8000-000000000009","info":"bare","Object":[{"Attribute":[{"uuid":"0b000000-0000-4000-8000-000000000009","type":"hostname","value":"h.example"}]}]}`} {
		f.Add([]byte(s))
	}
}

// FuzzParseEvent: whatever a partner's feed holds, the parser answers
// without panicking, and an event it accepts writes back as one that reads
// the same.
func FuzzParseEvent(f *testing.F) {
	seedEvents(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := misp.ParseEvent(data)
		if err != nil {
			return
		}
		b, err := misp.EventJSON(ev)
		if err != nil {
			t.Fatal(err)
		}
		again, err := misp.ParseEvent(b)
		if err != nil || again.UUID != ev.UUID || len(again.Attributes()) != len(ev.Attributes()) {
			t.Fatalf("accepted %q; its own JSON %s reads %v", data, b, err)
		}
	})
}

// FuzzImportEvent: an accepted event imports wholly or not at all: a
// refused one leaves the indicators as they were.
func FuzzImportEvent(f *testing.F) {
	seedEvents(f)
	db := storetest.SQLite(f)
	w := newWorld(f, db)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := misp.ParseEvent(data)
		if err != nil {
			return
		}
		before := indicatorCount(t, db)
		r, err := misp.ImportEvent(context.Background(), db, w.who["budi"], ev)
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		after := indicatorCount(t, db)
		if r.Error != "" && after != before {
			t.Fatalf("refused event (%s) changed the indicators %d -> %d", r.Error, before, after)
		}
		if r.Error == "" && after-before != r.Imported.Indicators {
			t.Fatalf("%d new indicators counted, %d stored", r.Imported.Indicators, after-before)
		}
	})
}

// FuzzParseManifest: the manifest parser never panics and keeps only UUIDs.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"0a000000-0000-4000-8000-000000000001":{"info":"x","timestamp":"1760000000","Orgc":{"name":"a","uuid":"b"}}}`))
	f.Add([]byte(`{"x":{}}`))
	f.Add([]byte(`{"0a000000-0000-4000-8000-000000000001":{"timestamp":-1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := misp.ParseManifest(data)
		if err != nil {
			return
		}
		for id := range m {
			if !misp.ValidUUID(id) {
				t.Fatalf("kept %q", id)
			}
		}
	})
}
