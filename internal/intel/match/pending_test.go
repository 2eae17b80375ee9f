package match_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
)

// drained tells when a reader has been read to its end.
type drained struct {
	r    io.Reader
	done chan struct{}
}

func (d *drained) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		select {
		case <-d.done:
		default:
			close(d.done)
		}
	}
	return n, err
}

// TestPendingSetInForceBeforeFirstLine replays a log whose every line, the
// first among them, comes from an indicator's address, with a matcher
// whose set is given only once the whole log has been read: no line is
// inspected before the set is in force, so every line raises the
// indicator. A check called directly waits for the set too.
func TestPendingSetInForceBeforeFirstLine(t *testing.T) {
	entries := append(match.GenIndicators(2000, 4), match.Entry{ID: 9999, Kind: intel.IPv4, Value: "198.51.100.7", Confidence: 90})
	var log strings.Builder
	const lines = 3000
	for i := range lines {
		fmt.Fprintf(&log, "198.51.100.7 - - [14/Feb/2024:06:%02d:%02d +0700] \"GET /berita/%d HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n", i/60%60, i%60, i)
	}
	m := match.Pending(nil)
	eng, err := detect.New(detect.Options{Stages: []detect.Stage{m}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	in := &drained{r: strings.NewReader(log.String()), done: make(chan struct{})}
	hit := make([]bool, lines+1)
	type result struct {
		res detect.ReplayResult
		err error
	}
	out := make(chan result, 1)
	go func() {
		res, err := eng.Replay(context.Background(), in, detect.ReplayOptions{Format: f, Workers: 2,
			PerEvent: func(ev *event.Event, sigs []alert.Signal) {
				for _, s := range sigs {
					if s.Scenario == match.ScenarioPrefix+"9999" {
						hit[ev.Line] = true
					}
				}
			}})
		out <- result{res, err}
	}()
	select {
	case <-in.done:
	case r := <-out:
		t.Fatalf("the replay ended (%+v) before its set was given", r)
	}
	if m.Set() != nil {
		t.Fatal("a set in force before Ready")
	}
	m.Ready(match.Compile(entries))
	r := <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.Lines != lines {
		t.Fatalf("%d lines replayed", r.res.Lines)
	}
	for l := 1; l <= lines; l++ {
		if !hit[l] {
			t.Fatalf("line %d did not raise the indicator", l)
		}
	}
	if n := m.Set().Hits()[9999]; n != lines {
		t.Errorf("%d hits, want %d", n, lines)
	}

	// One check, directly: it waits for Ready, then finds the address.
	m = match.Pending(nil)
	c := m.NewCheck()
	var ev event.Event
	ev.IP = netip.MustParseAddr("198.51.100.7")
	got := make(chan []detect.Hit, 1)
	go func() { got <- c.Check(&ev, nil) }()
	select {
	case h := <-got:
		t.Fatalf("checked before the set was in force: %v", h)
	case <-time.After(50 * time.Millisecond):
	}
	m.Ready(match.Compile(entries))
	if h := <-got; len(h) != 1 || h[0].Scenario != match.ScenarioPrefix+"9999" {
		t.Fatalf("hits %+v", h)
	}
	// Ready(nil) releases the checks with an empty set (a load that failed).
	m = match.Pending(nil)
	m.Ready(nil)
	if h := m.NewCheck().Check(&ev, nil); len(h) != 0 || m.Set().Len() != 0 {
		t.Fatalf("empty set: hits %v", h)
	}
}
