package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/problem"
)

// serveChanges sends, as Server-Sent Events named kind, each record of that
// kind raised or changed from now on. render reads the record for this
// reader and returns its JSON, or false when the reader may not see it or
// it does not pass the reader's filters: visibility is decided afresh for
// every record and reader, never carried on the bus.
//
// Every event, and the stream's first line, carries as its id the moment
// it was sent (Unix milliseconds). A browser that loses the stream sends
// the last one back as Last-Event-ID when it reconnects, and is first sent
// the records changed since (a few seconds' margin: a record sent twice
// costs a row refresh), or an event "gap" when the bus no longer remembers
// that far back.
func (s *Server) serveChanges(w http.ResponseWriter, r *http.Request, p *auth.Principal, kind string, render func(id int64) ([]byte, bool)) error {
	if s.Bus == nil {
		return problem.New(problem.Unavailable, "live updates need the bus")
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return problem.New(problem.Internal, "streaming is not supported here")
	}
	ctx := r.Context()
	changes, cancel, err := live.Watch(ctx, s.Bus, kind)
	if err != nil {
		return err
	}
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": garda %s stream\nid: %d\n\n", kind, time.Now().UnixMilli())
	send := func(id int64) {
		if b, ok := render(id); ok {
			fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", kind, time.Now().UnixMilli(), b)
		}
	}
	// A page opening its stream says when it read its records
	// (?last_event_id=, as the header would), so what changed while it was
	// being sent is not lost either.
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}
	if last, err := strconv.ParseInt(lastID, 10, 64); err == nil && last > 0 {
		ids, complete, err := live.Since(ctx, s.Bus, kind, time.UnixMilli(last).Add(-catchUpMargin))
		if err != nil {
			s.Log.WarnContext(ctx, "stream catch-up failed", "kind", kind, "err", err)
		}
		for _, id := range ids {
			send(id)
		}
		if !complete || err != nil {
			fmt.Fprint(w, "event: gap\ndata: {}\n\n")
		}
	}
	flusher.Flush()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.Stopping: // a nil channel never fires
			return nil
		case <-heartbeat.C:
			// A revoked token, an ended session or a disabled account ends
			// the stream too.
			if _, err := s.authenticateAPI(w, r); err != nil {
				return nil
			}
			fmt.Fprintf(w, ": keep-alive\nid: %d\n\n", time.Now().UnixMilli())
			flusher.Flush()
		case id, ok := <-changes:
			if !ok {
				return nil
			}
			send(id)
			flusher.Flush()
		}
	}
}

// catchUpMargin is how far before a returning browser's last event the
// catch-up starts: changes still on their way when it was sent.
const catchUpMargin = 5 * time.Second
