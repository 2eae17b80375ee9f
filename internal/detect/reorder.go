package detect

import (
	"container/heap"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/event"
)

// Lines of one log are often not in time order: several servers' logs
// merged, a syslog relay's queue, a file rotated mid-write. The behaviour
// scenarios count in windows of event time, so a shard holds each event
// until no earlier one can still come within ReorderWindow (or until it
// holds maxHeld), and feeds them to the scenarios oldest first: within
// that disorder, the alerts are those of the sorted log.
const (
	ReorderWindow = 5 * time.Minute
	maxHeld       = 1 << 16
)

// held is an inspected event waiting for its turn: a copy, since the
// caller reuses its own.
type held struct {
	ev  event.Event
	f   Finding
	at  int64 // event time; an event without one sorts as the newest so far
	seq int64 // arrival order, among events of the same time
}

// reorder is a min-heap of held events by time, then arrival.
type reorder struct {
	h       heldHeap
	newest  int64 // the latest event time seen
	seq     int64
	started bool
}

// late reports whether an event's time lies further back than the window
// can still put in order: everything held comes before it.
func (r *reorder) late(ev *event.Event) bool {
	return r.started && !ev.Time.IsZero() && ev.Time.UnixNano() < r.newest-int64(ReorderWindow)
}

// push holds a copy of an event. After a late one (see late), the caller
// releases everything held first, and the late event starts a new stretch
// of time.
func (r *reorder) push(ev *event.Event, f *Finding) {
	at := r.newest
	if !ev.Time.IsZero() {
		at = ev.Time.UnixNano()
		if !r.started || at > r.newest || r.late(ev) {
			r.newest = at
		}
		r.started = true
	}
	r.seq++
	h := &held{ev: *ev, at: at, seq: r.seq, f: Finding{Classes: f.Classes}}
	if len(f.CRSRules) > 0 {
		h.f.CRSRules = slices.Clone(f.CRSRules)
	}
	if len(f.Sigma) > 0 {
		h.f.Sigma = slices.Clone(f.Sigma)
	}
	heap.Push(&r.h, h)
}

// pop returns the oldest held event if it is due (all is set, or it lies
// a whole window before the newest, or too many are held), else nil.
func (r *reorder) pop(all bool) *held {
	if len(r.h) == 0 {
		return nil
	}
	if !all && len(r.h) <= maxHeld && r.h[0].at > r.newest-int64(ReorderWindow) {
		return nil
	}
	return heap.Pop(&r.h).(*held)
}

type heldHeap []*held

func (h heldHeap) Len() int { return len(h) }
func (h heldHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h heldHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *heldHeap) Push(x any)   { *h = append(*h, x.(*held)) }
func (h *heldHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
