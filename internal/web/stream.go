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
func (s *Server) serveChanges(w http.ResponseWriter, r *http.Request, p *auth.Principal, kind string, render func(id int64) ([]byte, bool)) error {
	flusher, err := s.streamable(w)
	if err != nil {
		return err
	}
	watched := time.Now()
	changes, cancel, err := live.Watch(r.Context(), s.Bus, kind)
	if err != nil {
		return err
	}
	defer cancel()
	sendAll := func(ids []int64, emit func([]byte)) bool {
		for _, id := range ids {
			if b, ok := render(id); ok {
				emit(b)
			}
		}
		return true
	}
	// The stream's position: the notice being sent, or the last one sent
	// while others wait, or now when none waits.
	var sending time.Time
	sent := watched
	position := func() time.Time {
		switch {
		case !sending.IsZero():
			return sending
		case len(changes) > 0:
			return sent
		}
		return time.Now()
	}
	return serveStream(s, w, flusher, r, kind, changes, position, func(c live.Change, emit func([]byte)) bool {
		sending = c.At
		sendAll([]int64{c.ID}, emit)
		sent, sending = c.At, time.Time{}
		return true
	}, sendAll)
}

// streamable checks that a live stream can be served here.
func (s *Server) streamable(w http.ResponseWriter) (http.Flusher, error) {
	if s.Bus == nil {
		return nil, problem.New(problem.Unavailable, "live updates need the bus")
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return nil, problem.New(problem.Internal, "streaming is not supported here")
	}
	return flusher, nil
}

// serveStream is a live stream's loop, whatever feeds it: it sends the
// first line, the catch-up a returning browser asks for (catchUp sends
// the records of those ids, false when it could not: the browser is told
// of a gap, and reloads), then, each time events gives something,
// what deliver sends, until the request, the instance or the feed ends
// (events closed, or deliver reporting false), with a keep-alive every
// 15 s that also checks the reader is still signed in.
//
// Every event and keep-alive, and the first line, carries as its id the
// stream's position (Unix milliseconds): every change noticed before it
// has been sent. position gives it; it lags the clock while changes wait
// to be read or sent, so a browser that loses the stream and sends the
// last id back as Last-Event-ID is first sent what changed since (a few
// seconds' margin: a record sent twice costs a row refresh), or an event
// "gap" when the bus no longer remembers that far back. During that
// catch-up the position stays where the browser was.
func serveStream[E any](s *Server, w http.ResponseWriter, flusher http.Flusher, r *http.Request, kind string, events <-chan E,
	position func() time.Time, deliver func(e E, emit func([]byte)) bool, catchUp func(ids []int64, emit func([]byte)) bool) error {
	ctx := r.Context()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A page opening its stream says when it read its records
	// (?last_event_id=, as the header would), so what changed while it was
	// being sent is not lost either.
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("last_event_id")
	}
	var returning time.Time // the browser's position while it catches up
	if last, err := strconv.ParseInt(lastID, 10, 64); err == nil && last > 0 {
		returning = time.UnixMilli(last)
	}
	id := func() int64 {
		if !returning.IsZero() {
			return returning.UnixMilli()
		}
		return position().UnixMilli()
	}
	fmt.Fprintf(w, ": garda %s stream\nid: %d\n\n", kind, id())
	emit := func(b []byte) {
		fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", kind, id(), b)
	}
	if !returning.IsZero() {
		ids, complete, err := live.Since(ctx, s.Bus, kind, returning.Add(-catchUpMargin))
		if err != nil {
			s.Log.WarnContext(ctx, "stream catch-up failed", "kind", kind, "err", err)
		}
		if !catchUp(ids, emit) || !complete || err != nil {
			fmt.Fprint(w, "event: gap\ndata: {}\n\n")
		}
		returning = time.Time{}
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
			fmt.Fprintf(w, ": keep-alive\nid: %d\n\n", id())
			flusher.Flush()
		case e, ok := <-events:
			if !ok || !deliver(e, emit) {
				return nil
			}
			flusher.Flush()
		}
	}
}

// catchUpMargin is how far before a returning browser's last event the
// catch-up starts: changes still on their way when it was sent.
const catchUpMargin = 5 * time.Second
