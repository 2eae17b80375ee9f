package builtin

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/scan"
)

// hostile serves every connection with serve.
func hostile(t *testing.T, serve func(net.Conn)) string {
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
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestChecksSurviveHostileServers: endless bodies, slow-loris headers and
// huge headers give each check an answer or an error, never a hang or an
// unbounded read (the Fetcher's limits hold under every check).
func TestChecksSurviveHostileServers(t *testing.T) {
	endless := hostile(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><title>Index of /</title>")
		chunk := []byte(strings.Repeat("A", 32<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	loris := hostile(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for i := 0; i < 400; i++ {
			if _, err := io.WriteString(c, "X"); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	huge := hostile(t, func(c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("z", 1<<20)+"\r\n\r\n")
	})
	f := fetch.New(fetch.Config{Policy: fetch.LoopbackOnly(), InsecureTLS: true,
		Limits: fetch.Limits{Header: 500 * time.Millisecond, Total: 3 * time.Second, MaxBody: 256 << 10}})
	defer f.CloseIdle()
	env := &scan.Env{HTTP: f.Client(), Dial: f.Dial}
	for _, addr := range []string{endless, loris, huge} {
		for _, c := range []scan.Check{HSTS{}, Headers{}, CORS{}, Exposures{}, Versions{}} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := c.Run(ctx, env, scan.Target{URL: "http://" + addr, Mode: scan.Active}, func(scan.Result) {})
			if ctx.Err() != nil {
				t.Errorf("%s on %s ran until the test's own deadline", c.ID(), addr)
			}
			cancel()
			t.Logf("%s on %s: %v", c.ID(), addr, err)
		}
	}
}
