package patrol_test

import (
	"context"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/web"
	patrolpages "github.com/garda-id/garda/internal/web/patrol"
	"github.com/garda-id/garda/internal/web/webtest"
	"log/slog"
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
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	runner := &source.Runner{DB: db, Pipeline: &patrol.Pipeline{}, Saver: patrol.Saver{DB: db}, Policy: fetch.LoopbackOnly()}
	runner.OnItem = func(id int64) { live.Notify(context.Background(), b, nil, patrolpages.ItemKind, id) }
	w := webtest.NewAPIWorld(t, db, web.Deps{Bus: b, Patrol: runner}.Handler)
	mine := follow(ctx, w, "kpu.analyst", "/api/v1/patrol/items/stream?platform=telegram")
	theirs := follow(ctx, w, "bssn.analyst", "/api/v1/patrol/items/stream")

	var out struct {
		Items []patrol.Saved `json:"items"`
	}
	w.Call("kpu.analyst", "POST", "/api/v1/patrol/items", `{"items":[{"url":"https://t.me/kanal/9","text":"Pemilu diundur"},{"url":"https://x.com/a/status/1","text":"lain"}]}`, 201, &out)
	w.Call("kpu.analyst", "POST", "/api/v1/patrol/items/"+strconv.FormatInt(out.Items[0].ID, 10)+"/label", `{"label":"hoaks"}`, 200, nil)
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
