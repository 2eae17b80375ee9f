package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/source"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestPatrolStream: an item an agency's tool posts reaches the live queue
// of its organisation's analyst, and not BSSN's (AMBER, another lineage);
// a label changes the row in place.
func TestPatrolStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db := storetest.SQLite(t)
	w, b := newBusWorld(t, db)
	runner := &source.Runner{DB: db, Pipeline: &patrol.Pipeline{}, Saver: patrol.Saver{DB: db}, Policy: fetch.LoopbackOnly()}
	runner.OnItem = func(id int64) { live.Notify(context.Background(), b, nil, PatrolItemKind, id) }
	w.serve(Deps{Bus: b, Patrol: runner})
	mine := w.follow(ctx, "kpu.analyst", "/api/v1/patrol/items/stream?platform=telegram")
	theirs := w.follow(ctx, "bssn.analyst", "/api/v1/patrol/items/stream")

	var out struct {
		Items []patrol.Saved `json:"items"`
	}
	w.call("kpu.analyst", "POST", "/api/v1/patrol/items", `{"items":[{"url":"https://t.me/kanal/9","text":"Pemilu diundur"},{"url":"https://x.com/a/status/1","text":"lain"}]}`, 201, &out)
	w.call("kpu.analyst", "POST", "/api/v1/patrol/items/"+strconv.FormatInt(out.Items[0].ID, 10)+"/label", `{"label":"hoaks"}`, 200, nil)
	seen := 0
	deadline := time.After(10 * time.Second)
	for seen < 2 {
		select {
		case d := <-mine:
			if !strings.Contains(d, `"platform":"telegram"`) {
				t.Fatalf("the queue filtered on telegram got %s", d)
			}
			seen++
		case d := <-theirs:
			t.Fatalf("BSSN received an AMBER item of KPU: %s", d)
		case <-deadline:
			t.Fatalf("stream delivered %d of 2 changes", seen)
		}
	}
	select {
	case d := <-theirs:
		t.Fatalf("BSSN received an AMBER item of KPU: %s", d)
	case d := <-mine:
		t.Fatalf("an item outside the filter: %s", d)
	case <-time.After(300 * time.Millisecond):
	}
}
