package web

import (
	"fmt"
	"net/http"
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
	fmt.Fprintf(w, ": garda %s stream\n\n", kind)
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
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case id, ok := <-changes:
			if !ok {
				return nil
			}
			b, ok := render(id)
			if !ok {
				continue
			}
			fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", kind, id, b)
			flusher.Flush()
		}
	}
}
