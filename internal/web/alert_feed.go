package web

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/metrics"
)

// alertFeed shares among every alert stream open on this instance one
// watch of the bus and one read of each changed alert (alert.ReadShared);
// each stream then decides in memory what its reader may see of it
// (Shared.For) and what passes its filters. Before it, each stream had a
// bus subscription of its own and read every changed alert itself, twice
// over (the alert, then its evidence, which the stream dropped): with
// 1,000 readers on 3 instances that was 2,000 queries for each change, and
// the readers fell behind a few alerts a second.
//
// A stream that falls too far behind (feedBacklog alerts waiting) is ended
// at the position of what it was not sent: the records are stored, and its
// browser reconnects with Last-Event-ID and catches up.
type alertFeed struct {
	s       *Server
	reads   *metrics.Counter // alerts read for the streams, and reads
	dropped *metrics.Counter // alerts dropped for readers too far behind, or notices for the feed

	mu  sync.Mutex
	hub *feedHub // nil while no stream is open
}

// feedHub is one watch of the bus and its streams; the watch ends when the
// last stream leaves (or the bus closes).
type feedHub struct {
	cancel func()
	subs   map[*feedSub]struct{}

	mu sync.Mutex
	// notices waiting to be read, and when the oldest of them and of those
	// being read arrived (zero: none)
	notices       []int64
	noticesSince  time.Time
	readingSince  time.Time
	noticesWaking chan struct{}
}

// unreadSince is when the oldest notice not yet handed to the streams
// arrived, zero when there is none.
func (h *feedHub) unreadSince() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return earliest(h.noticesSince, h.readingSince)
}

// earliest is the earlier of two moments, a zero one not counting.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// feedBatch is alerts read once, shared by every stream (never changed
// after they are handed out), and when the oldest of their notices arrived.
type feedBatch struct {
	alerts []alert.Shared
	since  time.Time
}

// feedSub is one stream's queue.
type feedSub struct {
	hub     *feedHub
	mu      sync.Mutex
	pending []feedBatch
	n       int       // alerts in pending
	closed  bool      // the watch ended, or the stream fell too far behind: it must end
	lost    time.Time // when the oldest notice of a batch dropped for it arrived
	wake    chan struct{}
}

// position is the stream's position while nothing is being sent: every
// notice that arrived before it has been sent.
func (s *feedSub) position() time.Time {
	s.mu.Lock()
	at := s.lost
	if len(s.pending) > 0 {
		at = earliest(at, s.pending[0].since)
	}
	s.mu.Unlock()
	return earliest(earliest(at, s.hub.unreadSince()), time.Now())
}

// feedBacklog is how many alerts may wait for one stream before newer ones
// are dropped for it (a bus watch holds 256 notices for its reader).
const feedBacklog = 4096

// feedRead bounds the alerts read in one query: notices that arrive while
// a read is under way are read together next.
const feedRead = 500

// feedPending bounds the notices waiting to be read (8 bytes each): past
// it, as past a bus watch's buffer, notices are dropped.
const feedPending = 1 << 16

func newAlertFeed(s *Server) *alertFeed {
	return &alertFeed{s: s,
		reads: s.Metrics.Counter("garda_alert_stream_reads_total",
			"Alerts read for this instance's alert streams (once for all of them), and the reads.", "what"),
		dropped: s.Metrics.Counter("garda_alert_stream_dropped_total",
			"Alerts not sent to an alert stream whose reader was too far behind (or not read: too many waiting).")}
}

// subscribe joins a stream to the feed, starting the watch if it is the
// first; when it returns, every change published from then on reaches the
// stream. leave must be called when the stream ends.
func (f *alertFeed) subscribe() (sub *feedSub, leave func(), err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hub == nil {
		// Not the request's context: the watch outlives the first stream.
		changes, cancel, err := live.Watch(context.Background(), f.s.Bus, alert.RecordKind)
		if err != nil {
			return nil, nil, err
		}
		f.hub = &feedHub{cancel: cancel, subs: map[*feedSub]struct{}{}, noticesWaking: make(chan struct{}, 1)}
		go f.run(f.hub, changes)
	}
	h := f.hub
	sub = &feedSub{hub: h, wake: make(chan struct{}, 1)}
	h.subs[sub] = struct{}{}
	return sub, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := h.subs[sub]; !ok {
			return
		}
		delete(h.subs, sub)
		if len(h.subs) == 0 && f.hub == h {
			f.hub = nil
			h.cancel()
		}
	}, nil
}

// run reads each batch of changed alerts once and hands it to every stream.
// The notices are taken off the bus watch at once, apart from the reads:
// a watch holds only a few hundred notices for its reader, and a burst
// arriving during a slow read would overflow it.
func (f *alertFeed) run(h *feedHub, changes <-chan live.Change) {
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for sub := range h.subs {
			sub.close()
		}
		h.subs = map[*feedSub]struct{}{}
		if f.hub == h {
			f.hub = nil
		}
	}()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for c := range changes {
			h.mu.Lock()
			if len(h.notices) < feedPending {
				if len(h.notices) == 0 {
					h.noticesSince = c.At
				}
				h.notices = append(h.notices, c.ID)
			} else {
				f.dropped.Inc()
			}
			h.mu.Unlock()
			select {
			case h.noticesWaking <- struct{}{}:
			default:
			}
		}
	}()
	for {
		last := false
		select {
		case <-h.noticesWaking:
		case <-ended:
			last = true
		}
		h.mu.Lock()
		ids, since := h.notices, h.noticesSince
		h.notices, h.noticesSince, h.readingSince = nil, time.Time{}, since
		h.mu.Unlock()
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for len(ids) > 0 {
			n := min(len(ids), feedRead)
			f.fanOut(h, ids[:n], since)
			ids = ids[n:]
		}
		h.mu.Lock()
		h.readingSince = time.Time{}
		h.mu.Unlock()
		if last {
			return
		}
	}
}

// fanOut reads changed alerts once and queues them for every stream; since
// is when the oldest of their notices arrived.
func (f *alertFeed) fanOut(h *feedHub, ids []int64, since time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	batch, err := alert.ReadShared(ctx, f.s.DB, ids)
	cancel()
	if err != nil {
		// As a stream's own read failing did: the notices are lost for
		// the streams, the alerts are stored (a reload shows them).
		f.s.Log.Warn("alert stream: changed alerts not read", "alerts", len(ids), "err", err)
		return
	}
	f.reads.Inc("reads")
	f.reads.Add(float64(len(batch)), "alerts")
	if len(batch) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range h.subs {
		if !sub.push(feedBatch{alerts: batch, since: since}) {
			f.dropped.Add(float64(len(batch)))
		}
	}
}

// push queues a batch for the stream, or reports false (dropped) when the
// stream is too far behind: it is then ended at the batch's position.
func (s *feedSub) push(b feedBatch) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if s.n+len(b.alerts) > feedBacklog {
		s.lost, s.closed = b.since, true
		s.mu.Unlock()
		s.signal()
		return false
	}
	s.pending = append(s.pending, b)
	s.n += len(b.alerts)
	s.mu.Unlock()
	s.signal()
	return true
}

func (s *feedSub) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *feedSub) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

// take returns what waits for the stream, and false when the stream must
// end once that is sent.
func (s *feedSub) take() ([]feedBatch, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending, s.n = nil, 0
	return out, !s.closed
}
