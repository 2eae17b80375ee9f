package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// serve replaces the world's server with one built from d, on the world's
// database.
func (w *apiWorld) serve(d Deps) {
	w.t.Helper()
	d.DB = w.db
	s, err := New(d)
	if err != nil {
		w.t.Fatal(err)
	}
	w.srv.Close()
	w.srv = httptest.NewServer(s.Handler())
	w.t.Cleanup(w.srv.Close)
}

// newBusWorld is an API world whose server has an embedded bus.
func newBusWorld(t *testing.T, db *store.DB) (*apiWorld, *bus.Bus) {
	t.Helper()
	b, err := bus.Open(context.Background(), bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := newAPIWorld(t, db)
	w.serve(Deps{Bus: b})
	return w, b
}

// follow opens an event stream as user and delivers each event's data.
func (w *apiWorld) follow(ctx context.Context, user, path string) <-chan string {
	w.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", w.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		w.t.Fatalf("%s %s: %v %v", user, path, err, res)
	}
	w.t.Cleanup(func() { res.Body.Close() })
	ch := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				ch <- d
			}
		}
	}()
	return ch
}

// TestStreamsEndWhenStopping: an instance that shuts down ends its live
// streams at once, so browsers reconnect (elsewhere) instead of holding the
// shutdown open.
func TestStreamsEndWhenStopping(t *testing.T) {
	w, b := newBusWorld(t, storetest.SQLite(t))
	stopping := make(chan struct{})
	w.serve(Deps{Bus: b, Stopping: stopping})
	ended := map[string]chan error{}
	for _, path := range []string{"/api/v1/incidents/stream", "/api/v1/alerts/stream"} {
		req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens["jabar.analyst"])
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, res)
		}
		defer res.Body.Close()
		ch := make(chan error, 1)
		ended[path] = ch
		go func() { _, err := io.Copy(io.Discard, res.Body); ch <- err }()
	}
	time.Sleep(200 * time.Millisecond)
	for path, ch := range ended {
		select {
		case <-ch:
			t.Fatalf("%s ended before the instance stopped", path)
		default:
		}
	}
	close(stopping)
	for path, ch := range ended {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still open after the instance began to stop", path)
		}
	}
}
