package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestAlertStreamFanout: a burst of 600 alerts reaches 100 streams on one
// instance, each sent every alert its reader may see and nothing else,
// with the asset's name only where the reader may read the asset; and the
// instance reads each alert once for all of them. Before the streams
// shared their reads (alertFeed) each read every alert itself and fell so
// far behind that its bus watch dropped most of the burst.
func TestAlertStreamFanout(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w, b := newBusWorld(t, db)
	tree, _ := org.Load(ctx, db)
	u, _ := auth.UserByName(ctx, db, "bandung.analyst")
	p, _ := auth.PrincipalOf(u, tree)
	name, kind, reg := "KPU Bandung", "site", "32.04"
	site, err := asset.Create(ctx, db, p, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}

	// Who sees the AMBER alert of Bandung's AMBER site: the owner's
	// parent (KPU Jabar) with its name; BSSN and the province's operation
	// room (participants of every alert) without it; Central Java nothing.
	type who struct {
		user      string
		streams   int
		sees      bool
		assetName bool
	}
	readers := []who{{"jabar.analyst", 20, true, true}, {"bssn.analyst", 30, true, false},
		{"diskominfo.jabar", 30, true, false}, {"jateng.viewer", 20, false, false}}
	type tally struct {
		mu        sync.Mutex
		ids       map[int64]bool
		withAsset int
		bad       string
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tallies []*tally
	var whose []who
	for _, r := range readers {
		for range r.streams {
			tl := &tally{ids: map[int64]bool{}}
			tallies, whose = append(tallies, tl), append(whose, r)
			req, _ := http.NewRequestWithContext(sctx, "GET", w.srv.URL+"/api/v1/alerts/stream", nil)
			req.Header.Set("Authorization", "Bearer "+w.tokens[r.user])
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("%s: stream: %v %v", r.user, err, res)
			}
			t.Cleanup(func() { res.Body.Close() })
			go func() {
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					d, ok := strings.CutPrefix(sc.Text(), "data: ")
					if !ok {
						continue
					}
					var a alert.Alert
					if err := json.Unmarshal([]byte(d), &a); err != nil {
						tl.mu.Lock()
						tl.bad = d
						tl.mu.Unlock()
						continue
					}
					tl.mu.Lock()
					tl.ids[a.ID] = true
					if a.Asset != "" {
						tl.withAsset++
					}
					tl.mu.Unlock()
				}
			}()
		}
	}

	const burst = 600
	var sigs []alert.Signal
	for i := range burst {
		sigs = append(sigs, alert.Signal{Scenario: "http-sqli", Title: "SQL injection attempt", Severity: "high", Technique: "T1190",
			SourceIP: fmt.Sprintf("103.9.%d.%d", i/250, 1+i%250), AssetID: site.ID, Time: time.Now().UTC(), Count: 1,
			Fields: map[string]string{"url.original": "/?id=1'--"}})
	}
	created, _, err := alert.Record(ctx, db, sigs)
	if err != nil || len(created) != burst {
		t.Fatalf("record: %d alerts, %v", len(created), err)
	}
	alert.Notify(ctx, b, nil, created...)

	complete := func() bool {
		for i, tl := range tallies {
			tl.mu.Lock()
			n := len(tl.ids)
			tl.mu.Unlock()
			if whose[i].sees && n < burst {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(60 * time.Second); !complete() && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	time.Sleep(500 * time.Millisecond) // anything sent where it must not be has arrived
	short := 0
	for i, tl := range tallies {
		r := whose[i]
		tl.mu.Lock()
		got, named, bad := len(tl.ids), tl.withAsset, tl.bad
		tl.mu.Unlock()
		switch {
		case bad != "":
			t.Errorf("%s: stream sent %q", r.user, bad)
		case !r.sees && got > 0:
			t.Errorf("%s was sent %d alerts it may not read", r.user, got)
		case r.sees && got < burst:
			short++
			if short <= 3 {
				t.Errorf("a stream of %s was sent %d of %d alerts", r.user, got, burst)
			}
		case r.assetName && named != got:
			t.Errorf("%s reads the site but was given its name on %d of %d alerts", r.user, named, got)
		case !r.assetName && named > 0:
			t.Errorf("%s may not read the site but was given its name on %d alerts", r.user, named)
		}
	}
	if short > 3 {
		t.Errorf("%d streams in all were sent less than the burst", short)
	}

	// One read of each alert for every stream on the instance.
	res, err := http.Get(w.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	read := -1.0
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, `garda_alert_stream_reads_total{what="alerts"} `); ok {
			read, _ = strconv.ParseFloat(v, 64)
		}
	}
	if read < burst || read > 2*burst {
		t.Errorf("the instance read %.0f alerts for 100 streams and %d alerts (want each once: %d; -1: not counted)", read, burst, burst)
	}
}

// TestFeedPositionLagsWhatWaits: an alert stream's position (the id a
// browser returns with) never passes a notice that arrived and was not
// sent, whether it waits to be read, waits in the stream's queue, or was
// dropped because the stream fell too far behind. The position was the
// moment of sending: a stream killed while its feed lagged more than the
// catch-up margin lost the alerts in between (the cluster's kill-instance
// fault, under the race detector on a busy machine).
func TestFeedPositionLagsWhatWaits(t *testing.T) {
	h := &feedHub{subs: map[*feedSub]struct{}{}}
	sub := &feedSub{hub: h, wake: make(chan struct{}, 1)}
	now := time.Now()
	near := func(got, want time.Time) bool { return got.Sub(want).Abs() < 50*time.Millisecond }
	if at := sub.position(); !near(at, now) {
		t.Fatalf("with nothing waiting the position is now, got %s ago", now.Sub(at))
	}
	unread := now.Add(-40 * time.Second)
	h.notices, h.noticesSince = []int64{7}, unread
	if at := sub.position(); !at.Equal(unread) {
		t.Errorf("a notice waiting to be read: position %s ago, want 40s", now.Sub(at))
	}
	h.notices, h.noticesSince, h.readingSince = nil, time.Time{}, now.Add(-30*time.Second)
	if at := sub.position(); !at.Equal(h.readingSince) {
		t.Errorf("a notice being read: position %s ago, want 30s", now.Sub(at))
	}
	h.readingSince = time.Time{}
	queued := now.Add(-20 * time.Second)
	if !sub.push(feedBatch{alerts: make([]alert.Shared, 1), since: queued}) {
		t.Fatal("a batch within the backlog was refused")
	}
	if at := sub.position(); !at.Equal(queued) {
		t.Errorf("a batch in the stream's queue: position %s ago, want 20s", now.Sub(at))
	}
	batches, open := sub.take()
	if len(batches) != 1 || !open {
		t.Fatalf("take: %d batches, open %v", len(batches), open)
	}
	dropped := now.Add(-10 * time.Second)
	if sub.push(feedBatch{alerts: make([]alert.Shared, feedBacklog+1), since: dropped}) {
		t.Fatal("a batch past the backlog was queued")
	}
	if at := sub.position(); !at.Equal(dropped) {
		t.Errorf("after a dropped batch: position %s ago, want 10s", now.Sub(at))
	}
	if _, open := sub.take(); open {
		t.Error("a stream that lost a batch goes on: its browser would not come back for it")
	}
}
