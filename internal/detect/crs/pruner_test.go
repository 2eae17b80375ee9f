package crs

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
)

// TestPrunerKeepsVerdicts: with the pruner and Coraza's regex prefilter,
// every request gets the rules, score and verdict stock Coraza gives it
// with the whole rule set: CRS's regression cases (every location,
// attacks and negatives), 500 different hostile payloads and genlog's
// benign sample, in the engine's configuration.
func TestPrunerKeepsVerdicts(t *testing.T) {
	var evs []*event.Event
	for _, c := range regression(t) {
		if c.Skip == "" {
			evs = append(evs, c.Event())
		}
	}
	evs = append(evs, hostileSample(t)[:500]...)
	for _, l := range benignSample(t) {
		evs = append(evs, l.ev)
	}
	if raceEnabled {
		evs = evs[:len(evs)/8]
	}
	for _, remove := range [][]int{SearchFalsePositives} {
		pruned, err := New(Options{RemoveRules: remove})
		if err != nil {
			t.Fatal(err)
		}
		whole, err := New(Options{RemoveRules: remove, noPrune: true})
		if err != nil {
			t.Fatal(err)
		}
		// The evaluator (eval.go) took most rules out of Coraza: they
		// count as pruned (none of them runs in Coraza).
		moved := len(pruned.prune.eval.rules)
		if pruned.prune.size()+moved < 120 {
			t.Errorf("the pruner may remove only %d rules, the evaluator took %d", pruned.prune.size(), moved)
		}
		differ := 0
		for _, ev := range evs {
			a, b := pruned.Inspect(ev), whole.Inspect(ev)
			if a.Score != b.Score || a.Attack != b.Attack || !slices.Equal(a.RuleIDs, b.RuleIDs) {
				differ++
				if differ <= 10 {
					t.Errorf("remove %v: %s %s UA %q: pruned rules %v score %d, whole %v score %d", remove,
						ev.Get(event.HTTPMethod), ev.Get(event.URLOriginal), ev.Get(event.UserAgent), a.RuleIDs, a.Score, b.RuleIDs, b.Score)
				}
			}
		}
		removed := float64(pruned.prune.removed.Load())/float64(len(evs)) + float64(moved)
		t.Logf("remove %v: %d requests, %d differ; %d rules prunable in %d groups, %.1f removed per request", remove, len(evs), differ, pruned.prune.size(), len(pruned.prune.groups), removed)
		if removed < 80 {
			t.Errorf("%.1f rules removed per request, want at least 80", removed)
		}
	}
}

// TestRequiredLiterals checks the literal analysis against Go's regexp:
// every text a pattern matches holds one of its literals.
func TestRequiredLiterals(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string // nil: no requirement
		match   []string
	}{
		{`(?i)union\s+select`, []string{"select"}, []string{"UNION   SELECT"}},
		{`(?i)\b(?:sleep|benchmark)\s*\(`, []string{"benchmark", "sleep"}, []string{"SLEEP (", "benchMark("}},
		{`<script[^>]*>`, []string{"<script"}, []string{"<script src=x>"}},
		{`a(?:b|c)d`, []string{"abd", "acd"}, []string{"xacdx"}},
		{`.*`, nil, nil},
		{`(?:foo)?bar`, []string{"bar", "foobar"}, []string{"bar", "foobar"}},
		{`x?`, nil, nil},
		{`[\x80-\xff]+`, nil, nil},
		{`(?i)s[ck]ript`, []string{"script", "skript"}, []string{"SKRIPT"}},
	} {
		re, err := syntax.Parse(tc.pattern, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := required(re.Simplify())
		if tc.want == nil {
			if ok {
				t.Errorf("%s: got %q, want no requirement", tc.pattern, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no requirement, want %q", tc.pattern, tc.want)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.pattern, got, tc.want)
		}
		rx := regexp.MustCompile(tc.pattern)
		for _, m := range tc.match {
			if !rx.MatchString(m) {
				t.Fatalf("%s does not match %q", tc.pattern, m)
			}
			found := false
			for _, s := range got {
				found = found || strings.Contains(strings.ToLower(m), s)
			}
			if !found {
				t.Errorf("%s matches %q, which holds none of %q", tc.pattern, m, got)
			}
		}
	}
}
