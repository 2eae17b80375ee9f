package crs

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/garda-id/garda/internal/detect/hostile"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/shareddata"
)

var (
	hostileOnce   sync.Once
	hostileEvents []*event.Event
)

// hostileSample is 2,000 requests of internal/detect/hostile: every one a
// different payload (needs ../shared/data/payloads).
func hostileSample(t testing.TB) []*event.Event {
	t.Helper()
	dir := shareddata.Path(t, "data", "payloads")
	hostileOnce.Do(func() {
		payloads, err := hostile.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := hostile.Write(&b, payloads, hostile.Options{Lines: 2000, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			m := combined.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("not a combined line: %q", l)
			}
			ev := &event.Event{}
			ev.Set(event.SourceIP, m[1])
			ev.Set(event.HTTPMethod, m[2])
			ev.Set(event.URLOriginal, m[3])
			ev.Set(event.HTTPVersion, strings.TrimPrefix(m[4], "HTTP/"))
			ev.Set(event.Referrer, m[6])
			ev.Set(event.UserAgent, m[7])
			hostileEvents = append(hostileEvents, ev)
		}
	})
	if len(hostileEvents) == 0 {
		t.Fatal("no hostile sample")
	}
	return hostileEvents
}

// BenchmarkInspectHostile is one Coraza evaluation of a request whose
// payload no other request carries: the cost an all-hostile log pays per
// line; "whole" evaluates every rule in stock Coraza, "pruned" only
// those the pruner keeps, all in Coraza (the step before the evaluator),
// "eval" the evaluator's rules outside Coraza's per-rule loop, the
// pruner for the rest, in a Coraza transaction (the step before the fast
// path); "fast" what Inspect does: no Coraza transaction unless a rule
// it cannot evaluate matched (fast.go). Each pass over the sample starts
// with an empty value cache (valuecache.go): a pass sees the values the
// sample's earlier requests held, as a log of 2,000 such lines would,
// not the verdicts of the passes before.
func BenchmarkInspectHostile(b *testing.B) {
	evs := hostileSample(b)
	for _, tc := range []struct {
		name string
		opts Options
	}{{"whole", Options{noPrune: true}}, {"pruned", Options{noEval: true}}, {"eval", Options{noFast: true}}, {"fast", Options{}}} {
		b.Run(tc.name, func(b *testing.B) {
			d, err := New(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i, flagged := 0, 0
			cpu := cpuTime()
			for b.Loop() {
				if i%len(evs) == 0 && d.fast != nil {
					d.fast.values.reset()
				}
				if d.Inspect(evs[i%len(evs)]).Attack {
					flagged++
				}
				i++
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(i), "cpu-ns/op")
			b.ReportMetric(100*float64(flagged)/float64(i), "flagged-%")
			if d.fast != nil {
				b.ReportMetric(100*float64(d.fast.deferred.Load())/float64(i), "coraza-%")
			}
		})
	}
}

// cpuTime is the process's CPU time so far (user and system), in
// nanoseconds: on a shared machine a cost per operation is read from it,
// not from the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestOrdinaryPathKeepsVerdicts: CRS gives a request the same rules and
// score whatever ordinary path it carries, which the detector's verdict
// cache relies on (package detect, verdictKey). 150 hostile requests on
// four paths each; GARDA_CRS_FULL=1 takes the whole sample (12,000
// comparisons, no difference at 8833d3c).
func TestOrdinaryPathKeepsVerdicts(t *testing.T) {
	d, err := New(Options{RemoveRules: SearchFalsePositives})
	if err != nil {
		t.Fatal(err)
	}
	sample := hostileSample(t)
	if os.Getenv("GARDA_CRS_FULL") == "" {
		sample = sample[:150]
	}
	alts := []string{"/", "/index.php", "/berita/2024/hasil-pemilu-dpr", "/api/v1/tps"}
	compared := 0
	for _, ev := range sample {
		path, query, _ := strings.Cut(ev.Get(event.URLOriginal), "?")
		if !d.Prefilter().OrdinaryPath(path) {
			continue
		}
		base := d.Inspect(ev)
		for _, a := range alts {
			if !d.Prefilter().OrdinaryPath(a) {
				t.Fatalf("%s is not ordinary", a)
			}
			other := *ev
			other.Set(event.URLOriginal, a+"?"+query)
			r := d.Inspect(&other)
			if !slices.Equal(r.RuleIDs, base.RuleIDs) || r.Score != base.Score {
				t.Errorf("%s on %s: %v (%d), on %s: %v (%d)", query, path, base.RuleIDs, base.Score, a, r.RuleIDs, r.Score)
			}
			compared++
		}
	}
	if compared < len(sample) {
		t.Fatalf("only %d comparisons: the sample's paths are not ordinary", compared)
	}
	if d.Prefilter().OrdinaryPath("/backup.sql") || d.Prefilter().OrdinaryPath("/.env") || d.Prefilter().OrdinaryPath("/a?b") {
		t.Error("a path CRS flags counted as ordinary")
	}
}
