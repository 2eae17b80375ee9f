package detect_test

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/simulate"
)

// benchLog is a 200,000-line simulated log of the demo sites, attacks of
// every class mixed in (made once).
var benchLog = sync.OnceValue(func() []byte {
	sim, err := simulate.New(simulate.Options{Sites: simulate.DefaultSites(), Seed: 7, Lines: 200000,
		Start: time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC), Span: 24 * time.Hour})
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	if _, err := sim.WriteLog(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// BenchmarkReplay measures the whole offline pipeline (read, parse, Sigma,
// CRS behind its prefilter and verdict cache, scenarios, aggregation) and
// reports lines per second. Rules are compiled outside the timing.
func BenchmarkReplay(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts detect.Options
	}{{"all-rules", detect.Options{}}, {"no-crs", detect.Options{NoCRS: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			eng, err := detect.New(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			log := benchLog()
			f, _ := format.Lookup("nginx")
			b.SetBytes(int64(len(log)))
			b.ResetTimer()
			var lines int64
			for b.Loop() {
				res, err := eng.Replay(context.Background(), bytes.NewReader(log), detect.ReplayOptions{Format: f})
				if err != nil {
					b.Fatal(err)
				}
				lines += res.Lines
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkShardObserve measures the ordered stage alone (putting events
// back in time order, the scenarios, Sigma's signals) per event, over the
// simulated log's events, inspected once outside the timing.
func BenchmarkShardObserve(b *testing.B) {
	eng, err := detect.New(detect.Options{NoCRS: true})
	if err != nil {
		b.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	type inspected struct {
		ev event.Event
		f  detect.Finding
	}
	var evs []inspected
	in := eng.NewInspector()
	for _, line := range bytes.Split(bytes.TrimSpace(benchLog()), []byte("\n"))[:50000] {
		var it inspected
		if f.Parse(line, &it.ev) != nil {
			continue
		}
		in.Inspect(&it.ev, &it.f)
		it.f.CRSRules, it.f.Sigma = slices.Clone(it.f.CRSRules), slices.Clone(it.f.Sigma)
		evs = append(evs, it)
	}
	shard := eng.NewShard()
	emit := func(alert.Signal) {}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		it := &evs[i%len(evs)]
		shard.Observe(&it.ev, &it.f, emit)
		i++
	}
}
