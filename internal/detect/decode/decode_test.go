package decode

import (
	"testing"

	"github.com/garda-id/garda/internal/allocstest"
)

func TestTarget(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/cari?q=1+union+select+1,2--", "/cari?q=1 union select 1,2--"},
		{"/cari?q=1%20union%20select", "/cari?q=1 union select"},
		{"/get?id=1%2527%20or%201%3D1", "/get?id=1' or 1=1"},
		{"/f?file=%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/f?file=../../etc/passwd"},
		{"/%252e%252e/%252e%252e/etc/passwd", "/../../etc/passwd"},
		{"/a+b/c?x=1%2B1", "/a+b/c?x=1+1"},             // '+' is a space only in the query, and only as sent
		{"/x?v=..%u2215..%u2215etc", "/x?v=..∕..∕etc"}, // IIS's %u
		{"/x?v=100%25+sure", "/x?v=100% sure"},         // a percent sign that decodes to nothing further
		{"/x?v=%25252525", "/x?v=%25"},                 // at most MaxRounds rounds
		{"/x?v=50%+off", "/x?v=50% off"},               // a bare percent stays
		{"/x?a=%0D%0ASet-Cookie:x", "/x?a=\r\nSet-Cookie:x"},
		{"/x?f=%c0%ae%c0%ae%c0%afetc%c0%afpasswd", "/x?f=../etc/passwd"}, // overlong UTF-8
		{"/x?id=1%C0%A7%20or%201=1", "/x?id=1' or 1=1"},
		{"/x?f=%e0%80%ae%e0%80%ae/", "/x?f=../"},
		{"/x?q=caf%C3%A9+%E0%A4%95", "/x?q=café क"}, // proper UTF-8 stays
	} {
		got, ok := Target(c.in)
		if got != c.want || !ok {
			t.Errorf("Target(%q) = %q, %v; want %q, true", c.in, got, ok, c.want)
		}
	}
	for _, plain := range []string{"/", "/berita/123?page=2", "/cari?q=jadwal"} {
		if got, ok := Target(plain); ok || got != plain {
			t.Errorf("Target(%q) = %q, %v; want it unchanged", plain, got, ok)
		}
	}
}

func TestTargetNoAllocPlain(t *testing.T) {
	if n := allocstest.PerRun(100, func() { Target("/berita/123/pengumuman-dpt?page=2") }); n != 0 {
		t.Errorf("%v allocations for a target with nothing to decode", n)
	}
}
