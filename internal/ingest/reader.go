package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
)

// MaxLine is the longest line read, 1 MiB without its line ending. A longer
// line is counted as rejected (TooLong) and skipped up to its newline,
// holding no more than MaxLine bytes while it does.
const MaxLine = 1 << 20

const bufSize = 64 << 10

// splitter cuts a byte stream into lines. A line that fits bufio's buffer
// is returned without a copy; a longer one is gathered in acc, up to max.
// At the end of the data a partial line stays in acc (a followed file
// may still be writing it) until more data or flush.
type splitter struct {
	br    *bufio.Reader
	max   int
	acc   []byte
	skip  bool // discarding the rest of a too-long line
	reset bool // acc was returned: empty it on the next call
	n     int64
	c     *Counters
}

func newSplitter(r io.Reader, max int, c *Counters) splitter {
	if max <= 0 {
		max = MaxLine
	}
	return splitter{br: bufio.NewReaderSize(r, bufSize), max: max, c: c}
}

// next returns the next complete line without its line ending (valid
// until the next call), or io.EOF at the end of the data, or a read error.
func (s *splitter) next() ([]byte, error) {
	if s.reset {
		s.acc, s.reset = s.acc[:0], false
	}
	for {
		frag, err := s.br.ReadSlice('\n')
		switch {
		case len(frag) == 0:
		case s.skip:
			s.skip = err != nil // still no newline: go on discarding
		case err == nil && len(s.acc) == 0 && len(frag) <= s.max+2:
			if line := trimEOL(frag); len(line) <= s.max {
				s.n++
				return line, nil // the common case: no copy
			}
			s.tooLong()
		case len(s.acc)+len(frag) > s.max+2: // room for CR LF
			s.acc = s.acc[:0]
			s.tooLong()
			s.skip = err != nil
		default:
			s.acc = append(s.acc, frag...)
			if err == nil {
				line := trimEOL(s.acc)
				if len(line) > s.max {
					s.acc = s.acc[:0]
					s.tooLong()
					continue
				}
				s.n++
				s.reset = true
				return line, nil
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

// flush returns a partial line left at the end of the data, as a line.
func (s *splitter) flush() ([]byte, bool) {
	if s.reset {
		s.acc, s.reset = s.acc[:0], false
	}
	s.skip = false // a too-long line cut short was counted when found
	if len(s.acc) == 0 {
		return nil, false
	}
	s.reset = true
	line := trimEOL(s.acc)
	if len(line) > s.max {
		s.tooLong()
		return nil, false
	}
	s.n++
	return line, true
}

// restart forgets a partial line and the line count, for a file read
// again from its start.
func (s *splitter) restart(r io.Reader) {
	s.br.Reset(r)
	s.acc, s.skip, s.reset, s.n = s.acc[:0], false, false, 0
}

func (s *splitter) tooLong() {
	s.n++
	s.c.Reject(TooLong)
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// Reader reads the lines of a log file or stream once, for `garda ingest
// FILE...` and `detect replay`: gzip is unpacked when the data starts with
// its magic bytes, CRLF endings are cut, a last line without a newline is
// still a line, and lines longer than the maximum are counted and skipped.
type Reader struct {
	sp     splitter
	closer io.Closer
	err    error // a read error held back until a partial line is returned
	polls  int
}

// NewReader reads lines of at most max bytes (MaxLine when max <= 0) from
// r, counting too-long lines in c (which may be nil).
func NewReader(r io.Reader, max int, c *Counters) (*Reader, error) {
	br := bufio.NewReaderSize(r, bufSize)
	gz, err := gunzip(br)
	if err != nil {
		return nil, err
	}
	if gz != nil {
		return &Reader{sp: newSplitter(gz, max, c), closer: gz}, nil
	}
	return &Reader{sp: newSplitter(br, max, c)}, nil // bufio hands br back: no second layer
}

// gunzip opens a gzip stream when the data starts with gzip's magic
// bytes, or returns nil for plain data.
func gunzip(br *bufio.Reader) (*gzip.Reader, error) {
	if magic, _ := br.Peek(2); len(magic) != 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return nil, nil
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("read gzip header: %w", err)
	}
	return gz, nil
}

// Open opens a log file (plain or gzip) for reading; see NewReader.
func Open(name string, max int, c *Counters) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, max, c)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.closer = multiCloser{r.closer, f}
	return r, nil
}

// Next returns the next line, valid until the following call, or io.EOF
// at the end. It checks ctx every few thousand lines.
func (r *Reader) Next(ctx context.Context) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.polls++; r.polls&4095 == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	line, err := r.sp.next()
	if err == nil {
		return line, nil
	}
	r.err = err
	if err != io.EOF {
		r.err = fmt.Errorf("read line %d: %w", r.sp.n+1, err)
	}
	if line, ok := r.sp.flush(); ok {
		return line, nil
	}
	return nil, r.err
}

// Line is the 1-based number of the line Next last returned.
func (r *Reader) Line() int64 { return r.sp.n }

// Close closes the file Open opened (and the gzip stream).
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
