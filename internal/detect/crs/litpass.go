package crs

import (
	"slices"
	"strings"

	"github.com/garda-id/garda/internal/detect/literal"
)

// ruleAutomaton is the fast path's shared literal pass: Aho-Corasick over
// every evaluator rule's literals (ASCII case folded), whose states carry
// the set of rules their literals name, so a pass ORs rule bitsets
// instead of reporting literals one by one (literal.Matcher's callback
// per occurrence, a check that the literal was not counted yet, and its
// list of rules cost more than the automaton's steps). Bytes that no
// literal holds share one class, so a state's row is some 70 entries
// wide, not 256.
type ruleAutomaton struct {
	class [256]uint16
	width int     // classes
	next  []int32 // state*width + class -> state
	// next16 is next when the states fit in 16 bits (the evaluator's
	// literals: 6,505 states of 75 classes), half the cache lines.
	next16 []uint16
	set    []int32 // state -> offset of its rule bitset in sets, -1 if none
	sets   []uint64
	words  int
	minLen int
}

// newRuleAutomaton builds the automaton: pats[i] (lower-cased) names the
// rules rules[i].
func newRuleAutomaton(pats []string, rules [][]int32, words int) *ruleAutomaton {
	a := &ruleAutomaton{words: words, minLen: -1}
	pats = slices.Clone(pats)
	for i, p := range pats {
		pats[i] = strings.ToLower(p) // (ASCII: the literals are)
	}
	// Classes: 0 for bytes no literal holds; an upper-case letter reads
	// as its lower case.
	n := 1
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			if c := p[i]; a.class[c] == 0 {
				a.class[c] = uint16(n)
				n++
			}
		}
		if a.minLen < 0 || len(p) < a.minLen {
			a.minLen = len(p)
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+32]
	}
	a.width = n
	// The trie, in the table itself: a row per state, 0 where a state
	// has no child (the root is no state's child).
	states := literal.TrieStates(pats)
	next := make([]int32, states*n)
	bits := make([][]uint64, 1, states) // state -> the rules its literals name, nil: none
	for i, p := range pats {
		s := int32(0)
		for j := 0; j < len(p); j++ {
			at := int(s)*n + int(a.class[p[j]])
			if next[at] == 0 {
				next[at] = int32(len(bits))
				bits = append(bits, nil)
			}
			s = next[at]
		}
		if bits[s] == nil {
			bits[s] = make([]uint64, words)
		}
		for _, r := range rules[i] {
			bits[s][r>>6] |= 1 << (r & 63)
		}
	}
	// Breadth-first: each state's missing transitions are its failure
	// state's (already complete, being shallower); its rules include its
	// failure state's.
	fail := make([]int32, len(bits))
	queue := make([]int32, 0, len(bits))
	for c := 0; c < n; c++ {
		if ch := next[c]; ch != 0 {
			queue = append(queue, ch)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		if f := fail[s]; bits[f] != nil {
			if bits[s] == nil {
				bits[s] = make([]uint64, words)
			}
			for w, b := range bits[f] {
				bits[s][w] |= b
			}
		}
		row, fallback := next[int(s)*n:int(s+1)*n], next[int(fail[s])*n:int(fail[s]+1)*n]
		for c, ch := range row {
			if ch != 0 {
				fail[ch] = fallback[c]
				queue = append(queue, ch)
			} else {
				row[c] = fallback[c]
			}
		}
	}
	a.next = next
	if len(bits) <= 1<<16 {
		a.next16 = make([]uint16, len(a.next))
		for i, n := range a.next {
			a.next16[i] = uint16(n)
		}
		a.next = nil
	}
	// Identical rule sets stored once.
	a.set = make([]int32, len(bits))
	index := map[string]int32{}
	for i, b := range bits {
		a.set[i] = -1
		if b == nil {
			continue
		}
		key := string(wordsBytes(b))
		off, ok := index[key]
		if !ok {
			off = int32(len(a.sets))
			a.sets = append(a.sets, b...)
			index[key] = off
		}
		a.set[i] = off
	}
	return a
}

func wordsBytes(ws []uint64) []byte {
	b := make([]byte, 0, 8*len(ws))
	for _, w := range ws {
		for i := 0; i < 8; i++ {
			b = append(b, byte(w>>(8*i)))
		}
	}
	return b
}

// mark ORs into bits (words long) the rules of every literal occurring in
// text.
func (a *ruleAutomaton) mark(text string, bits []uint64) {
	if len(text) < a.minLen {
		return
	}
	bits = bits[:a.words]
	s, last := int32(0), int32(-1)
	for i := 0; i < len(text); i++ {
		if a.next16 != nil {
			s = int32(a.next16[int(s)*a.width+int(a.class[text[i]])])
		} else {
			s = a.next[int(s)*a.width+int(a.class[text[i]])]
		}
		if off := a.set[s]; off >= 0 && off != last {
			last = off
			for w, b := range a.sets[off : int(off)+a.words] {
				bits[w] |= b
			}
		}
	}
}

// newPhraseMatcher is @pm and @pmFromFile's matcher: whether any phrase
// (lower-cased as Coraza lower-cases it) occurs in a value, ASCII case
// folded, as Coraza's Aho-Corasick (petar-dambovaliev/aho-corasick, ASCII
// case-insensitive) finds one. That library's automaton (an NFA for
// @pmFromFile) cost 7 % of a hostile request's CPU; this one is a DFA
// over byte classes that stops at the first phrase found
// (TestPhraseMatcher compares them).
func newPhraseMatcher(phrases []string) *ruleAutomaton {
	rules := make([][]int32, len(phrases))
	for i := range rules {
		rules[i] = []int32{0}
	}
	return newRuleAutomaton(phrases, rules, 1)
}

// any reports whether any of the automaton's literals occurs in text.
func (a *ruleAutomaton) any(text string) bool {
	if len(text) < a.minLen {
		return false
	}
	s := int32(0)
	for i := 0; i < len(text); i++ {
		if a.next16 != nil {
			s = int32(a.next16[int(s)*a.width+int(a.class[text[i]])])
		} else {
			s = a.next[int(s)*a.width+int(a.class[text[i]])]
		}
		if a.set[s] >= 0 {
			return true
		}
	}
	return false
}
