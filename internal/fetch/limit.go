package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Politeness is counted at the connection, the one thing a site's operator
// sees: every TCP connection Garda opens to a host (HTTP, TLS, the port
// scan, raw network checks) holds one of the host's slots until it is
// closed, idle keep-alive connections included, and each connection and
// each further request written on a kept-alive one takes the host's next
// turn of its pacer. Nothing reaches a host around this: the HTTP
// transports dial through the same path as Fetcher.Dial.

// hostState holds one host's (or the whole Fetcher's) politeness: a
// semaphore of connection slots, a pacer of connections and requests, and
// the HTTP transports whose connections hold those slots.
type hostState struct {
	slots chan struct{} // nil: no concurrency limit
	pace  *pacer        // nil: no rate limit

	mu         sync.Mutex
	transports map[transportKey]*http.Transport
}

func newHostState(l HostLimit, spread time.Duration) *hostState {
	s := &hostState{transports: map[transportKey]*http.Transport{}}
	if l.Conns > 0 {
		s.slots = make(chan struct{}, l.Conns)
	}
	if l.RPS > 0 {
		s.pace = newPacer(l.RPS, spread)
	}
	return s
}

// closeIdle closes the host's kept-alive connections, giving their slots
// to a connection that waits for one.
func (s *hostState) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.transports {
		t.CloseIdleConnections()
	}
}

func (f *Fetcher) host(host string) *hostState {
	host = hostKey(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.hosts[host]
	if !ok {
		l, ok := f.limits[host]
		if !ok {
			l = f.cfg.PerHost
		}
		s = newHostState(l, f.cfg.ArrivalSpread)
		f.hosts[host] = s
	}
	return s
}

// idleRecheck is how often a connection waiting for a slot closes the
// idle connections that may have come back meanwhile.
const idleRecheck = 250 * time.Millisecond

// takeSlot waits for one of s's slots; while it waits, idle keep-alive
// connections (of s, or of every host for the global ceiling) are closed
// so that they cannot hold the slot it needs.
func (f *Fetcher) takeSlot(ctx context.Context, s *hostState, closeIdle func()) error {
	if s.slots == nil {
		return nil
	}
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTicker(idleRecheck)
	defer t.Stop()
	for {
		closeIdle()
		select {
		case s.slots <- struct{}{}:
			return nil
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// openConn is the only way a connection to a host is made: a slot of the
// host and of the Fetcher, the host's and the Fetcher's next turn, then
// the guarded dial. paceWrites makes each later request on the
// connection (a write after the previous answer was read) wait for its
// own turn: HTTP keep-alive.
func (f *Fetcher) openConn(ctx context.Context, network, addr string, paceWrites bool) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("fetch: dial %q: %w", addr, err)
	}
	h := f.host(host)
	var held []chan struct{}
	release := func() {
		for _, c := range held {
			<-c
		}
	}
	if err := f.takeSlot(ctx, h, h.closeIdle); err != nil {
		return nil, fmt.Errorf("fetch: waiting for a connection slot to %s: %w", host, err)
	}
	if h.slots != nil {
		held = append(held, h.slots)
	}
	if err := f.takeSlot(ctx, f.global, f.closeAllIdle); err != nil {
		release()
		return nil, fmt.Errorf("fetch: waiting for a connection slot (all hosts): %w", err)
	}
	if f.global.slots != nil {
		held = append(held, f.global.slots)
	}
	turn := func(ctx context.Context) error {
		for _, s := range []*hostState{h, f.global} {
			if s.pace != nil {
				if err := f.paceWait(ctx, s.pace); err != nil {
					return fmt.Errorf("fetch: waiting for the rate limit of %s: %w", host, err)
				}
			}
		}
		return nil
	}
	if err := turn(ctx); err != nil {
		release()
		return nil, err
	}
	c, err := f.dialer.DialContext(ctx, network, addr)
	if err != nil {
		release()
		return nil, err
	}
	hc := &hostConn{Conn: c, release: release, linger: f.cfg.CloseGrace}
	if paceWrites {
		hc.turn = turn
	}
	return hc, nil
}

func (f *Fetcher) closeAllIdle() {
	f.mu.Lock()
	hosts := make([]*hostState, 0, len(f.hosts))
	for _, h := range f.hosts {
		hosts = append(hosts, h)
	}
	f.mu.Unlock()
	for _, h := range hosts {
		h.closeIdle()
	}
}

// hostConn is a connection holding its slots until closed; with turn set,
// a write that follows a read (the next request on a kept-alive
// connection) first waits for the host's next turn.
type hostConn struct {
	net.Conn
	once    sync.Once
	release func()
	// linger: the slot is given back this long after the close, by when
	// the host has seen the connection end; a new one at once would, on a
	// busy host, be open beside the old one still being closed.
	linger time.Duration
	turn   func(context.Context) error
	read   atomic.Bool // bytes were read since the last write
}

func (c *hostConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.read.Store(true)
	}
	return n, err
}

func (c *hostConn) Write(p []byte) (int, error) {
	if c.turn != nil && c.read.Swap(false) {
		// bounded: at most one connection slot's worth of waiters ahead
		if err := c.turn(context.Background()); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

func (c *hostConn) Close() error {
	// Close's own FIN waits until no goroutine is in the socket (the
	// HTTP transport's reader must wake first, late on a busy machine):
	// shutting the writing side down sends it now, so the host sees the
	// connection end before its slot, after the grace, opens another.
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	err := c.Conn.Close()
	c.once.Do(func() {
		if c.linger > 0 {
			time.AfterFunc(c.linger, c.release)
		} else {
			c.release()
		}
	})
	return err
}

// pacer spaces a host's connections and requests at least 1/rate apart,
// measured from when each one was actually let go, not from when it was
// booked: a goroutine that wakes late (a loaded machine) pushes the next
// turn back instead of letting two go out together, so a site never sees
// more than rate of them within any one second, give or take the arrival
// spread that the interval leaves room for.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// newPacer lets rate go within any 1 s + spread: one every
// (1 s + spread) / rate.
func newPacer(rate float64, spread time.Duration) *pacer {
	return &pacer{interval: time.Duration(float64(time.Second+spread) / rate)}
}

// take lets one go at now and returns 0, or says how long to wait before
// asking again, taking nothing.
func (p *pacer) take(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.next) {
		return p.next.Sub(now)
	}
	p.next = now.Add(p.interval)
	return 0
}

func (f *Fetcher) paceWait(ctx context.Context, p *pacer) error {
	for {
		d := p.take(f.now())
		if d == 0 {
			return nil
		}
		if err := f.wait(ctx, d); err != nil {
			return err
		}
	}
}
