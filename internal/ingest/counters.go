package ingest

import (
	"errors"
	"sync/atomic"

	"github.com/garda-id/garda/internal/ingest/format"
)

// Reason is why a line was rejected.
type Reason uint8

// The reasons, as metric label values by String: those of reading, then
// those a format gives (format.Reason).
const (
	TooLong          Reason = iota // longer than the maximum line or message size
	Unparseable                    // the format could not read it, for no reason below
	Binary                         // a NUL byte or invalid UTF-8: not text
	BadClientAddress               // no client address where the format has it
	BadTime                        // the time is missing or not a time
	BadRequest                     // the request line (method, path) cannot be read
	BadStatus                      // the status or size after the request cannot be read
	NumReasons       = 7
)

var reasonNames = [NumReasons]string{TooLong: "too_long", Unparseable: string(format.Unparseable), Binary: "binary",
	BadClientAddress: string(format.BadClientAddress), BadTime: string(format.BadTime),
	BadRequest: string(format.BadRequest), BadStatus: string(format.BadStatus)}

// ReasonOf is the Reason of Parser.Parse's error.
func ReasonOf(err error) Reason {
	if errors.Is(err, ErrBinary) {
		return Binary
	}
	switch format.ReasonOf(err) {
	case format.BadClientAddress:
		return BadClientAddress
	case format.BadTime:
		return BadTime
	case format.BadRequest:
		return BadRequest
	case format.BadStatus:
		return BadStatus
	}
	return Unparseable
}

func (r Reason) String() string {
	if int(r) < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Counters count the lines of one source (a file, a follower, a listener)
// and what became of them. They are safe for concurrent use, so a metrics
// endpoint may read them while the source is being read; a nil *Counters
// counts nothing. Every line read is accepted or rejected for one reason:
// Read == Accepted + the sum of Rejected. Blank lines are skipped and not
// counted. Dropped counts messages lost before they were read (a full UDP
// queue), so they are not in Read.
type Counters struct {
	read, accepted, dropped atomic.Int64
	rejected                [NumReasons]atomic.Int64
}

// Stats is a snapshot of Counters.
type Stats struct {
	Read, Accepted, Dropped int64
	Rejected                [NumReasons]int64 // by Reason
}

// RejectedTotal is the number of lines rejected for any reason.
func (s Stats) RejectedTotal() int64 {
	var n int64
	for _, v := range s.Rejected {
		n += v
	}
	return n
}

// Snapshot returns the counts so far.
func (c *Counters) Snapshot() Stats {
	var s Stats
	if c == nil {
		return s
	}
	s.Read, s.Accepted, s.Dropped = c.read.Load(), c.accepted.Load(), c.dropped.Load()
	for i := range s.Rejected {
		s.Rejected[i] = c.rejected[i].Load()
	}
	return s
}

// Accept counts a line read and accepted.
func (c *Counters) Accept() {
	if c != nil {
		c.read.Add(1)
		c.accepted.Add(1)
	}
}

// Reject counts a line read and rejected.
func (c *Counters) Reject(r Reason) {
	if c != nil && int(r) < NumReasons {
		c.read.Add(1)
		c.rejected[r].Add(1)
	}
}

// Drop counts a message lost before it was read.
func (c *Counters) Drop() {
	if c != nil {
		c.dropped.Add(1)
	}
}
