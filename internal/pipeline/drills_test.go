package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDetectorsRefuseTheOtherKind is the defence behind the drills'
// own stream: a batch marked as a drill's that reaches live detection
// (published onto the events stream by a fault) is refused for good,
// logged and counted, and raises nothing, whatever it holds; a mark that
// does not read is refused too. The drill detector likewise refuses real
// traffic on the drills stream, records only drill batches, and a run's
// batch once however often it comes.
func TestDetectorsRefuseTheOtherKind(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	b, newUser, portal := detectorSetup(t, db)
	a := portal(newUser(auth.NewUser{Username: "analis", Org: "kpu-32", Role: "analyst", Scope: "32"}))
	eng, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.New()
	var mu sync.Mutex
	var recorded []Batch
	live := &Detector{DB: db, Bus: b, Engine: eng, Log: slog.New(slog.DiscardHandler), Metrics: reg, Holder: "test", Decide: true}
	drills := &DrillDetector{DB: db, Bus: b, Engine: eng, Log: slog.New(slog.DiscardHandler), Metrics: reg, Holder: "test",
		Record: func(ctx context.Context, tx *store.Tx, bt Batch, sigs []alert.Signal) error {
			mu.Lock()
			defer mu.Unlock()
			recorded = append(recorded, bt)
			return nil
		}}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { defer func() { done <- struct{}{} }(); live.Run(dctx) }()
	go func() { defer func() { done <- struct{}{} }(); drills.Run(dctx) }()
	t.Cleanup(func() { stop(); <-done; <-done })

	// An SQL injection attempt from ip, as a batch's body.
	attack := func(ip string) []byte {
		var body strings.Builder
		for i := range 5 {
			fmt.Fprintf(&body, "%d\t%s - - [%s] \"GET /berita.php?id=1%%27%%20UNION%%20SELECT%%20username,password%%20FROM%%20users-- HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
				i+1, ip, time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"))
		}
		return []byte(body.String())
	}
	header := func(mark string) map[string][]string {
		h := map[string][]string{headerAsset: {itoa(a.ID)}, headerRegion: {"32"}, headerFormat: {"nginx"}}
		if mark != "" {
			h[headerDrill], h[headerPart], h[headerLast] = []string{mark}, []string{"1"}, []string{"1"}
		}
		return h
	}
	publish := func(k bus.Kind, ip, mark string) {
		t.Helper()
		m := bus.Msg{Subject: b.Subject(k, "p0", itoa(a.ID)), Data: attack(ip), Header: header(mark)}
		if _, err := b.PublishBatch(ctx, []bus.Msg{m}); err != nil {
			t.Fatal(err)
		}
	}
	// Onto the events stream's partition 0: two drills' batches, then a
	// real one (its alert says the partition's worker passed the others).
	publish(bus.Events, "203.0.113.21", "7")
	publish(bus.Events, "203.0.113.22", "not-a-run")
	publish(bus.Events, "203.0.113.23", "")
	// Onto the drills stream: real traffic, then a drill's batch twice (a
	// job that published the run again after the duplicate window), then
	// another run's (its record says the worker passed the others).
	publish(bus.Drills, "203.0.113.24", "")
	publish(bus.Drills, "203.0.113.25", "7")
	publish(bus.Drills, "203.0.113.25", "7")
	publish(bus.Drills, "203.0.113.26", "8")
	refused := reg.Counter("garda_detect_refused_batches_total", "", "detector")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(recorded)
		if n > 0 && recorded[n-1].Drill != 8 {
			n = 0
		}
		mu.Unlock()
		var alerts int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE source_ip = ?`, "203.0.113.23").Scan(&alerts); err != nil {
			t.Fatal(err)
		}
		if n > 0 && alerts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d drill batches recorded, %d real alerts", n, alerts)
		}
	}
	got := map[string]float64{}
	for _, s := range refused.Samples() {
		got[s.LabelValues[0]] = s.Value
	}
	if got["live"] != 2 || got["drills"] != 1 {
		t.Errorf("refused batches by detector: %v, want live 2, drills 1", got)
	}
	var leaked int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE source_ip IN (?, ?, ?, ?)`, "203.0.113.21", "203.0.113.22", "203.0.113.24", "203.0.113.25").
		Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d real alerts from drill batches or from traffic on the drills stream", leaked)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(recorded) != 2 || recorded[0].Drill != 7 || !recorded[0].Last || recorded[0].Part != 1 || len(recorded[0].Lines) != 5 {
		var got []string
		for _, bt := range recorded {
			got = append(got, fmt.Sprintf("run %d last %t lines %d", bt.Drill, bt.Last, len(bt.Lines)))
		}
		t.Errorf("the drill detector recorded %v, want drill run 7's one batch of 5 lines once, then run 8's", got)
	}
}
