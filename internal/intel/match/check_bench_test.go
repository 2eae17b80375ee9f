package match_test

import (
	"bytes"
	"testing"

	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel/match"
)

// BenchmarkCheck is the matcher alone on parsed events of the benchmark
// log: what each line pays for 100,000 indicators.
func BenchmarkCheck(b *testing.B) {
	d := benchInput()
	f, _ := format.Lookup("nginx")
	p := ingest.Parser{Format: f}
	var evs []event.Event
	for _, l := range bytes.Split(d.log, []byte("\n"))[:50000] {
		var ev event.Event
		if p.Parse(l, &ev) == nil {
			evs = append(evs, ev)
		}
	}
	c := match.New(match.Compile(d.entries), nil).NewCheck()
	var hits []detect.Hit
	b.ResetTimer()
	i := 0
	for b.Loop() {
		hits = c.Check(&evs[i%len(evs)], hits[:0])
		i++
	}
}
