package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrClosed is returned by every operation on a Bus after Close.
var ErrClosed = errors.New("bus: closed")

// Kind names one of the bus streams.
type Kind string

// The streams of the bus. See the package documentation for their subjects
// and retention.
const (
	Events    Kind = "events"
	Alerts    Kind = "alerts"
	Decisions Kind = "decisions"
	Changes   Kind = "changes"
	// Drills carries drills' traffic (internal/drill), apart from the
	// events stream: the live detector's partitions never take it.
	Drills Kind = "drills"
)

// Kinds lists every stream kind, in a stable order.
func Kinds() []Kind { return []Kind{Events, Alerts, Decisions, Changes, Drills} }

func (k Kind) valid() bool {
	switch k {
	case Events, Alerts, Decisions, Changes, Drills:
		return true
	}
	return false
}

// Defaults applied by Open to zero Config fields.
const (
	DefaultPrefix            = "GARDA"
	DefaultEventRetention    = 72 * time.Hour
	DefaultEventMaxBytes     = 1 << 30 // 1 GiB: reserved on the server when the stream is made
	DefaultAlertRetention    = 30 * 24 * time.Hour
	DefaultDecisionRetention = 30 * 24 * time.Hour
	DefaultChangeRetention   = time.Hour
	DefaultDrillRetention    = 24 * time.Hour
	DefaultDuplicateWindow   = 2 * time.Minute
	DefaultPublishTimeout    = 10 * time.Second
	DefaultWatchBuffer       = 256
	defaultBatchWindow       = 1024
	defaultDrainTimeout      = 10 * time.Second
	embeddedStartTimeout     = 15 * time.Second
)

// Config configures a Bus. The zero value of every field but DataDir (needed
// by the embedded server) is usable.
type Config struct {
	// URL of an external NATS server or cluster ("nats://host:4222", several
	// separated by commas). Empty starts the embedded in-process server.
	URL string
	// DataDir holds the embedded server's JetStream store, in DataDir/nats.
	// Required when URL is empty, unused otherwise.
	DataDir string
	// Prefix namespaces stream names (upper-cased) and subjects
	// (lower-cased). Letters, digits, '_' and '-', starting with a letter.
	// Default "GARDA".
	Prefix string

	// EventRetention is how long raw events are kept (default 72h).
	EventRetention time.Duration
	// EventMaxBytes caps the events stream (default 1 GiB, negative for no
	// cap). Beyond it new events are refused (ErrStreamFull), never old ones
	// discarded: the events every consumer has acknowledged are purged
	// before it fills, so only a detection lag of the whole cap refuses. The
	// server must have this much storage available or Open fails.
	EventMaxBytes int64
	// AlertRetention and DecisionRetention default to 30 days.
	AlertRetention    time.Duration
	DecisionRetention time.Duration
	// ChangeRetention is how long record-change notifications are kept
	// (default 1h): they are only for catching up live views.
	ChangeRetention time.Duration
	// DrillRetention is how long a drill's traffic is kept (default 24h,
	// the length of a run): it is detected as soon as it is published.
	DrillRetention time.Duration
	// DuplicateWindow is how long a message ID is remembered for
	// de-duplication (default 2m, at most the stream's retention).
	DuplicateWindow time.Duration
	// Replicas is the stream replication factor on a cluster (default 1).
	Replicas int

	// PublishTimeout bounds the wait for a JetStream ack when the caller's
	// context has no deadline, and every async ack of PublishBatch
	// (default 10s).
	PublishTimeout time.Duration
	// WatchBuffer is the channel capacity of Watch (default 256).
	WatchBuffer int
	// Name is the client connection name shown by the server (default "garda").
	Name string
	// CredsFile is a NATS credentials file for an external server.
	CredsFile string
}

func (c Config) withDefaults() (Config, error) {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if err := validPrefix(c.Prefix); err != nil {
		return c, err
	}
	if c.URL == "" && c.DataDir == "" {
		return c, errors.New("bus: the embedded server needs a data dir")
	}
	if c.EventRetention == 0 {
		c.EventRetention = DefaultEventRetention
	}
	if c.EventMaxBytes == 0 {
		c.EventMaxBytes = DefaultEventMaxBytes
	}
	if c.EventMaxBytes < 0 {
		c.EventMaxBytes = -1
	}
	if c.AlertRetention == 0 {
		c.AlertRetention = DefaultAlertRetention
	}
	if c.DecisionRetention == 0 {
		c.DecisionRetention = DefaultDecisionRetention
	}
	if c.ChangeRetention == 0 {
		c.ChangeRetention = DefaultChangeRetention
	}
	if c.DrillRetention == 0 {
		c.DrillRetention = DefaultDrillRetention
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	for _, d := range []time.Duration{c.EventRetention, c.AlertRetention, c.DecisionRetention, c.ChangeRetention, c.DrillRetention, c.DuplicateWindow} {
		if d < 0 {
			return c, fmt.Errorf("bus: negative duration %s in config", d)
		}
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return c, fmt.Errorf("bus: replicas must be 1 to 5, got %d", c.Replicas)
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.WatchBuffer <= 0 {
		c.WatchBuffer = DefaultWatchBuffer
	}
	if c.Name == "" {
		c.Name = "garda"
	}
	return c, nil
}

func validPrefix(p string) error {
	for i, r := range p {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return fmt.Errorf("bus: invalid prefix %q: letters, digits, '_' and '-' only, starting with a letter", p)
		}
	}
	if len(p) > 32 {
		return fmt.Errorf("bus: prefix %q longer than 32 characters", p)
	}
	return nil
}

// Bus is a connection to NATS JetStream, with the embedded server it runs
// when no URL was given. It is safe for concurrent use.
type Bus struct {
	cfg    Config
	log    *slog.Logger
	ns     *server.Server // nil when connected to an external server
	nc     *nats.Conn
	js     jetstream.JetStream
	subj   string // lower-case prefix, the first subject token
	ncDone chan struct{}

	// reclaimNow wakes the reclaimer of the events stream (nil without a
	// cap); stopReclaim ends it and reclaimDone says it has.
	reclaimNow  chan struct{}
	stopReclaim context.CancelFunc
	reclaimDone chan struct{}

	mu        sync.Mutex
	closed    bool
	consumers map[*consumer]struct{}
	watches   map[*watch]struct{}
}

// Open connects to NATS (starting the embedded server when cfg.URL is
// empty) and creates or updates the streams. Several instances may call it
// concurrently against the same server.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Bus, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{
		cfg:       cfg,
		log:       logger.With("component", "bus"),
		subj:      strings.ToLower(cfg.Prefix),
		ncDone:    make(chan struct{}),
		consumers: make(map[*consumer]struct{}),
		watches:   make(map[*watch]struct{}),
	}
	if cfg.URL == "" {
		if err := b.startEmbedded(logger.With("component", "nats-server")); err != nil {
			return nil, err
		}
	}
	if err := b.connect(); err != nil {
		b.shutdownEmbedded()
		return nil, err
	}
	b.js, err = jetstream.New(b.nc,
		jetstream.WithPublishAsyncMaxPending(1<<16),
		jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			b.log.Debug("async publish failed", "subject", m.Subject, "err", err)
		}),
	)
	if err != nil {
		b.nc.Close()
		b.shutdownEmbedded()
		return nil, fmt.Errorf("bus: jetstream context: %w", err)
	}
	if err := b.ensureStreams(ctx); err != nil {
		b.nc.Close()
		b.shutdownEmbedded()
		return nil, err
	}
	if cfg.EventMaxBytes > 0 {
		rctx, cancel := context.WithCancel(context.Background())
		b.reclaimNow, b.stopReclaim, b.reclaimDone = make(chan struct{}, 1), cancel, make(chan struct{})
		go b.reclaimLoop(rctx)
	}
	mode := "embedded"
	if cfg.URL != "" {
		mode = "external"
	}
	b.log.Info("bus open", "mode", mode, "prefix", cfg.Prefix, "server", b.nc.ConnectedServerVersion())
	return b, nil
}

func (b *Bus) startEmbedded(serverLog *slog.Logger) error {
	opts := &server.Options{
		ServerName: "garda-embedded",
		DontListen: true,
		JetStream:  true,
		StoreDir:   filepath.Join(b.cfg.DataDir, "nats"),
		NoSigs:     true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("bus: embedded nats server: %w", err)
	}
	ns.SetLoggerV2(serverLogger{serverLog}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(embeddedStartTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return fmt.Errorf("bus: embedded nats server not ready after %s", embeddedStartTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return fmt.Errorf("bus: embedded nats server started without jetstream (store %s)", opts.StoreDir)
	}
	b.ns = ns
	return nil
}

func (b *Bus) shutdownEmbedded() {
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}

func (b *Bus) connect() error {
	var once sync.Once
	opts := []nats.Option{
		nats.Name(b.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DrainTimeout(defaultDrainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			b.log.Error("nats async error", "subject", subject, "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { once.Do(func() { close(b.ncDone) }) }),
	}
	url := b.cfg.URL
	if b.ns != nil {
		opts = append(opts, nats.InProcessServer(b.ns))
		url = ""
	}
	if b.cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(b.cfg.CredsFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("bus: connect to nats: %w", err)
	}
	b.nc = nc
	return nil
}

// streamConfig is the wanted configuration of one stream.
func (b *Bus) streamConfig(k Kind) jetstream.StreamConfig {
	maxAge := map[Kind]time.Duration{
		Events:    b.cfg.EventRetention,
		Alerts:    b.cfg.AlertRetention,
		Decisions: b.cfg.DecisionRetention,
		Changes:   b.cfg.ChangeRetention,
		Drills:    b.cfg.DrillRetention,
	}[k]
	maxBytes := int64(-1)
	discard := jetstream.DiscardOld
	if k == Events {
		maxBytes = b.cfg.EventMaxBytes
		if maxBytes > 0 {
			// A full events stream refuses new events rather than drop
			// acknowledged lines detection has not seen (see ErrStreamFull).
			discard = jetstream.DiscardNew
		}
	}
	dup := b.cfg.DuplicateWindow
	if maxAge > 0 && dup > maxAge {
		dup = maxAge
	}
	return jetstream.StreamConfig{
		Name:              b.StreamName(k),
		Description:       "garda " + string(k),
		Subjects:          []string{b.subj + "." + string(k) + ".>"},
		Retention:         jetstream.LimitsPolicy,
		Discard:           discard,
		MaxAge:            maxAge,
		MaxBytes:          maxBytes,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        -1,
		Storage:           jetstream.FileStorage,
		Replicas:          b.cfg.Replicas,
		Duplicates:        dup,
	}
}

// ensureStreams creates or updates every stream. Several instances may run
// it at once. It creates first, which succeeds without touching a stream
// that exists with the same configuration, and updates only when the
// configuration differs: an update racing with another instance's create
// crashes 2.9 servers, so updates must stay rare.
func (b *Bus) ensureStreams(ctx context.Context) error {
	for _, k := range Kinds() {
		if err := b.ensureStream(ctx, b.streamConfig(k)); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bus) ensureStream(ctx context.Context, sc jetstream.StreamConfig) error {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		_, err = b.js.CreateStream(ctx, sc)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, jetstream.ErrStreamNameAlreadyInUse):
			// It exists with another configuration (older Garda, changed
			// retention): bring it to ours.
			if _, err = b.js.UpdateStream(ctx, sc); err == nil {
				b.log.Info("stream configuration updated", "stream", sc.Name)
				return nil
			}
			if !errors.Is(err, jetstream.ErrStreamNotFound) {
				return fmt.Errorf("bus: update stream %s: %w", sc.Name, err)
			}
		case apiErrorCode(err) == errCodeSubjectOverlap:
			// Another instance is creating it right now (2.9 reports this
			// race as overlapping subjects): try again, and a genuine
			// overlap with another stream fails after the last attempt.
		default:
			return fmt.Errorf("bus: create stream %s: %w", sc.Name, err)
		}
		if serr := sleepCtx(ctx, time.Duration(attempt)*50*time.Millisecond); serr != nil {
			break
		}
	}
	return fmt.Errorf("bus: create stream %s: %w", sc.Name, err)
}

// JetStream API error codes the bus reacts to, beyond those nats.go names.
const (
	errCodeSubjectOverlap jetstream.ErrorCode = 10065
)

func apiErrorCode(err error) jetstream.ErrorCode {
	var ae *jetstream.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StreamName is the JetStream stream name of a kind, e.g. "GARDA_EVENTS".
func (b *Bus) StreamName(k Kind) string {
	return strings.ToUpper(b.cfg.Prefix) + "_" + strings.ToUpper(string(k))
}

// Subject builds a subject of a kind from tokens, e.g.
// Subject(Events, "org1", "syslog") is "garda.events.org1.syslog". Tokens
// are sanitized: '.', '*', '>' and white space become '_', and an empty
// token becomes "_", so a token can never add levels or wildcards.
func (b *Bus) Subject(k Kind, tokens ...string) string {
	var sb strings.Builder
	sb.WriteString(b.subj)
	sb.WriteByte('.')
	sb.WriteString(string(k))
	for _, t := range tokens {
		sb.WriteByte('.')
		if t == "" {
			sb.WriteByte('_')
			continue
		}
		for _, r := range t {
			switch r {
			case '.', '*', '>', ' ', '\t', '\r', '\n', '\f', '\v':
				sb.WriteByte('_')
			default:
				sb.WriteRune(r)
			}
		}
	}
	return sb.String()
}

// Subjects is the wildcard subject of every message of a kind, e.g.
// "garda.events.>": the stream's subjects, usable as a Watch or Consume
// filter. (Subject cannot build wildcards: it sanitizes them away.)
func (b *Bus) Subjects(k Kind) string { return b.subj + "." + string(k) + ".>" }

// kindOf checks that subject lies in the bus namespace and returns its kind.
// Wildcards are accepted only when wild is set (subscriptions, filters).
func (b *Bus) kindOf(subject string, wild bool) (Kind, error) {
	toks := strings.Split(subject, ".")
	if len(toks) < 3 || toks[0] != b.subj || !Kind(toks[1]).valid() {
		return "", fmt.Errorf("bus: subject %q is outside the bus namespace %s.<events|alerts|decisions|changes|drills>.>", subject, b.subj)
	}
	for i, t := range toks {
		if t == "" || strings.ContainsAny(t, " \t\r\n") {
			return "", fmt.Errorf("bus: invalid subject %q", subject)
		}
		if t == "*" || t == ">" {
			if !wild || (t == ">" && i != len(toks)-1) {
				return "", fmt.Errorf("bus: invalid subject %q", subject)
			}
		} else if strings.ContainsAny(t, "*>") {
			return "", fmt.Errorf("bus: invalid subject %q", subject)
		}
	}
	return Kind(toks[1]), nil
}

func (b *Bus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Ready reports whether the bus can serve: not closed, connected, and
// JetStream answering. It is meant for /readyz.
func (b *Bus) Ready(ctx context.Context) error {
	if b.isClosed() {
		return ErrClosed
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus: not connected to nats (%s)", b.nc.Status())
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("bus: jetstream not answering: %w", err)
	}
	return nil
}

// Close stops every consumer (waiting for running handlers) and watch,
// drains the connection so that pending acks are flushed, and shuts the
// embedded server down. It is safe to call more than once.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	consumers := make([]*consumer, 0, len(b.consumers))
	for c := range b.consumers {
		consumers = append(consumers, c)
	}
	watches := make([]*watch, 0, len(b.watches))
	for w := range b.watches {
		watches = append(watches, w)
	}
	b.mu.Unlock()

	for _, c := range consumers {
		c.stop()
	}
	for _, w := range watches {
		w.cancel()
	}
	if b.stopReclaim != nil {
		b.stopReclaim()
		<-b.reclaimDone
	}
	var err error
	if derr := b.nc.Drain(); derr != nil {
		b.nc.Close()
	}
	select {
	case <-b.ncDone:
	case <-time.After(defaultDrainTimeout + 5*time.Second):
		b.nc.Close()
		err = errors.New("bus: timed out draining the nats connection")
	}
	b.shutdownEmbedded()
	b.log.Info("bus closed")
	return err
}

// serverLogger sends the embedded server's log to slog. Notices are debug
// level: the server is chatty at start-up.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
