package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
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
	w.Serve(d.Handler)
	w.srv = w.Srv
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

// TestStreamCatchUp: a browser coming back with Last-Event-ID is sent the
// records changed since (under its own visibility), and "gap" when the bus
// no longer remembers that far.
func TestStreamCatchUp(t *testing.T) {
	w, _ := newBusWorld(t, storetest.SQLite(t))
	mark := time.Now().UnixMilli()
	var inc struct {
		ID      int64  `json:"id"`
		HumanID string `json:"human_id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Deface saat sambungan putus","region":"32"}`, 201, &inc)

	// open reads a stream sent Last-Event-ID until quiet, as "event|data" lines.
	open := func(user string, last int64) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", w.srv.URL+"/api/v1/incidents/stream", nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens[user])
		req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("stream as %s: %v %v", user, err, res)
		}
		defer res.Body.Close()
		var out []string
		event := ""
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(line, "event: "); ok {
				event = e
			} else if d, ok := strings.CutPrefix(line, "data: "); ok {
				out = append(out, event+"|"+d)
			}
		}
		return out
	}
	got := open("jabar.analyst", mark)
	if len(got) != 1 || !strings.HasPrefix(got[0], "incident|") || !strings.Contains(got[0], inc.HumanID) {
		t.Fatalf("catch-up for West Java: %q", got)
	}
	if got := open("jateng.viewer", mark); len(got) != 0 {
		t.Fatalf("catch-up for Central Java: %q", got)
	}
	if got := open("jabar.analyst", time.Now().Add(-48*time.Hour).UnixMilli()); len(got) == 0 || got[len(got)-1] != "gap|{}" {
		t.Fatalf("catch-up from beyond the bus's memory: %q", got)
	}
}
