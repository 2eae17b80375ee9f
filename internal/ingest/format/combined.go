package format

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/stamp"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

var (
	errCLFHost    = reject(BadClientAddress, "combined: no client address")
	errCLFUser    = errors.New("combined: no ident and user before [time]")
	errCLFTime    = reject(BadTime, "combined: bad [time]")
	errCLFRequest = reject(BadRequest, "combined: no quoted request")
	errCLFStatus  = reject(BadStatus, "combined: no status after the request")
	errCLFBytes   = reject(BadStatus, "combined: bad body bytes")
	errCLFQuote   = errors.New("combined: unterminated quoted field")
)

// parseCombined parses the NCSA common and combined log formats, shared by
// nginx and Apache:
//
//	$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//
// Referrer and user agent may be absent (common format); anything after
// them (the fields many configs append: X-Forwarded-For, request time,
// upstream) is ignored. "-" is an absent value. Quoted fields may hold \"
// and \\ (Apache's escapes, undone here) and \xHH (nginx's escapes for
// bytes outside printable ASCII, kept as written). A request line that is
// not "METHOD target HTTP/x" — a TLS handshake sent to the HTTP port, a
// scanner's garbage — is kept whole in url.original with no method.
// Apache's vhost_combined prefix "host:port " goes to url.domain. A line
// that does not start with a client address is tried once more without
// the wrapper it may be in (see unwrapAccessLine).
func parseCombined(line []byte, ev *event.Event, dataset string) error {
	err := parseAccessLine(line, ev, dataset)
	if err == errCLFHost {
		if inner, ok := unwrapAccessLine(line); ok {
			return parseAccessLine(inner, ev, dataset)
		}
	}
	return err
}

// unwrapAccessLine takes an access-log line out of what carried it: a
// syslog header (nginx's access_log syslog:, a relay's file), a pair of
// outer quotes as exporters write a line as one CSV or JSON string (the
// inner quotes doubled or backslash-escaped), a CRLF ending. ok is false
// when there is nothing to unwrap.
func unwrapAccessLine(line []byte) (_ []byte, ok bool) {
	s := strings.TrimRight(string(line), "\r\n ")
	for range 2 { // a quoted line in a syslog message, or the other way round
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			inner := s[1 : len(s)-1]
			if strings.Contains(inner, `""`) {
				inner = strings.ReplaceAll(inner, `""`, `"`)
			} else {
				inner = unescape(inner)
			}
			s, ok = inner, true
			continue
		}
		var m syslog.Message
		if syslog.Parse(s, &m, &headerOnly) == nil && m.Text != "" && len(m.Text) < len(s) {
			s, ok = m.Text, true
			continue
		}
		break
	}
	if !ok && len(s) < len(line) {
		ok = true // only the line ending
	}
	return []byte(s), ok
}

// headerOnly reads a syslog header whose time is thrown away (the access
// line has its own): no clock, no local zone.
var headerOnly = syslog.Options{Now: func() time.Time { return time.Unix(0, 0) }, Location: time.UTC}

// parseCombinedString is parseCombined on a line the event may keep.
func parseCombinedString(line string, ev *event.Event, dataset string) error {
	err := parseAccessString(line, ev, dataset)
	if err == errCLFHost {
		if inner, ok := unwrapAccessLine([]byte(line)); ok {
			return parseAccessLine(inner, ev, dataset)
		}
	}
	return err
}

// parseAccessLine parses a line as it is.
func parseAccessLine(line []byte, ev *event.Event, dataset string) error {
	ev.Reset()
	if len(line) == 0 {
		return errEmpty
	}
	if line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return parseAccessText(string(line), ev, dataset) // the one allocation: every field is a substring of it
}

// parseAccessString is parseAccessLine on a string, which the event's
// fields are cut from.
func parseAccessString(s string, ev *event.Event, dataset string) error {
	ev.Reset()
	if len(s) == 0 {
		return errEmpty
	}
	if s[len(s)-1] == '\r' {
		s = s[:len(s)-1]
	}
	return parseAccessText(s, ev, dataset)
}

// parseAccessText parses a line without its ending into a reset event.
func parseAccessText(s string, ev *event.Event, dataset string) error {
	ev.Dataset = dataset
	ev.Set(event.EventCategory, "web")
	ev.Set(event.EventAction, "http_request")

	sp := near(s, ' ')
	if sp <= 0 {
		return errCLFHost
	}
	host, rest := s[:sp], s[sp+1:]
	addr, text, ok := parseIP(host)
	if !ok && strings.IndexByte(host, ':') > 0 {
		// vhost_combined: "%v:%p %h %l %u %t ..."
		if sp2 := strings.IndexByte(rest, ' '); sp2 > 0 {
			if a, t, ok2 := parseIP(rest[:sp2]); ok2 {
				ev.Set(event.URLDomain, host[:strings.LastIndexByte(host, ':')])
				addr, text, ok, rest = a, t, true, rest[sp2+1:]
			}
		}
	}
	if !ok {
		return errCLFHost
	}
	ev.IP = addr
	ev.Set(event.SourceIP, text)

	// "$ident $remote_user [": the user runs to the bracket, so a name with
	// a space in it still parses.
	br := near(rest, '[')
	if br < 2 || rest[br-1] != ' ' {
		return errCLFUser
	}
	if ident := rest[:br-1]; ident != "-" { // "- -" or "- user": one more space
		if sp := near(ident, ' '); sp >= 0 {
			ev.Set(event.UserName, dash(ident[sp+1:]))
		}
	}
	rest = rest[br+1:]
	if len(rest) < stamp.CLFLen+1 || rest[stamp.CLFLen] != ']' {
		return errCLFTime
	}
	t, ok := stamp.CLF(rest[:stamp.CLFLen])
	if !ok {
		return errCLFTime
	}
	ev.Time = t
	rest = rest[stamp.CLFLen+1:]

	// The request, then the status. An unescaped quote inside the request
	// (old Apache, nginx with escape=none) ends it early; the real end is
	// the first quote followed by " NNN".
	if len(rest) < 2 || rest[0] != ' ' || rest[1] != '"' {
		return errCLFRequest
	}
	rest = rest[2:]
	end, escaped := -1, false
	for from := 0; ; from = end + 1 {
		q, esc := closeQuote(rest, from)
		if q < 0 {
			return errCLFStatus
		}
		end, escaped = q, escaped || esc
		if statusAt(rest, end+1) {
			break
		}
	}
	req := rest[:end]
	if escaped {
		req = unescape(req)
	}
	setRequest(ev, req)
	rest = rest[end+2:]
	if !setStatus(ev, rest[:3]) {
		return errCLFStatus
	}
	rest = rest[3:]

	// Body bytes: digits, or "-" (Apache's %b for none). Absent only in a
	// truncated line.
	if rest == "" || rest[0] != ' ' {
		return errCLFBytes
	}
	rest = rest[1:]
	n := near(rest, ' ')
	if n < 0 {
		n = len(rest)
	}
	switch b := rest[:n]; {
	case b == "-":
	case isDigits(b):
		ev.Set(event.BodyBytes, b)
	default:
		return errCLFBytes
	}
	rest = rest[n:]

	// "$http_referer" "$http_user_agent", each optional.
	for _, f := range [2]event.Field{event.Referrer, event.UserAgent} {
		if len(rest) < 2 || rest[0] != ' ' || rest[1] != '"' {
			break
		}
		rest = rest[2:]
		q, escaped := closeQuote(rest, 0)
		// An unescaped quote inside: the field ends at a quote followed by a
		// space or the end of the line.
		for q >= 0 && q+1 < len(rest) && rest[q+1] != ' ' {
			var esc bool
			q, esc = closeQuote(rest, q+1)
			escaped = escaped || esc
		}
		if q < 0 {
			return errCLFQuote
		}
		v := rest[:q]
		if escaped {
			v = unescape(v)
		}
		ev.Set(f, dash(v))
		rest = rest[q+1:]
	}
	return nil
}

// statusAt reports whether s[i:] starts with `" NNN` followed by a space
// or the end: the close of the request and the status.
func statusAt(s string, i int) bool {
	if i+4 > len(s) || s[i] != ' ' {
		return false
	}
	for _, c := range []byte(s[i+1 : i+4]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return i+4 == len(s) || s[i+4] == ' '
}

// closeQuote finds the quote that closes a quoted field whose content
// starts at s[from:], stepping over backslash escapes; -1 when none. It
// also reports whether a backslash came before it.
func closeQuote(s string, from int) (int, bool) {
	escaped, q := false, -1
	for i := from; i < len(s); {
		if q < i { // the quote found was escaped: look further
			if q = strings.IndexByte(s[i:], '"'); q < 0 {
				return -1, escaped
			}
			q += i
		}
		b := strings.IndexByte(s[i:q], '\\')
		if b < 0 {
			return q, escaped // the common case: no escape before the quote
		}
		escaped = true
		i += b + 2 // skip the backslash and the byte it escapes
	}
	return -1, escaped
}

// unescape undoes \" and \\ in a quoted field; other escapes (nginx's
// \xHH) stay as written. It allocates only when there is one to undo.
func unescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// setRequest cuts "METHOD target HTTP/x.y" into its fields. Anything else
// is kept whole as url.original: attackers send those.
func setRequest(ev *event.Event, req string) {
	req = strings.TrimRight(req, " ")
	if req == "" || req == "-" {
		return
	}
	if sp := near(req, ' '); sp > 0 && isMethod(req[:sp]) {
		target := req[sp+1:]
		if v := strings.LastIndexByte(target, ' '); v >= 0 && strings.HasPrefix(target[v+1:], "HTTP/") {
			if ver := target[v+6:]; ver != "" {
				ev.Set(event.HTTPVersion, ver)
			}
			target = target[:v]
		}
		if target != "" && target[0] != ' ' {
			ev.Set(event.HTTPMethod, req[:sp])
			setURL(ev, target)
			return
		}
		ev.Set(event.HTTPVersion, "")
	}
	ev.Set(event.URLOriginal, req)
}

// isMethod reports whether s looks like an HTTP method: an upper-case
// letter, then up to 23 more, or digits, '-' or '_' (PROPFIND, M-SEARCH,
// BASELINE-CONTROL).
func isMethod(s string) bool {
	if s == "" || len(s) > 24 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// parseIP parses a client address; the text to store is the input itself
// except for an IPv4-mapped IPv6 address, stored as IPv4.
func parseIP(s string) (netip.Addr, string, bool) {
	if s == "" || s == "-" {
		return netip.Addr{}, "", false
	}
	if a, ok := parseIPv4(s); ok {
		return a, s, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, "", false
	}
	if a.Is4In6() {
		a = a.Unmap()
		return a, a.String(), true
	}
	return a, s, true
}

// parseIPv4 parses a dotted quad without leading zeros, faster than
// netip.ParseAddr for the address on every access log line.
func parseIPv4(s string) (netip.Addr, bool) {
	var ip uint32
	i := 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
		start, v := i, 0
		for i < len(s) && i-start < 3 && s[i] >= '0' && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
		}
		if i == start || v > 255 || (i-start > 1 && s[start] == '0') {
			return netip.Addr{}, false
		}
		ip = ip<<8 | uint32(v)
	}
	if i != len(s) {
		return netip.Addr{}, false
	}
	// One 4-byte store, which the load in AddrFrom4 can take over: four
	// byte stores stalled it (a tenth of the parse on genlog's lines).
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], ip)
	return netip.AddrFrom4(b), true
}

// near is strings.IndexByte for a byte expected within the first few: a
// plain loop beats the call into the vector code for the short fields of
// an access log line.
func near(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
