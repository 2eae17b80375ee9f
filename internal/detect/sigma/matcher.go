package sigma

import (
	"math/bits"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/garda-id/garda/internal/event"
)

// Matcher matches events against a Set. It holds the scratch space that
// makes matching allocation-free, so it is not safe for concurrent use:
// give each goroutine its own (Set.NewMatcher).
type Matcher struct {
	set *Set
	ev  *event.Event
	gen uint32
	// scanned says the prefilter ran on this event, so atoms' states are
	// current and may answer tests (see cpat.known).
	scanned bool

	cand       []uint64 // candidate rules of this event
	views      [event.NumFields]view
	atomStamp  []uint32 // per atom: the generation it was last found in
	fieldAtoms []int32  // atoms found in the field being scanned
	sinks      [event.NumFields]litSink
	memos      [event.NumFields]*memo
}

// view is a field's value folded for case-insensitive comparison: the
// value itself when it is ASCII, else its lower-cased copy in low.
type view struct {
	gen  uint32
	fold string
	low  []byte
}

// NewMatcher returns a Matcher for use by one goroutine.
func (s *Set) NewMatcher() *Matcher {
	m := &Matcher{
		set:        s,
		cand:       make([]uint64, s.words),
		atomStamp:  make([]uint32, len(s.atoms)),
		fieldAtoms: make([]int32, 0, len(s.atoms)),
	}
	for _, fi := range s.indexes {
		m.sinks[fi.field].reset(max(litCount(fi.ac), litCount(fi.own)))
		if s.memo > 0 && fi.ac != nil && fi.coveredBy == noField {
			m.memos[fi.field] = newMemo(s.memo)
		}
	}
	for i := range m.views {
		m.views[i].low = make([]byte, 0, 256)
	}
	return m
}

func litCount(a *automaton) int {
	if a == nil {
		return 0
	}
	return len(a.lits)
}

// Match appends to dst the rules that ev matches, in Set order.
func (m *Matcher) Match(ev *event.Event, dst []*Rule) []*Rule {
	m.begin(ev)
	m.prefilter()
	return m.evalCandidates(dst)
}

// MatchUnfiltered appends to dst the rules that ev matches, evaluating
// every rule without the prefilter: the reference Match must agree with,
// for tests and benchmarks.
func (m *Matcher) MatchUnfiltered(ev *event.Event, dst []*Rule) []*Rule {
	m.begin(ev)
	for _, cr := range m.set.rules {
		if m.evalNode(cr, cr.root) {
			dst = append(dst, cr.rule)
		}
	}
	return dst
}

// MatchRule evaluates rule i of the set on ev, without the prefilter.
func (m *Matcher) MatchRule(ev *event.Event, i int) bool {
	m.begin(ev)
	cr := m.set.rules[i]
	return m.evalNode(cr, cr.root)
}

func (m *Matcher) begin(ev *event.Event) {
	m.ev = ev
	m.scanned = false
	m.gen++
	if m.gen == 0 {
		clear(m.atomStamp)
		for i := range m.views {
			m.views[i].gen = 0
		}
		m.gen = 1
	}
}

func (m *Matcher) evalCandidates(dst []*Rule) []*Rule {
	for w, word := range m.cand {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			cr := m.set.rules[i]
			if m.evalNode(cr, cr.root) {
				dst = append(dst, cr.rule)
			}
		}
	}
	return dst
}

// prefilter marks as candidates the rules evaluated on every event and
// those one of whose atoms holds.
func (m *Matcher) prefilter() {
	s := m.set
	copy(m.cand, s.always)
	m.scanned = true
	urlCovers := true // url.path and url.query are parts of url.original
	if orig := m.ev.Get(event.URLOriginal); orig != "" || m.ev.Get(event.URLPath) != "" || m.ev.Get(event.URLQuery) != "" {
		path, query := m.ev.Get(event.URLPath), m.ev.Get(event.URLQuery)
		urlCovers = (strings.HasPrefix(orig, path) || strings.Contains(orig, path)) &&
			(strings.HasSuffix(orig, query) || strings.Contains(orig, query))
	}
	for _, fi := range s.indexes {
		m.scanField(fi, urlCovers)
	}
}

func (m *Matcher) scanField(fi *fieldIndex, covered bool) {
	raw := m.ev.Get(fi.field)
	if raw == "" {
		if fi.empty >= 0 {
			m.hit(fi.empty)
		}
		return
	}
	memo := m.memos[fi.field]
	var slot int
	var h uint64
	if memo != nil && len(raw) <= memoKeyMax {
		h = memoHash(raw)
		slot = int(h & memo.mask)
		if memo.hash[slot] == h && string(memo.keys[slot*memoKeyMax:slot*memoKeyMax+int(memo.klen[slot])]) == raw {
			for _, a := range memo.atoms[slot] {
				m.hit(a)
			}
			return
		}
	} else {
		memo = nil
	}
	m.fieldAtoms = m.fieldAtoms[:0]
	text := raw
	ascii := true
	var ac *automaton
	var acAtoms [][]int32
	switch {
	case fi.coveredBy == noField:
		ac, acAtoms = fi.ac, fi.acAtoms
	case !covered:
		ac, acAtoms = fi.own, fi.ownAtoms
	}
	if ac != nil {
		k := &m.sinks[fi.field]
		if !ac.scan(raw, k) {
			ascii = false
			text = m.fold(fi.field)
			ac.scanLower(text, k)
		}
		for _, lit := range k.hits {
			for _, a := range acAtoms[lit] {
				m.hit(a)
			}
		}
	} else if fi.anchored && !isASCII(raw) {
		ascii = false
	}
	if fi.anchored {
		if !ascii {
			text = m.fold(fi.field)
		}
		if n := len(text); n < len(fi.exact) {
			for _, e := range fi.exact[n] {
				if foldEqual(text, e.lit) {
					m.hit(e.atom)
				}
			}
		}
		for _, e := range fi.prefix[foldTab[text[0]]] {
			if foldHasPrefix(text, e.lit) {
				m.hit(e.atom)
			}
		}
		for _, e := range fi.suffix[foldTab[text[len(text)-1]]] {
			if foldHasSuffix(text, e.lit) {
				m.hit(e.atom)
			}
		}
	}
	if memo != nil {
		memo.store(slot, h, raw, m.fieldAtoms)
	}
}

// hit records that an atom holds: its rules become candidates.
func (m *Matcher) hit(a int32) {
	if m.atomStamp[a] == m.gen {
		return
	}
	m.atomStamp[a] = m.gen
	m.fieldAtoms = append(m.fieldAtoms, a)
	for _, r := range m.set.atoms[a].rules {
		m.cand[r/64] |= 1 << (r % 64)
	}
}

// memo caches, per field value, the atoms that hold on it: a
// direct-mapped table whose entries are replaced on collision.
type memo struct {
	mask  uint64
	hash  []uint64  // 0: empty
	klen  []uint16  // key length
	keys  []byte    // memoKeyMax bytes per slot
	atoms [][]int32 // memoAtomsMax capacity per slot
}

// Values shorter than memoMinLen are scanned faster than they are looked
// up; longer than memoKeyMax are not worth the space.
const (
	memoMinLenDefault = 64
	memoKeyMax        = 256
	memoAtomsMax      = 8
)

func newMemo(slots int) *memo {
	n := 1
	for n < slots {
		n <<= 1
	}
	mm := &memo{
		mask:  uint64(n - 1),
		hash:  make([]uint64, n),
		klen:  make([]uint16, n),
		keys:  make([]byte, n*memoKeyMax),
		atoms: make([][]int32, n),
	}
	backing := make([]int32, n*memoAtomsMax)
	for i := range mm.atoms {
		mm.atoms[i] = backing[i*memoAtomsMax : i*memoAtomsMax : (i+1)*memoAtomsMax]
	}
	return mm
}

func (mm *memo) store(slot int, h uint64, key string, atoms []int32) {
	if len(atoms) > memoAtomsMax {
		mm.hash[slot] = 0
		return
	}
	mm.hash[slot] = h
	mm.klen[slot] = uint16(copy(mm.keys[slot*memoKeyMax:(slot+1)*memoKeyMax], key))
	mm.atoms[slot] = append(mm.atoms[slot][:0], atoms...)
}

// memoHash hashes a value from its length and three 8-byte samples
// (start, middle, end). Values that collide only evict each other; the
// key is compared in full before an entry is used.
func memoHash(s string) uint64 {
	n := len(s)
	h := uint64(n)*0x9E3779B97F4A7C15 | 1
	if n < 8 {
		for i := 0; i < n; i++ {
			h = (h ^ uint64(s[i])) * 0x100000001B3
		}
	} else {
		h = (h ^ load64(s, 0)) * 0xBF58476D1CE4E5B9
		h = (h ^ load64(s, n/2-4)) * 0x94D049BB133111EB
		h = (h ^ load64(s, n-8)) * 0xBF58476D1CE4E5B9
	}
	h ^= h >> 31
	return h | 1
}

func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// raw returns a field's value ("" for an unmapped field).
func (m *Matcher) raw(f event.Field) string {
	if f == noField {
		return ""
	}
	return m.ev.Get(f)
}

// fold returns a field's value for folded comparison.
func (m *Matcher) fold(f event.Field) string {
	if f == noField {
		return ""
	}
	v := &m.views[f]
	if v.gen == m.gen {
		return v.fold
	}
	raw := m.ev.Get(f)
	v.gen = m.gen
	if isASCII(raw) {
		v.fold = raw
		return raw
	}
	v.low = appendLower(v.low[:0], raw)
	// The string aliases the view's buffer, which is only rewritten for a
	// later event; it never leaves the Matcher.
	v.fold = unsafe.String(unsafe.SliceData(v.low), len(v.low))
	return v.fold
}

func (m *Matcher) evalNode(cr *crule, n *node) bool {
	switch n.op {
	case opRef:
		return m.evalSearch(&cr.searches[n.ref])
	case opNot:
		return !m.evalNode(cr, n.kids[0])
	case opAnd:
		for _, k := range n.kids {
			if !m.evalNode(cr, k) {
				return false
			}
		}
		return true
	default:
		for _, k := range n.kids {
			if m.evalNode(cr, k) {
				return true
			}
		}
		return false
	}
}

func (m *Matcher) evalSearch(s *csearch) bool {
	for _, it := range s.items {
		ok := true
		for _, c := range it {
			if !m.evalCond(c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (m *Matcher) evalCond(c *ccond) bool {
	var r bool
	if c.keyword {
		r = m.evalKeyword(c)
	} else {
		for _, f := range c.fields {
			if m.evalOn(c, f) {
				r = true
				break
			}
		}
	}
	return r != c.neq
}

// evalOn evaluates a field condition on one field.
func (m *Matcher) evalOn(c *ccond, f event.Field) bool {
	if c.all {
		for _, g := range c.groups {
			if !m.anyPattern(g, f) {
				return false
			}
		}
		return true
	}
	for _, g := range c.groups {
		if m.anyPattern(g, f) {
			return true
		}
	}
	return false
}

// evalKeyword evaluates a keyword search: a value may occur in any keyword
// field; with |all every value must occur (each in any field).
func (m *Matcher) evalKeyword(c *ccond) bool {
	for _, g := range c.groups {
		found := false
		for _, f := range c.fields {
			if m.anyPattern(g, f) {
				found = true
				break
			}
		}
		if found != c.all {
			return found
		}
	}
	return c.all
}

func (m *Matcher) anyPattern(g []*cpat, f event.Field) bool {
	for _, p := range g {
		if m.matchPattern(p, f) {
			return true
		}
	}
	return false
}

func (m *Matcher) matchPattern(p *cpat, f event.Field) bool {
	if m.scanned {
		for _, k := range p.known {
			if k.field == f {
				return m.atomStamp[k.atom] == m.gen
			}
		}
	}
	switch p.kind {
	case pNull:
		return m.raw(f) == ""
	case pAny:
		return true
	case pEqual, pPrefix, pSuffix, pContains:
		if p.cased {
			raw := m.raw(f)
			switch p.kind {
			case pEqual:
				return raw == p.lit
			case pPrefix:
				return strings.HasPrefix(raw, p.lit)
			case pSuffix:
				return strings.HasSuffix(raw, p.lit)
			}
			return strings.Contains(raw, p.lit)
		}
		t := m.fold(f)
		switch p.kind {
		case pEqual:
			return foldEqual(t, p.lit)
		case pPrefix:
			return foldHasPrefix(t, p.lit)
		case pSuffix:
			return foldHasSuffix(t, p.lit)
		}
		return foldIndex(t, p.lit) >= 0
	case pGlob:
		if p.cased {
			return p.glob.match(m.raw(f), false)
		}
		return p.glob.match(m.fold(f), true)
	case pRegex:
		return p.re.MatchString(m.raw(f))
	case pCIDR:
		var addr netip.Addr
		if f == event.SourceIP && m.ev.IP.IsValid() {
			addr = m.ev.IP
		} else {
			a, err := netip.ParseAddr(strings.TrimSpace(m.raw(f)))
			if err != nil {
				return false
			}
			addr = a
		}
		return p.pfx.Contains(addr.Unmap())
	case pNumber:
		v, ok := parseNumber(m.raw(f))
		if !ok {
			return false
		}
		switch p.cmp {
		case cmpGT:
			return v > p.num
		case cmpGTE:
			return v >= p.num
		case cmpLT:
			return v < p.num
		}
		return v <= p.num
	case pExists:
		return (m.raw(f) != "") == p.exists
	case pFieldRef:
		for _, rf := range p.refs {
			if m.matchRef(p, f, rf) {
				return true
			}
		}
	}
	return false
}

// matchRef compares a field with another (|fieldref): equal, or with
// |startswith, |endswith, |contains, the other's value at that position.
// An empty other field matches nothing.
func (m *Matcher) matchRef(p *cpat, f, rf event.Field) bool {
	var a, b string
	if p.cased {
		a, b = m.raw(f), m.raw(rf)
	} else {
		a, b = m.fold(f), m.fold(rf)
	}
	if b == "" || len(a) < len(b) {
		return false
	}
	switch p.refPos {
	case posPrefix:
		return refEqual(p.cased, a[:len(b)], b)
	case posSuffix:
		return refEqual(p.cased, a[len(a)-len(b):], b)
	case posContains:
		for i := 0; i+len(b) <= len(a); i++ {
			if refEqual(p.cased, a[i:i+len(b)], b) {
				return true
			}
		}
		return false
	}
	return refEqual(p.cased, a, b)
}

func refEqual(cased bool, a, b string) bool {
	if cased {
		return a == b
	}
	return foldEqualBoth(a, b)
}
