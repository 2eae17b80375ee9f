package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestPprofLoopbackOnly: profiles are served on loopback and refused
// anywhere else.
func TestPprofLoopbackOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "10.0.0.1:6060", "example.org:6060", "127.0.0.1"} {
		if err := startPprof(t.Context(), addr, log); err == nil {
			t.Errorf("--pprof-addr %q was accepted", addr)
		}
	}
	if err := startPprof(t.Context(), "", log); err != nil {
		t.Errorf("empty --pprof-addr: %v", err)
	}
	port := freeLoopbackPort(t)
	if err := startPprof(t.Context(), port, log); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + port + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "goroutine") {
		t.Fatalf("/debug/pprof/: %d %.200s", resp.StatusCode, b)
	}
}

func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
