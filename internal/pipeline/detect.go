package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/lease"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/store"
)

// Lease timing: a partition's holder renews every leaseRenew; an instance
// that stops renewing loses it after leaseTTL.
const (
	leaseTTL   = 20 * time.Second
	leaseRenew = 5 * time.Second
)

// Evidence fields naming the batch an event came in and its sender.
const (
	EvidenceBatch  = "garda.batch"
	EvidenceSender = "garda.sender"
)

// Detector runs live detection: it holds the leases of as many partitions
// as it can and consumes each held partition's events in order.
type Detector struct {
	DB      *store.DB
	Bus     *bus.Bus
	Engine  *detect.Engine
	Log     *slog.Logger
	Metrics *metrics.Registry
	Holder  string          // this instance's name in the lease table
	Decide  bool            // turn new alerts into decisions by the scenario policy
	Rules   *decision.Rules // that policy; nil: the built-in one
	// Sightings, when set, runs in the transaction that stores a batch's
	// alerts, told the batch's signals and the alerts they made or joined
	// (match.SightAlerts: a known indicator's hits become sightings that
	// name their alert, stored once with it).
	Sightings func(ctx context.Context, tx *store.Tx, sigs []alert.Signal, alerts []int64) error

	mu       sync.Mutex
	running  map[int]func() // partition -> stop
	heldTill map[int]time.Time
	events   *metrics.Counter
	alerts   *metrics.Counter
	rejected *metrics.Counter
	refused  *metrics.Counter
}

// Run takes and keeps partitions until ctx ends, then gives them back.
func (d *Detector) Run(ctx context.Context) error {
	d.running, d.heldTill = map[int]func(){}, map[int]time.Time{}
	if d.Metrics != nil {
		d.events = d.Metrics.Counter("garda_detect_events_total", "Events inspected by live detection.")
		d.alerts = d.Metrics.Counter("garda_detect_alerts_total", "Alerts raised by live detection, by scenario.", "scenario")
		d.rejected = d.Metrics.Counter("garda_detect_rejected_lines_total", "Lines on the bus that their format could not read, by format and reason.", "format", "reason")
		d.refused = refusedCounter(d.Metrics)
	}
	tick := time.NewTicker(leaseRenew)
	defer tick.Stop()
	var pruned time.Time
	for {
		d.balance(ctx)
		if time.Since(pruned) > time.Hour {
			if err := pruneDone(ctx, d.DB, bus.DefaultEventRetention+time.Hour); err != nil {
				d.Log.Warn("forget old detection marks", "err", err)
			} else {
				pruned = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			d.mu.Lock()
			defer d.mu.Unlock()
			for p, stop := range d.running {
				stop()
				lease.Release(context.Background(), d.DB, leaseName(p), d.Holder)
			}
			return nil
		case <-tick.C:
		}
	}
}

// refusedCounter counts the batches a detector refused as not of its kind
// (errDrillRefused), by detector: any is a fault (drills have their own
// stream), and a defence that held.
func refusedCounter(r *metrics.Registry) *metrics.Counter {
	return r.Counter("garda_detect_refused_batches_total", "Batches refused by a detector not of their kind (a drill's batch reaching live detection, or real traffic reaching the drills' detector), by detector.", "detector")
}

func leaseName(p int) string { return "detect-p" + strconv.Itoa(p) }

// balance renews or takes each partition's lease and starts or stops its
// consumer to match.
func (d *Detector) balance(ctx context.Context) {
	for p := range Partitions {
		held, err := lease.Acquire(ctx, d.DB, leaseName(p), d.Holder, leaseTTL)
		switch {
		case err != nil:
			// The database did not answer: a lease we hold is still ours
			// until it runs out, so keep working until then.
			d.Log.Warn("detection lease", "partition", p, "err", err)
			held = time.Now().Before(d.heldTill[p])
		case held:
			d.heldTill[p] = time.Now().Add(leaseTTL - leaseRenew)
		}
		d.mu.Lock()
		stop, running := d.running[p]
		d.mu.Unlock()
		switch {
		case held && !running:
			if err := d.start(ctx, p); err != nil {
				d.Log.Error("start detection", "partition", p, "err", err)
				lease.Release(ctx, d.DB, leaseName(p), d.Holder)
			}
		case !held && running:
			stop()
			d.mu.Lock()
			delete(d.running, p)
			d.mu.Unlock()
			d.Log.Info("detection partition handed over", "partition", p)
		}
	}
}

// start consumes one partition with one worker: a client's events are
// then seen in order by the one shard that keeps its windows.
func (d *Detector) start(ctx context.Context, p int) error {
	shard := d.Engine.NewShard()
	in := d.Engine.NewInspector()
	filter := d.Bus.Subject(bus.Events, "p"+strconv.Itoa(p)) + ".>"
	stop, err := d.Bus.Consume(ctx, bus.Events, leaseName(p), filter, func(ctx context.Context, m bus.Msg) error {
		return d.handle(ctx, m, in, shard)
	}, bus.WithWorkers(1), bus.WithMaxAckPending(64))
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.running[p] = stop
	d.mu.Unlock()
	d.Log.Info("detection partition taken", "partition", p, "holder", d.Holder)
	return nil
}

// handle detects over one batch and stores what it found; the message is
// acknowledged only after the alerts are stored.
func (d *Detector) handle(ctx context.Context, m bus.Msg, in *detect.Inspector, shard *detect.Shard) error {
	stream := d.Bus.StreamName(bus.Events)
	bt, sigs, n, err := detectBatch(m, false, in, func(Batch) (*detect.Shard, error) {
		if m.Delivered > 1 && m.Seq > 0 {
			// Delivered again: its holder may have died after storing its
			// alerts and before acknowledging it (kill -9, a lost ack).
			if done, alerts, err := isDone(ctx, d.DB, stream, m.Seq); err != nil {
				return nil, err // the store is not answering: try again later
			} else if done {
				// Its holder may have died before telling the live views:
				// tell them again (a row sent twice is refreshed twice).
				d.Log.Info("event batch already detected; not counted again", "seq", m.Seq, "delivered", m.Delivered, "alerts", len(alerts))
				alert.Notify(ctx, d.Bus, d.Log, alerts...)
				return nil, errAlreadyDone
			}
		}
		return shard, nil
	}, d.rejected)
	if errors.Is(err, errAlreadyDone) {
		return nil
	} else if err != nil {
		if errors.Is(err, errDrillRefused) {
			d.Log.Error("a drill's batch reached live detection: refused", "seq", m.Seq, "drill", bt.Drill, "subject", m.Subject)
			if d.refused != nil {
				d.refused.Inc("live")
			}
		}
		return err
	}
	if d.events != nil {
		d.events.Add(float64(n))
	}
	// The shard has counted these events: from here the message must not
	// come back (it would be counted twice), so storing is retried here.
	var created, updated []int64
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		created, updated, err = alert.RecordWith(ctx, d.DB, sigs, func(ctx context.Context, tx *store.Tx, created, updated []int64) error {
			all := append(slices.Clone(created), updated...)
			if err := markDone(ctx, tx, stream, m.Seq, all); err != nil {
				return err
			}
			if d.Sightings != nil {
				return d.Sightings(ctx, tx, sigs, all)
			}
			return nil
		})
		if errors.Is(err, errAlreadyDone) {
			// Another holder stored this batch's alerts in the meantime.
			return nil
		}
		if err == nil {
			break
		}
		d.Log.Warn("alerts not stored yet; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	alert.Notify(ctx, d.Bus, d.Log, append(created, updated...)...)
	if len(created) == 0 {
		return nil
	}
	raised, err := alert.Brief(ctx, d.DB, created)
	if err != nil {
		d.Log.Warn("no decisions for new alerts", "alerts", created, "err", err)
		return nil
	}
	for _, a := range raised {
		if d.alerts != nil {
			d.alerts.Inc(a.Scenario)
		}
		if !d.Decide || a.SourceIP == "" {
			continue
		}
		rules := d.Rules
		if rules == nil {
			b := decision.Builtin()
			rules = &b
		}
		if _, err := rules.Decide(ctx, d.DB, decision.Proposal{IP: a.SourceIP, Scenario: a.Scenario, AlertID: a.ID, Region: a.Region, Asset: a.AssetID,
			Batch: bt.ID, Sender: bt.Sender}); err != nil {
			d.Log.Warn("decision for alert", "alert", a.ID, "err", err)
		}
	}
	return nil
}

// errDrillRefused says a batch went to the detector of the other kind: a
// drill's batch to live detection, or real traffic to the drills'.
var errDrillRefused = errors.New("drill batch and detector do not match")

// detectBatch is the detection both detectors run over a message from the
// bus: it decodes the batch, parses its lines (counting the rejected ones
// in rejected, which may be nil), inspects them with in, observes them in
// order on the shard pick gives for the batch and flushes it, and returns
// the batch, its signals and how many events it held. pick may refuse the
// batch (errAlreadyDone: it was detected before; nothing is observed).
//
// It is the one place that tells a drill from real traffic: drills says
// whether the caller is the drills' detector, and a batch whose drill mark
// does not match is refused for good (bus.Permanent wrapping
// errDrillRefused) before any line of it is read.
func detectBatch(m bus.Msg, drills bool, in *detect.Inspector, pick func(Batch) (*detect.Shard, error), rejected *metrics.Counter) (Batch, []alert.Signal, int, error) {
	bt, err := Decode(m)
	if _, marked := m.Header[headerDrill]; err != nil && marked && !drills {
		return bt, nil, 0, bus.Permanent(fmt.Errorf("%w: %w", errDrillRefused, err)) // a bad mark is still a drill's
	} else if err != nil {
		return bt, nil, 0, bus.Permanent(err)
	}
	if (bt.Drill != 0) != drills {
		return bt, nil, 0, bus.Permanent(fmt.Errorf("%w: batch of drill run %d, drills' detector %t", errDrillRefused, bt.Drill, drills))
	}
	f, ok := format.Lookup(bt.Format)
	if !ok {
		return bt, nil, 0, bus.Permanent(fmt.Errorf("event batch in unknown format %q", bt.Format))
	}
	shard, err := pick(bt)
	if err != nil {
		return bt, nil, 0, err
	}
	p := ingest.Parser{Format: f, Asset: strconv.FormatInt(bt.AssetID, 10), Region: bt.Region}
	items := make([]struct {
		ev event.Event
		f  detect.Finding
	}, len(bt.Lines))
	var sigs []alert.Signal
	// The shard reuses the event a signal points to at its next event:
	// the batch's signals keep theirs as fields.
	emit := func(s alert.Signal) {
		if s.Fields == nil && s.Event != nil {
			s.Fields, s.Event = s.Event.Map(), nil
		} else {
			s.Fields = maps.Clone(s.Fields)
		}
		if bt.Sender != "" {
			// The alert's evidence says whose lines it was.
			if s.Fields == nil {
				s.Fields = map[string]string{}
			}
			s.Fields[EvidenceBatch], s.Fields[EvidenceSender] = bt.ID, bt.Sender
		}
		sigs = append(sigs, s)
	}
	n := 0
	for _, l := range bt.Lines {
		it := &items[n]
		if err := p.Parse(l.Text, &it.ev); err != nil {
			if rejected != nil {
				rejected.Inc(bt.Format, ingest.ReasonOf(err).String())
			}
			continue
		}
		it.ev.Line = l.N
		in.Inspect(&it.ev, &it.f)
		shard.Observe(&it.ev, &it.f, emit)
		n++
	}
	// Acknowledged events must all have been counted: what the shard holds
	// to put in time order goes now, so reordering is within a batch.
	shard.Flush(emit)
	return bt, sigs, n, nil
}

// errAlreadyDone says a batch's alerts were stored before.
var errAlreadyDone = errors.New("event batch already detected")

// markDone records, in the transaction that stores a batch's alerts, that
// the batch is done: a second delivery of it stores nothing. (A batch
// that raised nothing is not marked: delivered again, it raises nothing
// again.)
func markDone(ctx context.Context, tx *store.Tx, stream string, seq uint64, alerts []int64) error {
	if seq == 0 {
		return nil
	}
	ids, _ := json.Marshal(alerts)
	res, err := tx.Exec(ctx, `INSERT INTO detect_done (stream, seq, alerts, done_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		stream, int64(seq), string(ids), store.Now())
	if err != nil {
		return fmt.Errorf("mark event batch %d done: %w", seq, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errAlreadyDone
	}
	return nil
}

// isDone reports whether a batch is done, with the alerts it raised or
// joined.
func isDone(ctx context.Context, db *store.DB, stream string, seq uint64) (bool, []int64, error) {
	var ids string
	err := db.QueryRow(ctx, `SELECT alerts FROM detect_done WHERE stream = ? AND seq = ?`, stream, int64(seq)).Scan(&ids)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil, nil
	} else if err != nil {
		return false, nil, err
	}
	var alerts []int64
	json.Unmarshal([]byte(ids), &alerts)
	return true, alerts, nil
}

// pruneDone forgets marks older than the events stream keeps events.
func pruneDone(ctx context.Context, db *store.DB, keep time.Duration) error {
	_, err := db.Exec(ctx, `DELETE FROM detect_done WHERE done_at < ?`, store.Now().Add(-keep))
	return err
}
