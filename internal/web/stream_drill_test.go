package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/metrics"
)

type drillClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *drillClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *drillClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// runningDrill stores a drill made by the national admin and its run,
// running in the room since t0, and gives the run.
func runningDrill(t *testing.T, s *site, roomID int64, name string, t0 time.Time) (runID int64) {
	t.Helper()
	ctx := context.Background()
	var drillID int64
	if err := s.db.QueryRow(ctx, `INSERT INTO drills (name, source, expect_level, created_by, created_at) VALUES (?, 'simulated', 'national', ?, ?) RETURNING id`,
		name, principal(t, s, "bssn.admin").User.ID, t0).Scan(&drillID); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(ctx, `INSERT INTO drill_runs (drill_id, room_id, scheduled_at, started_at, status) VALUES (?, ?, ?, ?, 'running') RETURNING id`,
		drillID, roomID, t0, t0).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	return runID
}

// drillEvent is an event (or the first line's id) read off a stream.
type drillEvent struct {
	name string
	id   int64
}

// followDrills opens the room's drill stream as c's signed-in person and
// gives its events; the first is the stream's opening line (name "").
func followDrills(t *testing.T, ctx context.Context, c *client, path, lastID string) (<-chan drillEvent, int) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.URL(path), nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, res.StatusCode
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("drill stream: content type %q", ct)
	}
	t.Cleanup(func() { res.Body.Close() })
	ch := make(chan drillEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(res.Body)
		var ev drillEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "data: ") && ev.name != "" && strings.TrimPrefix(line, "data: ") != "{}":
				t.Errorf("drill stream carried content: %s", line)
			case line == "":
				if ev.name != "" || ev.id != 0 {
					ch <- ev
				}
				ev = drillEvent{}
			}
		}
	}()
	return ch, http.StatusOK
}

// TestDrillStream: on a fake clock, the room's drill stream says nothing
// while its running drill's alerts are not yet raised, one event when the
// first one's raise moment comes (its id that moment), one when it is
// acknowledged; a browser returning with the first id is told at once of
// the second, raised meanwhile; the run finished, one more. Another
// province's analyst gets 404, as for an unknown room.
func TestDrillStream(t *testing.T) {
	t0 := time.Date(2024, 2, 14, 1, 0, 0, 0, time.UTC)
	clock := &drillClock{t: t0}
	s := newSiteWith(t, Deps{drillNow: clock.Now, drillEvery: 5 * time.Millisecond})
	ids := roomIDs(t, s.db)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	runID := runningDrill(t, s, ids["32"], "Latihan injeksi", t0)
	first, second := t0.Add(90*time.Second), t0.Add(4*time.Minute)
	var firstID int64
	for i, at := range []time.Time{first, second} {
		var id int64
		if err := s.db.QueryRow(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, source_ip, event_count, first_seen, last_seen, raised_at)
			VALUES (?, 'http-sqli', 'SQL injection', 'high', ?, 3, ?, ?, ?) RETURNING id`, runID, fmt.Sprintf("203.0.113.%d", i+1), at, at, at).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstID = id
		}
	}
	path := fmt.Sprintf("/api/v1/rooms/%d/drills/stream", ids["32"])

	// Another province, and a reader of the room's state only: 404.
	if _, status := followDrills(t, ctx, s.as("jateng.analyst"), path, ""); status != http.StatusNotFound {
		t.Errorf("Central Java's analyst on West Java's drill stream: %d, want 404", status)
	}
	if _, status := followDrills(t, ctx, s.as("jateng.analyst"), fmt.Sprintf("/api/v1/rooms/%d/drills/stream", 999999), ""); status != http.StatusNotFound {
		t.Errorf("an unknown room's drill stream: %d, want 404", status)
	}

	jabar := s.as("jabar.analyst")
	// The wall and the drill page follow it.
	_, html := jabar.get(fmt.Sprintf("/ruang-operasi/%d/layar", ids["32"]))
	if !strings.Contains(html, path) {
		t.Error("the wall does not follow the room's drill stream")
	}
	_, html = jabar.get(fmt.Sprintf("/ruang-operasi/%d/diklat", ids["32"]))
	if !strings.Contains(html, `data-drill-live="`+path+`"`) || !strings.Contains(html, fmt.Sprintf(`data-drill-alerts="%d"`, runID)) {
		t.Error("the drill page does not follow the room's drill stream, or has no list to refresh")
	}
	events, status := followDrills(t, ctx, jabar, path, "")
	if status != http.StatusOK {
		t.Fatalf("West Java's analyst on the room's drill stream: %d", status)
	}
	next := func(what string) drillEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("%s: the stream ended", what)
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no event", what)
		}
		return drillEvent{}
	}
	quiet := func(what string) {
		t.Helper()
		// A hundred polls or more at 5 ms: nothing may come.
		select {
		case ev := <-events:
			t.Fatalf("%s: event %+v", what, ev)
		case <-time.After(600 * time.Millisecond):
		}
	}
	if ev := next("opening"); ev.name != "" || ev.id != t0.UnixMilli() {
		t.Fatalf("opening line: %+v, want the clock's moment %d", ev, t0.UnixMilli())
	}
	clock.Set(first.Add(-time.Second))
	quiet("a second before the first alert is raised")
	clock.Set(first)
	if ev := next("the first alert raised"); ev.name != "drill" || ev.id != first.UnixMilli() {
		t.Fatalf("first alert: %+v, want drill at %d", ev, first.UnixMilli())
	}
	clock.Set(first.Add(time.Minute))
	quiet("a minute later, nothing new")
	if _, err := s.db.Exec(ctx, `UPDATE drill_alerts SET status = 'acknowledged', acked_at = ? WHERE id = ?`, first.Add(time.Minute), firstID); err != nil {
		t.Fatal(err)
	}
	if ev := next("the first alert acknowledged"); ev.name != "drill" || ev.id != first.UnixMilli() {
		t.Fatalf("acknowledged: %+v", ev)
	}
	cancel() // the browser loses the stream

	// It returns after the second alert was raised, with the last id: told at once.
	clock.Set(second.Add(30 * time.Second))
	ctx2, cancel2 := context.WithCancel(context.Background())
	t.Cleanup(cancel2)
	events, _ = followDrills(t, ctx2, jabar, path, strconv.FormatInt(first.UnixMilli(), 10))
	if ev := next("reopened"); ev.name != "" || ev.id != second.UnixMilli() {
		t.Fatalf("reopened: %+v, want the position %d", ev, second.UnixMilli())
	}
	if ev := next("catch-up"); ev.name != "drill" || ev.id != second.UnixMilli() {
		t.Fatalf("catch-up: %+v, want drill at %d", ev, second.UnixMilli())
	}
	quiet("caught up")

	// The finished run shows nothing more: one event, the strip goes.
	if _, err := s.db.Exec(ctx2, `UPDATE drill_runs SET status = 'finished', finished_at = ? WHERE id = ?`, second.Add(time.Minute), runID); err != nil {
		t.Fatal(err)
	}
	if ev := next("finished"); ev.name != "drill" {
		t.Fatalf("finished: %+v", ev)
	}
}

// TestDrillStreamsShareAPoll: three streams open on one room are told by
// one poll of it (the feed holds one room with three streams), each gets
// the event when the alert is raised, and the poll ends with the last
// stream.
func TestDrillStreamsShareAPoll(t *testing.T) {
	t0 := time.Date(2024, 2, 14, 1, 0, 0, 0, time.UTC)
	clock := &drillClock{t: t0}
	reg := metrics.New()
	s := newSiteWith(t, Deps{drillNow: clock.Now, drillEvery: 5 * time.Millisecond, Metrics: reg})
	ids := roomIDs(t, s.db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runID := runningDrill(t, s, ids["32"], "Latihan bersama", t0)
	raised := t0.Add(time.Minute)
	if _, err := s.db.Exec(ctx, `INSERT INTO drill_alerts (run_id, scenario, title, severity, source_ip, event_count, first_seen, last_seen, raised_at)
		VALUES (?, 'http-sqli', 'SQL injection', 'high', '203.0.113.9', 3, ?, ?, ?)`, runID, raised, raised, raised); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/rooms/%d/drills/stream", ids["32"])
	var streams []<-chan drillEvent
	for _, who := range []string{"jabar.analyst", "jabar.analyst", "bssn.admin"} {
		events, status := followDrills(t, ctx, s.as(who), path, "")
		if status != http.StatusOK {
			t.Fatalf("%s on the room's drill stream: %d", who, status)
		}
		if ev := <-events; ev.name != "" {
			t.Fatalf("%s: opening line %+v", who, ev)
		}
		streams = append(streams, events)
	}
	watched := func() (rooms, streams string) {
		var b bytes.Buffer
		if err := reg.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if v, ok := strings.CutPrefix(l, "garda_drill_stream_rooms "); ok {
				rooms = v
			}
			if v, ok := strings.CutPrefix(l, "garda_drill_streams "); ok {
				streams = v
			}
		}
		return rooms, streams
	}
	if rooms, streams := watched(); rooms != "1" || streams != "3" {
		t.Fatalf("three streams on one room: %s rooms polled for %s streams, want 1 for 3", rooms, streams)
	}
	clock.Set(raised)
	for i, events := range streams {
		select {
		case ev := <-events:
			if ev.name != "drill" || ev.id != raised.UnixMilli() {
				t.Errorf("stream %d: %+v, want drill at %d", i, ev, raised.UnixMilli())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("stream %d: not told of the raised alert", i)
		}
	}
	cancel()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if rooms, _ := watched(); rooms == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the room's poll outlived its streams")
		}
	}
}
