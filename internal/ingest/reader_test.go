package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

// readAll reads every line of r as strings.
func readAll(t *testing.T, r Lines) []string {
	t.Helper()
	var out []string
	for {
		line, err := r.Next(context.Background())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(line))
	}
}

func TestReaderLines(t *testing.T) {
	long := strings.Repeat("x", 200)
	in := "one\r\ntwo\n\n" + long + "\nthree\n" + strings.Repeat("y", 201) + "\nfour\r\n" + strings.Repeat("z", 500) + "\nlast"
	for name, src := range map[string]func() io.Reader{
		"plain":    func() io.Reader { return strings.NewReader(in) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
		"gzip":     func() io.Reader { return bytes.NewReader(gz(t, in)) },
	} {
		t.Run(name, func(t *testing.T) {
			var c Counters
			r, err := NewReader(src(), 200, &c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var nums []int64
			for {
				line, err := r.Next(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(line))
				nums = append(nums, r.Line())
			}
			want := []string{"one", "two", "", long, "three", "four", "last"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("got %q", got)
			}
			// Line numbers count the rejected lines: y is line 6, z line 8.
			if wantNums := []int64{1, 2, 3, 4, 5, 7, 9}; !equal(nums, wantNums) {
				t.Fatalf("line numbers %v, want %v", nums, wantNums)
			}
			if s := c.Snapshot(); s.Rejected[TooLong] != 2 || s.Read != 2 {
				t.Fatalf("counters %+v", s)
			}
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReaderMegabyteLines: lines up to MaxLine pass, a longer one is
// rejected without holding it, and the good line after it is read.
func TestReaderMegabyteLines(t *testing.T) {
	atMax := strings.Repeat("a", MaxLine)
	over := strings.Repeat("b", MaxLine+1)
	huge := strings.Repeat("c", 5*MaxLine)
	in := atMax + "\r\n" + over + "\n" + huge + "\ngood\n" + over // the last one cut by EOF
	var c Counters
	r, err := NewReader(strings.NewReader(in), 0, &c)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if len(got) != 2 || got[0] != atMax || got[1] != "good" {
		t.Fatalf("got %d lines", len(got))
	}
	if s := c.Snapshot(); s.Rejected[TooLong] != 3 {
		t.Fatalf("counters %+v", s)
	}
	if cap(r.sp.acc) > 2*MaxLine+64 {
		t.Fatalf("buffer grew to %d", cap(r.sp.acc))
	}
}

func TestReaderTruncatedGzip(t *testing.T) {
	data := gz(t, strings.Repeat("203.0.113.9 a line\n", 10000))
	r, err := NewReader(bytes.NewReader(data[:len(data)/2]), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := r.Next(context.Background())
		if err == nil {
			n++
			continue
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err %v, want unexpected EOF", err)
		}
		break
	}
	if n == 0 {
		t.Fatal("no line read before the cut")
	}
	if _, err := NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 0}), 0, nil); err == nil {
		t.Fatal("a broken gzip header was accepted")
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	plain, zipped := filepath.Join(dir, "a.log"), filepath.Join(dir, "a.log.1.gz")
	os.WriteFile(plain, []byte("a\nb\n"), 0o644)
	os.WriteFile(zipped, gz(t, "c\nd"), 0o644)
	var got []string
	for _, name := range []string{plain, zipped} {
		r, err := Open(name, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, readAll(t, r)...)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, "") != "abcd" {
		t.Fatalf("got %q", got)
	}
	if _, err := Open(filepath.Join(dir, "none"), 0, nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v", err)
	}
}

// TestRunBadInput runs a file of good lines mixed with every kind of bad
// one through Run and the nginx format: each bad one is counted under its
// reason, every good one arrives with its line number.
func TestRunBadInput(t *testing.T) {
	good := func(n int) string {
		return `203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /g` + string(rune('0'+n)) + ` HTTP/1.1" 200 1 "-" "-"`
	}
	lines := []string{
		good(1),
		`203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /trunc`, // truncated: no status after the request
		"\x00\x01\x02\x03binary\xff",                               // binary
		good(2),
		`203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /` + strings.Repeat("A", MaxLine) + ` HTTP/1.1" 200 1 "-" "-"`, // too long
		good(3),
		`203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET /caf` + "\xe9" + ` HTTP/1.1" 200 1 "-" "-"`, // Latin-1, not UTF-8
		"",
		good(4),
		`{"json":"in an nginx log"}`, // no client address first
		good(5),
	}
	in := strings.Join(lines, "\n") + "\n"
	var c Counters
	r, err := NewReader(strings.NewReader(in), 0, &c)
	if err != nil {
		t.Fatal(err)
	}
	p := &Parser{Format: format.Nginx{}, Counters: &c, Asset: "sirekap", Region: "31"}
	var paths []string
	var nums []int64
	err = Run(context.Background(), r, p, func(ev *event.Event) error {
		if ev.Asset != "sirekap" || ev.Region != "31" {
			t.Errorf("asset %q region %q", ev.Asset, ev.Region)
		}
		paths = append(paths, ev.Get(event.URLPath))
		nums = append(nums, ev.Line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(paths, ",") != "/g1,/g2,/g3,/g4,/g5" || !equal(nums, []int64{1, 4, 6, 9, 11}) {
		t.Fatalf("paths %v lines %v", paths, nums)
	}
	s := c.Snapshot()
	want := Stats{Read: 10, Accepted: 5, Rejected: [NumReasons]int64{TooLong: 1, BadStatus: 1, BadClientAddress: 1, Binary: 2}}
	if s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
	if s.Read != s.Accepted+s.RejectedTotal() {
		t.Fatal("read != accepted + rejected")
	}
}

func TestRunStops(t *testing.T) {
	in := strings.Repeat(`203.0.113.9 - - [14/Feb/2024:06:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`+"\n", 10000)
	r, _ := NewReader(strings.NewReader(in), 0, nil)
	stop := errors.New("stop")
	n := 0
	err := Run(context.Background(), r, &Parser{Format: format.Nginx{}}, func(*event.Event) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("err %v after %d events", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, _ = NewReader(strings.NewReader(in), 0, nil)
	if err := Run(ctx, r, &Parser{Format: format.Nginx{}}, func(*event.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want cancelled", err)
	}
}

func TestCountersNil(t *testing.T) {
	var c *Counters
	c.Accept()
	c.Reject(Binary)
	c.Drop()
	if c.Snapshot() != (Stats{}) {
		t.Fatal("nil counters counted")
	}
	if TooLong.String() != "too_long" || Reason(9).String() != "unknown" {
		t.Fatal("reason names")
	}
}

// FuzzReader checks the reader against the obvious definition of a line:
// split at LF, cut one CR, reject what is longer than the maximum; every
// other line arrives, with its number, whatever came before it.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nccccccccccccccccccccccc\nd"), uint8(4))
	f.Add([]byte("\r\r\n\n\r"), uint8(1))
	f.Add([]byte(strings.Repeat("x", 300)+"\nok\n"), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			return // gzip's magic: TestReaderLines and TestReaderTruncatedGzip cover it
		}
		limit := int(max) + 1
		var want []string
		var wantNums []int64
		tooLong := int64(0)
		parts := strings.Split(string(data), "\n")
		if parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		for i, p := range parts {
			p = strings.TrimSuffix(p, "\r")
			if len(p) > limit {
				tooLong++
				continue
			}
			want = append(want, p)
			wantNums = append(wantNums, int64(i+1))
		}
		var c Counters
		r, err := NewReader(iotest.HalfReader(bytes.NewReader(data)), limit, &c)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var nums []int64
		for {
			line, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(line))
			nums = append(nums, r.Line())
		}
		if strings.Join(got, "\x00|") != strings.Join(want, "\x00|") || !equal(nums, wantNums) {
			t.Fatalf("limit %d\n got %q %v\nwant %q %v", limit, got, nums, want, wantNums)
		}
		if s := c.Snapshot(); s.Rejected[TooLong] != tooLong {
			t.Fatalf("too long: %d, want %d", s.Rejected[TooLong], tooLong)
		}
	})
}
