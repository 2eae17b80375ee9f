package sigma

import (
	"fmt"
	"github.com/garda-id/garda/internal/allocstest"
	"os"
	"testing"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/shareddata"
)

// The benchmarks match SigmaHQ's 145 webserver and proxy rules against
// generated nginx-like traffic: 4096 events per pool, so that the events
// do not all sit in cache (a parser's fresh event would). Besides ns/op
// they report cpu-ns/op, the thread's CPU time per event, which stays
// meaningful when the machine is shared and busy.

func loadWebSet(tb testing.TB, opts Options) *Set {
	tb.Helper()
	dir := shareddata.Path(tb, "data", "sigma-web")
	rules, err := LoadFS(os.DirFS(dir), ".")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Compile(rules, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func benchMatch(b *testing.B, s *Set, events []*event.Event, unfiltered bool) {
	m := s.NewMatcher()
	dst := make([]*Rule, 0, 16)
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startThreadCPU()
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		if unfiltered {
			dst = m.MatchUnfiltered(ev, dst[:0])
		} else {
			dst = m.Match(ev, dst[:0])
		}
		matched += len(dst)
	}
	cpu.report(b)
	b.ReportMetric(float64(matched)/float64(b.N), "matches/op")
}

// mixedTraffic is benign traffic with one request in ten an attack.
func mixedTraffic() []*event.Event {
	benign := benignTraffic(4096, 7)
	attacks := attackTraffic(410, 8)
	for i := range attacks {
		benign[i*10] = attacks[i]
	}
	return benign
}

func BenchmarkMatch145(b *testing.B) {
	s := loadWebSet(b, Options{})
	noMemo := loadWebSet(b, Options{MemoSlots: -1})
	benign, mixed, attacks := benignTraffic(4096, 7), mixedTraffic(), attackTraffic(4096, 9)
	b.Run("benign", func(b *testing.B) { benchMatch(b, s, benign, false) })
	b.Run("mixed", func(b *testing.B) { benchMatch(b, s, mixed, false) })
	b.Run("attacks", func(b *testing.B) { benchMatch(b, s, attacks, false) })
	b.Run("benign-nomemo", func(b *testing.B) { benchMatch(b, noMemo, benign, false) })
	b.Run("mixed-nomemo", func(b *testing.B) { benchMatch(b, noMemo, mixed, false) })
}

// BenchmarkNaive145 evaluates every rule on every event, for comparison.
func BenchmarkNaive145(b *testing.B) {
	s := loadWebSet(b, Options{})
	b.Run("benign", func(b *testing.B) { benchMatch(b, s, benignTraffic(4096, 7), true) })
	b.Run("mixed", func(b *testing.B) { benchMatch(b, s, mixedTraffic(), true) })
}

// BenchmarkCompile145 is the cost of loading and compiling the rules.
func BenchmarkCompile145(b *testing.B) {
	dir := shareddata.Path(b, "data", "sigma-web")
	rules, err := LoadFS(os.DirFS(dir), ".")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(rules, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMatchAllocs guards the promise of no allocation per event.
func TestMatchAllocs(t *testing.T) {
	s := loadWebSet(t, Options{})
	m := s.NewMatcher()
	events := mixedTraffic()
	dst := make([]*Rule, 0, 16)
	for _, ev := range events { // warm the memo and the views' buffers
		dst = m.Match(ev, dst[:0])
	}
	i := 0
	allocs := allocstest.PerRun(2000, func() {
		dst = m.Match(events[i%len(events)], dst[:0])
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per event, want 0", allocs)
	}
}

// TestConcurrentMatchers runs one Set from several goroutines, each with
// its own Matcher (go test -race checks the sharing).
func TestConcurrentMatchers(t *testing.T) {
	s := loadWebSet(t, Options{MemoSlots: 8})
	events := mixedTraffic()[:600]
	want := make([]int, len(events))
	m := s.NewMatcher()
	for i, ev := range events {
		want[i] = len(m.Match(ev, nil))
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			m := s.NewMatcher()
			for i := range events {
				j := (i*7 + g) % len(events)
				if got := len(m.Match(events[j], nil)); got != want[j] {
					errs <- fmt.Errorf("goroutine %d, event %d: %d rules, want %d", g, j, got, want[j])
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
