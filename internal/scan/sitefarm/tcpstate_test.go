package sitefarm

import (
	"net"
	"runtime"
	"testing"
	"time"
)

func TestClosedByPeer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux's TCP_INFO")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if closedByPeer(s) {
		t.Fatal("an open connection counted as closed")
	}
	c.Close()
	for i := 0; i < 100 && !closedByPeer(s); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !closedByPeer(s) {
		t.Fatal("the client closed, the server's socket still counts as open")
	}
}

// A connection the server has closed itself, before http.Server's
// StateClosed hook has run, is not open.
func TestClosedByServerIsNotOpen(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux's TCP_INFO")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if closedByPeer(s) {
		t.Fatal("an open connection counted as closed")
	}
	s.Close()
	if !closedByPeer(s) {
		t.Fatal("a connection the server closed still counts as open")
	}
}
