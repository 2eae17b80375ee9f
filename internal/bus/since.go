package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Since returns the stored messages of a subject (wildcards allowed) that
// the stream took at or after since, oldest first, at most max. complete
// is false when some may be missing: since lies beyond the stream's
// retention, or there were more than max. It is Watch's memory: a reader
// coming back after a break asks for what it missed.
//
// A JetStream cluster under load sometimes answers a consumer's creation or
// fetch with "no responders" for a moment (seen in the cluster faults test,
// as a killed instance's partitions moved): such an error is tried again
// three times (after 250 ms, 500 ms and 1 s) before it is returned, so that
// a returning reader is not told of a gap it need not have.
func (b *Bus) Since(ctx context.Context, subject string, since time.Time, max int) (msgs []Msg, complete bool, err error) {
	for wait := 250 * time.Millisecond; ; wait *= 2 {
		msgs, complete, err = b.since(ctx, subject, since, max)
		if err == nil || !errors.Is(err, nats.ErrNoResponders) || wait > time.Second {
			return msgs, complete, err
		}
		select {
		case <-ctx.Done():
			return nil, false, err
		case <-time.After(wait):
		}
	}
}

func (b *Bus) since(ctx context.Context, subject string, since time.Time, max int) (msgs []Msg, complete bool, err error) {
	if b.isClosed() {
		return nil, false, ErrClosed
	}
	kind, err := b.kindOf(subject, true)
	if err != nil {
		return nil, false, err
	}
	complete = time.Since(since) < b.streamConfig(kind).MaxAge
	cons, err := b.js.OrderedConsumer(ctx, b.StreamName(kind), jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subject},
		DeliverPolicy:     jetstream.DeliverByStartTimePolicy,
		OptStartTime:      &since,
		InactiveThreshold: 30 * time.Second, // the server forgets it soon after
	})
	if err != nil {
		return nil, false, fmt.Errorf("bus: since %s: %w", subject, err)
	}
	// A fetch answers with what is stored, up to its size, or waits a moment
	// for more: one that comes back short has reached the end.
	for len(msgs) <= max {
		want := min(100, max+1-len(msgs))
		batch, err := cons.Fetch(want, jetstream.FetchMaxWait(250*time.Millisecond))
		if err != nil {
			return nil, false, fmt.Errorf("bus: since %s: %w", subject, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			msgs = append(msgs, Msg{Subject: m.Subject(), Data: m.Data(), Seq: md.Sequence.Stream, Time: md.Timestamp})
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, false, fmt.Errorf("bus: since %s: %w", subject, err)
		}
		if n < want {
			return msgs, complete, nil
		}
	}
	return msgs[:max], false, nil
}
