package web

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIncidentStream follows the incident stream as two readers while a
// West Java analyst opens an incident and comments on it: the West Java
// analyst sees both changes, a Central Java viewer sees neither.
func TestIncidentStream(t *testing.T) {
	db := storetest.SQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := newAPIWorld(t, db)
	s, err := New(Deps{DB: db, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Close()
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)

	streams := map[string]chan string{}
	for _, user := range []string{"jabar.analyst", "jateng.viewer"} {
		req, _ := http.NewRequestWithContext(ctx, "GET", w.srv.URL+"/api/v1/incidents/stream", nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens[user])
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("%s stream: %v %v", user, err, res)
		}
		t.Cleanup(func() { res.Body.Close() })
		ch := make(chan string, 16)
		streams[user] = ch
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					ch <- d
				}
			}
		}()
	}

	var inc incident.Incident
	w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Deface situs KPU Jabar","severity":"high","region":"32"}`, 201, &inc)
	w.call("jabar.analyst", "POST", "/api/v1/incidents/"+inc.HumanID+"/comments", `{"body":"Halaman depan diganti, sedang dipulihkan"}`, 201, nil)

	seen := 0
	deadline := time.After(10 * time.Second)
	for seen < 2 {
		select {
		case d := <-streams["jabar.analyst"]:
			if !strings.Contains(d, `"human_id":"`+inc.HumanID+`"`) {
				t.Fatalf("stream data %s", d)
			}
			seen++
		case d := <-streams["jateng.viewer"]:
			t.Fatalf("Central Java viewer received a West Java incident: %s", d)
		case <-deadline:
			t.Fatalf("stream delivered %d of 2 changes", seen)
		}
	}
	// The viewer's stream stays quiet a moment longer: nothing leaked late.
	select {
	case d := <-streams["jateng.viewer"]:
		t.Fatalf("Central Java viewer received a West Java incident: %s", d)
	case <-time.After(300 * time.Millisecond):
	}
}
