package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

// ListenConfig configures a syslog Listener.
type ListenConfig struct {
	// Parser reads each message (format syslog or auth, usually) and
	// counts it; Parser.Counters also count UDP drops.
	Parser *Parser
	// MaxMessage is the largest message accepted, in bytes; 64 KiB when
	// zero. Larger ones are rejected (TooLong), never buffered whole.
	MaxMessage int
	// UDPQueue is how many datagrams may wait for the handler before new
	// ones are dropped (and counted); 4096 when zero.
	UDPQueue int
	// Logger reports connection errors; slog.Default when nil.
	Logger *slog.Logger
}

// Listener receives syslog over UDP and TCP on one address (RFC 5426 and
// RFC 6587; RFC 3164 and 5424 messages, see package syslog) and hands
// each parsed event to a handler, one at a time. Back-pressure: while the
// handler blocks, TCP connections are not read, so their senders slow
// down; UDP datagrams queue up to UDPQueue, then are dropped and counted.
type Listener struct {
	cfg ListenConfig
	tcp net.Listener
	udp net.PacketConn
	mu  sync.Mutex // one handler call at a time
}

// Listen binds host:port on both TCP and UDP. With port 0 it picks a port
// free for both.
func Listen(ctx context.Context, addr string, cfg ListenConfig) (*Listener, error) {
	if cfg.Parser == nil {
		return nil, errors.New("listen syslog: no parser")
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 64 << 10
	}
	if cfg.UDPQueue <= 0 {
		cfg.UDPQueue = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen syslog: %w", err)
	}
	var lc net.ListenConfig
	for try := 0; ; try++ {
		tcp, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen syslog tcp: %w", err)
		}
		p := port
		if p == "0" {
			p = strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
		}
		udp, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, p))
		if err == nil {
			return &Listener{cfg: cfg, tcp: tcp, udp: udp}, nil
		}
		tcp.Close()
		if port != "0" || try == 10 {
			return nil, fmt.Errorf("listen syslog udp: %w", err)
		}
	}
}

// TCPAddr is the bound TCP address.
func (l *Listener) TCPAddr() net.Addr { return l.tcp.Addr() }

// UDPAddr is the bound UDP address.
func (l *Listener) UDPAddr() net.Addr { return l.udp.LocalAddr() }

// Serve receives messages until ctx is done (it then returns nil) or
// handle returns an error (returned). handle is called from one goroutine
// at a time; the event it gets is reused after it returns. An event whose
// message has no time gets the time it was received; one with no host
// name gets the sender's address. handle is told the address the message
// came from (invalid when unknown): the sender, whatever host name the
// message claims.
func (l *Listener) Serve(parent context.Context, handle func(ev *event.Event, from netip.Addr) error) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var wg sync.WaitGroup

	deliver := func(ev *event.Event, msg []byte, from net.Addr) {
		if err := l.cfg.Parser.Parse(msg, ev); err != nil {
			return
		}
		if ev.Time.IsZero() {
			ev.Time = time.Now()
		}
		var addr netip.Addr
		if from != nil {
			if ap, err := netip.ParseAddrPort(from.String()); err == nil {
				addr = ap.Addr().Unmap()
			}
		}
		if ev.Get(event.HostName) == "" && addr.IsValid() {
			ev.Set(event.HostName, addr.String())
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err := handle(ev, addr); err != nil {
			cancel(err)
		}
	}

	// UDP: a reader that never waits for the handler, and a worker that
	// does; between them a bounded queue.
	queue := make(chan datagram, l.cfg.UDPQueue)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(queue)
		buf := make([]byte, l.cfg.MaxMessage+1)
		for {
			n, from, err := l.udp.ReadFrom(buf)
			if err != nil {
				if ctx.Err() == nil {
					l.cfg.Logger.Warn("syslog udp read", "err", err)
					cancel(fmt.Errorf("syslog udp: %w", err))
				}
				return
			}
			if n > l.cfg.MaxMessage {
				l.cfg.Parser.Counters.Reject(TooLong)
				continue
			}
			msg := syslog.Trim(buf[:n])
			if len(msg) == 0 {
				continue
			}
			select {
			case queue <- datagram{msg: append([]byte(nil), msg...), from: from}:
			default:
				l.cfg.Parser.Counters.Drop()
			}
		}
	}()
	go func() {
		defer wg.Done()
		var ev event.Event
		for d := range queue {
			deliver(&ev, d.msg, d.from)
		}
	}()

	// TCP: a goroutine per connection, reading only as fast as the
	// handler takes its messages.
	var conns sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.tcp.Accept()
			if err != nil {
				if ctx.Err() == nil {
					cancel(fmt.Errorf("syslog tcp: %w", err))
				}
				return
			}
			conns.Store(c, struct{}{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conns.Delete(c)
				defer c.Close()
				l.serveConn(ctx, c, deliver)
			}()
		}
	}()

	<-ctx.Done()
	l.tcp.Close()
	l.udp.Close()
	conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
	wg.Wait()
	if parent.Err() != nil {
		return nil
	}
	return context.Cause(ctx)
}

type datagram struct {
	msg  []byte
	from net.Addr
}

func (l *Listener) serveConn(ctx context.Context, c net.Conn, deliver func(*event.Event, []byte, net.Addr)) {
	sp := syslog.NewSplitter(c, l.cfg.MaxMessage)
	var ev event.Event
	from := c.RemoteAddr()
	for ctx.Err() == nil {
		msg, err := sp.Next()
		switch {
		case errors.Is(err, syslog.ErrTooLong):
			l.cfg.Parser.Counters.Reject(TooLong)
			continue
		case err == io.EOF:
			return
		case err != nil:
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				l.cfg.Logger.Debug("syslog tcp connection", "peer", from.String(), "err", err)
			}
			return
		}
		if len(msg) > 0 {
			deliver(&ev, msg, from)
		}
	}
}

// Close releases the sockets of a listener that will not Serve.
func (l *Listener) Close() error {
	return errors.Join(l.tcp.Close(), l.udp.Close())
}
