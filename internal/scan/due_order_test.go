package scan

import (
	"slices"
	"testing"
	"time"
)

func TestSlowestFirst(t *testing.T) {
	ids := []int64{1, 2, 3, 4, 5}
	slowestFirst(ids, map[int64]time.Duration{1: time.Minute, 2: 9 * time.Minute, 3: -1, 5: 3 * time.Minute})
	// 3 (duration unknown) and 4 (never scanned) first, in their order
	if want := []int64{3, 4, 2, 5, 1}; !slices.Equal(ids, want) {
		t.Fatalf("got %v, want %v", ids, want)
	}
}
