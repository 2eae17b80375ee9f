package simulate

import (
	"net/netip"
	"strconv"
	"time"
)

// wib is Western Indonesia Time, the zone KPU's servers log in.
var wib = time.FixedZone("WIB", 7*60*60)

// request is one logged request of a script, at an offset from the
// script's start.
type request struct {
	at      time.Duration
	method  string
	target  string
	h2      bool // browsers speak HTTP/2 to nginx; tools and apps HTTP/1.1
	status  int
	bytes   int
	referer string // "" is logged as "-"
	ua      string // "" means the script's user agent
}

// script is what one client does: its requests in time order.
type script struct {
	ua   string
	reqs []request
}

func (s *script) add(at time.Duration, method, target string, status, bytes int, referer string) *request {
	s.reqs = append(s.reqs, request{at: at, method: method, target: target, status: status, bytes: bytes, referer: referer})
	return &s.reqs[len(s.reqs)-1]
}

func (s *script) duration() time.Duration {
	if len(s.reqs) == 0 {
		return 0
	}
	return s.reqs[len(s.reqs)-1].at
}

// appendLine appends one nginx "combined" line:
//
//	$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
func appendLine(b []byte, ip netip.Addr, t time.Time, ua string, q *request) []byte {
	b = ip.AppendTo(b)
	b = append(b, " - - ["...)
	b = t.In(wib).AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, `] "`...)
	b = appendEscaped(b, q.method)
	b = append(b, ' ')
	b = appendEscaped(b, q.target)
	if q.h2 {
		b = append(b, " HTTP/2.0"...)
	} else {
		b = append(b, " HTTP/1.1"...)
	}
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(q.status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(q.bytes), 10)
	b = append(b, ` "`...)
	if q.referer == "" {
		b = append(b, '-')
	} else {
		b = appendEscaped(b, q.referer)
	}
	b = append(b, `" "`...)
	if q.ua != "" {
		ua = q.ua
	}
	if ua == "" {
		b = append(b, '-')
	} else {
		b = appendEscaped(b, ua)
	}
	return append(b, '"')
}

// appendEscaped escapes as nginx does in its default log escaping: '"',
// '\' and bytes outside printable ASCII become \xHH.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}
