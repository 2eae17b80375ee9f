package web

import (
	"context"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/store"
)

// drillFeed shares among the drill streams open on one room one poll of
// what its running drills show (drill.ShownIn), once a drill poll period:
// a drill alert is revealed when its raise moment comes, with no write and
// so no notice on the bus then, so it must be asked for. Before it each
// stream asked for itself, two reads a second each; a room's wall on the
// big screen, its operators' desks and the drill page are several streams
// on the same room.
type drillFeed struct {
	s     *Server
	reads *metrics.Counter // the polls made for the drill streams

	mu    sync.Mutex
	rooms map[int64]*drillRoom // rooms with a stream open
}

// drillRoom is one room's poll and the streams it tells.
type drillRoom struct {
	stop chan struct{}
	subs map[chan drill.Shown]struct{}
}

func newDrillFeed(s *Server) *drillFeed {
	f := &drillFeed{s: s, rooms: map[int64]*drillRoom{},
		reads: s.Metrics.Counter("garda_drill_stream_reads_total",
			"Polls of what a room's running drills show, made once for all the drill streams open on the room.")}
	s.Metrics.GaugeFunc("garda_drill_stream_rooms", "Rooms whose drills are polled for the drill streams open here.", func() float64 {
		rooms, _ := f.open()
		return float64(rooms)
	})
	s.Metrics.GaugeFunc("garda_drill_streams", "Drill streams open here.", func() float64 {
		_, streams := f.open()
		return float64(streams)
	})
	return f
}

// open counts the rooms polled and the streams they tell.
func (f *drillFeed) open() (rooms, streams int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rm := range f.rooms {
		streams += len(rm.subs)
	}
	return len(f.rooms), streams
}

// subscribe joins a stream to the room's poll, starting it for the room's
// first stream; from its return on, each change of what the room's drills
// show reaches the channel (the latest one, if the stream was slow to take
// the one before). leave must be called when the stream ends.
func (f *drillFeed) subscribe(roomID int64) (changes <-chan drill.Shown, leave func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rm := f.rooms[roomID]
	if rm == nil {
		rm = &drillRoom{stop: make(chan struct{}), subs: map[chan drill.Shown]struct{}{}}
		f.rooms[roomID] = rm
		go f.poll(roomID, rm)
	}
	ch := make(chan drill.Shown, 1)
	rm.subs[ch] = struct{}{}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(rm.subs, ch)
		if len(rm.subs) == 0 && f.rooms[roomID] == rm {
			delete(f.rooms, roomID)
			close(rm.stop)
		}
	}
}

// poll reads what the room's drills show each period and hands each
// change to the room's streams, until the last one leaves or the instance
// stops.
func (f *drillFeed) poll(roomID int64, rm *drillRoom) {
	now, every := f.s.drillNow, f.s.drillEvery
	if now == nil {
		now = store.Now
	}
	if every <= 0 {
		every = drillPoll
	}
	// Not a request's context: the poll outlives the first stream.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-rm.stop:
		case <-f.s.Stopping:
		}
		cancel()
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last drill.Shown
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur, err := drill.ShownIn(ctx, f.s.DB, roomID, now())
		f.reads.Inc()
		if err != nil {
			if ctx.Err() == nil {
				f.s.Log.WarnContext(ctx, "drill stream: read failed", "room", roomID, "err", err)
			}
			continue
		}
		if cur.Same(last) {
			continue
		}
		last = cur
		f.mu.Lock()
		for ch := range rm.subs {
			select { // the latest change replaces one the stream has not taken
			case <-ch:
			default:
			}
			ch <- cur
		}
		f.mu.Unlock()
	}
}
