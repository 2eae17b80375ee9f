package match_test

import (
	"bytes"
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel/match"
)

type benchData struct {
	log     []byte
	entries []match.Entry
	planted []match.Planted
}

var benchInput = sync.OnceValue(func() benchData {
	entries := match.GenIndicators(100000, 7)
	var b bytes.Buffer
	planted, err := match.Plant(&b, bytes.NewReader(simLog(nil, 200000)), match.Choose(entries, 25), 2000, 7)
	if err != nil {
		panic(err)
	}
	return benchData{b.Bytes(), entries, planted}
})

// BenchmarkReplayIndicators replays one 200,000-line simulated log (100
// indicators planted in it) on the whole engine, side by side: each
// iteration replays it without indicators and then with 100,000 detection
// indicators (addresses, CIDR ranges, domains, URLs), each on a new engine
// (as one `garda detect replay` run is), so that a loaded machine weighs on
// both alike. It reports lines per second of each, per CPU-second of
// each, the ratio with/without of both, and the set's compile time; it
// fails if a planted indicator is not sighted.
func BenchmarkReplayIndicators(b *testing.B) {
	d := benchInput()
	f, _ := format.Lookup("nginx")
	run := func(stages []detect.Stage) (lines int64, wall, cpu time.Duration) {
		eng, err := detect.New(detect.Options{Stages: stages})
		if err != nil {
			b.Fatal(err)
		}
		start, c0 := time.Now(), cpuTime()
		res, err := eng.Replay(context.Background(), bytes.NewReader(d.log), detect.ReplayOptions{Format: f})
		if err != nil {
			b.Fatal(err)
		}
		return res.Lines, time.Since(start), cpuTime() - c0
	}
	var lines int64
	var wall, cpu [2]time.Duration
	var compile time.Duration
	for b.Loop() {
		n, w, c := run(nil)
		lines += n
		wall[0] += w
		cpu[0] += c
		start := time.Now()
		set := match.Compile(d.entries)
		compile += time.Since(start)
		_, w, c = run([]detect.Stage{match.New(set, nil)})
		wall[1] += w
		cpu[1] += c
		hits := set.Hits()
		for _, p := range d.planted {
			if hits[p.Entry.ID] == 0 {
				b.Fatalf("planted indicator %d (%s %s) not sighted", p.Entry.ID, p.Entry.Kind, p.Entry.Value)
			}
		}
	}
	per := func(d time.Duration) float64 { return float64(lines) / d.Seconds() }
	b.ReportMetric(per(wall[0]), "lines/s-without")
	b.ReportMetric(per(wall[1]), "lines/s-with-100k")
	b.ReportMetric(100*wall[0].Seconds()/wall[1].Seconds(), "%-kept-wall")
	b.ReportMetric(per(cpu[0]), "lines/cpu-s-without")
	b.ReportMetric(per(cpu[1]), "lines/cpu-s-with-100k")
	b.ReportMetric(100*cpu[0].Seconds()/cpu[1].Seconds(), "%-kept-cpu")
	b.ReportMetric(compile.Seconds()*1000/float64(b.N), "compile-ms")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
