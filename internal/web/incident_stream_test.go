package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIncidentStream follows the incident stream as two readers while a
// West Java analyst opens an incident and comments on it: the West Java
// analyst sees both changes, a Central Java viewer sees neither.
func TestIncidentStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, _ := newBusWorld(t, storetest.SQLite(t))
	streams := map[string]<-chan string{}
	for _, user := range []string{"jabar.analyst", "jateng.viewer"} {
		streams[user] = w.follow(ctx, user, "/api/v1/incidents/stream")
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
