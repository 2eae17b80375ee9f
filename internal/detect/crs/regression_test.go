package crs

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/shareddata"
)

func TestLoadRegressionFixture(t *testing.T) {
	cases, err := LoadRegression("testdata/ftw")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		location Location
		skip     string
		target   string
		attack   bool
	}{
		{InURI, "", "/get?var=1%27%20OR%20%271%27%3D%271", true},
		{InBodyAsQuery, "", "/post?var=1234%20OR%201=1", true},
		{0, "payload in a request body that is not a form", "", true},
		{0, "payload may be in a header absent from access logs", "", true},
		{InUserAgent, "", "/", false},
		{InURI, "", "/get?x=1%27%20or%201=1", true},
		{0, "payload in a request body that is not a form", "", true},
		{0, "expectation is a status code or log regex, not rule ids", "", false},
		{0, "several stages", "", false},
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d", len(cases), len(want))
	}
	for i, w := range want {
		c := cases[i]
		if c.Skip != w.skip {
			t.Errorf("test %d: skip %q, want %q", c.TestID, c.Skip, w.skip)
			continue
		}
		if w.skip != "" {
			continue
		}
		if c.Location != w.location || c.Target != w.target || c.Attack() != w.attack || c.Class != SQLi {
			t.Errorf("test %d: %v %q attack %v class %v, want %v %q %v sqli", c.TestID, c.Location, c.Target, c.Attack(), c.Class, w.location, w.target, w.attack)
		}
	}
	if cases[3].SkipDetail != "cookie" {
		t.Errorf("cookie case: detail %q", cases[3].SkipDetail)
	}
}

var (
	regressionOnce  sync.Once
	regressionCases []Case
	regressionErr   error
)

// regression loads CRS's regression cases from ../shared, once; under the
// race detector every fourth case, to keep the run short (allRegression
// gives every case whatever the build).
func regression(t testing.TB) []Case {
	cases := allRegression(t)
	if !raceEnabled {
		return cases
	}
	var sample []Case
	for i := 0; i < len(cases); i += 4 {
		sample = append(sample, cases[i])
	}
	return sample
}

// sampleBar is the share of URI attack cases a replay must judge attacks:
// the bar, 90 %, on every case; on the race build's quarter sample a few
// cases either way move the rate by a point, so it only has to come near.
func sampleBar() float64 {
	if raceEnabled {
		return 0.85
	}
	return 0.90
}

func allRegression(t testing.TB) []Case {
	t.Helper()
	dir := shareddata.Path(t, "data", "crs-regression")
	regressionOnce.Do(func() { regressionCases, regressionErr = LoadRegression(dir) })
	if regressionErr != nil {
		t.Fatal(regressionErr)
	}
	return regressionCases
}

// The bar: at the default level at least 90 % of the attack cases whose
// payload is in the URI are judged attacks; the prefilter loses none of
// CRS's detections, in any location; no benign request is flagged.
func TestRegression(t *testing.T) {
	d := testDetector(t, 0)
	rep := Replay(d, regression(t))
	t.Log("\n" + rep.Table())
	uri := rep.Total(InURI)
	if uri.Attacks < 100 {
		t.Fatalf("only %d URI attack cases: is the regression folder complete?", uri.Attacks)
	}
	if rate := float64(uri.Flagged) / float64(uri.Attacks); rate < sampleBar() {
		t.Errorf("URI attack cases judged attacks: %d of %d (%.1f%%), want at least %.0f%%", uri.Flagged, uri.Attacks, 100*rate, 100*sampleBar())
	}
	for _, o := range rep.Lost() {
		t.Errorf("the prefilter skips an attack CRS flags: %s test %d (%v, rules %v): %s %s UA %q Referer %q",
			o.Case.File, o.Case.TestID, o.Case.Location, o.Result.RuleIDs, o.Case.Method, o.Case.Target, o.Case.UserAgent, o.Case.Referer)
	}
	for _, o := range rep.Spared() {
		t.Logf("the prefilter skips a negative case CRS flags: %s test %d", o.Case.File, o.Case.TestID)
	}
	for _, l := range benignSample(t) {
		if r := d.Detect(l.ev); r.Attack {
			t.Errorf("benign request flagged (rules %v): %s", r.RuleIDs, l.text)
		}
	}
}

// TestRegressionWithoutSearchRules is the configuration Garda's detection
// engine runs: the bar must hold with SearchFalsePositives left out, on
// every case even under the race detector (this is the bar CI checks).
func TestRegressionWithoutSearchRules(t *testing.T) {
	d, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	rep := Replay(d, allRegression(t))
	t.Log("\n" + rep.Table())
	uri := rep.Total(InURI)
	if rate := float64(uri.Flagged) / float64(uri.Attacks); rate < 0.90 {
		t.Errorf("URI attack cases judged attacks without %v: %d of %d (%.1f%%), want at least 90%%", SearchFalsePositives, uri.Flagged, uri.Attacks, 100*rate)
	}
}

// TestParanoiaTable measures what the choice of level and threshold rests
// on: for each level, the replay table, the URI cases and negatives
// flagged at several thresholds, genlog's benign sample and the
// hand-written ordinary requests flagged. It checks that the default is
// the lowest level meeting the bar with the default threshold.
func TestParanoiaTable(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("replays the regression cases four times")
	}
	cases := regression(t)
	benign := benignSample(t)
	ordinary := readLog(t, "testdata/ordinary.log")
	var summary strings.Builder
	fmt.Fprintf(&summary, "%-3s %-9s %9s %9s %9s %9s %12s %14s\n", "PL", "threshold", "uri", "rate", "negative", "body>query", "benign", "ordinary")
	best := 0
	for pl := 1; pl <= 4; pl++ {
		d := testDetector(t, pl)
		rep := Replay(d, cases)
		t.Logf("\n%s", rep.Table())
		uri, bq := rep.Total(InURI), rep.Total(InBodyAsQuery)
		benignScores := make([]int, len(benign))
		for i, l := range benign {
			benignScores[i] = d.Inspect(l.ev).Score
		}
		ordinaryResults := make([]Result, len(ordinary))
		for i, l := range ordinary {
			ordinaryResults[i] = d.Inspect(l.ev)
		}
		for _, th := range []int{3, 5, 7, 10} {
			a, n := rep.AtThreshold(InURI, th)
			ba, _ := rep.AtThreshold(InBodyAsQuery, th)
			fb, fo := 0, 0
			for _, sc := range benignScores {
				if sc >= th {
					fb++
				}
			}
			var which []string
			for i, r := range ordinaryResults {
				if r.Score >= th {
					fo++
					which = append(which, fmt.Sprintf("%s %v", ordinary[i].ev.Get(event.URLOriginal), r.RuleIDs))
				}
			}
			fmt.Fprintf(&summary, "%-3d %-9d %4d/%-4d %8.1f%% %4d/%-4d %9.1f%% %6d/%-6d %6d/%-6d %s\n", pl, th, a, uri.Attacks,
				100*float64(a)/float64(uri.Attacks), n, uri.Negatives, 100*float64(ba)/float64(bq.Attacks),
				fb, len(benign), fo, len(ordinary), strings.Join(which, "; "))
			if th == DefaultThreshold && best == 0 && float64(a) >= 0.9*float64(uri.Attacks) && fb == 0 {
				best = pl
			}
		}
		if lost := rep.Lost(); len(lost) > 0 {
			t.Errorf("PL%d: the prefilter skips %d attack cases CRS flags", pl, len(lost))
		}
	}
	t.Logf("URI attack cases judged attacks, CRS negatives judged attacks, and benign requests flagged, by level and threshold:\n%s", summary.String())
	if best != DefaultParanoiaLevel {
		t.Errorf("the lowest level meeting the bar is %d, the default is %d", best, DefaultParanoiaLevel)
	}
}

func BenchmarkRegression(b *testing.B) {
	d := testDetector(b, 0)
	var uri []Case
	for _, c := range regression(b) {
		if c.Skip == "" && c.Location == InURI {
			uri = append(uri, c)
		}
	}
	var rep *Report
	for b.Loop() {
		rep = Replay(d, uri)
	}
	tot := rep.Total(InURI)
	b.ReportMetric(100*float64(tot.Flagged)/float64(tot.Attacks), "uri-attack-%")
	b.ReportMetric(100*float64(tot.NegFlagged)/float64(tot.Negatives), "uri-negative-%")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(uri)), "ns/case")
}
