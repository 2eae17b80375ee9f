package detect

import (
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

// held is an inspected event waiting for its turn: the caller's own
// (pushHeld, replay's) or a copy (push).
type held = item

// slot is a heap entry: the keys inline, so that sifting reads no event.
type slot struct {
	at  int64 // event time; an event without one sorts as the newest so far
	seq int64 // arrival order, among events of the same time
	h   *held
}

// reorder holds events by time, then arrival: those that arrive in order
// (the usual case) in a queue, at no cost to sift, the others in a
// min-heap; the next one out is the smaller of the two fronts. Released
// events are reused from the next push on, so that holding costs no
// allocation once the window is full.
type reorder struct {
	h        []slot
	queue    []slot // in order of (at, seq) from qhead on
	qhead    int
	free     []*held // released before the current call
	released []*held // released during the current call
	newest   int64   // the latest event time seen
	seq      int64
	started  bool
}

// eventTime is an event's time as the reorder reads it: replay's workers
// take it from the event, so that the ordered stage does not touch the
// event itself before its turn.
type eventTime struct {
	at    int64 // Time.UnixNano, when timed
	timed bool  // the event has a time
}

func timeOf(ev *event.Event) eventTime {
	if ev.Time.IsZero() {
		return eventTime{}
	}
	return eventTime{at: ev.Time.UnixNano(), timed: true}
}

// late reports whether an event's time lies further back than the window
// can still put in order: everything held comes before it.
func (r *reorder) late(t eventTime) bool {
	return r.started && t.timed && t.at < r.newest-int64(ReorderWindow)
}

// push holds a copy of an event. After a late one (see late), the caller
// releases everything held first, and the late event starts a new stretch
// of time. Events recycled before push may be reused by it.
func (r *reorder) push(ev *event.Event, f *Finding) {
	var h *held
	if n := len(r.free); n > 0 {
		h, r.free = r.free[n-1], r.free[:n-1]
	} else {
		h = &held{}
	}
	h.ev = *ev
	h.f.Classes, h.f.CRSScore, h.f.CRSBelow = f.Classes, f.CRSScore, f.CRSBelow
	h.f.CRSRules = append(h.f.CRSRules[:0], f.CRSRules...)
	h.f.Payload = append(h.f.Payload[:0], f.Payload...)
	h.f.Sigma = append(h.f.Sigma[:0], f.Sigma...)
	h.f.SigmaUnconfirmed = append(h.f.SigmaUnconfirmed[:0], f.SigmaUnconfirmed...)
	h.f.Hits = append(h.f.Hits[:0], f.Hits...)
	r.hold(h, timeOf(ev))
}

// pushHeld is push without the copy: the reorder keeps h itself, and
// hands back one recycled before (nil when it has none),
// which the caller may fill again. (The copy was a fifth of the ordered
// stage's time on genlog's million.)
func (r *reorder) pushHeld(h *held, t eventTime) (spare *held) {
	if n := len(r.free); n > 0 {
		spare, r.free = r.free[n-1], r.free[:n-1]
	}
	r.hold(h, t)
	return spare
}

// recycle makes the events released before reusable: their signals have
// been taken since. A shard calls it first thing in each Observe, so that
// what a late event's draining releases (see late) is not reused by the
// push of the same call while its signals still point to it.
func (r *reorder) recycle() {
	r.free = append(r.free, r.released...)
	clear(r.released)
	r.released = r.released[:0]
}

func (r *reorder) hold(h *held, t eventTime) {
	at := r.newest
	if t.timed {
		at = t.at
		if !r.started || at > r.newest || r.late(t) {
			r.newest = at
		}
		r.started = true
	}
	r.seq++
	s := slot{at: at, seq: r.seq, h: h}
	if n := len(r.queue); n == r.qhead || at >= r.queue[n-1].at {
		r.queue = append(r.queue, s)
		return
	}
	r.h = append(r.h, s)
	r.up(len(r.h) - 1)
}

func (r *reorder) held() int { return len(r.h) + len(r.queue) - r.qhead }

// pop returns the oldest held event if it is due (all is set, or it lies
// a whole window before the newest, or too many are held), else nil. It
// stays valid until the next push.
func (r *reorder) pop(all bool) *held {
	n := r.held()
	if n == 0 {
		return nil
	}
	fromQueue := len(r.h) == 0
	if !fromQueue && r.qhead < len(r.queue) {
		q, t := &r.queue[r.qhead], &r.h[0]
		fromQueue = q.at < t.at || q.at == t.at && q.seq < t.seq
	}
	next := &r.queue[min(r.qhead, len(r.queue)-1)]
	if !fromQueue {
		next = &r.h[0]
	}
	if !all && n <= maxHeld && next.at > r.newest-int64(ReorderWindow) {
		return nil
	}
	h := next.h
	if fromQueue {
		r.queue[r.qhead] = slot{}
		r.qhead++
		switch {
		case r.qhead == len(r.queue):
			r.queue, r.qhead = r.queue[:0], 0
		case r.qhead >= 1024 && 2*r.qhead >= len(r.queue):
			k := copy(r.queue, r.queue[r.qhead:])
			clear(r.queue[k:])
			r.queue, r.qhead = r.queue[:k], 0
		}
	} else {
		last := len(r.h) - 1
		r.h[0] = r.h[last]
		r.h[last] = slot{}
		r.h = r.h[:last]
		r.down(0)
	}
	r.released = append(r.released, h)
	return h
}

func (r *reorder) less(i, j int) bool {
	a, b := &r.h[i], &r.h[j]
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (r *reorder) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !r.less(i, p) {
			return
		}
		r.h[i], r.h[p] = r.h[p], r.h[i]
		i = p
	}
}

func (r *reorder) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(r.h) {
			return
		}
		if c+1 < len(r.h) && r.less(c+1, c) {
			c++
		}
		if !r.less(c, i) {
			return
		}
		r.h[i], r.h[c] = r.h[c], r.h[i]
		i = c
	}
}
