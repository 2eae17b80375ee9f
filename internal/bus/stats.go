package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamStats describes one stream, for metrics.
type StreamStats struct {
	Kind      Kind
	Name      string
	Messages  uint64
	Bytes     uint64
	FirstSeq  uint64
	LastSeq   uint64
	FirstTime time.Time
	LastTime  time.Time
	Consumers int
}

// StreamStats reports the state of the stream of one kind.
func (b *Bus) StreamStats(ctx context.Context, kind Kind) (StreamStats, error) {
	if !kind.valid() {
		return StreamStats{}, fmt.Errorf("bus: unknown stream kind %q", kind)
	}
	if b.isClosed() {
		return StreamStats{}, ErrClosed
	}
	name := b.StreamName(kind)
	s, err := b.js.Stream(ctx, name)
	if err != nil {
		return StreamStats{}, fmt.Errorf("bus: stream info %s: %w", name, err)
	}
	info := s.CachedInfo()
	st := info.State
	return StreamStats{
		Kind:      kind,
		Name:      name,
		Messages:  st.Msgs,
		Bytes:     st.Bytes,
		FirstSeq:  st.FirstSeq,
		LastSeq:   st.LastSeq,
		FirstTime: st.FirstTime,
		LastTime:  st.LastTime,
		Consumers: st.Consumers,
	}, nil
}

// Stats reports every stream, in the order of Kinds.
func (b *Bus) Stats(ctx context.Context) ([]StreamStats, error) {
	out := make([]StreamStats, 0, len(Kinds()))
	for _, k := range Kinds() {
		s, err := b.StreamStats(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// ConsumerStats describes one durable consumer, for metrics and lag alerts.
type ConsumerStats struct {
	Stream  string
	Durable string
	// Pending is how many stored messages the consumer has not been given yet.
	Pending uint64
	// AckPending is how many were handed out and not acked yet.
	AckPending int
	// Redelivered is how many handed-out messages are on a second or later try.
	Redelivered int
	// Waiting is how many pull requests the server holds for it.
	Waiting int
	// Delivered and AckFloor are the last delivered and the highest fully
	// acked stream sequences.
	Delivered uint64
	AckFloor  uint64
}

// ConsumerStats reports the state of the durable consumer of a kind.
func (b *Bus) ConsumerStats(ctx context.Context, kind Kind, durable string) (ConsumerStats, error) {
	if !kind.valid() {
		return ConsumerStats{}, fmt.Errorf("bus: unknown stream kind %q", kind)
	}
	if b.isClosed() {
		return ConsumerStats{}, ErrClosed
	}
	name := b.StreamName(kind)
	c, err := b.js.Consumer(ctx, name, durable)
	if err != nil {
		return ConsumerStats{}, fmt.Errorf("bus: consumer info %s on %s: %w", durable, name, err)
	}
	ci := c.CachedInfo()
	return ConsumerStats{
		Stream:      name,
		Durable:     durable,
		Pending:     ci.NumPending,
		AckPending:  ci.NumAckPending,
		Redelivered: ci.NumRedelivered,
		Waiting:     ci.NumWaiting,
		Delivered:   ci.Delivered.Stream,
		AckFloor:    ci.AckFloor.Stream,
	}, nil
}

// DeleteStreams deletes every stream of this bus's prefix, with what they
// hold: for tests that share an external server under a prefix of their
// own. The bus is unusable for those streams afterwards.
func (b *Bus) DeleteStreams(ctx context.Context) error {
	if b.isClosed() {
		return ErrClosed
	}
	for _, k := range Kinds() {
		if err := b.js.DeleteStream(ctx, b.StreamName(k)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("bus: delete stream %s: %w", b.StreamName(k), err)
		}
	}
	return nil
}
