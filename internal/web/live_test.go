package web

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store"
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
