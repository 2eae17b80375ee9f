package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler handles one delivered message. Returning nil acks it; returning
// an error makes JetStream redeliver it after a delay (growing with each
// attempt), unless the error is marked Permanent. A panic counts as an
// error. ctx is the one given to Consume.
type Handler func(ctx context.Context, m Msg) error

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks a handler error as not worth retrying (for example a
// message that cannot be decoded): the message is terminated, logged and
// never redelivered.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Consume defaults.
const (
	DefaultMaxAckPending = 1000
	DefaultAckWait       = 30 * time.Second
	DefaultRetryDelay    = time.Second
	DefaultMaxRetryDelay = time.Minute
)

type consumeOpts struct {
	maxAckPending int
	ackWait       time.Duration
	retryDelay    time.Duration
	maxRetryDelay time.Duration
	maxDeliver    int
	workers       int
	prefetch      int
	deliverNew    bool
}

// ConsumeOption adjusts Consume.
type ConsumeOption func(*consumeOpts)

// WithMaxAckPending bounds the messages handed out and not yet acked, across
// all instances sharing the durable (default 1000): the back-pressure limit.
func WithMaxAckPending(n int) ConsumeOption { return func(o *consumeOpts) { o.maxAckPending = n } }

// WithAckWait sets how long the server waits for an ack before redelivering
// (default 30s). A running handler keeps its message alive past it.
func WithAckWait(d time.Duration) ConsumeOption { return func(o *consumeOpts) { o.ackWait = d } }

// WithRetryDelay sets the delay before redelivery after a handler error: base
// for the first failure, doubling each attempt up to max (defaults 1s, 1m).
func WithRetryDelay(base, max time.Duration) ConsumeOption {
	return func(o *consumeOpts) { o.retryDelay, o.maxRetryDelay = base, max }
}

// WithMaxDeliver bounds delivery attempts per message (default unlimited).
// A message that fails that many times is given up by the server.
func WithMaxDeliver(n int) ConsumeOption { return func(o *consumeOpts) { o.maxDeliver = n } }

// WithWorkers runs n handlers concurrently in this instance (default 1).
func WithWorkers(n int) ConsumeOption { return func(o *consumeOpts) { o.workers = n } }

// WithPrefetch sets how many messages this instance buffers ahead of its
// handlers (default 32 per worker, at most MaxAckPending). Keep it small for
// slow handlers: a buffered message's AckWait is already running.
func WithPrefetch(n int) ConsumeOption { return func(o *consumeOpts) { o.prefetch = n } }

// WithDeliverNew makes a durable created by this call start with messages
// published after its creation instead of the whole stream. It has no effect
// on a durable that exists already.
func WithDeliverNew() ConsumeOption { return func(o *consumeOpts) { o.deliverNew = true } }

// Consume starts handling the messages of stream kind with the durable pull
// consumer durable, creating or updating it. filterSubject ("" for the whole
// stream) selects the subjects, wildcards allowed. Every instance that calls
// Consume with the same kind and durable shares the work: each message is
// handled by one of them. Handling goes on until stop is called, ctx is
// done or the bus is closed; stop waits for running handlers, and hands
// buffered, unhandled messages back to the server at once.
func (b *Bus) Consume(ctx context.Context, kind Kind, durable, filterSubject string, h Handler, opts ...ConsumeOption) (stop func(), err error) {
	if !kind.valid() {
		return nil, fmt.Errorf("bus: unknown stream kind %q", kind)
	}
	if h == nil {
		return nil, errors.New("bus: consume: nil handler")
	}
	if durable == "" || strings.ContainsAny(durable, ".*> \t\r\n") {
		return nil, fmt.Errorf("bus: invalid durable name %q", durable)
	}
	if filterSubject != "" {
		k, err := b.kindOf(filterSubject, true)
		if err != nil {
			return nil, err
		}
		if k != kind {
			return nil, fmt.Errorf("bus: filter subject %q is not in the %s stream", filterSubject, kind)
		}
	}
	o := consumeOpts{
		maxAckPending: DefaultMaxAckPending,
		ackWait:       DefaultAckWait,
		retryDelay:    DefaultRetryDelay,
		maxRetryDelay: DefaultMaxRetryDelay,
		maxDeliver:    -1,
		workers:       1,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxAckPending <= 0 || o.workers <= 0 || o.ackWait <= 0 || o.retryDelay < 0 {
		return nil, errors.New("bus: consume: max ack pending, workers and ack wait must be positive")
	}
	if o.maxRetryDelay < o.retryDelay {
		o.maxRetryDelay = o.retryDelay
	}
	if o.maxDeliver == 0 {
		o.maxDeliver = -1
	}
	if o.prefetch <= 0 {
		o.prefetch = 32 * o.workers
	}
	o.prefetch = min(o.prefetch, o.maxAckPending)

	stream := b.StreamName(kind)
	cc := jetstream.ConsumerConfig{
		Durable:       durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.ackWait,
		MaxDeliver:    o.maxDeliver,
		MaxAckPending: o.maxAckPending,
		FilterSubject: filterSubject,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		ReplayPolicy:  jetstream.ReplayInstantPolicy,
	}
	if o.deliverNew {
		cc.DeliverPolicy = jetstream.DeliverNewPolicy
	}

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.mu.Unlock()

	jc, err := b.ensureConsumer(ctx, stream, cc)
	if err != nil {
		return nil, err
	}
	c := &consumer{
		b:        b,
		ctx:      ctx,
		stream:   stream,
		cfg:      cc,
		cons:     jc,
		h:        h,
		o:        o,
		log:      b.log.With("stream", stream, "durable", durable),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.consumers[c] = struct{}{}
	b.mu.Unlock()

	go c.run()
	stopOnCancel := context.AfterFunc(ctx, c.stop)
	return func() {
		stopOnCancel()
		c.stop()
	}, nil
}

func (b *Bus) ensureConsumer(ctx context.Context, stream string, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		var jc jetstream.Consumer
		jc, err = b.js.CreateOrUpdateConsumer(ctx, stream, cc)
		if err == nil {
			return jc, nil
		}
		// Only a creation race between instances is worth another try.
		switch apiErrorCode(err) {
		case jetstream.JSErrCodeConsumerNameExists, jetstream.JSErrCodeConsumerAlreadyExists, jetstream.JSErrCodeConsumerExists:
		default:
			return nil, fmt.Errorf("bus: create or update consumer %s on %s: %w", cc.Durable, stream, err)
		}
		if serr := sleepCtx(ctx, time.Duration(attempt)*20*time.Millisecond); serr != nil {
			break
		}
	}
	return nil, fmt.Errorf("bus: create or update consumer %s on %s: %w", cc.Durable, stream, err)
}

type consumer struct {
	b      *Bus
	ctx    context.Context
	stream string
	cfg    jetstream.ConsumerConfig
	cons   jetstream.Consumer
	h      Handler
	o      consumeOpts
	log    *slog.Logger

	stopping chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	mu   sync.Mutex
	iter jetstream.MessagesContext
}

// stop ends fetching, lets buffered messages be handed back, waits for the
// running handlers and unregisters the consumer. Safe to call many times.
func (c *consumer) stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		close(c.stopping)
		it := c.iter
		c.mu.Unlock()
		if it != nil {
			it.Drain()
		}
	})
	<-c.done
	c.b.mu.Lock()
	delete(c.b.consumers, c)
	c.b.mu.Unlock()
}

func (c *consumer) isStopping() bool {
	select {
	case <-c.stopping:
		return true
	default:
		return false
	}
}

// run feeds the workers from a pull iterator, and rebuilds the iterator (and
// the consumer, if it was deleted) when it ends without stop being called.
func (c *consumer) run() {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for {
		it, err := c.cons.Messages(jetstream.PullMaxMessages(c.o.prefetch))
		if err == nil {
			c.mu.Lock()
			if c.isStopping() {
				c.mu.Unlock()
				it.Stop()
				return
			}
			c.iter = it
			c.mu.Unlock()

			var wg sync.WaitGroup
			errs := make(chan error, c.o.workers)
			for range c.o.workers {
				wg.Go(func() {
					if err := c.work(it); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			err = <-errs
		}
		if c.isStopping() {
			return
		}
		if err == nil {
			err = errors.New("message iterator closed")
		}
		c.log.Warn("consumer interrupted, restarting", "err", err, "retry_in", backoff)
		select {
		case <-c.stopping:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
		if jc, cerr := c.b.ensureConsumer(c.ctx, c.stream, c.cfg); cerr != nil {
			c.log.Warn("consumer re-creation failed", "err", cerr)
		} else {
			c.cons = jc
			backoff = 100 * time.Millisecond
		}
	}
}

// work handles messages until the iterator ends. It returns the error that
// ended an iterator that was not stopped.
func (c *consumer) work(it jetstream.MessagesContext) error {
	for {
		m, err := it.Next()
		if err != nil {
			if c.isStopping() {
				return nil
			}
			// Unblock the other workers; run rebuilds the iterator.
			it.Stop()
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && !errors.Is(err, jetstream.ErrConnectionClosed) {
				return nil
			}
			return err
		}
		if c.isStopping() {
			// Buffered after stop: give it back now rather than after AckWait.
			if err := m.Nak(); err != nil {
				c.log.Debug("nak on stop failed", "err", err)
			}
			continue
		}
		c.handle(m)
	}
}

func (c *consumer) handle(m jetstream.Msg) {
	msg := Msg{Subject: m.Subject(), Data: m.Data()}
	if h := m.Headers(); len(h) > 0 {
		msg.Header = h
		msg.ID = h.Get(nats.MsgIdHdr)
	}
	if md, err := m.Metadata(); err == nil {
		msg.Seq = md.Sequence.Stream
		msg.Delivered = md.NumDelivered
		msg.Time = md.Timestamp
	}

	progress := c.keepAlive(m)
	err := c.call(msg)
	progress.Stop()

	switch {
	case err == nil:
		if aerr := m.Ack(); aerr != nil {
			c.log.Warn("ack failed: message will be redelivered", "subject", msg.Subject, "seq", msg.Seq, "err", aerr)
		}
	case IsPermanent(err):
		c.log.Error("handler failed permanently: message dropped", "subject", msg.Subject, "seq", msg.Seq, "err", err)
		if terr := m.Term(); terr != nil {
			c.log.Warn("term failed", "subject", msg.Subject, "seq", msg.Seq, "err", terr)
		}
	default:
		delay := c.retryDelay(msg.Delivered)
		if c.ctx.Err() != nil || c.isStopping() {
			delay = 0 // shutting down: let another instance have it now
		}
		lvl := slog.LevelWarn
		if c.o.maxDeliver > 0 && msg.Delivered >= uint64(c.o.maxDeliver) {
			lvl = slog.LevelError
			c.log.Log(context.Background(), lvl, "handler failed on last delivery attempt: message given up",
				"subject", msg.Subject, "seq", msg.Seq, "delivered", msg.Delivered, "err", err)
		} else {
			c.log.Log(context.Background(), lvl, "handler failed: message will be redelivered",
				"subject", msg.Subject, "seq", msg.Seq, "delivered", msg.Delivered, "retry_in", delay, "err", err)
		}
		if nerr := m.NakWithDelay(delay); nerr != nil {
			c.log.Warn("nak failed: message will be redelivered after ack wait", "subject", msg.Subject, "seq", msg.Seq, "err", nerr)
		}
	}
}

// call runs the handler, turning a panic into an error.
func (c *consumer) call(m Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panic", "subject", m.Subject, "seq", m.Seq, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return c.h(c.ctx, m)
}

func (c *consumer) retryDelay(delivered uint64) time.Duration {
	d := c.o.retryDelay
	for i := uint64(1); i < delivered && d < c.o.maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, c.o.maxRetryDelay)
}

// keepAlive tells the server the message is still being worked on every
// half AckWait, so a slow handler does not get its message redelivered
// elsewhere. The returned timer's Stop ends it.
func (c *consumer) keepAlive(m jetstream.Msg) *keepAlive {
	k := &keepAlive{}
	every := c.o.ackWait / 2
	var tick func()
	tick = func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.stopped {
			return
		}
		if err := m.InProgress(); err != nil {
			c.log.Debug("in-progress ack failed", "err", err)
		}
		k.t = time.AfterFunc(every, tick)
	}
	k.mu.Lock()
	k.t = time.AfterFunc(every, tick)
	k.mu.Unlock()
	return k
}

type keepAlive struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func (k *keepAlive) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.t.Stop()
}
