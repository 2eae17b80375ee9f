package syslog

import (
	"bufio"
	"errors"
	"io"
)

// ErrTooLong is returned by Splitter.Next for a message longer than the
// maximum; the message has been skipped and the next call goes on with the
// one after it.
var ErrTooLong = errors.New("syslog: message too long")

// Splitter cuts a TCP stream into syslog messages (RFC 6587). Each message
// is framed either by octet counting ("MSG-LEN SP MSG", chosen when the
// frame starts with a non-zero digit) or by a trailing LF (non-transparent
// framing; a trailing CR or NUL is dropped too). The two may be mixed on
// one stream. Memory stays within the maximum message size: an oversized
// octet-counted message is discarded by its count, an oversized LF-framed
// one up to its LF.
type Splitter struct {
	br  *bufio.Reader
	max int
	buf []byte // a message that spans bufio's buffer or is octet-counted
}

// NewSplitter reads messages of at most max bytes from r.
func NewSplitter(r io.Reader, max int) *Splitter {
	if max < 1 {
		max = 1
	}
	size := 64 << 10
	if max+16 > size {
		size = max + 16
	}
	return &Splitter{br: bufio.NewReaderSize(r, size), max: max}
}

// Next returns the next message, valid until the following call. It
// returns ErrTooLong for a message it skipped, io.EOF at the end of the
// stream (a last LF-framed message without its LF is still returned
// first), io.ErrUnexpectedEOF when the stream ends inside an
// octet-counted message, and any read error.
func (s *Splitter) Next() ([]byte, error) {
	for {
		b, err := s.br.Peek(1)
		if err != nil {
			return nil, err
		}
		switch c := b[0]; {
		case c == '\n' || c == '\r' || c == 0:
			_, _ = s.br.Discard(1) // blank line between frames
			continue
		case c >= '1' && c <= '9':
			if n, ok := s.count(); ok {
				return s.counted(n)
			}
			// Not a count after all: an LF-framed message starting with a digit.
		}
		return s.line()
	}
}

// count reads an octet count and its space. When the digits are not
// followed by a space it consumes nothing and reports false.
func (s *Splitter) count() (int, bool) {
	const maxDigits = 10 // more is no count: Next's caller caps far lower
	peek, _ := s.br.Peek(maxDigits + 1)
	n := 0
	for i, d := range peek {
		switch {
		case d >= '0' && d <= '9' && i < maxDigits:
			n = n*10 + int(d-'0')
		case d == ' ' && i > 0:
			_, _ = s.br.Discard(i + 1)
			return n, true
		default:
			return 0, false
		}
	}
	return 0, false
}

func (s *Splitter) counted(n int) ([]byte, error) {
	if n > s.max {
		d, err := s.br.Discard(n)
		if d < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return nil, ErrTooLong
	}
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	if _, err := io.ReadFull(s.br, s.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return Trim(s.buf), nil
}

func (s *Splitter) line() ([]byte, error) {
	s.buf = s.buf[:0]
	tooLong := false
	for {
		frag, err := s.br.ReadSlice('\n')
		if !tooLong {
			switch {
			case len(s.buf)+len(frag) > s.max+2: // room for CR LF
				tooLong, s.buf = true, s.buf[:0]
			case err == nil && len(s.buf) == 0:
				return s.checked(Trim(frag)) // the common case: no copy
			default:
				s.buf = append(s.buf, frag...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case tooLong && (err == nil || err == io.EOF):
			return nil, ErrTooLong
		case err == nil || err == io.EOF && len(s.buf) > 0:
			return s.checked(Trim(s.buf))
		default:
			return nil, err
		}
	}
}

func (s *Splitter) checked(m []byte) ([]byte, error) {
	if len(m) > s.max {
		return nil, ErrTooLong
	}
	return m, nil
}

// Trim cuts the line endings and NULs some senders put after a message.
func Trim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}
