package fetch

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// CutError says that a body was longer than the Fetcher lets a caller
// read: the caller got the first Limit bytes.
type CutError struct{ Limit int64 }

func (e *CutError) Error() string { return fmt.Sprintf("fetch: body cut at %d bytes", e.Limit) }

// IsCut reports whether err says a body was cut.
func IsCut(err error) bool {
	var c *CutError
	return errors.As(err, &c)
}

// ReadAll reads a response body to its end or to the Fetcher's limit:
// cut says the body went on past the limit (b holds what came before).
// Any other read error is returned as err.
func ReadAll(r io.Reader) (b []byte, cut bool, err error) {
	b, err = io.ReadAll(r)
	if IsCut(err) {
		return b, true, nil
	}
	return b, false, err
}

// limitedBody gives at most limit bytes, then a *CutError if more follow.
type limitedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
}

func newLimitedBody(rc io.ReadCloser, limit int64) io.ReadCloser {
	if limit <= 0 {
		return rc
	}
	return &limitedBody{rc: rc, left: limit, limit: limit}
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			return 0, &CutError{Limit: l.limit}
		}
		if err == nil {
			return 0, nil
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// gzipBody decompresses lazily; the limitedBody around it bounds the
// decompressed size, so a gzip bomb costs at most MaxBody bytes.
type gzipBody struct {
	raw io.ReadCloser
	zr  *gzip.Reader
	err error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(g.raw)
		if g.err != nil {
			g.err = fmt.Errorf("fetch: gzip body: %w", g.err)
		}
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.raw.Close() }
