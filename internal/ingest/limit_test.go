package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestReadBody(t *testing.T) {
	l := Limits{MaxBytes: 1 << 20, MaxLines: 100}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	hundred := strings.Repeat("line\n", 100)
	for _, c := range []struct {
		name  string
		body  []byte
		lines int
		over  string // "" for accepted, else the bound it goes over
	}{
		{"plain", []byte(hundred), 100, ""},
		{"gzip", gz([]byte(hundred)), 100, ""},
		{"last line without newline", []byte(strings.Repeat("line\n", 99) + "last"), 100, ""},
		{"one line too many", []byte(hundred + "x\n"), 0, "lines"},
		{"one line too many, no newline", []byte(hundred + "x"), 0, "lines"},
		{"too many lines, gzip", gz([]byte(hundred + hundred)), 0, "lines"},
		{"too many bytes", []byte(strings.Repeat("x", 1<<20+1)), 0, "bytes"},
		{"empty", nil, 0, ""},
	} {
		b, n, err := ReadBody(bytes.NewReader(c.body), l)
		var le *LimitError
		switch {
		case c.over == "" && (err != nil || n != c.lines):
			t.Errorf("%s: %d lines, %v; want %d lines", c.name, n, err, c.lines)
		case c.over == "" && c.name != "gzip" && !bytes.Equal(b, c.body):
			t.Errorf("%s: body changed", c.name)
		case c.over != "" && (!errors.As(err, &le) || le.What != c.over || b != nil):
			t.Errorf("%s: %v, want over the %s bound", c.name, err, c.over)
		}
	}
	if _, _, err := ReadBody(bytes.NewReader([]byte{0x1f, 0x8b, 1, 2}), l); err == nil {
		t.Error("a broken gzip header was read")
	}
}

// TestReadBodyGzipBomb: 256 MiB of "A\n" compresses to a few hundred KiB;
// read to its end it would hold 128 M lines. Reading stops at the bound, having
// taken little of what was sent.
func TestReadBodyGzipBomb(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	chunk := bytes.Repeat([]byte("A\n"), 1<<19)
	for range 1 << 8 {
		zw.Write(chunk)
	}
	zw.Close()
	sent := &countingReader{r: bytes.NewReader(bomb.Bytes())}
	_, _, err := ReadBody(sent, Limits{MaxBytes: 16 << 20, MaxLines: 1 << 30})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "bytes" {
		t.Fatalf("gzip bomb: %v, want over the bytes bound", err)
	}
	if sent.n > int64(bomb.Len())/2 {
		t.Errorf("read %d of the bomb's %d bytes to find 16 MiB of lines", sent.n, bomb.Len())
	}
	sent = &countingReader{r: bytes.NewReader(bomb.Bytes())}
	if _, _, err = ReadBody(sent, Limits{MaxBytes: 1 << 30, MaxLines: 1 << 22}); !errors.As(err, &le) || le.What != "lines" {
		t.Fatalf("gzip bomb of lines: %v, want over the lines bound", err)
	}
	if sent.n > int64(bomb.Len())/2 {
		t.Errorf("read %d of the bomb's %d bytes to find 4 M lines", sent.n, bomb.Len())
	}
}

func TestQuota(t *testing.T) {
	now := time.Date(2024, 2, 14, 9, 0, 0, 0, time.UTC)
	q := &Quota{Rate: 10, Burst: 100, Now: func() time.Time { return now }}
	if ok, _ := q.Take("key:a", 100); !ok {
		t.Fatal("a full bucket refused its burst")
	}
	ok, wait := q.Take("key:a", 50)
	if ok || wait != 5*time.Second {
		t.Fatalf("an empty bucket: %v, wait %s; want refused for 5s", ok, wait)
	}
	if ok, _ := q.Take("key:b", 100); !ok {
		t.Fatal("one sender's use held back another")
	}
	now = now.Add(5 * time.Second)
	if ok, _ := q.Take("key:a", 50); !ok {
		t.Fatal("refilled bucket refused")
	}
	now = now.Add(time.Hour)
	if ok, _ := q.Take("key:a", 101); ok {
		t.Fatal("a bucket filled past its burst")
	}
	var none *Quota
	if ok, _ := none.Take("x", 1<<30); !ok {
		t.Fatal("no quota refused")
	}
}
