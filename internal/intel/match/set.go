// Package match puts indicators marked for detection to work on every
// ingested line, as a detection stage (detect.Stage): the client address
// (exact and in CIDR ranges), domains (the Host, the Referer's host, and
// URLs in the request target, with their parent domains), URLs, user
// agents, file hashes and e-mail addresses. The indicators are compiled
// into one Set (hash sets, a sorted segment table for ranges, Aho-Corasick
// for user-agent substrings), swapped atomically when they change. A hit
// is counted, recorded as a sighting in batches, and raises the alert
// "Indikator dikenal" carrying the indicator's id. Indicators marked for
// blocking become decisions and blocklist entries (block.go).
package match

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/garda-id/garda/internal/detect/literal"
	"github.com/garda-id/garda/internal/intel"
)

// Entry is one indicator as the matcher needs it.
type Entry struct {
	ID         int64
	Kind       intel.Kind
	Value      string // normalised (intel.Normalize)
	Confidence int
	Technique  string
	Until      time.Time // zero: no end
}

// Where a value was found, as the alert's evidence says it.
const (
	InSourceIP  = "source.ip"
	InHost      = "url.domain"
	InReferrer  = "http.request.referrer"
	InTarget    = "url.original"
	InUserAgent = "user_agent.original"
	InUser      = "user.name"
	InMessage   = "message"
)

// Set is a compiled set of indicators; it is immutable once built and
// safe for concurrent use.
type Set struct {
	entries []Entry
	slots   [][]int32 // a distinct value -> the entries holding it
	until   []int64   // per entry, unix nanoseconds; 0 none
	hits    []atomic.Int64

	addrs4    map[uint32]int32 // IPv4 addresses, as numbers
	addrs     map[netip.Addr]int32
	v4, v6    ranges
	hasRanges bool
	domains   map[string]int32
	urls      map[string]int32 // urlKey -> slot
	uaExact   map[string]int32
	ua        *literal.Matcher // user-agent substrings, when few enough
	uaSlots   []int32
	hashes    map[string]int32
	emails    map[string]int32
	wantHost  bool // domains or URLs
	dropped   int  // entries that could not be compiled
	hashLens  [65]bool
}

// uaAutomatonLimit bounds the bytes of user-agent values matched as
// substrings (an Aho-Corasick table costs 1 KiB per byte of pattern);
// beyond it, user agents match exactly only.
const uaAutomatonLimit = 64 << 10

// Compile builds a Set. Entries whose value does not parse as their kind
// are skipped (Dropped counts them).
func Compile(entries []Entry) *Set {
	s := &Set{entries: entries, until: make([]int64, len(entries)), hits: make([]atomic.Int64, len(entries)),
		addrs4: map[uint32]int32{}, addrs: map[netip.Addr]int32{}, domains: map[string]int32{}, urls: map[string]int32{}, uaExact: map[string]int32{},
		hashes: map[string]int32{}, emails: map[string]int32{}}
	byValue := map[string]int32{}
	var in4, in6 []rangeIn
	var uaPats []string
	slotOf := func(i int, key string) (int32, bool) {
		if sl, ok := byValue[key]; ok {
			s.slots[sl] = append(s.slots[sl], int32(i))
			return sl, false
		}
		sl := int32(len(s.slots))
		s.slots = append(s.slots, []int32{int32(i)})
		byValue[key] = sl
		return sl, true
	}
	for i, e := range entries {
		if !e.Until.IsZero() {
			s.until[i] = e.Until.UnixNano()
		}
		v := e.Value
		switch e.Kind {
		case intel.IPv4, intel.IPv6:
			if strings.Contains(v, "/") {
				p, err := netip.ParsePrefix(v)
				if err != nil {
					s.dropped++
					continue
				}
				p = p.Masked()
				sl, isNew := slotOf(i, "net|"+p.String())
				if !isNew {
					continue
				}
				f, l := span(p)
				if p.Addr().Is4() {
					in4 = append(in4, rangeIn{f, l, sl})
				} else {
					in6 = append(in6, rangeIn{f, l, sl})
				}
				continue
			}
			a, err := netip.ParseAddr(v)
			if err != nil {
				s.dropped++
				continue
			}
			a = a.Unmap()
			if sl, isNew := slotOf(i, "ip|"+a.String()); isNew {
				if a.Is4() {
					s.addrs4[v4num(a)] = sl
				} else {
					s.addrs[a] = sl
				}
			}
		case intel.Domain:
			d := strings.TrimSuffix(strings.ToLower(v), ".")
			if sl, isNew := slotOf(i, "dn|"+d); isNew {
				s.domains[d] = sl
			}
		case intel.URL:
			k, ok := urlKey(v)
			if !ok {
				s.dropped++
				continue
			}
			if sl, isNew := slotOf(i, "url|"+k); isNew {
				s.urls[k] = sl
			}
		case intel.UserAgent:
			if sl, isNew := slotOf(i, "ua|"+v); isNew {
				s.uaExact[v] = sl
				uaPats = append(uaPats, v)
				s.uaSlots = append(s.uaSlots, sl)
			}
		case intel.MD5, intel.SHA1, intel.SHA256:
			h := strings.ToLower(v)
			if sl, isNew := slotOf(i, "h|"+h); isNew {
				s.hashes[h] = sl
				s.hashLens[len(h)] = true
			}
		case intel.Email:
			m := strings.ToLower(v)
			if sl, isNew := slotOf(i, "em|"+m); isNew {
				s.emails[m] = sl
			}
		default:
			s.dropped++
		}
	}
	if len(in4)+len(in6) > 0 {
		s.hasRanges = true
		s.v4, s.v6 = buildRanges(in4, len(s.slots)), buildRanges(in6, len(s.slots))
	}
	total := 0
	for _, p := range uaPats {
		total += len(p)
	}
	if len(uaPats) > 0 && total <= uaAutomatonLimit {
		s.ua = literal.New(uaPats, false)
	}
	s.wantHost = len(s.domains) > 0 || len(s.urls) > 0
	return s
}

// Len is how many indicators the set holds; Dropped how many could not be
// compiled.
func (s *Set) Len() int     { return len(s.entries) - s.dropped }
func (s *Set) Dropped() int { return s.dropped }

// Hits returns each indicator's hits so far, by indicator id (only those
// hit).
func (s *Set) Hits() map[int64]int64 {
	out := map[int64]int64{}
	for i := range s.hits {
		if n := s.hits[i].Load(); n > 0 {
			out[s.entries[i].ID] += n
		}
	}
	return out
}

// urlKey is a URL without its scheme, user and fragment, its host in lower
// case and without a default port, its path at least "/": what a logged
// request or Referer is compared by.
func urlKey(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if h, p, ok := strings.Cut(host, ":"); ok && (p == "80" || p == "443") && !strings.Contains(p, ":") {
		host = h
	}
	rest := raw[strings.Index(raw, "//")+2:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" || rest[0] == '?' {
		rest = "/" + rest
	}
	return host + rest, true
}

// scratch is one inspector's buffers.
type scratch struct {
	buf   []byte
	found []found
}

type found struct {
	slot int32
	in   string
}

func (sc *scratch) add(slot int32, in string) {
	for _, f := range sc.found {
		if f.slot == slot {
			return
		}
	}
	sc.found = append(sc.found, found{slot, in})
}

// matchAddr looks an address up, exact and in ranges.
func (s *Set) matchAddr(a netip.Addr, in string, sc *scratch) {
	a = a.Unmap()
	if a.Is4() {
		if sl, ok := s.addrs4[v4num(a)]; ok {
			sc.add(sl, in)
		}
	} else if sl, ok := s.addrs[a]; ok {
		sc.add(sl, in)
	}
	if s.hasRanges {
		r := &s.v6
		if a.Is4() {
			r = &s.v4
		}
		for sl := r.find(num(a)); sl >= 0; sl = r.parent[sl] {
			sc.add(sl, in)
		}
	}
}

func v4num(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// indexDelim is the first byte of s that ends a URL in a log field or a
// query (space, quote, angle bracket, ampersand), or -1.
func indexDelim(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '"', '\'', '<', '>', '&':
			return i
		}
	}
	return -1
}

// indexPathStart is the first '/', '?' or '#' of s, or -1.
func indexPathStart(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '?', '#':
			return i
		}
	}
	return -1
}

// matchHost looks a host (maybe with a port, any case) and its parent
// domains up.
func (s *Set) matchHost(host, in string, sc *scratch) {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[:i], ":") {
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(s.domains) == 0 {
		return
	}
	if hasUpper(host) {
		sc.buf = appendLower(sc.buf[:0], host)
		host = string(sc.buf) // rare: hosts are logged in lower case
	}
	for {
		if sl, ok := s.domains[host]; ok {
			sc.add(sl, in)
		}
		dot := strings.IndexByte(host, '.')
		if dot < 0 || strings.IndexByte(host[dot+1:], '.') < 0 {
			return // no indicator is a bare top-level domain
		}
		host = host[dot+1:]
	}
}

// matchURL looks an absolute URL up (and the host in it); raw may run on
// past the URL's end (a query parameter), cut at the first delimiter.
func (s *Set) matchURL(raw, in string, sc *scratch) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return
	}
	rest := raw[i+3:]
	if j := indexDelim(rest); j >= 0 {
		rest = rest[:j]
	}
	end := indexPathStart(rest)
	if at := strings.IndexByte(rest, '@'); at >= 0 && (end < 0 || at < end) {
		rest = rest[at+1:]
		end = indexPathStart(rest)
	}
	host := rest
	if end >= 0 {
		host = rest[:end]
	}
	s.matchHost(host, in, sc)
	if len(s.urls) == 0 || host == "" {
		return
	}
	path := ""
	if end >= 0 {
		path = rest[end:]
	}
	s.matchHostPath(host, path, in, sc)
}

// matchHostPath looks host+path up as a URL key, and without its query.
func (s *Set) matchHostPath(host, path, in string, sc *scratch) {
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && (host[i+1:] == "80" || host[i+1:] == "443") {
		host = host[:i]
	}
	b := appendLower(sc.buf[:0], host)
	if path == "" || path[0] == '?' {
		b = append(b, '/')
	}
	b = append(b, path...)
	sc.buf = b
	if sl, ok := s.urls[string(b)]; ok {
		sc.add(sl, in)
	}
	if q := strings.IndexByte(path, '?'); q >= 0 {
		if sl, ok := s.urls[string(b[:len(b)-len(path)+q])]; ok {
			sc.add(sl, in)
		}
	}
}

// matchEmbedded finds absolute URLs inside a request target (a redirect
// parameter, a proxy's absolute target), percent-encoded or not.
func (s *Set) matchEmbedded(target string, sc *scratch) {
	if strings.IndexByte(target, ':') < 0 && strings.IndexByte(target, '%') < 0 {
		return
	}
	for t := target; ; {
		i := strings.Index(t, "://")
		if i < 0 {
			break
		}
		start := i
		for start > 0 && isSchemeByte(t[start-1]) {
			start--
		}
		s.matchURL(t[start:], InTarget, sc)
		t = t[i+3:]
	}
	if strings.Contains(target, "%3A%2F%2F") || strings.Contains(target, "%3a%2f%2f") {
		if dec, err := url.QueryUnescape(target); err == nil {
			for t := dec; ; {
				i := strings.Index(t, "://")
				if i < 0 {
					break
				}
				s.matchURL(t[max(0, i-5):], InTarget, sc)
				t = t[i+3:]
			}
		}
	}
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// matchHashes looks every run of hex digits as long as a hash up.
func (s *Set) matchHashes(text, in string, sc *scratch) {
	for i := 0; i < len(text); {
		if !isHex(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isHex(text[j]) {
			j++
		}
		if n := j - i; n <= 64 && s.hashLens[n] {
			h := text[i:j]
			if hasUpper(h) {
				sc.buf = appendLower(sc.buf[:0], h)
				h = string(sc.buf)
			}
			if sl, ok := s.hashes[h]; ok {
				sc.add(sl, in)
			}
		}
		i = j
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func severityOf(confidence int) string {
	switch {
	case confidence >= 80:
		return "high"
	case confidence >= 50:
		return "medium"
	}
	return "low"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
