package bus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrStreamFull is returned (wrapped) by Publish and PublishBatch when the
// events stream holds its cap of events that its consumers have not all
// acknowledged: the stream discards new messages rather than old ones
// (DiscardNew), so an accepted line is never dropped before detection saw
// it; the caller must refuse its sender and let it retry later.
var ErrStreamFull = errors.New("bus: the events stream is full of events not yet consumed")

// errCodeStoreFailed is JetStream's "storing a message failed", which
// DiscardNew answers with "maximum bytes exceeded" when a stream is full.
const errCodeStoreFailed jetstream.ErrorCode = 10077

// reclaimAt is the share of the events cap beyond which the bus purges
// the events every consumer has acknowledged, so that a stream full of
// detected events never refuses new ones.
const reclaimAt = 0.75

// reclaimEvery is how often the bus looks at the events stream's size.
const reclaimEvery = 5 * time.Second

// asFull wraps err with ErrStreamFull when it is JetStream's refusal of a
// message beyond a DiscardNew stream's cap, and asks for room to be made.
func (b *Bus) asFull(err error) error {
	if err == nil {
		return nil
	}
	var ae *jetstream.APIError
	if errors.As(err, &ae) && ae.ErrorCode == errCodeStoreFailed && strings.Contains(ae.Description, "maximum bytes") ||
		strings.Contains(err.Error(), "maximum bytes exceeded") {
		b.wantRoom()
		return fmt.Errorf("%w: %w", ErrStreamFull, err)
	}
	return err
}

// wantRoom wakes the reclaimer without waiting for it.
func (b *Bus) wantRoom() {
	if b.reclaimNow == nil {
		return
	}
	select {
	case b.reclaimNow <- struct{}{}:
	default:
	}
}

// reclaimLoop purges acknowledged events when the events stream passes
// reclaimAt of its cap, or at once when a publish found it full.
func (b *Bus) reclaimLoop(ctx context.Context) {
	defer close(b.reclaimDone)
	t := time.NewTicker(reclaimEvery)
	defer t.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.reclaimNow:
			force = true
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := b.reclaim(cctx, force); err != nil && ctx.Err() == nil {
			b.log.Warn("events stream: acknowledged events not purged", "err", err)
		}
		cancel()
	}
}

// ReclaimEvents purges from the events stream every event that each of
// its consumers (those that acknowledge) has acknowledged, and returns how
// many bytes that freed: everything below the lowest acknowledgement floor
// of its consumers. With no consumer, nothing is purged.
func (b *Bus) ReclaimEvents(ctx context.Context) (uint64, error) {
	return b.reclaim(ctx, true)
}

func (b *Bus) reclaim(ctx context.Context, force bool) (uint64, error) {
	if b.isClosed() {
		return 0, ErrClosed
	}
	name := b.StreamName(Events)
	s, err := b.js.Stream(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("bus: stream info %s: %w", name, err)
	}
	info := s.CachedInfo()
	if !force && (info.Config.MaxBytes <= 0 || float64(info.State.Bytes) < reclaimAt*float64(info.Config.MaxBytes)) {
		return 0, nil
	}
	// The stream's last sequence is read before the consumers: a consumer
	// that has nothing pending afterwards has handled everything up to it.
	last := info.State.LastSeq
	// Everything below the lowest floor of the consumers is purged: one
	// lagging consumer holds every event after its floor. (A purge by
	// subject would free more, but 2.9 servers ignore the sequence of a
	// purge by wildcard subject.)
	upTo, n := uint64(math.MaxUint64), 0
	lister := s.ListConsumers(ctx)
	for ci := range lister.Info() {
		if ci.Config.AckPolicy == jetstream.AckNonePolicy {
			continue // a live reader (ordered consumer), not a worker
		}
		next := ci.AckFloor.Stream + 1
		if ci.NumPending == 0 && ci.NumAckPending == 0 && ci.NumRedelivered == 0 {
			next = last + 1
		}
		upTo, n = min(upTo, next), n+1
	}
	if err := lister.Err(); err != nil {
		return 0, fmt.Errorf("bus: list consumers of %s: %w", name, err)
	}
	if n == 0 || upTo <= info.State.FirstSeq {
		// No consumer yet (detection has not started): nothing is known
		// to be handled.
		return 0, nil
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(upTo)); err != nil {
		return 0, fmt.Errorf("bus: purge %s below %d: %w", name, upTo, err)
	}
	after, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: stream info %s: %w", name, err)
	}
	var freed uint64
	if after.State.Bytes < info.State.Bytes {
		freed = info.State.Bytes - after.State.Bytes
	}
	if freed > 0 {
		b.log.Debug("events stream: acknowledged events purged", "bytes", freed, "left", after.State.Bytes)
	}
	return freed, nil
}
