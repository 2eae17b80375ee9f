package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

// ErrBinary rejects a line that is not text: it holds a NUL byte or is not
// valid UTF-8. Real access and auth logs are text (nginx and Apache escape
// every other byte as \xHH), so such a line is corruption, a sparse file's
// hole or an attack on the log itself; refusing it here also means every
// event string downstream is valid UTF-8.
var ErrBinary = errors.New("ingest: binary line")

// Parser turns raw lines into events with one format, stamps them with
// their asset and region, and counts what became of each line. It is the
// one place that decides whether a line is accepted, for files, followed
// files and the syslog listener alike. A Parser is safe for concurrent use
// when its Format is (every format in package format is).
type Parser struct {
	Format   format.Format
	Counters *Counters // nil: not counted
	Asset    string    // set on every event
	Region   string    // set on every event
}

// Parse parses one line (without its line ending) into ev, which it
// overwrites. It returns ErrBinary or the format's error for a rejected
// line, after counting it by its reason (ReasonOf).
func (p *Parser) Parse(line []byte, ev *event.Event) error {
	if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
		p.Counters.Reject(Binary)
		ev.Reset()
		return ErrBinary
	}
	if err := p.Format.Parse(line, ev); err != nil {
		p.Counters.Reject(ReasonOf(err))
		return err
	}
	ev.Asset, ev.Region = p.Asset, p.Region
	p.Counters.Accept()
	return nil
}

// ParseString is Parse on a line given as a string, which the event's
// fields may be cut from when the format is a format.StringParser (and
// keep: the caller must never change it); other formats parse a copy.
func (p *Parser) ParseString(line string, ev *event.Event) error {
	if strings.IndexByte(line, 0) >= 0 || !utf8.ValidString(line) {
		p.Counters.Reject(Binary)
		ev.Reset()
		return ErrBinary
	}
	var err error
	if sp, ok := p.Format.(format.StringParser); ok {
		err = sp.ParseString(line, ev)
	} else {
		err = p.Format.Parse([]byte(line), ev)
	}
	if err != nil {
		p.Counters.Reject(ReasonOf(err))
		return err
	}
	ev.Asset, ev.Region = p.Asset, p.Region
	p.Counters.Accept()
	return nil
}

// Lines is a source of log lines: a file (Reader) or a followed file
// (Follower).
type Lines interface {
	// Next returns the next line without its line ending, valid until the
	// following call; io.EOF when the source is done.
	Next(ctx context.Context) ([]byte, error)
	// Line is the 1-based number of the line Next last returned in its
	// file, counting rejected lines.
	Line() int64
}

// Run reads every line of src, parses it with p and hands each accepted
// event to emit, until src is done (nil), ctx is cancelled, reading fails,
// or emit returns an error (returned as is). Rejected lines are counted by
// p and skipped: a bad line never stops the run. The event passed to emit
// is reused for the next line: emit must copy what it keeps.
func Run(ctx context.Context, src Lines, p *Parser, emit func(*event.Event) error) error {
	var ev event.Event
	for {
		line, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			continue
		}
		if p.Parse(line, &ev) != nil {
			continue
		}
		ev.Line = src.Line()
		if err := emit(&ev); err != nil {
			return err
		}
	}
}
