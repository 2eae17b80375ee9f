package demo

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/stixcheck"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
)

// checkIntelMeetsTheSTIXBar: the demo world's indicators, exported as
// each of a few readers may see them, validate against OASIS's STIX 2.1
// schemas and their patterns pass OASIS's pattern validator; RED reaches
// only its named analyst.
func checkIntelMeetsTheSTIXBar(t *testing.T, db *store.DB, w World) {
	stixcheck.Schemas(t) // skips without ../shared
	ctx := context.Background()
	if w.Indicators < 6 {
		t.Fatalf("the demo made %d indicators", w.Indicators)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	objects := 0
	for _, user := range []string{"analis.bin", "koordinator.bssn", "analis.jabar", "operator.jatim"} {
		who, err := principal(ctx, db, tree, user)
		if err != nil {
			t.Fatal(err)
		}
		b, n, err := intel.Export(ctx, db, who, tree, intel.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(b)
		if hasRED := strings.Contains(string(js), "198.51.100.0/24"); hasRED != (user == "analis.bin") {
			t.Errorf("%s's export holds the RED range: %v", user, hasRED)
		}
		if err := stixcheck.Validate(t, b); err != nil {
			t.Errorf("%s's bundle (%d indicators) does not validate: %v", user, n, err)
		}
		for _, o := range b.Objects {
			if err := stixcheck.Validate(t, o); err != nil {
				t.Errorf("%s %s: %v", o.Core().Type, o.Core().ID, err)
			}
			if i, ok := o.(*intel.IndicatorObject); ok {
				patterns = append(patterns, i.Pattern)
			}
		}
		objects += len(b.Objects)
		if user == "koordinator.bssn" && !strings.Contains(string(js), `"name":"CVE-2021-41773"`) {
			t.Error("BSSN's export lacks the CVE the tests found")
		}
	}
	for _, f := range stixcheck.Patterns(t, patterns) {
		t.Error(f)
	}
	t.Logf("%d demo indicators; %d objects in four readers' exports validate; %d patterns pass", w.Indicators, objects, len(patterns))
}
