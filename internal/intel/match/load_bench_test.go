package match_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/intel/match"
)

// BenchmarkLoad reads and compiles 100,000 indicators from their file
// ("kind value" lines), as `garda detect replay --indicators` does.
func BenchmarkLoad(b *testing.B) {
	var file bytes.Buffer
	if err := match.Write(&file, match.GenIndicators(100000, 7)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(file.Len()))
	var read, compile time.Duration
	for b.Loop() {
		t0 := time.Now()
		entries, err := match.Read(bytes.NewReader(file.Bytes()), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		set := match.Compile(entries)
		read, compile = read+t1.Sub(t0), compile+time.Since(t1)
		if set.Len() != 100000 {
			b.Fatalf("%d indicators compiled, want 100000", set.Len())
		}
	}
	b.ReportMetric(read.Seconds()*1000/float64(b.N), "read-ms")
	b.ReportMetric(compile.Seconds()*1000/float64(b.N), "compile-ms")
}
