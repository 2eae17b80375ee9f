package match_test

import (
	"bytes"
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
	"github.com/garda-id/garda/internal/simulate"
)

// simLog is a log of the simulator: benign visitors and attacks of every
// class, none carrying the generated indicators.
func simLog(t testing.TB, lines int) []byte {
	fail := func(err error) {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	sim, err := simulate.New(simulate.Options{Sites: simulate.DefaultSites(), Seed: 11, Lines: lines,
		Start: time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC), Span: 6 * time.Hour})
	if err != nil {
		fail(err)
	}
	var b bytes.Buffer
	if _, err := sim.WriteLog(&b); err != nil {
		fail(err)
	}
	return b.Bytes()
}

func addrPrefix(v string) string {
	if strings.Contains(v, "/") {
		return v
	}
	if strings.Contains(v, ":") {
		return v + "/128"
	}
	return v + "/32"
}

type recorder struct {
	mu   sync.Mutex
	seen map[int64]int
}

func (r *recorder) Seen(id int64, region, asset string, at time.Time) {
	r.mu.Lock()
	r.seen[id]++
	r.mu.Unlock()
}

// TestPlantedIndicatorsSighted replays a simulated log with indicators of
// every kind planted in it through the real detection engine: every
// planted line raises "Indikator dikenal" for its indicator, every planted
// indicator is counted and recorded as a sighting, and no other line (the
// simulator's benign visitors and attacks) raises one.
func TestPlantedIndicatorsSighted(t *testing.T) {
	entries := match.GenIndicators(4000, 3)
	extra := []match.Entry{
		{Kind: intel.UserAgent, Value: "Mozilla/5.0 (compatible; EvilBot/2.1)"},
		{Kind: intel.SHA256, Value: strings.Repeat("ab12", 16)},
		{Kind: intel.MD5, Value: strings.Repeat("9f", 16)},
		{Kind: intel.IPv6, Value: "2001:db8:c123::7"},
	}
	for i := range extra {
		extra[i].ID, extra[i].Confidence = int64(len(entries)+1), 90
		entries = append(entries, extra[i])
	}
	// an indicator that expired before the replay must not match
	expired := match.Entry{ID: int64(len(entries) + 1), Kind: intel.IPv4, Value: "100.127.255.254", Until: time.Now().Add(-time.Minute)}
	entries = append(entries, expired)
	chosen := append(match.Choose(entries[:4000], 25), extra...)
	chosen = append(chosen, expired)

	var planted bytes.Buffer
	lines, err := match.Plant(&planted, bytes.NewReader(simLog(t, 30000)), chosen, 500, 5)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{seen: map[int64]int{}}
	set := match.Compile(entries)
	if set.Len() != len(entries) {
		t.Fatalf("compiled %d of %d indicators", set.Len(), len(entries))
	}
	m := match.New(set, rec)
	eng, err := detect.New(detect.Options{Stages: []detect.Stage{m}})
	if err != nil {
		t.Fatal(err)
	}
	plantedAt := map[int64]match.Entry{}
	for _, p := range lines {
		plantedAt[p.Line] = p.Entry
	}
	f, _ := format.Lookup("nginx")
	byID := map[int64]match.Entry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	hitLines := map[int64][]int64{} // line -> indicators
	res, err := eng.Replay(context.Background(), bytes.NewReader(planted.Bytes()), detect.ReplayOptions{Format: f, Workers: 2,
		PerEvent: func(ev *event.Event, sigs []alert.Signal) {
			for _, s := range sigs {
				if !strings.HasPrefix(s.Scenario, match.ScenarioPrefix) {
					continue
				}
				id, _ := strconv.ParseInt(s.Fields[match.FieldID], 10, 64)
				if s.Title != match.Title || s.RuleIDs[0] != match.RulePrefix+s.Fields[match.FieldID] || id == 0 {
					t.Errorf("line %d: signal %+v", ev.Line, s)
				}
				if slices.Contains(hitLines[ev.Line], id) {
					t.Errorf("line %d: indicator %d twice", ev.Line, id)
				}
				hitLines[ev.Line] = append(hitLines[ev.Line], id)
				if e := byID[id]; e.Kind == intel.IPv4 || e.Kind == intel.IPv6 {
					if !netip.MustParsePrefix(addrPrefix(e.Value)).Contains(ev.IP) {
						t.Errorf("line %d: client %s raised %s", ev.Line, ev.IP, e.Value)
					}
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RejectedTotal() != 0 {
		t.Fatalf("%d lines rejected", res.RejectedTotal())
	}
	// A planted line raises its indicator, and also the ranges around
	// a planted address (checked above): nothing else.
	for line, ids := range hitLines {
		e, ok := plantedAt[line]
		if !ok {
			t.Errorf("line %d (not planted) raised indicators %v", line, ids)
		} else if !slices.Contains(ids, e.ID) {
			t.Errorf("line %d planted %d (%s %s) but raised %v", line, e.ID, e.Kind, e.Value, ids)
		} else if len(ids) > 1 && !strings.Contains(e.Value, "/") && e.Kind != intel.IPv4 && e.Kind != intel.IPv6 {
			t.Errorf("line %d planted %d (%s %s) raised %v", line, e.ID, e.Kind, e.Value, ids)
		}
	}
	hits := set.Hits()
	alerts := map[string]*alert.Alert{}
	for _, a := range res.Alerts {
		alerts[a.Scenario] = a
	}
	for _, p := range lines {
		id := p.Entry.ID
		if id == expired.ID {
			if hits[id] != 0 || rec.seen[id] != 0 || alerts[match.ScenarioPrefix+strconv.FormatInt(id, 10)] != nil {
				t.Errorf("expired indicator matched")
			}
			continue
		}
		if _, ok := hitLines[p.Line]; !ok {
			t.Errorf("planted line %d (%s %s) raised nothing", p.Line, p.Entry.Kind, p.Entry.Value)
		}
		if hits[id] < 1 || int64(rec.seen[id]) != hits[id] {
			t.Errorf("indicator %d (%s %s): %d hits, %d sightings", id, p.Entry.Kind, p.Entry.Value, hits[id], rec.seen[id])
		}
		if alerts[match.ScenarioPrefix+strconv.FormatInt(id, 10)] == nil {
			t.Errorf("no alert for indicator %d", id)
		}
	}
	for id := range hits {
		if e := byID[id]; !strings.Contains(e.Value, "/") && !slices.ContainsFunc(lines, func(p match.Planted) bool { return p.Entry.ID == id }) {
			t.Errorf("indicator %d (%s %s) hit but not planted", id, e.Kind, e.Value)
		}
	}
	t.Logf("%d lines, %d planted, %d alerts", res.Lines, len(lines), len(res.Alerts))
}
