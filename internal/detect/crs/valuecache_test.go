package crs

import (
	"slices"
	"sync"
	"testing"
)

// TestValueCacheKeepsVerdicts: the detector with the value cache gives
// every request of the corpus the rules and score the detector without
// it gives, on a first pass (the cache filling) and a second (every value
// known), from two goroutines at once.
func TestValueCacheKeepsVerdicts(t *testing.T) {
	cached, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cached.fast == nil || cached.fast.values == nil {
		t.Fatal("no value cache")
	}
	plain.fast.values = nil
	evs := fastCorpus(t)
	if raceEnabled {
		evs = evs[:len(evs)/8]
	}
	want := make([]Result, len(evs))
	for i, ev := range evs {
		want[i] = plain.Inspect(ev)
	}
	differ := 0
	var mu sync.Mutex
	for pass := range 2 {
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				for i := g; i < len(evs); i += 2 {
					got := cached.Inspect(evs[i])
					if !slices.Equal(got.RuleIDs, want[i].RuleIDs) || got.Score != want[i].Score || got.Attack != want[i].Attack {
						mu.Lock()
						if differ++; differ <= 10 {
							t.Errorf("pass %d, request %d: %v (%d) with the cache, %v (%d) without", pass, i, got.RuleIDs, got.Score, want[i].RuleIDs, want[i].Score)
						}
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
	}
	hits := 0
	for i := range cached.fast.values.shards {
		hits += len(cached.fast.values.shards[i].m)
	}
	t.Logf("%d requests, 2 passes: %d differ; %d values cached", len(evs), differ, hits)
	if hits == 0 {
		t.Error("nothing cached")
	}
}
