// Package fetch is the one way Garda reaches the outside world: scans,
// crawls, takedown checks and feed pulls all send their requests through a
// Fetcher. It decides, in one place, per-host politeness (concurrency and
// requests per second, settable per host, under a global ceiling),
// robots.txt where it applies, limits on time, body, headers, redirects and
// decompression, the networks Garda may reach, and the User-Agent that says
// who is asking.
//
// It must never let a caller reach an address outside its Policy: the
// check runs on the resolved address at dial time (net.Dialer.Control), so
// neither a hostname nor a DNS answer that changes between lookups (DNS
// rebinding) nor a redirect can get around it. It never reads a proxy from
// the environment, for the same reason.
package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// UserAgent says who is asking, so that a site's operator who sees Garda in
// a log knows whom to call.
const UserAgent = "Garda/0.1 (+KPU-BSSN election security task force)"

// Limits bound what one request may cost.
type Limits struct {
	Dial         time.Duration // TCP connect
	TLSHandshake time.Duration
	Header       time.Duration // from request written to response headers read
	Total        time.Duration // the whole exchange, body included
	MaxBody      int64         // bytes of (decompressed) body a caller may read
	MaxHeader    int64         // bytes of response headers
	MaxRedirects int
}

// DefaultLimits suit scanning a government web site.
func DefaultLimits() Limits {
	return Limits{
		Dial:         5 * time.Second,
		TLSHandshake: 5 * time.Second,
		Header:       10 * time.Second,
		Total:        30 * time.Second,
		MaxBody:      4 << 20,
		MaxHeader:    64 << 10,
		MaxRedirects: 10,
	}
}

// withDefaults fills each limit left at zero from DefaultLimits: a zero
// must never mean "no timeout" or "no size limit" by accident.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *time.Duration }{{&l.Dial, &d.Dial}, {&l.TLSHandshake, &d.TLSHandshake}, {&l.Header, &d.Header}, {&l.Total, &d.Total}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	if l.MaxHeader <= 0 {
		l.MaxHeader = d.MaxHeader
	}
	if l.MaxRedirects <= 0 {
		l.MaxRedirects = d.MaxRedirects
	}
	return l
}

// HostLimit is how hard Garda may press one host: open connections (for
// HTTP, requests in flight: one connection each, HTTP/1.1 only) and
// requests (or raw connections) per second. Zero means no limit.
type HostLimit struct {
	Conns int
	RPS   float64
}

// Paced exactly at the rate, one request arriving a millisecond late
// would make six within a second at 5/s, and a connection opened the
// moment the previous one closed may reach the host before that close.
// The defaults leave room for what a loaded machine showed (README, "one
// round over KPU's 553 sites": with a 250 ms spread, 4 of 553 sites saw
// six in a second; with 500 ms, none more than four): DefaultArrivalSpread
// 500 ms, at 5 requests/s one every 300 ms; DefaultCloseGrace 250 ms.
const (
	DefaultArrivalSpread = 500 * time.Millisecond
	DefaultCloseGrace    = 250 * time.Millisecond
)

// Config builds a Fetcher.
type Config struct {
	Policy Policy
	Limits Limits
	// PerHost applies to any host without its own SetHostLimit.
	PerHost HostLimit
	// Global caps the whole Fetcher, every host together.
	Global HostLimit
	// Robots makes every HTTP request obey the host's robots.txt (crawls);
	// scans under an authorisation leave it off.
	Robots bool
	// InsecureTLS accepts any certificate: scans must reach sites whose
	// certificates are broken (the TLS check judges them itself).
	InsecureTLS bool
	UserAgent   string // "" means UserAgent
	// Options reads, from a request, what only the transport can do for
	// it: another TLS server name, or sending it to a proxy (nil: none).
	Options func(*http.Request) RequestOptions
	// Now is the clock of the rate limits (tests set it; nil means time.Now).
	Now func() time.Time
	// ArrivalSpread is how unevenly requests sent on time may arrive (the
	// network, a loaded sender or receiver); the pacing leaves room for it
	// so that the host never sees more than RPS within one second of its
	// own clock: any RPS+1 requests in a row span at least 1 s plus this.
	// 0 means DefaultArrivalSpread; negative, none.
	ArrivalSpread time.Duration
	// CloseGrace is how long a closed connection keeps its slot, so that
	// the host has seen it end before the next one opens: a busy host
	// notices a close late. 0 means DefaultCloseGrace; negative, none.
	CloseGrace time.Duration
}

// RequestOptions are what a request may ask of the transport beyond its
// URL and headers.
type RequestOptions struct {
	// ServerName is the TLS server name (SNI) to send instead of the
	// URL's host (nuclei's @tls-sni).
	ServerName string
	// Proxy sends the request to this http:// URL as to a proxy, in
	// absolute form (nuclei's open-proxy checks). The proxy is the host
	// connected to, so its politeness and the address guard apply.
	Proxy *url.URL
}

// transportKey tells apart the transports of one host: one per server
// name and proxy asked for, each with its own kept-alive connections.
type transportKey struct {
	serverName, proxy string
}

// Fetcher sends requests under one Config. It is safe for concurrent use.
type Fetcher struct {
	cfg     Config
	tlsConf *tls.Config
	client  *http.Client
	dialer  *net.Dialer
	now     func() time.Time
	// wait sleeps d or until ctx ends (tests replace it to count waits
	// instead of sleeping).
	wait func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	hosts  map[string]*hostState
	limits map[string]HostLimit
	global *hostState
	robots *robotsCache
}

// New builds a Fetcher. A Config without a Policy allows nothing.
func New(cfg Config) *Fetcher {
	if cfg.UserAgent == "" {
		cfg.UserAgent = UserAgent
	}
	switch {
	case cfg.ArrivalSpread == 0:
		cfg.ArrivalSpread = DefaultArrivalSpread
	case cfg.ArrivalSpread < 0:
		cfg.ArrivalSpread = 0
	}
	switch {
	case cfg.CloseGrace == 0:
		cfg.CloseGrace = DefaultCloseGrace
	case cfg.CloseGrace < 0:
		cfg.CloseGrace = 0
	}
	cfg.Limits = cfg.Limits.withDefaults()
	f := &Fetcher{
		cfg:    cfg,
		now:    cfg.Now,
		wait:   sleepCtx,
		hosts:  map[string]*hostState{},
		limits: map[string]HostLimit{},
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.global = newHostState(cfg.Global, 0) // no one host receives them all
	f.dialer = &net.Dialer{
		Timeout:   cfg.Limits.Dial,
		KeepAlive: 30 * time.Second,
		Control:   f.control,
	}
	f.tlsConf = &tls.Config{InsecureSkipVerify: cfg.InsecureTLS} //nolint:gosec // scans judge certificates themselves
	if cfg.Robots {
		f.robots = newRobotsCache()
	}
	f.client = &http.Client{
		Transport:     &roundTripper{f: f},
		Timeout:       cfg.Limits.Total,
		CheckRedirect: f.checkRedirect,
	}
	return f
}

// Client is the guarded, polite HTTP client. Callers that must see a
// redirect rather than follow it copy it and set CheckRedirect.
func (f *Fetcher) Client() *http.Client { return f.client }

// SetHostLimit sets how hard Garda may press host (a name or an address,
// no port); an authorisation's ceilings arrive here.
func (f *Fetcher) SetHostLimit(host string, l HostLimit) {
	host = hostKey(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits[host] = l
	if old := f.hosts[host]; old != nil {
		go old.closeIdle() // holders release into the state they took
	}
	delete(f.hosts, host)
}

// CloseIdle closes kept-alive connections (at the end of a round).
func (f *Fetcher) CloseIdle() { f.closeAllIdle() }

// transportFor is the HTTP transport of one host and variant. Each host
// has its own, so that its idle connections, which hold its slots, can be
// closed when another connection to it needs one.
func (f *Fetcher) transportFor(host string, key transportKey, proxy *url.URL) *http.Transport {
	h := f.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.transports[key]; t != nil {
		return t
	}
	tlsConf := f.tlsConf.Clone()
	tlsConf.ServerName = key.serverName
	conns := 4
	if h.slots != nil {
		conns = cap(h.slots)
	}
	t := &http.Transport{
		// the only proxy is one a request names (RequestOptions), which is
		// dialled, and guarded, like any host; never the environment's
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return f.openConn(ctx, network, addr, true)
		},
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    f.cfg.Limits.TLSHandshake,
		ResponseHeaderTimeout:  f.cfg.Limits.Header,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: f.cfg.Limits.MaxHeader,
		DisableCompression:     true, // decompressed here, bounded
		MaxIdleConns:           conns,
		MaxIdleConnsPerHost:    conns,
		IdleConnTimeout:        10 * time.Second,
		// HTTP/1.1 only: one request per connection at a time, so the
		// per-host connection limit is also a limit of requests at once.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if proxy != nil {
		t.Proxy = http.ProxyURL(proxy)
	}
	h.transports[key] = t
	return t
}

// Dial opens a raw TCP connection for the ssl and network checks and the
// port scan, under the same guard and politeness as HTTP: the connection
// holds one of its host's slots until it is closed, and it is given a
// deadline of Limits.Total (the caller may set its own).
func (f *Fetcher) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("fetch: network %q is not supported", network)
	}
	c, err := f.openConn(ctx, network, addr, false)
	if err != nil {
		return nil, err
	}
	if f.cfg.Limits.Total > 0 {
		_ = c.SetDeadline(time.Now().Add(f.cfg.Limits.Total))
	}
	return c, nil
}

// control is the address guard: it runs after DNS, on the address about
// to be connected, for every connection the Fetcher opens.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	return f.cfg.Policy.check(address)
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.cfg.Limits.MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, f.cfg.Limits.MaxRedirects)
	}
	next := req.URL.String()
	for _, r := range via {
		if r.URL.String() == next {
			return fmt.Errorf("%w: %s comes back", ErrRedirectLoop, next)
		}
	}
	return nil
}

var (
	// ErrTooManyRedirects: a chain longer than Limits.MaxRedirects.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrRedirectLoop: a redirect back to a URL already visited.
	ErrRedirectLoop = errors.New("fetch: redirect loop")
	// ErrRobots: robots.txt forbids the URL (crawls only).
	ErrRobots = errors.New("fetch: disallowed by robots.txt")
)

// roundTripper adds, around the transport, what a request must pass:
// robots.txt, the User-Agent, and bounded decompression and body size; the
// host's and the global slots and rates are taken by its connections.
type roundTripper struct{ f *Fetcher }

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	f := rt.f
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("fetch: scheme %q is not supported", req.URL.Scheme)
	}
	if f.robots != nil {
		if err := f.robots.allowed(req.Context(), f, req.URL); err != nil {
			return nil, err
		}
	}
	return f.send(req)
}

// send is one exchange through the host's transport.
func (f *Fetcher) send(req *http.Request) (*http.Response, error) {
	var opt RequestOptions
	if f.cfg.Options != nil {
		opt = f.cfg.Options(req)
	}
	host, key := req.URL.Hostname(), transportKey{serverName: opt.ServerName}
	if opt.Proxy != nil {
		if opt.Proxy.Scheme != "http" || opt.Proxy.Host == "" {
			return nil, fmt.Errorf("fetch: proxy %q: want an http:// URL with a host", opt.Proxy.Redacted())
		}
		host, key.proxy = opt.Proxy.Hostname(), opt.Proxy.String()
	}
	transport := f.transportFor(host, key, opt.Proxy)
	req = req.Clone(req.Context())
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	weAskedGzip := false
	if req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == "" && req.Method != http.MethodHead {
		req.Header.Set("Accept-Encoding", "gzip")
		weAskedGzip = true
	}
	resp, err := transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if weAskedGzip && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Body = &gzipBody{raw: resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	resp.Body = newLimitedBody(resp.Body, f.cfg.Limits.MaxBody)
	return resp, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hostKey is what politeness counts by: the host name or address, lower
// case, without port or brackets.
func hostKey(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// BaseURL is scheme://host of u, for robots.txt and 404 probes.
func BaseURL(u *url.URL) string { return u.Scheme + "://" + u.Host }
