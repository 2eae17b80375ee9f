// Package format turns one log line into one normalised event: a Format
// per log format (nginx, Apache, ECS JSON lines, Coraza/ModSecurity audit
// JSON, auth syslog, generic syslog), all listed in list.go. It is the
// hot path of `garda ingest` and `detect replay`, so a parser takes a line
// as bytes and allocates once, for the string every field is cut from.
//
// A Format must never panic or loop on any input (the fuzz targets hold
// it to that), never keep the line it is given (the reader reuses it), and
// never read a file, a socket or the clock beyond what a timestamp without
// a year needs.
package format

import (
	"errors"
	"strings"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

// Format parses the lines of one log format. A Format keeps no state
// between lines, so one value may parse on many goroutines at once.
type Format interface {
	// Name is the format's name on the command line (--format).
	Name() string
	// Parse parses one line, without its line ending, into ev. Parse
	// resets ev first, so the caller sets Asset, Region and Line after
	// it; on error ev holds nothing useful. Parse does not keep line.
	Parse(line []byte, ev *event.Event) error
}

// StringParser is a Format that can also parse a line given as a string
// that the event's fields may be cut from and keep (the caller never
// changes it): a reader that holds many lines in one string then pays one
// allocation for all of them, not one per line (detect's replay does).
type StringParser interface {
	ParseString(line string, ev *event.Event) error
}

// Reason is why a format could not read a line: a stable code, shown in
// the replay summary, as a metric label and on the asset's page.
type Reason string

// The reasons. A line whose client address, time or request cannot be
// read is refused rather than kept half-read: an event without its
// client's address escapes every per-client scenario unnoticed.
const (
	BadClientAddress Reason = "bad_client_address"
	BadTime          Reason = "bad_time"
	BadRequest       Reason = "bad_request" // the request line, method or path
	BadStatus        Reason = "bad_status"  // the status or size after the request
	Unparseable      Reason = "unparseable" // anything else
)

// Reasons lists every Reason.
func Reasons() []Reason {
	return []Reason{BadClientAddress, BadTime, BadRequest, BadStatus, Unparseable}
}

// rejection is a format's error for a line it cannot read, with its
// reason. Each is a fixed value, not built per line, so that a flood of
// garbage costs no allocation to reject.
type rejection struct {
	reason Reason
	msg    string
}

func (r *rejection) Error() string { return r.msg }

func reject(reason Reason, msg string) error { return &rejection{reason, msg} }

// ReasonOf says why a format's error rejected a line (Unparseable when
// the error does not say).
func ReasonOf(err error) Reason {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	if errors.Is(err, syslog.ErrTimestamp) {
		return BadTime
	}
	return Unparseable
}

// Errors shared by the formats.
var (
	errEmpty = errors.New("empty line")
)

// Event fields' fixed values.
const (
	outcomeSuccess = "success"
	outcomeFailure = "failure"
	outcomeUnknown = "unknown"
)

// setURL sets url.original from target and cuts it into url.path,
// url.query and url.extension (and url.domain for an absolute target, as
// proxies log). Values are kept as sent, percent-encoding included.
func setURL(ev *event.Event, target string) {
	if target == "" {
		return
	}
	ev.Set(event.URLOriginal, target)
	path := target
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		if q := path[i+1:]; q != "" {
			ev.Set(event.URLQuery, q)
		}
		path = path[:i]
	}
	if path == "" || path[0] != '/' {
		// "http://host/path" (a proxy request), or "*", or CONNECT's
		// "host:443": only the first has a path.
		rest, ok := strings.CutPrefix(path, "http://")
		if !ok {
			rest, ok = strings.CutPrefix(path, "https://")
		}
		if !ok {
			return
		}
		host := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			host, path = rest[:i], rest[i:]
		} else {
			path = ""
		}
		if host != "" && ev.Get(event.URLDomain) == "" {
			ev.Set(event.URLDomain, host)
		}
		if path == "" {
			return
		}
	}
	ev.Set(event.URLPath, path)
	setExtension(ev, path)
}

// setExtension sets url.extension from the last segment of path, in lower
// case, as path.Ext would cut it ("/a/b.PHP" is "php", "/.env" is "env").
func setExtension(ev *event.Event, path string) {
	seg := path[strings.LastIndexByte(path, '/')+1:]
	i := strings.LastIndexByte(seg, '.')
	if i < 0 || i == len(seg)-1 {
		return
	}
	ext := seg[i+1:]
	for j := 0; j < len(ext); j++ {
		if c := ext[j]; c >= 'A' && c <= 'Z' {
			ext = strings.ToLower(ext)
			break
		}
	}
	ev.Set(event.URLExtension, ext)
}

// setStatus sets the HTTP status (text and number) and the outcome it
// implies: success below 400, failure from 400, unknown outside 100-599.
func setStatus(ev *event.Event, s string) bool {
	n, ok := atoi(s)
	if !ok || n > 999 {
		return false
	}
	ev.Status = n
	ev.Set(event.StatusCode, s)
	setOutcome(ev)
	return true
}

// setOutcome sets event.outcome from the HTTP status.
func setOutcome(ev *event.Event) {
	switch n := ev.Status; {
	case n < 100 || n > 599:
		ev.Set(event.EventOutcome, outcomeUnknown)
	case n < 400:
		ev.Set(event.EventOutcome, outcomeSuccess)
	default:
		ev.Set(event.EventOutcome, outcomeFailure)
	}
}

// atoi parses a non-negative decimal of at most 18 digits.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	_, ok := atoi(s)
	return ok
}

// dash is "" for the "-" logs write for an absent value.
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
