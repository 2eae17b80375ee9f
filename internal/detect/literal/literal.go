// Package literal finds many literal strings in a text in one pass
// (Aho-Corasick over bytes, ASCII case folded). Detectors use it as a
// prefilter, so it must stay allocation-free while matching.
package literal

// Matcher is an immutable automaton over a set of patterns.
type Matcher struct {
	next    []int32 // state*256 + byte -> state
	out     [][]int32
	hasOut  []bool
	npat    int
	minLen  int
	lowered bool
}

// New builds a matcher; with fold, patterns and text are compared with
// ASCII letters lower-cased.
func New(patterns []string, fold bool) *Matcher {
	m := &Matcher{lowered: fold, npat: len(patterns)}
	type node struct {
		child map[byte]int32
		fail  int32
		out   []int32
	}
	nodes := []node{{child: map[byte]int32{}}}
	m.minLen = -1
	for i, p := range patterns {
		if fold {
			p = lower(p)
		}
		if m.minLen < 0 || len(p) < m.minLen {
			m.minLen = len(p)
		}
		s := int32(0)
		for j := 0; j < len(p); j++ {
			c := p[j]
			n, ok := nodes[s].child[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{child: map[byte]int32{}})
				nodes[s].child[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(i))
	}
	m.next = make([]int32, len(nodes)*256)
	m.out = make([][]int32, len(nodes))
	m.hasOut = make([]bool, len(nodes))
	// Breadth-first: each state's transitions are its children, else its
	// failure state's transitions (already complete, being shallower).
	queue := []int32{}
	for c := 0; c < 256; c++ {
		if n, ok := nodes[0].child[byte(c)]; ok {
			m.next[c] = n
			nodes[n].fail = 0
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for c := 0; c < 256; c++ {
			if n, ok := nodes[s].child[byte(c)]; ok {
				nodes[n].fail = m.next[int(nodes[s].fail)*256+c]
				m.next[int(s)*256+c] = n
				queue = append(queue, n)
			} else {
				m.next[int(s)*256+c] = m.next[int(nodes[s].fail)*256+c]
			}
		}
	}
	for i, n := range nodes {
		m.out[i] = n.out
		m.hasOut[i] = len(n.out) > 0
	}
	return m
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Any reports whether any pattern occurs in text.
func (m *Matcher) Any(text string) bool {
	if m.npat == 0 || len(text) < m.minLen {
		return false
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if m.lowered && 'A' <= c && c <= 'Z' {
			c += 32
		}
		s = m.next[int(s)*256+int(c)]
		if m.hasOut[s] {
			return true
		}
	}
	return false
}

// Each calls fn with the index of every pattern occurrence in text, in
// order of where they end; fn returns false to stop.
func (m *Matcher) Each(text string, fn func(pattern int) bool) {
	if m.npat == 0 || len(text) < m.minLen {
		return
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if m.lowered && 'A' <= c && c <= 'Z' {
			c += 32
		}
		s = m.next[int(s)*256+int(c)]
		if m.hasOut[s] {
			for _, p := range m.out[s] {
				if !fn(int(p)) {
					return
				}
			}
		}
	}
}

// Mark sets hits[p] for every pattern p occurring in text and clears the
// others; hits is grown to the number of patterns and returned.
func (m *Matcher) Mark(text string, hits []bool) []bool {
	if cap(hits) < m.npat {
		hits = make([]bool, m.npat)
	}
	hits = hits[:m.npat]
	clear(hits)
	if m.npat == 0 || len(text) < m.minLen {
		return hits
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if m.lowered && 'A' <= c && c <= 'Z' {
			c += 32
		}
		s = m.next[int(s)*256+int(c)]
		if m.hasOut[s] {
			for _, p := range m.out[s] {
				hits[p] = true
			}
		}
	}
	return hits
}
