package crs

import (
	"slices"
	"testing"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
)

// TestFastPlan: at the default paranoia level the fast path knows every
// detection rule Coraza keeps, so access-log events skip Coraza.
func TestFastPlan(t *testing.T) {
	d, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	texts, err := ruleTexts(coreruleset.FS, ruleFiles())
	if err != nil {
		t.Fatal(err)
	}
	f, err := newFastPlan(d.prune.eval, texts, DefaultParanoiaLevel, coreruleset.FS, slices.Concat(removedRules, SearchFalsePositives))
	if err != nil {
		t.Fatalf("no fast path: %v", err)
	}
	if d.fast == nil {
		t.Fatal("the detector has no fast path")
	}
	kinds := map[fastKind]int{}
	for _, r := range f.rules {
		kinds[r.kind]++
	}
	t.Logf("%d groups, %d kept rules: %d never, %d protocol, %d plain, %d matched chains, %d to Coraza when their first rule matches",
		len(f.groups), len(f.rules), kinds[kindNever], kinds[kindProtocol], kinds[kindPlain], kinds[kindMatched], kinds[kindFallback])
}
