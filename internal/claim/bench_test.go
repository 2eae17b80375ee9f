package claim

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkMatch100k matches the development narratives against their
// fact-check titles padded with 100,000 synthetic claims, and reports the
// quality and latency figures of the bar: P@1, R@5, and p50/p99 per query.
func BenchmarkMatch100k(b *testing.B) {
	claims, queries := devPairs(b)
	all := append(slices.Clone(claims), Synthetic(100_000, 1)...)
	ix := NewIndex(all)
	runtime.GC() // the build's garbage is not the queries' cost
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	var lat, cpu []time.Duration
	var p1, r5, n int
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0, c0 := time.Now(), threadCPU()
		ms := ix.Match(q.Text, 5)
		lat = append(lat, time.Since(t0))
		cpu = append(cpu, threadCPU()-c0)
		n++
		for j, m := range ms {
			if m.ClaimID == q.ID {
				if j == 0 {
					p1++
				}
				r5++
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(cpu)
	b.ReportMetric(float64(p1)/float64(n), "P@1")
	b.ReportMetric(float64(r5)/float64(n), "R@5")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds()), "cpu-p50-µs")
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds()), "cpu-p99-µs")
	if os.Getenv("GARDA_CLAIM_BENCH_QUIET") == "" && b.N >= len(queries) {
		fmt.Fprintf(os.Stderr, "claims %d, queries %d: P@1 %.3f R@5 %.3f wall p50 %v p99 %v, cpu p50 %v p99 %v\n",
			ix.Len(), n, float64(p1)/float64(n), float64(r5)/float64(n), lat[len(lat)/2], lat[len(lat)*99/100], cpu[len(cpu)/2], cpu[len(cpu)*99/100])
	}
}

func BenchmarkNewIndex100k(b *testing.B) {
	claims := Synthetic(100_000, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		NewIndex(claims)
	}
}
