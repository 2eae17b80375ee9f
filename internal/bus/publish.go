package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Msg is a message on the bus. On publish, Subject and Data are required;
// ID (when set) de-duplicates and Header carries extra headers. On
// delivery by Consume the stream fields are set too.
type Msg struct {
	Subject string
	Data    []byte
	// ID is the de-duplication key (Nats-Msg-Id): a second message with the
	// same ID within the duplicate window is acknowledged but not stored.
	ID     string
	Header map[string][]string

	// Set on messages delivered by Consume; zero from Watch.
	Seq       uint64 // stream sequence
	Delivered uint64 // delivery attempt, 1 the first time
	// When the stream stored it; from Watch, when this process received it.
	Time time.Time
}

// PubAck is JetStream's acknowledgement of a stored message.
type PubAck struct {
	Stream string
	Seq    uint64
	// Duplicate is set when the message ID was already stored: the message
	// is safe (stored earlier) but was not stored again.
	Duplicate bool
}

// PublishOption adjusts one Publish call.
type PublishOption func(*Msg)

// WithMsgID sets the de-duplication ID (Nats-Msg-Id) of the message.
func WithMsgID(id string) PublishOption { return func(m *Msg) { m.ID = id } }

// WithHeader adds a header to the message.
func WithHeader(key, value string) PublishOption {
	return func(m *Msg) {
		if m.Header == nil {
			m.Header = make(map[string][]string)
		}
		m.Header[key] = append(m.Header[key], value)
	}
}

func toNats(m Msg) *nats.Msg {
	nm := &nats.Msg{Subject: m.Subject, Data: m.Data}
	if len(m.Header) > 0 || m.ID != "" {
		nm.Header = make(nats.Header, len(m.Header)+1)
		for k, v := range m.Header {
			nm.Header[k] = append([]string(nil), v...)
		}
		if m.ID != "" {
			nm.Header.Set(nats.MsgIdHdr, m.ID)
		}
	}
	return nm
}

// Publish stores one message and waits for JetStream's ack. A nil error
// means the message is stored (or, with an ID, was already stored: see
// PubAck.Duplicate). Without a deadline on ctx, Config.PublishTimeout applies.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte, opts ...PublishOption) (PubAck, error) {
	m := Msg{Subject: subject, Data: data}
	for _, o := range opts {
		o(&m)
	}
	if b.isClosed() {
		return PubAck{}, ErrClosed
	}
	if _, err := b.kindOf(subject, false); err != nil {
		return PubAck{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.cfg.PublishTimeout)
		defer cancel()
	}
	ack, err := b.js.PublishMsg(ctx, toNats(m))
	if err != nil {
		return PubAck{}, fmt.Errorf("bus: publish %s: %w", subject, b.asFull(err))
	}
	return PubAck{Stream: ack.Stream, Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

// PublishBatch publishes msgs asynchronously (a bounded window in flight)
// and waits for every ack. It returns how many messages JetStream
// acknowledged (duplicates included: they are stored) and the first error.
// On an error it stops sending, but still waits for the messages already in
// flight; messages past the count may or may not be stored, so a caller that
// retries should set Msg.ID on every message and resend the whole batch:
// de-duplication makes that safe within the duplicate window.
func (b *Bus) PublishBatch(ctx context.Context, msgs []Msg) (int, error) {
	if b.isClosed() {
		return 0, ErrClosed
	}
	for i := range msgs {
		if _, err := b.kindOf(msgs[i].Subject, false); err != nil {
			return 0, fmt.Errorf("bus: publish batch: message %d: %w", i, err)
		}
	}
	type inflight struct {
		idx int
		f   jetstream.PubAckFuture
	}
	var (
		pending  []inflight
		stored   int
		firstErr error
	)
	wait := func(p inflight) error {
		select {
		case <-p.f.Ok():
			stored++
			return nil
		case err := <-p.f.Err():
			return fmt.Errorf("bus: publish batch: message %d (%s): %w", p.idx, msgs[p.idx].Subject, b.asFull(err))
		case <-ctx.Done():
			return fmt.Errorf("bus: publish batch: %w", ctx.Err())
		}
	}
	popOldest := func() error {
		p := pending[0]
		pending = pending[1:]
		return wait(p)
	}
	for i := 0; i < len(msgs) && firstErr == nil; i++ {
		if len(pending) >= defaultBatchWindow {
			if firstErr = popOldest(); firstErr != nil {
				break
			}
		}
		nm := toNats(msgs[i])
		for {
			f, err := b.js.PublishMsgAsync(nm)
			if err == nil {
				pending = append(pending, inflight{i, f})
				break
			}
			// Other batches share the connection's async window: make room by
			// waiting for our own oldest, or briefly when we have none.
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) && ctx.Err() == nil {
				if len(pending) > 0 {
					if firstErr = popOldest(); firstErr != nil {
						break
					}
				} else {
					time.Sleep(10 * time.Millisecond)
				}
				continue
			}
			firstErr = fmt.Errorf("bus: publish batch: message %d (%s): %w", i, msgs[i].Subject, err)
			break
		}
	}
	for _, p := range pending {
		if err := wait(p); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return stored, firstErr
}
