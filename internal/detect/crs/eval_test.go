package crs

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/shareddata"
)

// TestEvaluatorKeepsVerdicts compares, rule for rule, the detector as it
// runs (pruner, RE2, the evaluator) with stock Coraza and every rule: the
// matched rule ids and the score of CRS's regression cases (every
// location), 2,000 different hostile payloads, genlog's benign sample,
// and the recall corpus's values (internal/detect/testdata/params, and
// the shared payload lists when present), each sent as a query parameter
// both percent-encoded and form-encoded.
func TestEvaluatorKeepsVerdicts(t *testing.T) {
	var evs []*event.Event
	for _, c := range regression(t) {
		if c.Skip == "" {
			evs = append(evs, c.Event())
		}
	}
	evs = append(evs, hostileSample(t)...)
	for _, l := range benignSample(t) {
		evs = append(evs, l.ev)
	}
	values := paramValues(t, "../testdata/params")
	if root, ok := shareddata.Root(); ok {
		values = append(values, paramValues(t, filepath.Join(root, "data", "payloads"))...)
	}
	for i, v := range values {
		for _, target := range []string{"/cari?q=" + url.PathEscape(v), "/cari?q=" + url.QueryEscape(v)} {
			ev := &event.Event{}
			ev.Set(event.SourceIP, "127.0.0.1")
			ev.Set(event.HTTPMethod, "GET")
			ev.Set(event.URLOriginal, target)
			ev.Set(event.HTTPVersion, "1.1")
			ev.Set(event.UserAgent, "Mozilla/5.0")
			if i%7 == 0 {
				ev.Set(event.Referrer, "https://example.org/?r="+url.QueryEscape(v))
			}
			evs = append(evs, ev)
		}
	}
	if raceEnabled {
		evs = evs[:len(evs)/8]
	}
	fast, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := New(Options{RemoveRules: SearchFalsePositives, PureCoraza: true})
	if err != nil {
		t.Fatal(err)
	}
	ev := fast.prune.eval
	if len(ev.rules) < 100 {
		t.Errorf("the evaluator took only %d rules", len(ev.rules))
	}
	differ, attacks := 0, 0
	for _, e := range evs {
		a, b := fast.Inspect(e), whole.Inspect(e)
		if b.Attack {
			attacks++
		}
		if a.Score != b.Score || a.Attack != b.Attack || !slices.Equal(a.RuleIDs, b.RuleIDs) {
			differ++
			if differ <= 10 {
				t.Errorf("%s %s UA %q: evaluator rules %v score %d, stock Coraza %v score %d",
					e.Get(event.HTTPMethod), e.Get(event.URLOriginal), e.Get(event.UserAgent), a.RuleIDs, a.Score, b.RuleIDs, b.Score)
			}
		}
	}
	t.Logf("%d requests (%d attacks for stock Coraza), %d differ; evaluator: %d rules in %d groups, %d detection rules left to Coraza",
		len(evs), attacks, differ, len(ev.rules), len(ev.groups), ev.kept)
	if fast.fast == nil {
		t.Fatal("no fast path")
	}
	served, deferred := fast.fast.served.Load(), fast.fast.deferred.Load()
	t.Logf("fast path: %d requests evaluated without Coraza, %d left to it", served, deferred)
	if served < int64(len(evs))/2 {
		t.Errorf("the fast path served only %d of %d requests", served, len(evs))
	}
}

// paramValues reads every line of the .txt lists in dir (comments
// starting "# " skipped).
func paramValues(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no parameter lists in %s", dir)
	}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "# ") {
				out = append(out, l)
			}
		}
		fh.Close()
	}
	return out
}
