package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

type received struct {
	mu     sync.Mutex
	events []string
	notify chan struct{}
}

func (r *received) handle(ev *event.Event) error {
	r.mu.Lock()
	r.events = append(r.events, ev.Get(event.HostName)+"|"+ev.Get(event.ProcessName)+"|"+ev.Get(event.EventAction)+"|"+ev.Get(event.Message))
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

func (r *received) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		if len(r.events) >= n {
			out := append([]string(nil), r.events...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("got %d events, want %d", len(r.events), n)
		}
	}
}

// serve starts a listener on 127.0.0.1 and stops it when the test ends.
func serve(t *testing.T, cfg ListenConfig, handle func(*event.Event) error) *Listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, func(ev *event.Event, _ netip.Addr) error { return handle(ev) }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not stop")
		}
	})
	return l
}

func TestListenUDPAndTCP(t *testing.T) {
	var c Counters
	r := &received{notify: make(chan struct{}, 1)}
	l := serve(t, ListenConfig{Parser: &Parser{Format: &format.Auth{}, Counters: &c}, MaxMessage: 512}, r.handle)

	u, err := net.Dial("udp", l.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write([]byte("<38>Feb 14 06:00:01 web1 sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2\n"))
	r.waitFor(t, 1)
	u.Write([]byte("\xff\xfe binary datagram"))
	u.Write([]byte(strings.Repeat("x", 600))) // over MaxMessage
	u.Write([]byte("<38>no header but a priority"))
	r.waitFor(t, 2)

	tc, err := net.Dial("tcp", l.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	msg := `<38>1 2024-02-14T06:00:02+07:00 web2 sshd 7 - - Accepted publickey for kpu from 10.0.0.4 port 2 ssh2`
	fmt.Fprintf(tc, "%d %s", len(msg), msg)                                  // octet counting
	fmt.Fprintf(tc, "<38>Feb 14 06:00:03 web3 su: (to root) kpu on pts/0\n") // LF framing
	fmt.Fprintf(tc, "%d %s", 1000, strings.Repeat("y", 1000))                // too long: skipped by count
	fmt.Fprintf(tc, "garbage line\n")
	fmt.Fprintf(tc, "<38>Feb 14 06:00:04 web3 sudo: kpu : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id\n")
	got := r.waitFor(t, 5)
	want := []string{
		"web1|sshd|ssh_login|Failed password for root from 203.0.113.5 port 1 ssh2",
		"127.0.0.1|||no header but a priority", // no host name: the sender's address
		"web2|sshd|ssh_login|Accepted publickey for kpu from 10.0.0.4 port 2 ssh2",
		"web3|su|su|(to root) kpu on pts/0",
		"web3|sudo|sudo|kpu : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	s := c.Snapshot()
	if s.Accepted != 5 || s.Rejected[Binary] != 1 || s.Rejected[TooLong] != 2 || s.Rejected[Unparseable] != 1 {
		t.Fatalf("counters %+v", s)
	}
}

// TestListenBackPressure blocks the handler: TCP senders are held back
// (nothing is lost), UDP datagrams beyond the queue are dropped and
// counted.
func TestListenBackPressure(t *testing.T) {
	var c Counters
	release := make(chan struct{})
	var mu sync.Mutex
	n := 0
	l := serve(t, ListenConfig{Parser: &Parser{Format: &format.Syslog{}, Counters: &c}, UDPQueue: 4}, func(*event.Event) error {
		<-release
		mu.Lock()
		n++
		mu.Unlock()
		return nil
	})

	u, err := net.Dial("udp", l.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := 0; i < 50; i++ {
		fmt.Fprintf(u, "<13>Feb 14 06:00:00 h p: udp %d", i)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Snapshot().Dropped == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.Snapshot().Dropped == 0 {
		t.Fatal("no UDP drop counted while the handler blocked")
	}

	// TCP: write far more than the socket buffers hold while the handler
	// blocks; the writer must be held back, not the data lost.
	tc, err := net.Dial("tcp", l.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	line := "<13>Feb 14 06:00:00 h p: " + strings.Repeat("t", 200) + "\n"
	const tcpLines = 100000 // 22 MB, more than loopback buffers hold
	wrote := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < tcpLines && err == nil; i++ {
			_, err = tc.Write([]byte(line))
		}
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("22 MB written while the handler blocked (err %v): no back-pressure", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := n
		mu.Unlock()
		s := c.Snapshot()
		if int64(got) == s.Accepted && s.Accepted >= tcpLines {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d, counters %+v", got, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := c.Snapshot()
	if s.Read+s.Dropped != tcpLines+50 {
		t.Fatalf("counters %+v: read + dropped != sent", s)
	}
}

func TestListenHandlerError(t *testing.T) {
	boom := errors.New("bus closed")
	ctx := context.Background()
	l, err := Listen(ctx, "127.0.0.1:0", ListenConfig{Parser: &Parser{Format: &format.Syslog{}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, func(*event.Event, netip.Addr) error { return boom }) }()
	u, err := net.Dial("udp", l.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for {
		u.Write([]byte("<13>Feb 14 06:00:00 h p: x"))
		select {
		case err := <-done:
			if !errors.Is(err, boom) {
				t.Fatalf("Serve returned %v", err)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestListenNoParser(t *testing.T) {
	if _, err := Listen(context.Background(), "127.0.0.1:0", ListenConfig{}); err == nil {
		t.Fatal("listened without a parser")
	}
}
