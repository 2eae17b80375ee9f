package fetch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testFetcher(t *testing.T, mod func(*Config)) *Fetcher {
	t.Helper()
	cfg := Config{Policy: LoopbackOnly(), CloseGrace: -1, Limits: Limits{
		Dial: 2 * time.Second, TLSHandshake: 2 * time.Second, Header: 2 * time.Second,
		Total: 5 * time.Second, MaxBody: 1 << 20, MaxHeader: 16 << 10, MaxRedirects: 5,
	}}
	if mod != nil {
		mod(&cfg)
	}
	f := New(cfg)
	t.Cleanup(f.CloseIdle)
	return f
}

// rawServer answers every connection with serve, for responses net/http
// would refuse to write.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

func readRequest(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

func TestSlowLorisHeadersTimeOut(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for i := 0; i < 600; i++ { // a byte every 50 ms: a minute of headers
			if _, err := io.WriteString(c, "X"); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	f := testFetcher(t, func(c *Config) { c.Limits.Header = 300 * time.Millisecond })
	_, err := f.Client().Get("http://" + addr + "/")
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("slow-loris headers: want a timeout error, got %v", err)
	}
}

func TestSlowBodyTimesOut(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
		for i := 0; i < 1200; i++ {
			if _, err := io.WriteString(c, "x"); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	f := testFetcher(t, func(c *Config) { c.Limits.Total = 500 * time.Millisecond })
	resp, err := f.Client().Get("http://" + addr + "/")
	if err == nil {
		_, _, err = ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("slow body: want the total timeout, got %v", err)
	}
}

func TestEndlessBodyIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("A"), 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := testFetcher(t, nil)
	resp, err := f.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, cut, err := ReadAll(resp.Body)
	if err != nil || !cut || len(b) != 1<<20 {
		t.Fatalf("endless body: got %d bytes, cut=%v, err=%v; want %d bytes cut", len(b), cut, err, 1<<20)
	}
	_, err = io.ReadAll(resp.Body)
	if !IsCut(err) || err.Error() != "fetch: body cut at 1048576 bytes" {
		t.Fatalf("reading on: want the cut error, got %v", err)
	}
}

func TestGzipBombIsBounded(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 16; i++ { // 16 MiB of zeros in ~16 KiB
		zw.Write(zeros)
	}
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	}))
	defer srv.Close()
	f := testFetcher(t, nil)
	resp, err := f.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, cut, err := ReadAll(resp.Body)
	if err != nil || !cut || len(b) != 1<<20 || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip bomb of %d bytes: got %d decompressed, cut=%v, err=%v", bomb.Len(), len(b), cut, err)
	}
}

func TestGzipBodyDecoded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, "hello, KPU")
		zw.Close()
	}))
	defer srv.Close()
	resp, err := testFetcher(t, nil).Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, cut, err := ReadAll(resp.Body)
	if string(b) != "hello, KPU" || cut || err != nil {
		t.Fatalf("got %q cut=%v err=%v", b, cut, err)
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusFound) })
	mux.HandleFunc("/n/", func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.URL.Path, "/n/%d", &i)
		http.Redirect(w, r, fmt.Sprintf("/n/%d", i+1), http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/end", http.StatusFound) })
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "end") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := testFetcher(t, nil).Client()
	if _, err := c.Get(srv.URL + "/a"); !errors.Is(err, ErrRedirectLoop) {
		t.Errorf("loop: got %v", err)
	}
	if _, err := c.Get(srv.URL + "/n/0"); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("chain: got %v", err)
	}
	resp, err := c.Get(srv.URL + "/ok")
	if err != nil || resp.Request.URL.Path != "/end" {
		t.Fatalf("one redirect: %v", err)
	}
	resp.Body.Close()
}

func TestHugeHeadersRefused(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(c, "X-Filler-%d: %s\r\n", i, strings.Repeat("z", 1000))
		}
		io.WriteString(c, "Content-Length: 0\r\n\r\n")
	})
	_, err := testFetcher(t, nil).Client().Get("http://" + addr + "/")
	if err == nil || !strings.Contains(err.Error(), "headers exceeded") {
		t.Fatalf("huge headers: got %v", err)
	}
}

func TestAddressGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the guard let a request through")
	}))
	defer srv.Close()
	only10, err := ParsePolicy("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Policy{only10, PublicInternet(), {}} {
		f := testFetcher(t, func(c *Config) { c.Policy = p })
		// "localhost" is a name: the guard judges what it resolves to.
		u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
		_, err := f.Client().Get(u)
		var denied *DeniedError
		if !errors.As(err, &denied) || !strings.Contains(err.Error(), "outside the networks Garda may reach") {
			t.Errorf("policy %v: want a DeniedError, got %v", p, err)
		}
		_, err = f.Dial(context.Background(), "tcp", srv.Listener.Addr().String())
		if !errors.As(err, &denied) {
			t.Errorf("policy %v: Dial: want a DeniedError, got %v", p, err)
		}
	}
	// A redirect cannot lead out either.
	out := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.255.255.1:9/", http.StatusFound)
	}))
	defer out.Close()
	_, err = testFetcher(t, nil).Client().Get(out.URL)
	var denied *DeniedError
	if !errors.As(err, &denied) {
		t.Errorf("redirect to 10.255.255.1: want a DeniedError, got %v", err)
	}
}

func TestPolicyPermits(t *testing.T) {
	pub := PublicInternet()
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "103.10.1.1": true, "2001:4860::8888": true,
		"10.1.2.3": false, "192.168.1.1": false, "172.20.0.1": false, "127.0.0.1": false,
		"169.254.169.254": false, "100.64.1.1": false, "::1": false, "fd00::1": false, "::ffff:10.0.0.1": false,
	} {
		if got := pub.Permits(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicInternet.Permits(%s) = %v", addr, got)
		}
	}
	if !LoopbackOnly().Permits(netip.MustParseAddr("127.0.0.5")) || LoopbackOnly().Permits(netip.MustParseAddr("8.8.8.8")) {
		t.Error("LoopbackOnly")
	}
	if _, err := ParsePolicy("10.0.0.0/33"); err == nil {
		t.Error("a malformed prefix was accepted")
	}
}

func TestUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.UserAgent() }))
	defer srv.Close()
	resp, err := testFetcher(t, nil).Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ua := <-got; ua != UserAgent || !strings.Contains(ua, "KPU-BSSN") {
		t.Fatalf("User-Agent %q", ua)
	}
}

// maxGauge records the highest value a counter reached.
type maxGauge struct {
	mu       sync.Mutex
	cur, max int
}

func (g *maxGauge) add(d int) {
	g.mu.Lock()
	g.cur += d
	if g.cur > g.max {
		g.max = g.cur
	}
	g.mu.Unlock()
}

func TestPerHostConcurrencyHTTP(t *testing.T) {
	var inFlight maxGauge
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.add(1)
		time.Sleep(20 * time.Millisecond)
		inFlight.add(-1)
	}))
	defer srv.Close()
	f := testFetcher(t, func(c *Config) { c.PerHost = HostLimit{Conns: 8} })
	f.SetHostLimit("127.0.0.1", HostLimit{Conns: 2}) // the authorisation's ceiling wins
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := f.Client().Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if inFlight.max < 1 || inFlight.max > 2 {
		t.Fatalf("at most 2 requests at once to the host, the server saw %d", inFlight.max)
	}
	t.Logf("max in flight: %d", inFlight.max)
}

// TestPerHostConcurrencyDial counts open connections on the server. The
// client says goodbye and waits for the server's answer before closing, so
// the server's count is exact, not racing the close.
func TestPerHostConcurrencyDial(t *testing.T) {
	var open maxGauge
	var total atomic.Int32
	addr := rawServer(t, func(c net.Conn) {
		open.add(1)
		total.Add(1)
		br := bufio.NewReader(c)
		br.ReadString('\n')
		time.Sleep(10 * time.Millisecond)
		open.add(-1)
		io.WriteString(c, "ok\n")
	})
	f := testFetcher(t, nil)
	f.SetHostLimit("127.0.0.1", HostLimit{Conns: 3})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.Dial(context.Background(), "tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			io.WriteString(c, "bye\n")
			bufio.NewReader(c).ReadString('\n')
		}()
	}
	wg.Wait()
	if total.Load() != 20 || open.max < 1 || open.max > 3 {
		t.Fatalf("20 connections, at most 3 open: the server saw %d, at most %d open", total.Load(), open.max)
	}
}

func TestGlobalCeiling(t *testing.T) {
	var inFlight maxGauge
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.add(1)
		time.Sleep(10 * time.Millisecond)
		inFlight.add(-1)
	})
	a := httptest.NewServer(h)
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("127.0.0.2 is not available:", err)
	}
	b := httptest.NewUnstartedServer(h)
	b.Listener = ln
	b.Start()
	defer b.Close()
	f := testFetcher(t, func(c *Config) { c.Global = HostLimit{Conns: 1}; c.PerHost = HostLimit{Conns: 4} })
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		u := a.URL
		if i%2 == 1 {
			u = b.URL
		}
		go func() {
			defer wg.Done()
			resp, err := f.Client().Get(u)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if inFlight.max != 1 {
		t.Fatalf("global ceiling 1: saw %d at once across two hosts", inFlight.max)
	}
}

// TestRateSpacing runs requests through a fake clock: the Fetcher asks to
// wait instead of sleeping, and the waits it asks for are the spacing.
func TestRateSpacing(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer srv.Close()
	clock := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f := testFetcher(t, func(c *Config) {
		c.PerHost = HostLimit{RPS: 5}
		c.ArrivalSpread = -1 // exactly the rate
		c.Now = func() time.Time { return clock }
	})
	var waits []time.Duration
	f.wait = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock = clock.Add(d) // the request is sent when the wait is over
		return nil
	}
	for i := 0; i < 10; i++ {
		resp, err := f.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var total time.Duration
	for i, w := range waits {
		if i > 0 && w != 200*time.Millisecond {
			t.Errorf("request %d waited %v, want 200ms at 5/s", i, w)
		}
		total += w
	}
	if served.Load() != 10 || total != 1800*time.Millisecond {
		t.Fatalf("10 requests at 5/s: served %d, waited %v (want 1.8s)", served.Load(), total)
	}
}

func TestPacerLeavesRoomForArrivalSpread(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := newPacer(5, 250*time.Millisecond)
	p.take(t0)
	if got := p.take(t0); got != 250*time.Millisecond {
		t.Fatalf("5/s with a 250 ms spread: next after %v, want 250ms", got)
	}
}

func TestPacer(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := newPacer(2, 0) // one every 500 ms
	if got := p.take(t0); got != 0 {
		t.Fatalf("first turn waited %v", got)
	}
	if got := p.take(t0.Add(100 * time.Millisecond)); got != 400*time.Millisecond {
		t.Errorf("second turn 100 ms later: wait %v, want 400ms", got)
	}
	// A turn let go late (the waiter woke 300 ms after its time) pushes
	// the next one back: spacing is measured from when each went out.
	if got := p.take(t0.Add(800 * time.Millisecond)); got != 0 {
		t.Errorf("late turn: %v", got)
	}
	if got := p.take(t0.Add(900 * time.Millisecond)); got != 400*time.Millisecond {
		t.Errorf("after a late turn: wait %v, want 400ms (500 ms after it)", got)
	}
	// A long idle banks nothing: after an hour, one goes, the next waits.
	if got := p.take(t0.Add(time.Hour)); got != 0 {
		t.Errorf("after an hour: %v", got)
	}
	if got := p.take(t0.Add(time.Hour)); got != 500*time.Millisecond {
		t.Errorf("burst after an hour: %v", got)
	}
}

// TestPacedWithinEverySecond sends from several goroutines through a real
// clock and checks, on the server, that no window of one second (sliding,
// so every calendar second too) saw more than the rate.
func TestPacedWithinEverySecond(t *testing.T) {
	var mu sync.Mutex
	var seen []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, time.Now())
		mu.Unlock()
	}))
	defer srv.Close()
	f := testFetcher(t, func(c *Config) { c.PerHost = HostLimit{Conns: 2, RPS: 20} })
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 8; j++ {
				resp, err := f.Client().Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 32 {
		t.Fatalf("served %d of 32", len(seen))
	}
	// 20/s: at most 20 in any second; the gaps are 75 ms (the default
	// arrival spread) give or take the server's own scheduling, so check
	// the window, not each gap.
	for i := range seen {
		n := 0
		for _, s := range seen[i:] {
			if s.Sub(seen[i]) < time.Second {
				n++
			}
		}
		if n > 20 {
			t.Fatalf("%d requests within one second of request %d (rate 20/s)", n, i)
		}
	}
}

// TestIdleConnectionsHoldSlots: a kept-alive connection counts against the
// host's connections, and a raw connection that needs its slot gets it by
// closing the idle one (not by waiting for the idle timeout, 10 s): with a
// limit of 1, every round opens a new HTTP connection and a raw one.
func TestIdleConnectionsHoldSlots(t *testing.T) {
	var opened atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	f := testFetcher(t, func(c *Config) { c.PerHost = HostLimit{Conns: 1} })
	for i := 0; i < 3; i++ {
		resp, err := f.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// the HTTP connection is now idle, kept alive, holding the slot
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, err := f.Dial(ctx, "tcp", srv.Listener.Addr().String())
		cancel()
		if err != nil {
			t.Fatalf("raw dial beside an idle connection: %v", err)
		}
		c.Close()
	}
	// the server learns of the last connection a moment after it is made
	for wait := 0; opened.Load() < 6 && wait < 100; wait++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := opened.Load(); n != 6 {
		t.Fatalf("limit 1: want 3 HTTP connections (each closed for the raw one) and 3 raw ones, the server saw %d", n)
	}
}

func TestRobots(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "User-agent: Garda\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	crawl := testFetcher(t, func(c *Config) { c.Robots = true }).Client()
	if _, err := crawl.Get(srv.URL + "/private/x"); !errors.Is(err, ErrRobots) {
		t.Errorf("crawl of /private: got %v", err)
	}
	resp, err := crawl.Get(srv.URL + "/public")
	if err != nil {
		t.Fatalf("crawl of /public: %v", err)
	}
	resp.Body.Close()
	scan := testFetcher(t, nil).Client()
	resp, err = scan.Get(srv.URL + "/private/x")
	if err != nil {
		t.Fatalf("a scan ignores robots.txt: %v", err)
	}
	resp.Body.Close()
}

func TestRobotsUnreachableMeansStayOut(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if _, err := testFetcher(t, func(c *Config) { c.Robots = true }).Client().Get(srv.URL + "/x"); !errors.Is(err, ErrRobots) {
		t.Fatalf("robots.txt answering 503: got %v", err)
	}
}

func TestZeroLimitsTakeDefaults(t *testing.T) {
	f := New(Config{Policy: LoopbackOnly(), Limits: Limits{MaxBody: 10}})
	l := f.cfg.Limits
	if l.MaxBody != 10 || l.Total != DefaultLimits().Total || l.Header == 0 || l.Dial == 0 || l.MaxRedirects == 0 || l.MaxHeader == 0 {
		t.Fatalf("limits %+v", l)
	}
}

// BenchmarkGet is one polite, guarded request and its body through the
// Fetcher, over loopback with keep-alive.
func BenchmarkGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 4096))
	}))
	defer srv.Close()
	f := New(Config{Policy: LoopbackOnly(), PerHost: HostLimit{Conns: 4}})
	defer f.CloseIdle()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := f.Client().Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// TestOneHostOnePace: raw connections (the port scan, TLS probes) and HTTP
// requests to two ports of one host share its pace: the host sees no more
// than the rate within any second, whatever kind of connection arrives.
func TestOneHostOnePace(t *testing.T) {
	var mu sync.Mutex
	var seen []time.Time
	mark := func() { mu.Lock(); seen = append(seen, time.Now()); mu.Unlock() }
	raw := rawServer(t, func(c net.Conn) { mark() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mark() }))
	defer srv.Close()
	f := testFetcher(t, func(c *Config) { c.PerHost = HostLimit{Conns: 2, RPS: 10} })
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 8; j++ {
				if c, err := f.Dial(context.Background(), "tcp", raw); err == nil {
					c.Close()
				}
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 8; j++ {
				if resp, err := f.Client().Get(srv.URL); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond) // the last raw connection's mark
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 32 {
		t.Fatalf("the host saw %d of 32", len(seen))
	}
	slices.SortFunc(seen, time.Time.Compare)
	for i := range seen {
		n := 0
		for _, s := range seen[i:] {
			if s.Sub(seen[i]) < time.Second {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("%d connections and requests within one second of the %dth (rate 10/s)", n, i)
		}
	}
}

// TestCloseGrace: a closed connection keeps its slot for the grace, so the
// next connection to the host opens no sooner.
func TestCloseGrace(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {})
	f := testFetcher(t, func(c *Config) { c.PerHost = HostLimit{Conns: 1}; c.CloseGrace = 300 * time.Millisecond })
	c, err := f.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	closed := time.Now()
	c, err = f.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if waited := time.Since(closed); waited < 300*time.Millisecond {
		t.Fatalf("the next connection opened %v after the close, before the 300 ms grace", waited)
	}
}
