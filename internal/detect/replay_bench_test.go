package detect_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/detect/hostile"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/shareddata"
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

// hostileLog is 5,000 lines of internal/detect/hostile: every line a
// different attack payload from a different address (made once; needs
// ../shared/data/payloads).
var hostileLog = sync.OnceValues(func() ([]byte, error) {
	root, ok := shareddata.Root()
	if !ok {
		return nil, errors.New("needs ../shared/data/payloads (or GARDA_SHARED)")
	}
	payloads, err := hostile.Load(filepath.Join(root, "data", "payloads"))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = hostile.Write(&b, payloads, hostile.Options{Lines: 5000, Seed: 7})
	return b.Bytes(), err
})

// BenchmarkReplay measures the whole offline pipeline (read, parse, Sigma,
// CRS behind its prefilter and verdict cache, scenarios, aggregation) and
// reports lines per second, and lines per CPU-second (what a shared
// machine's load does not change as much). Rules are compiled outside the
// timing. all-rules and no-crs replay the simulator's log (nearly all
// benign); hostile a log where every line is a different attack. Every
// iteration replays on a new engine, as one `garda detect replay` run
// does: on the same engine a second pass over the log would be answered
// from the verdicts of the first (a hostile log then measured 2x faster
// at -benchtime 2x than at 1x).
func BenchmarkReplay(b *testing.B) {
	for _, tc := range []struct {
		name    string
		opts    detect.Options
		hostile bool
	}{{"all-rules", detect.Options{}, false}, {"no-crs", detect.Options{NoCRS: true}, false}, {"hostile", detect.Options{}, true}} {
		b.Run(tc.name, func(b *testing.B) {
			var log []byte
			if tc.hostile {
				var err error
				if log, err = hostileLog(); err != nil {
					b.Skip(err)
				}
			} else {
				log = benchLog()
			}
			f, _ := format.Lookup("nginx")
			b.SetBytes(int64(len(log)))
			var lines, cpu int64
			for b.Loop() {
				b.StopTimer()
				eng, err := detect.New(tc.opts)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := cpuTime()
				res, err := eng.Replay(context.Background(), bytes.NewReader(log), detect.ReplayOptions{Format: f})
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - start
				lines += res.Lines
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(lines)/(float64(cpu)/1e9), "lines/cpu-s")
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

// cpuTime is the process's CPU time so far (user and system), in
// nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
