package bus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Watch delivers messages published on subject (wildcards allowed) from
// now on, over core NATS: it does not replay stored messages and creates
// nothing on the server. It is a best-effort live feed for UI updates: when
// the reader falls Config.WatchBuffer messages behind, newer messages are
// dropped (and the drops logged), never blocking publishers. The subscription
// is registered with the server before Watch returns. cancel (or ctx ending,
// or Close) ends it and closes the channel.
func (b *Bus) Watch(ctx context.Context, subject string) (<-chan Msg, func(), error) {
	if b.isClosed() {
		return nil, nil, ErrClosed
	}
	if _, err := b.kindOf(subject, true); err != nil {
		return nil, nil, err
	}
	w := &watch{b: b, subject: subject, ch: make(chan Msg, b.cfg.WatchBuffer)}
	sub, err := b.nc.Subscribe(subject, w.deliver)
	if err != nil {
		return nil, nil, fmt.Errorf("bus: watch %s: %w", subject, err)
	}
	w.sub = sub
	fctx, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		fctx, cancel = context.WithTimeout(ctx, b.cfg.PublishTimeout)
	}
	err = b.nc.FlushWithContext(fctx)
	cancel()
	if err != nil {
		_ = sub.Unsubscribe()
		return nil, nil, fmt.Errorf("bus: watch %s: subscription not confirmed: %w", subject, err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = sub.Unsubscribe()
		return nil, nil, ErrClosed
	}
	b.watches[w] = struct{}{}
	b.mu.Unlock()
	stopOnCancel := context.AfterFunc(ctx, w.cancel)
	return w.ch, func() {
		stopOnCancel()
		w.cancel()
	}, nil
}

type watch struct {
	b       *Bus
	subject string
	sub     *nats.Subscription // set before the watch is registered
	once    sync.Once

	mu      sync.Mutex
	closed  bool
	ch      chan Msg
	dropped uint64
}

func (w *watch) deliver(nm *nats.Msg) {
	m := Msg{Subject: nm.Subject, Data: nm.Data, Time: time.Now()}
	if len(nm.Header) > 0 {
		m.Header = nm.Header
		m.ID = nm.Header.Get(nats.MsgIdHdr)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	select {
	case w.ch <- m:
	default:
		w.dropped++
		if w.dropped == 1 || w.dropped%1000 == 0 {
			w.b.log.Warn("watch reader too slow: messages dropped", "subject", w.subject, "dropped", w.dropped)
		}
	}
}

func (w *watch) cancel() {
	w.once.Do(func() {
		_ = w.sub.Unsubscribe()
		w.mu.Lock()
		w.closed = true
		close(w.ch)
		w.mu.Unlock()
		w.b.mu.Lock()
		delete(w.b.watches, w)
		w.b.mu.Unlock()
	})
}
