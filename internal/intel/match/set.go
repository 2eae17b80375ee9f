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
	"bytes"
	"hash/maphash"
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
// safe for concurrent use. It holds almost no pointers: strings are kept
// in one arena and found through maps of their 64-bit hashes, so that the
// garbage collector, which marks the live heap at every cycle of a busy
// replay, does not walk 100,000 indicators each time.
type Set struct {
	arena string // every slot's key and every entry's value

	// Slots: one per distinct value; its entries are
	// slotEnt[slotStart[s]:slotStart[s+1]].
	keyOff    []uint32
	keyLen    []uint32
	slotStart []int32
	slotEnt   []int32

	// Entries (indicators).
	ids    []int64
	kinds  []uint8 // index in intel.Kinds
	conf   []uint8
	valOff []uint32
	valLen []uint32
	until  []int64 // unix nanoseconds; 0 none
	techs  map[int32]string
	hits   []atomic.Int64

	addrs4    map[uint32]int32   // IPv4 addresses, as numbers
	addrs6    map[[16]byte]int32 // IPv6 addresses
	v4, v6    ranges
	hasRanges bool
	seed      maphash.Seed
	domains   strmap
	urls      strmap // urlKey -> slot
	uaExact   strmap
	ua        *literal.Matcher // user-agent substrings, when few enough
	uaSlots   []int32
	hashes    strmap
	emails    strmap
	urlHosts  map[uint64]struct{} // hashes of the URLs' hosts: no other host needs a URL lookup
	wantHost  bool                // domains or URLs
	v4top     [1024]uint64        // a bit per /16 holding an address or part of a range (mark16)
	dropped   int                 // entries that could not be compiled
	hashLens  [65]bool
}

// strmap finds a string's slot by the string's hash; the slot's key in
// the arena confirms it. Keys whose hash an earlier key has (never seen in
// practice) are kept by value in collide.
type strmap struct {
	m       map[uint64]int32
	collide map[string]int32
}

func (s *Set) key(sl int32) string { return s.arena[s.keyOff[sl] : s.keyOff[sl]+s.keyLen[sl]] }

func (s *Set) get(m *strmap, k string) (int32, bool) {
	if sl, ok := m.m[maphash.String(s.seed, k)]; ok && s.key(sl) == k {
		return sl, true
	}
	if m.collide != nil {
		sl, ok := m.collide[k]
		return sl, ok
	}
	return 0, false
}

func (s *Set) getBytes(m *strmap, k []byte) (int32, bool) {
	if sl, ok := m.m[maphash.Bytes(s.seed, k)]; ok && s.key(sl) == string(k) {
		return sl, true
	}
	if m.collide != nil {
		sl, ok := m.collide[string(k)]
		return sl, ok
	}
	return 0, false
}

func (m *strmap) size() int { return len(m.m) + len(m.collide) }

// uaAutomatonLimit bounds the bytes of user-agent values matched as
// substrings (an Aho-Corasick table costs 1 KiB per byte of pattern);
// beyond it, user agents match exactly only.
const uaAutomatonLimit = 64 << 10

// Compile builds a Set. Entries whose value does not parse as their kind
// are skipped (Dropped counts them). It sizes every table once from the
// counts of each kind, and finds duplicate values through the tables
// themselves, so that 100,000 indicators cost a few allocations.
func Compile(entries []Entry) *Set {
	n := make([]int, len(intel.Kinds)) // entries per kind
	kindOf := make([]int8, len(entries))
	valueBytes := 0
	for i := range entries {
		ki := kindIndex(entries[i].Kind)
		kindOf[i] = int8(ki)
		if ki >= 0 {
			n[ki]++
			valueBytes += len(entries[i].Value)
		}
	}
	cnt := func(ks ...intel.Kind) int {
		t := 0
		for _, k := range ks {
			if ki := kindIndex(k); ki >= 0 {
				t += n[ki]
			}
		}
		return t
	}
	s := &Set{seed: maphash.MakeSeed(), techs: map[int32]string{}}
	s.addrs4, s.addrs6 = make(map[uint32]int32, cnt(intel.IPv4)), make(map[[16]byte]int32, cnt(intel.IPv6)/8)
	s.domains.m, s.urls.m = make(map[uint64]int32, cnt(intel.Domain)), make(map[uint64]int32, cnt(intel.URL))
	s.uaExact.m, s.hashes.m = make(map[uint64]int32, cnt(intel.UserAgent)), make(map[uint64]int32, cnt(intel.MD5, intel.SHA1, intel.SHA256))
	s.emails.m = make(map[uint64]int32, cnt(intel.Email))
	s.urlHosts = make(map[uint64]struct{}, cnt(intel.URL))
	s.ids, s.kinds, s.conf = make([]int64, 0, len(entries)), make([]uint8, 0, len(entries)), make([]uint8, 0, len(entries))
	s.valOff, s.valLen, s.until = make([]uint32, 0, len(entries)), make([]uint32, 0, len(entries)), make([]int64, 0, len(entries))
	var arena strings.Builder
	arena.Grow(2 * valueBytes)                  // the values, then the slots' keys (at most as long)
	keys := make([]string, 0, len(entries))     // per slot, while compiling
	slotFirst := make([]int32, 0, len(entries)) // per slot, while compiling: its first entry
	more := map[int32][]int32{}                 // and the others, for the few values several organisations hold
	newSlot := func(ent int32, key string) int32 {
		keys, slotFirst = append(keys, key), append(slotFirst, ent)
		return int32(len(keys) - 1)
	}
	type netKey struct {
		first, last u128
		v6          bool
	}
	var nets map[netKey]int32 // range -> slot
	if c := cnt(intel.IPv4, intel.IPv6); c > 0 {
		nets = make(map[netKey]int32, c/2)
	}
	var in4, in6 []rangeIn
	var uaPats []string
	// slotIn finds key's slot in m, or makes a new one (isNew).
	slotIn := func(m *strmap, ent int32, key string) (sl int32, isNew bool) {
		h := maphash.String(s.seed, key)
		if sl, ok := m.m[h]; ok {
			if keys[sl] == key {
				more[sl] = append(more[sl], ent)
				return sl, false
			}
			if sl, ok := m.collide[key]; ok {
				more[sl] = append(more[sl], ent)
				return sl, false
			}
			if m.collide == nil {
				m.collide = map[string]int32{}
			}
			sl = newSlot(ent, key)
			m.collide[key] = sl
			return sl, true
		}
		sl = newSlot(ent, key)
		m.m[h] = sl
		return sl, true
	}
	// dup records ent under an existing slot.
	dup := func(sl, ent int32) { more[sl] = append(more[sl], ent) }
	for i := range entries {
		e := &entries[i]
		v := e.Value
		ki := kindOf[i]
		if ki < 0 {
			s.dropped++
			continue
		}
		ent := int32(len(s.ids))
		add := func() {
			s.ids = append(s.ids, e.ID)
			s.kinds = append(s.kinds, uint8(ki))
			s.conf = append(s.conf, uint8(min(max(e.Confidence, 0), 100)))
			s.valOff, s.valLen = append(s.valOff, uint32(arena.Len())), append(s.valLen, uint32(len(v)))
			arena.WriteString(v)
			var u int64
			if !e.Until.IsZero() {
				u = e.Until.UnixNano()
			}
			s.until = append(s.until, u)
			if e.Technique != "" {
				s.techs[ent] = e.Technique
			}
		}
		switch e.Kind {
		case intel.IPv4, intel.IPv6:
			if strings.IndexByte(v, '/') >= 0 {
				p, err := netip.ParsePrefix(v)
				if err != nil {
					s.dropped++
					continue
				}
				p = p.Masked()
				add()
				f, l := span(p)
				nk := netKey{f, l, !p.Addr().Is4()}
				if sl, ok := nets[nk]; ok {
					dup(sl, ent)
					continue
				}
				sl := newSlot(ent, v) // an address's or range's key is never looked at
				nets[nk] = sl
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
			add()
			if a.Is4() {
				k := v4num(a)
				if sl, ok := s.addrs4[k]; ok {
					dup(sl, ent)
				} else {
					s.addrs4[k] = newSlot(ent, v)
				}
			} else {
				k := a.As16()
				if sl, ok := s.addrs6[k]; ok {
					dup(sl, ent)
				} else {
					s.addrs6[k] = newSlot(ent, v)
				}
			}
		case intel.Domain:
			d := strings.TrimSuffix(strings.ToLower(v), ".")
			add()
			slotIn(&s.domains, ent, d)
		case intel.URL:
			k, ok := urlKey(v)
			if !ok {
				s.dropped++
				continue
			}
			add()
			if _, isNew := slotIn(&s.urls, ent, k); isNew {
				s.urlHosts[maphash.String(s.seed, k[:strings.IndexByte(k, '/')])] = struct{}{}
			}
		case intel.UserAgent:
			add()
			if sl, isNew := slotIn(&s.uaExact, ent, v); isNew {
				uaPats = append(uaPats, v)
				s.uaSlots = append(s.uaSlots, sl)
			}
		case intel.MD5, intel.SHA1, intel.SHA256:
			h := strings.ToLower(v)
			add()
			if _, isNew := slotIn(&s.hashes, ent, h); isNew {
				s.hashLens[len(h)] = true
			}
		case intel.Email:
			add()
			slotIn(&s.emails, ent, strings.ToLower(v))
		default:
			s.dropped++
		}
	}
	s.keyOff, s.keyLen = make([]uint32, len(keys)), make([]uint32, len(keys))
	s.slotStart = make([]int32, 0, len(keys)+1)
	s.slotEnt = make([]int32, 0, len(s.ids))
	for sl, k := range keys {
		s.keyOff[sl], s.keyLen[sl] = uint32(arena.Len()), uint32(len(k))
		arena.WriteString(k)
		s.slotStart = append(s.slotStart, int32(len(s.slotEnt)))
		s.slotEnt = append(s.slotEnt, slotFirst[sl])
		if m, ok := more[int32(sl)]; ok {
			s.slotEnt = append(s.slotEnt, m...)
		}
	}
	s.slotStart = append(s.slotStart, int32(len(s.slotEnt)))
	s.arena = arena.String()
	s.hits = make([]atomic.Int64, len(s.ids))
	if len(in4)+len(in6) > 0 {
		s.hasRanges = true
		s.v4, s.v6 = buildRanges(in4, len(keys)), buildRanges(in6, len(keys))
	}
	s.mark16(in4)
	total := 0
	for _, p := range uaPats {
		total += len(p)
	}
	if len(uaPats) > 0 && total <= uaAutomatonLimit {
		s.ua = literal.New(uaPats, false)
	}
	s.wantHost = s.domains.size() > 0 || s.urls.size() > 0
	return s
}

// kindIndex is k's index in intel.Kinds, or -1.
func kindIndex(k intel.Kind) int {
	for i, x := range intel.Kinds {
		if x == k {
			return i
		}
	}
	return -1
}

// mark16 notes in v4top which /16 blocks of the IPv4 space hold an
// indicator address or part of a range: the other blocks, where most
// clients are, need neither the map nor the range table.
func (s *Set) mark16(in4 []rangeIn) {
	for a := range s.addrs4 {
		s.v4top[a>>16>>6] |= 1 << (a >> 16 & 63)
	}
	for _, r := range in4 {
		// IPv4 ranges are IPv4-mapped: the address is the low 32 bits.
		for b := uint32(r.first.lo) >> 16; ; b++ {
			s.v4top[b>>6] |= 1 << (b & 63)
			if b == uint32(r.last.lo)>>16 {
				break
			}
		}
	}
}

// slots is how many distinct values the set holds.
func (s *Set) slots() int { return len(s.keyOff) }

// entry is one indicator of the set, as a hit reports it.
func (s *Set) entry(i int32) (id int64, kind intel.Kind, value string, confidence int, technique string) {
	return s.ids[i], intel.Kinds[s.kinds[i]], s.arena[s.valOff[i] : s.valOff[i]+s.valLen[i]], int(s.conf[i]), s.techs[i]
}

// Len is how many indicators the set holds; Dropped how many could not be
// compiled.
func (s *Set) Len() int     { return len(s.ids) }
func (s *Set) Dropped() int { return s.dropped }

// Hits returns each indicator's hits so far, by indicator id (only those
// hit).
func (s *Set) Hits() map[int64]int64 {
	out := map[int64]int64{}
	for i := range s.hits {
		if n := s.hits[i].Load(); n > 0 {
			out[s.ids[i]] += n
		}
	}
	return out
}

// urlKey is a URL without its scheme, user and fragment, its host in lower
// case and without a default port, its path at least "/": what a logged
// request or Referer is compared by.
func urlKey(raw string) (string, bool) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return "", false
	}
	rest := raw[i+3:]
	end := indexPathStart(rest)
	if at := strings.IndexByte(rest, '@'); at >= 0 && (end < 0 || at < end) {
		rest = rest[at+1:]
		end = indexPathStart(rest)
	}
	host, path := rest, ""
	if end >= 0 {
		host, path = rest[:end], rest[end:]
	}
	if host == "" {
		return "", false
	}
	host = strings.ToLower(host)
	if c := strings.LastIndexByte(host, ':'); c >= 0 && (host[c+1:] == "80" || host[c+1:] == "443") {
		host = host[:c]
	}
	if h := strings.IndexByte(path, '#'); h >= 0 {
		path = path[:h]
	}
	if path == "" || path[0] == '?' {
		path = "/" + path
	}
	return host + path, true
}

// scratch is one inspector's buffers.
type scratch struct {
	buf   []byte
	found []found
	// the hosts last looked up in memoSet (lookHost)
	memoSet  *Set
	memo     [hostMemos]hostMemo
	memoN    int
	memoNext int
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
		n := v4num(a)
		if s.v4top[n>>22]&(1<<(n>>16&63)) == 0 {
			return // no indicator address or range in its /16
		}
		if sl, ok := s.addrs4[n]; ok {
			sc.add(sl, in)
		}
	} else if sl, ok := s.addrs6[a.As16()]; ok {
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

// hostSlots appends the slots of the domains a host (maybe with a port,
// any case) is or is under.
func (s *Set) hostSlots(host string, sc *scratch, out []int32) []int32 {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[:i], ":") {
		host = host[:i]
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || s.domains.size() == 0 {
		return out
	}
	if hasUpper(host) { // rare: hosts are logged in lower case
		sc.buf = appendLower(sc.buf[:0], host)
		b := sc.buf
		for {
			if sl, ok := s.getBytes(&s.domains, b); ok {
				out = append(out, sl)
			}
			dot := bytes.IndexByte(b, '.')
			if dot < 0 || bytes.IndexByte(b[dot+1:], '.') < 0 {
				return out
			}
			b = b[dot+1:]
		}
	}
	for {
		if sl, ok := s.get(&s.domains, host); ok {
			out = append(out, sl)
		}
		dot := strings.IndexByte(host, '.')
		if dot < 0 || strings.IndexByte(host[dot+1:], '.') < 0 {
			return out // no indicator is a bare top-level domain
		}
		host = host[dot+1:]
	}
}

// urlHost is whether a URL on host may be a URL indicator: whether the
// host, as a URL's key holds it (lower case, without a default port), is
// the host of one. A host with a '/' (a malformed Host header) is always
// looked up, as the key's host ends at its first '/'.
func (s *Set) urlHost(host string, sc *scratch) bool {
	if s.urls.size() == 0 {
		return false
	}
	if strings.IndexByte(host, '/') >= 0 {
		return true
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && (host[i+1:] == "80" || host[i+1:] == "443") {
		host = host[:i]
	}
	var h uint64
	if hasUpper(host) {
		sc.buf = appendLower(sc.buf[:0], host)
		h = maphash.Bytes(s.seed, sc.buf)
	} else {
		h = maphash.String(s.seed, host)
	}
	_, ok := s.urlHosts[h]
	return ok
}

// hostMemo is what one host found: the domain slots, and whether URLs on
// it need looking up. A log names few hosts (the site's own, in its Host
// and Referer, and a few search engines), so each inspector remembers the
// last few instead of hashing every one again.
type hostMemo struct {
	host  string
	slots []int32
	url   bool
}

const hostMemos = 8

// lookHost adds the domain slots of host to sc (found in `in`) and says
// whether URLs on it need looking up.
func (s *Set) lookHost(host, in string, sc *scratch) bool {
	if sc.memoSet != s {
		sc.memoSet, sc.memoN, sc.memoNext = s, 0, 0
	}
	var m *hostMemo
	for i := range sc.memoN {
		if sc.memo[i].host == host {
			m = &sc.memo[i]
			break
		}
	}
	if m == nil {
		m = &sc.memo[sc.memoNext]
		sc.memoNext, sc.memoN = (sc.memoNext+1)%hostMemos, min(sc.memoN+1, hostMemos)
		m.host = strings.Clone(host) // not to hold the line it came from
		m.slots = s.hostSlots(host, sc, m.slots[:0])
		m.url = s.urlHost(host, sc)
	}
	for _, sl := range m.slots {
		sc.add(sl, in)
	}
	return m.url
}

// matchURL looks an absolute URL up (and the host in it); raw may run on
// past the URL's end (a query parameter), cut at the first delimiter.
func (s *Set) matchURL(raw, in string, sc *scratch) {
	var rest string
	switch {
	case strings.HasPrefix(raw, "https://"):
		rest = raw[8:]
	case strings.HasPrefix(raw, "http://"):
		rest = raw[7:]
	default:
		i := strings.Index(raw, "://")
		if i < 0 {
			return
		}
		rest = raw[i+3:]
	}
	// The host ends at the path, query or fragment, or at a delimiter; a
	// user before it ends at '@'. Only the host is scanned here: the path
	// is cut at its delimiter only when a URL on that host is looked up.
	i := 0
	for i < len(rest) && !hostEnd[rest[i]] {
		i++
	}
	if i < len(rest) && rest[i] == '@' {
		rest = rest[i+1:]
		i = 0
		for i < len(rest) && !hostEnd[rest[i]] || i < len(rest) && rest[i] == '@' {
			i++
		}
	}
	host, path := rest[:i], ""
	if i < len(rest) && !urlDelim[rest[i]] {
		path = rest[i:]
	}
	if !s.lookHost(host, in, sc) || host == "" {
		return
	}
	if j := indexDelim(path); j >= 0 {
		path = path[:j]
	}
	s.matchHostPath(host, path, in, sc)
}

// urlDelim are the bytes indexDelim stops at; hostEnd those and the
// bytes that end a URL's host ('/', '?', '#', and '@' after a user).
var urlDelim, hostEnd = func() (d, h [256]bool) {
	for _, c := range []byte(" \t\"'<>&") {
		d[c], h[c] = true, true
	}
	for _, c := range []byte("/?#@") {
		h[c] = true
	}
	return
}()

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
	if sl, ok := s.getBytes(&s.urls, b); ok {
		sc.add(sl, in)
	}
	if q := strings.IndexByte(path, '?'); q >= 0 {
		if sl, ok := s.getBytes(&s.urls, b[:len(b)-len(path)+q]); ok {
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
			sc.buf = appendLower(sc.buf[:0], text[i:j])
			if sl, ok := s.getBytes(&s.hashes, sc.buf); ok {
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

// EachHit calls fn for every indicator hit so far, in the order compiled.
func (s *Set) EachHit(fn func(id int64, kind intel.Kind, value string, hits int64)) {
	for i := range s.hits {
		if n := s.hits[i].Load(); n > 0 {
			id, kind, value, _, _ := s.entry(int32(i))
			fn(id, kind, value, n)
		}
	}
}
