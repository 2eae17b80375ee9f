package sigma

import "unicode/utf8"

// automaton finds which of a set of lower-cased literals occur in a text,
// folding ASCII case: Aho-Corasick, compiled to a full DFA (one table load
// per input byte).
//
// To keep the table small enough to stay in cache, the automaton does not
// hold whole literals but each literal's rarest window of at most
// windowLen bytes (rarity by a fixed table of how common each byte is in
// web traffic); when a window is found, the whole literal is checked at
// that place. Input bytes map to equivalence classes (every byte in no
// window shares class 0; ASCII letters of either case share one), states
// are premultiplied by the class count, and states with output are
// numbered last so that the loop tests one comparison per byte.
//
// Scanning raw text, a byte >= 0x80 leads to the abort state: the text is
// not ASCII and must be lower-cased (unicode.ToLower) and scanned with
// scanLower, since ASCII folding alone would miss, say, "K" (Kelvin sign)
// lower-casing to "k".
type automaton struct {
	nclass  uint32
	clsRaw  [256]uint8       // folds ASCII case; bytes >= 0x80 go to the abort class
	clsLow  [256]uint8       // for lower-cased text
	trans16 *[1 << 16]uint16 // next state, premultiplied, by state+class (when it fits)
	trans32 []uint32         // the same, for large automata
	outBase uint32           // first (premultiplied) state with output
	abort   uint32           // the abort state (premultiplied)
	outs    [][]int32        // literal ids whose window ends here, by (state-outBase)/nclass
	lits    []string
	off     []int // where each literal's window starts in it
	wlen    []int // the window's length
}

// windowLen is the longest window of a literal the automaton holds.
const windowLen = 4

// byteWeight says how unusual a byte is in URLs, user agents and
// referrers: letters, digits and the common separators are ordinary,
// query punctuation less so, everything else rare.
var byteWeight = func() (w [256]uint8) {
	for i := range w {
		w[i] = 6
	}
	for c := 'a'; c <= 'z'; c++ {
		w[c] = 1
	}
	for _, c := range "jqxzkvwy" {
		w[c] = 2
	}
	for c := '0'; c <= '9'; c++ {
		w[c] = 1
	}
	for _, c := range "/.-_ ;(),:" {
		w[c] = 1
	}
	for _, c := range "=&?%+" {
		w[c] = 3
	}
	return w
}()

// commonText is ordinary web traffic: browser user agents and the usual
// parts of URLs. A window that occurs in it would be found, and its
// literal checked, on most events.
const commonText = "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko) " +
	"chrome/124.0.0.0 safari/537.36 edg/124.0 mozilla/5.0 (linux; android 13; sm-a145f) mobile safari/537.36 " +
	"mozilla/5.0 (iphone; cpu iphone os 17_4 like mac os x) version/17.4 mobile/15e148 safari/604.1 " +
	"mozilla/5.0 (macintosh; intel mac os x 10_15_7) mozilla/5.0 (x11; linux x86_64; rv:125.0) gecko/20100101 firefox/125.0 " +
	"mozilla/5.0 (compatible; googlebot/2.1; +http://www.google.com/bot.html) " +
	"https://www.example.com/index.html?page=1&id=2&q=search+term /static/css/style.css /assets/js/main.min.js " +
	"/images/logo.png /favicon.ico /api/v1/users?limit=10 /wp-content/themes/ /search?q= /login /admin/ "

var commonGrams = func() map[string]bool {
	m := map[string]bool{}
	for i := 0; i+windowLen <= len(commonText); i++ {
		m[commonText[i:i+windowLen]] = true
	}
	return m
}()

// window picks the rarest run of at most windowLen bytes of lit.
func window(lit string) (off, n int) {
	n = min(len(lit), windowLen)
	best := -1
	for i := 0; i+n <= len(lit); i++ {
		score := 100
		if commonGrams[lit[i:i+n]] {
			score = 0
		}
		for j := i; j < i+n; j++ {
			score += int(byteWeight[lit[j]])
		}
		if score > best {
			best, off = score, i
		}
	}
	return off, n
}

// newAutomaton builds the automaton; lits must be non-empty and already
// lower-cased. Literal ids are their indexes.
func newAutomaton(lits []string) *automaton {
	a := &automaton{lits: lits, off: make([]int, len(lits)), wlen: make([]int, len(lits))}
	windows := make([]string, len(lits))
	for i, l := range lits {
		a.off[i], a.wlen[i] = window(l)
		windows[i] = l[a.off[i] : a.off[i]+a.wlen[i]]
	}
	// Byte classes.
	var used [256]bool
	for _, w := range windows {
		for i := 0; i < len(w); i++ {
			used[w[i]] = true
		}
	}
	var cls [256]uint8
	n := uint32(1)
	for b := 0; b < 256; b++ {
		if used[b] {
			cls[b] = uint8(n)
			n++
		}
	}
	abortClass := n
	n++
	a.nclass = n
	for b := 0; b < 256; b++ {
		c := cls[foldTab[b]]
		a.clsLow[b] = c
		if b >= utf8.RuneSelf {
			a.clsRaw[b] = uint8(abortClass)
		} else {
			a.clsRaw[b] = c
		}
	}

	// Trie (goto function), state 0 the root.
	type state struct {
		next []int32
		fail int32
		out  []int32
	}
	newState := func() state {
		s := state{next: make([]int32, n)}
		for i := range s.next {
			s.next[i] = -1
		}
		return s
	}
	states := []state{newState()}
	for id, w := range windows {
		s := int32(0)
		for i := 0; i < len(w); i++ {
			c := cls[w[i]]
			if states[s].next[c] < 0 {
				states = append(states, newState())
				states[s].next[c] = int32(len(states) - 1)
			}
			s = states[s].next[c]
		}
		states[s].out = append(states[s].out, int32(id))
	}

	// Failure links and the full transition function, breadth first.
	queue := make([]int32, 0, len(states))
	for c := uint32(0); c < n; c++ {
		if t := states[0].next[c]; t >= 0 {
			states[t].fail = 0
			queue = append(queue, t)
		} else {
			states[0].next[c] = 0
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := states[s].fail
		if s != 0 {
			states[s].out = append(states[s].out, states[f].out...)
		}
		for c := uint32(0); c < n; c++ {
			if t := states[s].next[c]; t >= 0 {
				states[t].fail = states[f].next[c]
				queue = append(queue, t)
			} else {
				states[s].next[c] = states[f].next[c]
			}
		}
	}

	// Renumber: the root, states without output, states with output, the
	// abort state.
	order := make([]int32, 0, len(states))
	order = append(order, 0)
	for s := 1; s < len(states); s++ {
		if len(states[s].out) == 0 {
			order = append(order, int32(s))
		}
	}
	nout := 0
	for s := 1; s < len(states); s++ {
		if len(states[s].out) > 0 {
			order = append(order, int32(s))
			nout++
		}
	}
	newID := make([]uint32, len(states))
	for i, s := range order {
		newID[s] = uint32(i) * n
	}
	abortState := uint32(len(states)) * n
	trans := make([]uint32, (len(states)+1)*int(n))
	for i, s := range order {
		row := trans[uint32(i)*n : uint32(i+1)*n]
		for c := uint32(0); c < n; c++ {
			row[c] = newID[states[s].next[c]]
		}
		row[abortClass] = abortState
	}
	for c := uint32(0); c < n; c++ {
		trans[abortState+c] = abortState
	}
	if len(trans) <= 1<<16 {
		// A full 64K table needs no bounds checks; the part past the
		// states is never touched, so it costs address space, not cache.
		a.trans16 = new([1 << 16]uint16)
		for i, t := range trans {
			a.trans16[i] = uint16(t)
		}
	} else {
		a.trans32 = trans
	}
	a.outBase = uint32(len(states)-nout) * n
	a.abort = abortState
	a.outs = make([][]int32, nout+1)
	for i := 0; i < nout; i++ {
		a.outs[i] = states[order[len(states)-nout+i]].out
	}
	return a
}

// states is the number of DFA states (for Stats).
func (a *automaton) states() int {
	return int(a.abort/a.nclass) + 1
}

// litSink collects the ids of the literals found, each once.
type litSink struct {
	stamp []uint32 // per literal: the generation it was last found in
	gen   uint32
	hits  []int32
}

func (k *litSink) reset(nlits int) {
	if len(k.stamp) < nlits {
		k.stamp = make([]uint32, nlits)
		k.hits = make([]int32, 0, nlits)
	}
	k.gen++
	if k.gen == 0 {
		clear(k.stamp)
		k.gen = 1
	}
	k.hits = k.hits[:0]
}

// scan reports the literals occurring in text (folding ASCII case) into
// k, which it resets. It returns false when text is not ASCII: then scan
// the lower-cased text with scanLower.
func (a *automaton) scan(text string, k *litSink) bool {
	k.reset(len(a.lits))
	if a.trans16 != nil {
		return a.scan16(&a.clsRaw, text, k)
	}
	return a.scan32(&a.clsRaw, text, k)
}

// scanLower reports the literals occurring in lower-cased text into k,
// which it resets.
func (a *automaton) scanLower(text string, k *litSink) {
	k.reset(len(a.lits))
	if a.trans16 != nil {
		a.scan16(&a.clsLow, text, k)
		return
	}
	a.scan32(&a.clsLow, text, k)
}

// scan16 runs the automaton over text. A long text is cut into four
// chunks scanned in lockstep: one DFA walk is a chain of dependent loads,
// four independent walks keep the processor busy. Since the automaton
// holds windows of at most windowLen bytes, a walk that starts
// windowLen-1 bytes before its chunk is in the same state, at every byte
// of its chunk, as a walk from the start of the text. scan32 is the same
// loop over the wide table (Go generics would cost an indirect call per
// byte here).
func (a *automaton) scan16(cls *[256]uint8, text string, k *litSink) bool {
	trans, outBase := a.trans16, a.outBase
	n := len(text)
	start := 0
	var s3 uint32
	if n >= 16 {
		const back = windowLen - 1
		q := n / 4
		l := q + back
		b1, b2, b3 := q-back, 2*q-back, 3*q-back
		t0, t1, t2, t3 := text[:l], text[b1:b1+l], text[b2:b2+l], text[b3:b3+l]
		var s0, s1, s2 uint32
		for i := 0; i < l; i++ {
			s0 = uint32(trans[uint16(s0+uint32(cls[t0[i]]))])
			s1 = uint32(trans[uint16(s1+uint32(cls[t1[i]]))])
			s2 = uint32(trans[uint16(s2+uint32(cls[t2[i]]))])
			s3 = uint32(trans[uint16(s3+uint32(cls[t3[i]]))])
			if s0 >= outBase || s1 >= outBase || s2 >= outBase || s3 >= outBase {
				if !a.emit4([4]uint32{s0, s1, s2, s3}, [4]int{i, b1 + i, b2 + i, b3 + i}, text, k) {
					return false
				}
			}
		}
		start = b3 + l
	}
	for i := start; i < n; i++ {
		s3 = uint32(trans[uint16(s3+uint32(cls[text[i]]))])
		if s3 >= outBase {
			if s3 == a.abort {
				return false
			}
			a.emit(s3, text, i, k)
		}
	}
	return true
}

func (a *automaton) scan32(cls *[256]uint8, text string, k *litSink) bool {
	trans, outBase := a.trans32, a.outBase
	n := len(text)
	start := 0
	var s3 uint32
	if n >= 16 {
		const back = windowLen - 1
		q := n / 4
		l := q + back
		b1, b2, b3 := q-back, 2*q-back, 3*q-back
		t0, t1, t2, t3 := text[:l], text[b1:b1+l], text[b2:b2+l], text[b3:b3+l]
		var s0, s1, s2 uint32
		for i := 0; i < l; i++ {
			s0 = trans[s0+uint32(cls[t0[i]])]
			s1 = trans[s1+uint32(cls[t1[i]])]
			s2 = trans[s2+uint32(cls[t2[i]])]
			s3 = trans[s3+uint32(cls[t3[i]])]
			if s0 >= outBase || s1 >= outBase || s2 >= outBase || s3 >= outBase {
				if !a.emit4([4]uint32{s0, s1, s2, s3}, [4]int{i, b1 + i, b2 + i, b3 + i}, text, k) {
					return false
				}
			}
		}
		start = b3 + l
	}
	for i := start; i < n; i++ {
		s3 = trans[s3+uint32(cls[text[i]])]
		if s3 >= outBase {
			if s3 == a.abort {
				return false
			}
			a.emit(s3, text, i, k)
		}
	}
	return true
}

// emit4 handles the states of the four walks; false means abort.
func (a *automaton) emit4(states [4]uint32, ends [4]int, text string, k *litSink) bool {
	for j, s := range states {
		if s < a.outBase {
			continue
		}
		if s == a.abort {
			return false
		}
		a.emit(s, text, ends[j], k)
	}
	return true
}

// emit checks the literals whose window ends at text[end] and reports
// those that occur there.
func (a *automaton) emit(s uint32, text string, end int, k *litSink) {
	for _, id := range a.outs[(s-a.outBase)/a.nclass] {
		if k.stamp[id] == k.gen {
			continue
		}
		lit := a.lits[id]
		start := end + 1 - a.wlen[id] - a.off[id]
		if start < 0 || start+len(lit) > len(text) || !foldPrefixAt(text, start, lit) {
			continue
		}
		k.stamp[id] = k.gen
		k.hits = append(k.hits, id)
	}
}
