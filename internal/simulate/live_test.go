package simulate

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

func TestRunLive(t *testing.T) {
	var mu sync.Mutex
	var batches int
	lines := map[string][]event.Event{} // per site host
	var started []Label
	s, err := New(Options{Seed: 1, AttackMin: 300 * time.Millisecond, AttackMax: 600 * time.Millisecond,
		OnAttack: func(l Label) { started = append(started, l) }})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	sink := func(site Site, ls [][]byte) error {
		mu.Lock()
		defer mu.Unlock()
		batches++
		if len(ls) == 0 {
			t.Errorf("empty batch for %s", site.Host)
		}
		for _, l := range ls {
			var ev event.Event
			if err := f.Parse(l, &ev); err != nil {
				t.Errorf("%s: %v: %s", site.Host, err, l)
				continue
			}
			lines[site.Host] = append(lines[site.Host], ev)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	begin := time.Now()
	if err := s.Run(ctx, 50, sink); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	byIP := map[string]int{}
	for host, evs := range lines {
		for _, ev := range evs {
			total++
			byIP[ev.IP.String()]++
			// Log time has whole seconds.
			if ev.Time.Before(begin.Truncate(time.Second)) || ev.Time.After(end) {
				t.Errorf("%s: line at %s, outside the run %s..%s", host, ev.Time, begin, end)
			}
		}
	}
	labels := s.Labels()
	t.Logf("%d batches, %d lines, %d sites, %d attackers started", batches, total, len(lines), len(labels))
	if batches < 3 || total < 20 {
		t.Errorf("only %d batches, %d lines in 2s at 50 lines a second", batches, total)
	}
	if len(labels) == 0 || len(started) != len(labels) {
		t.Fatalf("attackers: %d labelled, %d told", len(labels), len(started))
	}
	sent := 0
	for _, l := range labels {
		if byIP[l.IP] > 0 {
			sent++
		}
		if IsBenign(l.IP) {
			t.Errorf("attacker %s has a benign address", l.IP)
		}
		if got, ok := s.Label(l.IP); !ok || got != l {
			t.Errorf("Label(%s) = %v, %v", l.IP, got, ok)
		}
	}
	if sent == 0 {
		t.Error("no attacker sent a line")
	}
}

func TestRunStopsOnSinkError(t *testing.T) {
	s, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := context.DeadlineExceeded // any error will do
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Run(ctx, 500, func(Site, [][]byte) error { return want }); err != want {
		t.Fatalf("Run = %v, want the sink's error", err)
	}
	if err := s.Run(ctx, 0, func(Site, [][]byte) error { return nil }); err == nil {
		t.Fatal("Run accepted a rate of 0")
	}
}
