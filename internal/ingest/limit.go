package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Limits bound one request of lines, once un-gzipped: a request is read
// whole, within these bounds, before any of it is stored, so it is stored
// all or not at all, and a gzip bomb stops at MaxBytes.
type Limits struct {
	MaxBytes int64 // bytes of lines, after gzip
	MaxLines int   // lines
}

// DefaultLimits are the bounds when none are configured.
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxLines: 1 << 20}

// LimitError says which bound a request went over.
type LimitError struct {
	What  string // "bytes" or "lines"
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d %s in one request", e.Limit, e.What)
}

// ReadBody reads r whole (un-gzipping it when it starts with gzip's magic
// bytes) and returns its bytes and how many lines they hold. Past a limit it stops reading at
// once and returns a *LimitError: the cost of any input, however
// pathological, is bounded by the limits, not by what was sent.
func ReadBody(r io.Reader, l Limits) ([]byte, int, error) {
	br := bufio.NewReaderSize(r, bufSize)
	var src io.Reader = br
	gz, err := gunzip(br)
	if err != nil {
		return nil, 0, err
	}
	if gz != nil {
		defer gz.Close()
		src = gz
	}
	var buf bytes.Buffer
	lines := 0
	chunk := make([]byte, bufSize)
	for {
		n, err := src.Read(chunk)
		if n > 0 {
			if int64(buf.Len()+n) > l.MaxBytes {
				return nil, 0, &LimitError{What: "bytes", Limit: l.MaxBytes}
			}
			lines += bytes.Count(chunk[:n], []byte{'\n'})
			if lines > l.MaxLines {
				return nil, 0, &LimitError{What: "lines", Limit: int64(l.MaxLines)}
			}
			buf.Write(chunk[:n])
		}
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, 0, err
		}
	}
	b := buf.Bytes()
	if len(b) > 0 && b[len(b)-1] != '\n' {
		if lines++; lines > l.MaxLines { // a last line without its newline
			return nil, 0, &LimitError{What: "lines", Limit: int64(l.MaxLines)}
		}
	}
	return b, lines, nil
}

// Quota bounds the lines each sender sends: a bucket per sender holds up
// to Burst lines and refills at Rate lines a second. The zero Quota (Rate
// 0) bounds nothing. It is safe for concurrent use.
type Quota struct {
	Rate  float64
	Burst float64
	Now   func() time.Time // the clock; nil is time.Now

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lines float64
	at    time.Time
}

// maxBuckets is how many senders are remembered before those with a full
// bucket are forgotten (forgetting one only gives it its burst back).
const maxBuckets = 10000

// Take takes n lines from sender's allowance. When there are not enough it
// takes none, and says how long until there will be.
func (q *Quota) Take(sender string, n int) (bool, time.Duration) {
	if q == nil || q.Rate <= 0 {
		return true, 0
	}
	now := time.Now()
	if q.Now != nil {
		now = q.Now()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.buckets == nil {
		q.buckets = map[string]*bucket{}
	}
	b, ok := q.buckets[sender]
	if !ok {
		if len(q.buckets) >= maxBuckets {
			q.forgetFull(now)
		}
		b = &bucket{lines: q.Burst, at: now}
		q.buckets[sender] = b
	}
	b.lines = min(q.Burst, b.lines+now.Sub(b.at).Seconds()*q.Rate)
	b.at = now
	if float64(n) > b.lines {
		need := (float64(n) - b.lines) / q.Rate
		return false, time.Duration(need * float64(time.Second))
	}
	b.lines -= float64(n)
	return true, 0
}

func (q *Quota) forgetFull(now time.Time) {
	for k, b := range q.buckets {
		if b.lines+now.Sub(b.at).Seconds()*q.Rate >= q.Burst {
			delete(q.buckets, k)
		}
	}
}
