package intel_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/stixcheck"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestKeptObjectsReexported: what an import keeps beside indicators (a
// report, a relationship, malware) leaves again in the importer's export,
// marked with the TLP it is held at (its own marking kept), valid against
// OASIS's schemas; another province's analyst does not get it.
func TestKeptObjectsReexported(t *testing.T) {
	stixcheck.Schemas(t)
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	adi := w.who["adi"]
	ind := w.create(t, "adi", intel.Input{Kind: intel.Domain, Value: "kpu-32-login.example"})
	malware := intel.NewID("malware")
	report := intel.NewID("report")
	rel := intel.NewID("relationship")
	bundle := `{"type":"bundle","id":"` + intel.NewID("bundle") + `","objects":[
		{"type":"malware","spec_version":"2.1","id":"` + malware + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Pencuri sandi PPK","is_family":false},
		{"type":"relationship","spec_version":"2.1","id":"` + rel + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"` + ind.STIXID + `","target_ref":"` + malware + `","object_marking_refs":["` + intel.MarkingID(policy.Green) + `"]},
		{"type":"report","spec_version":"2.1","id":"` + report + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Kampanye","published":"2026-01-01T00:00:00Z","object_refs":["` + ind.STIXID + `","` + malware + `"]}]}`
	res, err := intel.Import(ctx, db, adi, strings.NewReader(bundle))
	if err != nil || res.Objects != 3 {
		t.Fatalf("import: %+v %v", res, err)
	}
	b, _, err := intel.Export(ctx, db, adi, w.tree, intel.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(b)
	var got struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	marks := map[string]string{}
	for _, o := range got.Objects {
		id := o["id"].(string)
		if refs, ok := o["object_marking_refs"].([]any); ok && len(refs) == 1 {
			marks[id] = refs[0].(string)
		}
		if err := stixcheck.Validate(t, o); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if marks[malware] != intel.MarkingID(policy.Amber) || marks[report] != intel.MarkingID(policy.Amber) || marks[rel] != intel.MarkingID(policy.Green) {
		t.Errorf("kept objects' markings in the export: %v", marks)
	}
	if !strings.Contains(string(js), intel.MarkingID(policy.Green)) || !strings.Contains(string(js), `"type":"marking-definition"`) {
		t.Error("the export lacks the marking definitions its objects use")
	}
	other, _, err := intel.Export(ctx, db, w.who["sari"], w.tree, intel.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := mustJSON(other); strings.Contains(s, malware) || strings.Contains(s, report) {
		t.Error("another province's analyst gets KPU Jawa Barat's AMBER objects")
	}
}
