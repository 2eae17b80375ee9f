// Package literal finds many literal strings in a text in one pass
// (Aho-Corasick over bytes, ASCII case folded). Detectors use it as a
// prefilter, so it must stay allocation-free while matching.
package literal

import "slices"

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
	m := &Matcher{lowered: fold, npat: len(patterns), minLen: -1}
	if fold {
		patterns = slices.Clone(patterns)
		for i, p := range patterns {
			patterns[i] = lower(p)
		}
	}
	// The trie, in the table itself: a row per state, 0 where a state has
	// no child (the root is no state's child).
	states := TrieStates(patterns)
	m.next = make([]int32, states*256)
	m.out = make([][]int32, 1, states)
	for i, p := range patterns {
		if m.minLen < 0 || len(p) < m.minLen {
			m.minLen = len(p)
		}
		s := int32(0)
		for j := 0; j < len(p); j++ {
			at := int(s)*256 + int(p[j])
			if m.next[at] == 0 {
				m.next[at] = int32(len(m.out))
				m.out = append(m.out, nil)
			}
			s = m.next[at]
		}
		m.out[s] = append(m.out[s], int32(i))
	}
	// Breadth-first: each state's missing transitions are its failure
	// state's (already complete, being shallower).
	fail := make([]int32, states)
	queue := make([]int32, 0, states)
	for c := 0; c < 256; c++ {
		if n := m.next[c]; n != 0 {
			queue = append(queue, n)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		m.out[s] = append(m.out[s], m.out[fail[s]]...)
		row, fallback := m.next[int(s)*256:int(s+1)*256], m.next[int(fail[s])*256:int(fail[s]+1)*256]
		for c, n := range row {
			if n != 0 {
				fail[n] = fallback[c]
				queue = append(queue, n)
			} else {
				row[c] = fallback[c]
			}
		}
	}
	m.hasOut = make([]bool, len(m.out))
	for i, out := range m.out {
		m.hasOut[i] = len(out) > 0
	}
	return m
}

// TrieStates is the number of states of a trie of the patterns: their
// distinct prefixes, the empty one included.
func TrieStates(patterns []string) int {
	sorted := slices.Clone(patterns)
	slices.Sort(sorted)
	states := 1
	for i, p := range sorted {
		common := 0
		if i > 0 {
			prev := sorted[i-1]
			for common < len(p) && common < len(prev) && p[common] == prev[common] {
				common++
			}
		}
		states += len(p) - common
	}
	return states
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
