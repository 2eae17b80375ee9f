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

// WithPrefetch sets how many messages one pull request asks for, that is
// how many this instance may hold ahead of its handlers (default 32 per
// worker, at most MaxAckPending). Keep it small for slow handlers: a
// buffered message's AckWait is already running.
func WithPrefetch(n int) ConsumeOption { return func(o *consumeOpts) { o.prefetch = n } }

// WithDeliverNew makes a new durable start with the messages published after
// its creation instead of the whole stream. The server cannot change this on
// an existing durable: Consume then fails rather than silently keep the old
// policy.
func WithDeliverNew() ConsumeOption { return func(o *consumeOpts) { o.deliverNew = true } }

// Consume starts handling the messages of stream kind with the durable pull
// consumer durable, creating or updating it. filterSubject ("" for the whole
// stream) selects the subjects, wildcards allowed. Every instance that calls
// Consume with the same kind and durable shares the work: each message is
// handled by one of them, and all of them should pass the same options
// (the durable's configuration is updated to the last caller's where the
// server allows it). Handling goes on until stop is called, ctx is done or
// the bus is closed; stop waits for running handlers, and hands buffered,
// unhandled messages back to the server at once. Neither stop nor Close may
// be called from inside a handler: they wait for it.
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

	if b.isClosed() {
		return nil, ErrClosed
	}
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
	c.fetchCtx, c.cancelFetch = context.WithCancel(context.WithoutCancel(ctx))
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		c.cancelFetch()
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

	stopping    chan struct{}
	done        chan struct{}
	stopOnce    sync.Once
	fetchCtx    context.Context
	cancelFetch context.CancelFunc
}

// fetchWait bounds one pull request; an idle consumer re-pulls this often.
const (
	fetchWait      = 10 * time.Second
	fetchHeartbeat = 2 * time.Second
)

// stop ends fetching, hands buffered messages back, waits for the running
// handlers and unregisters the consumer. Safe to call many times.
func (c *consumer) stop() {
	c.stopOnce.Do(func() {
		close(c.stopping)
		c.cancelFetch()
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

// run pulls batches of messages (one pull request at a time, each complete
// in itself: no client-side accounting that could drift and stall) and
// feeds them to the workers. Errors are logged and retried with backoff;
// a consumer deleted under it is re-created.
func (c *consumer) run() {
	defer close(c.done)
	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range c.o.workers {
		wg.Go(func() {
			for m := range work {
				c.handle(m)
			}
		})
	}
	defer wg.Wait()
	defer close(work)

	backoff := time.Duration(0)
	for !c.isStopping() {
		if backoff > 0 {
			select {
			case <-c.stopping:
				return
			case <-time.After(backoff):
			}
		}
		err := c.fetchOnce(work)
		if err == nil || c.isStopping() {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
		c.log.Warn("pulling messages failed", "err", err, "retry_in", backoff)
		if isConsumerGone(err) {
			if jc, cerr := c.b.ensureConsumer(c.fetchCtx, c.stream, c.cfg); cerr != nil {
				c.log.Warn("consumer re-creation failed", "err", cerr)
			} else {
				c.cons = jc
			}
		}
	}
}

// fetchOnce runs one pull request and hands its messages to the workers;
// after stop, it gives the rest back to the server at once instead.
func (c *consumer) fetchOnce(work chan<- jetstream.Msg) error {
	ctx, cancel := context.WithTimeout(c.fetchCtx, fetchWait)
	defer cancel()
	batch, err := c.cons.Fetch(c.o.prefetch, jetstream.FetchContext(ctx), jetstream.FetchHeartbeat(fetchHeartbeat))
	if err != nil {
		return err
	}
	for m := range batch.Messages() {
		select {
		case work <- m:
		case <-c.stopping:
			if err := m.Nak(); err != nil {
				c.log.Debug("nak on stop failed", "err", err)
			}
		}
	}
	err = batch.Error()
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil // the pull request ran its course, or stop
	}
	return err
}

func isConsumerGone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders)
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
	if d <= 0 {
		return 0
	}
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
