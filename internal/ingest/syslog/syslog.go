// Package syslog reads syslog messages: RFC 3164 (BSD) and RFC 5424
// headers, the traditional file form written by rsyslog and journald
// ("Jan  5 10:00:01 host sshd[123]: ..." with no priority), and the TCP
// framings of RFC 6587. It is shared by the log formats that sit inside a
// syslog envelope and by the network listener. It must never open a file
// or a socket (the listener owns those), never allocate per message
// (fields are substrings of the input) and never buffer more than the
// maximum message size it is given.
package syslog

import (
	"errors"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/ingest/stamp"
)

// Message is one parsed syslog message. Its strings are substrings of the
// parsed input.
type Message struct {
	Priority int       // PRI (facility*8 + severity), -1 when the message had none
	Version  int       // 1 for RFC 5424, 0 for RFC 3164 and the file form
	Time     time.Time // zero when the message had none
	Hostname string
	AppName  string // RFC 5424 APP-NAME, or the RFC 3164 TAG (e.g. "sshd")
	ProcID   string // RFC 5424 PROCID, or the pid in "sshd[123]:"
	MsgID    string // RFC 5424 MSGID
	Text     string // MSG, without a leading UTF-8 BOM
}

// Facility is the facility part of the priority (-1 when none).
func (m *Message) Facility() int {
	if m.Priority < 0 {
		return -1
	}
	return m.Priority / 8
}

// Severity is the severity part of the priority (-1 when none).
func (m *Message) Severity() int {
	if m.Priority < 0 {
		return -1
	}
	return m.Priority % 8
}

// Options complete what an RFC 3164 timestamp leaves out.
type Options struct {
	// Now gives the reference time for an RFC 3164 timestamp's missing
	// year; nil is time.Now.
	Now func() time.Time
	// Location is the zone of an RFC 3164 timestamp; nil is time.Local.
	Location *time.Location
}

// Errors of Parse. They are fixed values so that rejecting a flood of
// garbage does not allocate.
var (
	ErrEmpty     = errors.New("syslog: empty message")
	ErrPriority  = errors.New("syslog: bad priority")
	ErrHeader    = errors.New("syslog: no timestamp or header")
	ErrTimestamp = errors.New("syslog: bad RFC 5424 timestamp")
	ErrSD        = errors.New("syslog: bad structured data")
)

// Parse parses one message (without its framing) into m, which it
// overwrites. A message with neither a priority nor a recognisable
// timestamp is refused; with a priority but no timestamp (allowed by RFC
// 3164) the whole rest is the text.
func Parse(s string, m *Message, o *Options) error {
	*m = Message{Priority: -1}
	s = strings.TrimRight(s, "\r\n\x00")
	if s == "" {
		return ErrEmpty
	}
	if s[0] == '<' {
		end := strings.IndexByte(s[:min(len(s), 5)], '>')
		if end < 2 {
			return ErrPriority
		}
		p := 0
		for _, c := range []byte(s[1:end]) {
			if c < '0' || c > '9' {
				return ErrPriority
			}
			p = p*10 + int(c-'0')
		}
		if p > 191 || (end > 2 && s[1] == '0') {
			return ErrPriority
		}
		m.Priority = p
		s = s[end+1:]
		// RFC 5424: VERSION is 1-2 digits (NONZERO-DIGIT first) and a space.
		if len(s) >= 2 && s[0] >= '1' && s[0] <= '9' && (s[1] == ' ' || len(s) >= 3 && s[1] >= '0' && s[1] <= '9' && s[2] == ' ') {
			return parse5424(s, m)
		}
	}
	return parse3164(s, m, o)
}

// parse5424 parses what follows the PRI of an RFC 5424 message:
// VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG].
func parse5424(s string, m *Message) error {
	var f string
	f, s = token(s)
	m.Version = int(f[0] - '0')
	if len(f) == 2 {
		m.Version = m.Version*10 + int(f[1]-'0')
	}
	var fields [5]string
	for i := range fields {
		if s == "" {
			return ErrHeader
		}
		fields[i], s = token(s)
		if fields[i] == "" {
			return ErrHeader
		}
	}
	if ts := fields[0]; ts != "-" {
		t, ok := stamp.RFC3339(ts)
		if !ok {
			return ErrTimestamp
		}
		m.Time = t
	}
	m.Hostname, m.AppName, m.ProcID, m.MsgID = nilValue(fields[1]), nilValue(fields[2]), nilValue(fields[3]), nilValue(fields[4])
	rest, ok := skipSD(s)
	if !ok {
		return ErrSD
	}
	if rest != "" {
		if rest[0] != ' ' {
			return ErrSD
		}
		rest = rest[1:]
	}
	m.Text = strings.TrimPrefix(rest, "\ufeff")
	return nil
}

// token splits s at its first space.
func token(s string) (string, string) {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func nilValue(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// skipSD skips RFC 5424 STRUCTURED-DATA: "-" or one or more
// [SD-ID *(SP PARAM-NAME="PARAM-VALUE")], with \" \\ \] escaped in values.
func skipSD(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if s[0] == '-' {
		return s[1:], true
	}
	if s[0] != '[' {
		return "", false
	}
	for len(s) > 0 && s[0] == '[' {
		i := 1
		for i < len(s) && s[i] != ' ' && s[i] != ']' && s[i] != '=' && s[i] != '"' {
			i++
		}
		if i == 1 {
			return "", false
		}
		for {
			if i >= len(s) {
				return "", false
			}
			if s[i] == ']' {
				i++
				break
			}
			if s[i] != ' ' {
				return "", false
			}
			i++
			start := i
			for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != ']' && s[i] != '"' {
				i++
			}
			if i == start || i+1 >= len(s) || s[i] != '=' || s[i+1] != '"' {
				return "", false
			}
			i += 2
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(s) {
				return "", false
			}
			i++ // closing quote
		}
		s = s[i:]
	}
	return s, true
}

// parse3164 parses an RFC 3164 message after its PRI, or a line of a
// syslog file: TIMESTAMP SP HOSTNAME SP TAG[PID]: MSG, the timestamp either
// BSD ("Jan  5 10:00:01") or RFC 3339 (rsyslog's high-precision files,
// journald's short-iso).
func parse3164(s string, m *Message, o *Options) error {
	var n int
	var ok bool
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		m.Time, n, ok = stamp.RFC3339Prefix(s)
	} else {
		var ref time.Time
		var loc *time.Location
		if o != nil {
			loc = o.Location
			if o.Now != nil {
				ref = o.Now()
			}
		}
		if ref.IsZero() && len(s) >= 15 && s[3] == ' ' { // time.Now only for a likely timestamp
			ref = time.Now()
		}
		m.Time, n, ok = stamp.BSD(s, ref, loc)
	}
	if !ok || (n < len(s) && s[n] != ' ') {
		if m.Priority < 0 {
			return ErrHeader
		}
		m.Time = time.Time{}
		m.Text = s
		return nil
	}
	s = strings.TrimLeft(s[n:], " ")
	if s == "" && m.Priority < 0 {
		return ErrHeader // a timestamp and nothing else: a truncated line
	}
	// HOSTNAME, unless the next word is already the tag ("sshd[1]:", "su:"),
	// as in messages sent to a local socket.
	word, rest := token(s)
	if !isTag(word) {
		m.Hostname, s = word, rest
	}
	word, rest = token(s)
	if tag, pid, ok := splitTag(word); ok {
		m.AppName, m.ProcID, s = tag, pid, rest
	}
	m.Text = s
	return nil
}

// isTag reports whether w is a TAG field: "name:", "name[pid]:" or
// "name[pid]".
func isTag(w string) bool {
	_, _, ok := splitTag(w)
	return ok
}

func splitTag(w string) (tag, pid string, ok bool) {
	if w == "" {
		return "", "", false
	}
	if w[len(w)-1] == ':' {
		w = w[:len(w)-1]
	} else if w[len(w)-1] != ']' {
		return "", "", false
	}
	if i := strings.IndexByte(w, '['); i > 0 && w[len(w)-1] == ']' {
		return w[:i], w[i+1 : len(w)-1], true
	}
	if w == "" || strings.ContainsAny(w, "[]") {
		return "", "", false
	}
	return w, "", true
}
