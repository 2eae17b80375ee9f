package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/lease"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/store"
)

// DrillLease is the lease (and the durable consumer) of drill detection:
// one instance at a time detects every drill.
const DrillLease = "detect-drills"

// idleRun is how long a run's shard is kept without a batch: a run whose
// last batch never comes (its publisher died) does not hold it for ever.
const idleRun = time.Hour

// DrillDetector detects over drills' traffic as live detection does: the
// same detection (detectBatch: parse, inspect, a shard's windows in
// order), fed from the drills stream, never the events stream, and with
// one output, Record, which keeps the signals as the run's drill alerts.
// It writes no alert, tells no live view, makes no decision and no
// sighting. One instance holds it at a time (the lease DrillLease), with
// one ordered worker and a shard per run.
type DrillDetector struct {
	DB  *store.DB
	Bus *bus.Bus
	// Engine detects; nil: one is built from Options at the first drill
	// batch (building one costs seconds and memory an instance without
	// drills need not spend). It must have no stage acting outside
	// detection (live detection's indicator matcher records sightings).
	Engine  *detect.Engine
	Options detect.Options
	Log     *slog.Logger
	Metrics *metrics.Registry
	Holder  string
	// Record stores a drill batch's signals as its run's alerts, in the
	// transaction that marks the batch detected; bt.Last says it is the
	// run's last batch. An error marked bus.Permanent drops the batch (its
	// run is gone); any other is retried.
	Record func(ctx context.Context, tx *store.Tx, bt Batch, sigs []alert.Signal) error

	in       *detect.Inspector
	shards   map[int64]*runShard
	events   *metrics.Counter
	rejected *metrics.Counter
	refused  *metrics.Counter
}

type runShard struct {
	shard *detect.Shard
	used  time.Time
}

// Run holds the drills' lease when it can and detects while it does,
// until ctx ends.
func (d *DrillDetector) Run(ctx context.Context) error {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Metrics != nil {
		d.events = d.Metrics.Counter("garda_detect_drill_events_total", "Events of drills' traffic inspected by drill detection.")
		d.rejected = d.Metrics.Counter("garda_detect_rejected_lines_total", "Lines on the bus that their format could not read, by format and reason.", "format", "reason")
		d.refused = refusedCounter(d.Metrics)
	}
	tick := time.NewTicker(leaseRenew)
	defer tick.Stop()
	var stop func()
	var heldTill time.Time
	for {
		held, err := lease.Acquire(ctx, d.DB, DrillLease, d.Holder, leaseTTL)
		switch {
		case err != nil:
			// Ours until it runs out, as the partitions' leases.
			if ctx.Err() == nil {
				d.Log.Warn("drill detection lease", "err", err)
			}
			held = time.Now().Before(heldTill)
		case held:
			heldTill = time.Now().Add(leaseTTL - leaseRenew)
		}
		switch {
		case held && stop == nil:
			// A new holder starts with fresh shards, as a partition does.
			d.shards = map[int64]*runShard{}
			if stop, err = d.Bus.Consume(ctx, bus.Drills, DrillLease, d.Bus.Subjects(bus.Drills), d.handle,
				bus.WithWorkers(1), bus.WithMaxAckPending(64)); err != nil {
				stop = nil
				d.Log.Error("start drill detection", "err", err)
				lease.Release(ctx, d.DB, DrillLease, d.Holder)
			} else {
				d.Log.Info("drill detection taken", "holder", d.Holder)
			}
		case !held && stop != nil:
			stop()
			stop = nil
			d.Log.Info("drill detection handed over")
		}
		select {
		case <-ctx.Done():
			if stop != nil {
				stop()
				lease.Release(context.Background(), d.DB, DrillLease, d.Holder)
			}
			return nil
		case <-tick.C:
		}
	}
}

// drillMarks names a run's batches in the detect_done marks (with their
// places in the run as sequence numbers).
func drillMarks(b *bus.Bus, run int64) string {
	return b.StreamName(bus.Drills) + "/" + strconv.FormatInt(run, 10)
}

// handle detects over one drill batch and has Record keep what it found;
// the message is acknowledged only after that is stored.
func (d *DrillDetector) handle(ctx context.Context, m bus.Msg) error {
	if d.Engine == nil {
		eng, err := detect.New(d.Options)
		if err != nil {
			return fmt.Errorf("drill detection engine: %w", err)
		}
		d.Engine = eng
	}
	if d.in == nil {
		d.in, d.shards = d.Engine.NewInspector(), map[int64]*runShard{}
	}
	now := time.Now()
	bt, sigs, n, err := detectBatch(m, true, d.in, func(bt Batch) (*detect.Shard, error) {
		// A run's batch is marked done by its place in the run, not its
		// place on the stream: delivered again, or published again by a
		// job that retried the run, it is counted once.
		if done, _, err := isDone(ctx, d.DB, drillMarks(d.Bus, bt.Drill), uint64(bt.Part)); err != nil {
			return nil, err
		} else if done {
			d.Log.Info("drill batch already detected; not counted again", "seq", m.Seq, "drill", bt.Drill, "part", bt.Part)
			return nil, errAlreadyDone
		}
		rs := d.shards[bt.Drill]
		if rs == nil {
			rs = &runShard{shard: d.Engine.NewShard()}
			d.shards[bt.Drill] = rs
		}
		rs.used = now
		return rs.shard, nil
	}, d.rejected)
	if errors.Is(err, errAlreadyDone) {
		return nil
	} else if err != nil {
		if errors.Is(err, errDrillRefused) {
			d.Log.Error("real traffic on the drills stream: refused", "seq", m.Seq, "subject", m.Subject)
			if d.refused != nil {
				d.refused.Inc("drills")
			}
		}
		return err
	}
	if d.events != nil {
		d.events.Add(float64(n))
	}
	// The run's shard has counted these events: storing is retried here
	// rather than the message coming back (as in live detection).
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		err = d.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := markDone(ctx, tx, drillMarks(d.Bus, bt.Drill), uint64(bt.Part), []int64{}); err != nil {
				return err
			}
			return d.Record(ctx, tx, bt, sigs)
		})
		if err == nil || errors.Is(err, errAlreadyDone) {
			break
		}
		if bus.IsPermanent(err) {
			delete(d.shards, bt.Drill)
			return err
		}
		d.Log.Warn("drill alerts not stored yet; retrying", "drill", bt.Drill, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	if bt.Last {
		delete(d.shards, bt.Drill)
	}
	for run, rs := range d.shards {
		if now.Sub(rs.used) > idleRun {
			delete(d.shards, run)
		}
	}
	return nil
}
