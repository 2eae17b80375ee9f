package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// drillPoll is how often a room's drill streams ask what its running
// drills show (drillFeed: one poll a room, whatever its streams).
const drillPoll = time.Second

// drillCatchUp is how far before a returning browser's position the drill
// stream still counts a revealed alert as news: the replay may store an
// alert whose raise moment has already passed (a run at speed 0, or the
// job's minute), and a refresh too many costs one read of the state.
const drillCatchUp = time.Minute

// apiDrillStream sends an event "drill" each time the room's running
// drills reveal an alert (its raise moment came) or one is acknowledged,
// to those who read the room's internals (others: 404, as the room). An
// event carries no content: the wall and the drill page read their state
// again under their reader's visibility. Its id is the stream's position:
// the latest raise moment revealed (Unix ms); a browser returning with it
// (Last-Event-ID or ?last_event_id=) is sent an event at once when more
// was revealed since.
func (s *Server) apiDrillStream(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ctx := r.Context()
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	rm, err := room.Get(ctx, s.DB, *p, id)
	if err != nil {
		return err
	}
	if !rm.Internals {
		return problem.New(problem.NotFound, "no room %d", id)
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return problem.New(problem.Internal, "streaming is not supported here")
	}
	now := s.drillNow
	if now == nil {
		now = store.Now
	}
	// Joined before the first read: no change after it can be missed.
	changes, leave := s.drillFeed.subscribe(rm.ID)
	defer leave()
	shown, err := drill.ShownIn(ctx, s.DB, rm.ID, now())
	if err != nil {
		return err
	}
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}
	var position int64 // Unix ms
	returning, _ := strconv.ParseInt(lastID, 10, 64)
	position = max(returning, shown.Last.UnixMilli())
	if returning <= 0 && shown.Last.IsZero() {
		position = now().UnixMilli()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": garda drill stream\nid: %d\n\n", position)
	emit := func() {
		fmt.Fprintf(w, "event: drill\nid: %d\ndata: {}\n\n", position)
	}
	if returning > 0 && !shown.Last.IsZero() && shown.Last.UnixMilli() > returning-drillCatchUp.Milliseconds() {
		emit()
	}
	flusher.Flush()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.Stopping:
			return nil
		case <-heartbeat.C:
			if _, err := s.authenticateAPI(w, r); err != nil {
				return nil
			}
			fmt.Fprintf(w, ": keep-alive\nid: %d\n\n", position)
			flusher.Flush()
		case cur := <-changes:
			if cur.Same(shown) {
				continue
			}
			shown = cur
			position = max(position, cur.Last.UnixMilli())
			emit()
			flusher.Flush()
		}
	}
}
