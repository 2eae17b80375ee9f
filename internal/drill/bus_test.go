package drill

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/store"
)

// instance is what a garda serve that detects runs for drills: a bus
// (embedded, or GARDA_TEST_NATS's under a prefix of its own), live
// detection on the events stream's partitions, and the drill detector on
// the drills stream, both with the real engine and one metrics registry.
type instance struct {
	t       *testing.T
	db      *store.DB
	bus     *bus.Bus
	metrics *metrics.Registry
}

// newInstance starts one; external says on GARDA_TEST_NATS's server (the
// caller skips when it is not set).
func newInstance(t *testing.T, db *store.DB, eng *detect.Engine, external bool) *instance {
	t.Helper()
	ctx := context.Background()
	cfg := bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}
	if external {
		var b [5]byte
		rand.Read(b[:])
		cfg = bus.Config{URL: os.Getenv("GARDA_TEST_NATS"), Prefix: "T" + strings.ToUpper(hex.EncodeToString(b[:])), EventMaxBytes: 64 << 20}
	}
	b, err := bus.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if external {
			if err := b.DeleteStreams(context.Background()); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		b.Close()
	})
	in := &instance{t: t, db: db, bus: b, metrics: metrics.New()}
	log := slog.New(slog.DiscardHandler)
	live := &pipeline.Detector{DB: db, Bus: b, Engine: eng, Log: log, Metrics: in.metrics, Holder: "test", Decide: true}
	drills := &pipeline.DrillDetector{DB: db, Bus: b, Engine: eng, Log: log, Metrics: in.metrics, Holder: "test", Record: RecordBatch}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { defer func() { done <- struct{}{} }(); live.Run(dctx) }()
	go func() { defer func() { done <- struct{}{} }(); drills.Run(dctx) }()
	t.Cleanup(func() { stop(); <-done; <-done })
	return in
}

// runDue starts the runs due at now, as the drills job does, and waits
// until the drill detector has seen every started run's last batch.
func (in *instance) runDue(now time.Time) (int, error) {
	ctx := context.Background()
	began := time.Now()
	n, err := RunDue(ctx, in.db, in.bus, now)
	if err != nil {
		return n, err
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		left, err := Undetected(ctx, in.db)
		if err != nil {
			return n, err
		}
		if left == 0 {
			in.t.Logf("%d runs started and detected in %s", n, time.Since(began).Round(time.Millisecond))
			return n, nil
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%d drill runs not detected a minute after they started", left)
		}
	}
}

// counter is a counter's total over its series.
func (in *instance) counter(name string) float64 {
	var sum float64
	for _, s := range in.metrics.Counter(name, "").Samples() {
		sum += s.Value
	}
	return sum
}

// checkOverBus checks that runs went through the bus and nowhere else:
// the drills stream holds their batches, the drill detector inspected
// every event of their traffic, the events stream and live detection saw
// none of it, no batch was refused, and each run's alerts are those a
// replay of its traffic through the detection engine gives (scenario,
// source, count).
func (in *instance) checkOverBus(eng *detect.Engine, runs ...int64) {
	t, ctx := in.t, context.Background()
	t.Helper()
	var accepted int64
	for _, id := range runs {
		var drillID int64
		var reg string
		var started time.Time
		if err := in.db.QueryRow(ctx, `SELECT r.drill_id, m.region, r.started_at FROM drill_runs r JOIN rooms m ON m.id = r.room_id WHERE r.id = ?`, id).
			Scan(&drillID, &reg, &started); err != nil {
			t.Fatal(err)
		}
		d, err := getDrill(ctx, in.db, drillID)
		if err != nil {
			t.Fatal(err)
		}
		log, f, _, err := d.traffic(id, started)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.Replay(ctx, bytes.NewReader(log), detect.ReplayOptions{Format: f, Region: reg, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		accepted += res.Accepted
		var want, got []string
		for _, a := range res.Alerts {
			want = append(want, fmt.Sprintf("%s %s %d", a.Scenario, a.SourceIP, a.Count))
		}
		rows, err := in.db.Query(ctx, `SELECT scenario, source_ip, event_count FROM drill_alerts WHERE run_id = ?`, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err = store.Collect(rows, func(s store.Scanner) (string, error) {
			var sc, ip string
			var n int64
			err := s.Scan(&sc, &ip, &n)
			return fmt.Sprintf("%s %s %d", sc, ip, n), err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		slices.Sort(got)
		t.Logf("run %d: %d lines, %d alerts over the bus: %s", id, res.Lines, len(got), strings.Join(got, ", "))
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("run %d's drill alerts (scenario source count):\n%s\nthe engine's replay of its traffic:\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	drills, err := in.bus.StreamStats(ctx, bus.Drills)
	if err != nil {
		t.Fatal(err)
	}
	events, err := in.bus.StreamStats(ctx, bus.Events)
	if err != nil {
		t.Fatal(err)
	}
	if drills.Messages < uint64(len(runs)) {
		t.Errorf("the drills stream holds %d batches for %d runs", drills.Messages, len(runs))
	}
	if got := in.counter("garda_detect_drill_events_total"); got != float64(accepted) {
		t.Errorf("the drill detector inspected %.0f events of the runs' traffic, the replay %d", got, accepted)
	}
	if events.Messages != 0 || in.counter("garda_detect_events_total") != 0 {
		t.Errorf("the drill reached the events stream (%d messages) or live detection (%.0f events)", events.Messages, in.counter("garda_detect_events_total"))
	}
	t.Logf("drills stream: %d batches; drill detector: %.0f events; events stream: %d messages", drills.Messages, in.counter("garda_detect_drill_events_total"), events.Messages)
	if n := in.counter("garda_detect_refused_batches_total"); n != 0 {
		t.Errorf("%.0f batches refused", n)
	}
}
