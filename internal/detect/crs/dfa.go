package crs

import (
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// lazyDFA answers whether an @rx pattern matches a value, as Go's regexp
// (Coraza's engine) would, without RE2. A call into go-re2 costs some
// 200 ns before RE2 reads a byte, and its DFA, translated from
// WebAssembly, some 16 ns a byte: RE2 was a third of a hostile request's
// CPU. This is a lazy DFA over the pattern's Go program (regexp/syntax),
// built as values need its states and shared by every goroutine: the
// transitions are read without a lock and added under one.
//
// A state is the set of instructions the threads wait at before a
// character, and the kind of the character before it (the empty-width
// assertions ^, $, \b and \B are decided by the characters on either
// side); the start instruction is added at every character, which is the
// unanchored search. Characters are read in classes that no instruction
// and no assertion tells apart: ASCII bytes by a table, and, when the DFA
// reads runes, the runes outside ASCII by the ranges the instructions
// bound (a value outside UTF-8 is read as Go's regexp reads it, each
// byte that begins no valid sequence being U+FFFD). A DFA that does not
// read runes (a binaryregexp pattern's, whose bytes outside ASCII mean
// something else) leaves a value with such a byte to the caller, and so
// does every DFA once its states would pass dfaMaxStates.
type lazyDFA struct {
	prog  *syntax.Prog
	runes bool        // values outside ASCII are read (else left undecided)
	bytes [][2]uint64 // the ASCII bytes a rune instruction takes
	class [128]uint8  // ASCII byte -> class
	// Runes outside ASCII: hiFrom[i] begins a range of runes (up to the
	// next one's start) of class hiClass[i]; hiFrom[0] is utf8.RuneSelf.
	hiFrom  []rune
	hiClass []uint8
	rep     []rune // class -> a character of it
	// table holds a row per state (state 0 is none): the next state by
	// class (0 not built yet, dfaMatch), then whether a value ending
	// there matches (0 not known yet, 1 no, 2 yes). A next state is held
	// as its row's offset (state*row): the loop adds the class to it, no
	// multiplication on the chain each byte waits for (the loop is bound
	// by that chain's latency, some 10 cycles a byte). It is replaced by
	// a larger copy as states are added.
	table atomic.Pointer[[]int32]
	row   int // classes + 1
	full  atomic.Bool

	mu     sync.Mutex // the slow path: states and their transitions
	states []dfaState // by number
	index  map[string]int32
	starts map[syntax.EmptyOp]*startClosure
	// Scratch of the slow path.
	seen  []uint32 // instruction -> mark
	mark  uint32
	stack []uint32
	set   []uint32
	key   []byte
}

// startClosure is the start instruction's closure under some assertions,
// the same at every byte: computed once, not for every transition (the
// start of a pattern of CRS's large alternations reaches thousands of
// instructions).
type startClosure struct {
	match bool
	runes []uint32
	next  [][]uint32 // by class, the instructions after a character of it (sorted)
	done  []bool
}

type dfaState struct {
	pcs  []uint32 // the instructions waiting, before the closure
	prev uint8    // the kind of the character before (kindStart, ...)
}

const (
	dfaStart = 1  // the state before the first byte
	dfaMatch = -1 // a transition that completes a match
)

// The kinds of character the assertions tell apart.
const (
	kindStart = iota // no character: the value's start, or its end
	kindNewline
	kindWord
	kindOther
)

// dfaMaxStates bounds a pattern's states (its table is at most
// dfaMaxStates rows of some 30-60 classes).
const dfaMaxStates = 20000

// runeKind is the kind of a character (Go's \b reads ASCII word
// characters only).
func runeKind(r rune) uint8 {
	switch {
	case r == '\n':
		return kindNewline
	case syntax.IsWordChar(r):
		return kindWord
	}
	return kindOther
}

// kindRune is a rune of the kind, as syntax.EmptyOpContext reads it.
func kindRune(k uint8) rune {
	switch k {
	case kindNewline:
		return '\n'
	case kindWord:
		return 'a'
	case kindOther:
		return ' '
	}
	return -1
}

// newLazyDFA compiles the pattern (with its mode flags) as Go's regexp
// does; runes: whether it reads values outside ASCII. Nil if it cannot.
func newLazyDFA(pattern string, runes bool) *lazyDFA {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	d := &lazyDFA{prog: prog, runes: runes, index: map[string]int32{}, starts: map[syntax.EmptyOp]*startClosure{}}
	n := len(prog.Inst)
	d.bytes = make([][2]uint64, n)
	d.seen = make([]uint32, n)
	var pcs []int
	// The ranges outside ASCII: every bound of an instruction's runes
	// begins one, so each instruction takes all of a range or none.
	bounds := []rune{utf8.RuneSelf}
	for pc := range prog.Inst {
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1:
			d.bytes[pc] = asciiRunes(in)
			if runes {
				bounds = runeBounds(bounds, in)
			}
		case syntax.InstRuneAny:
			d.bytes[pc] = [2]uint64{^uint64(0), ^uint64(0)}
		case syntax.InstRuneAnyNotNL:
			d.bytes[pc] = [2]uint64{^uint64(1 << '\n'), ^uint64(0)}
		default:
			continue
		}
		pcs = append(pcs, pc)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	chars := make([]rune, 0, 128+len(bounds))
	for c := rune(0); c < utf8.RuneSelf; c++ {
		chars = append(chars, c)
	}
	if runes {
		chars = append(chars, bounds...)
	}
	// Classes: characters of one kind that every instruction takes alike
	// (instructions that take the same characters counted once).
	sig := map[string]uint8{}
	distinct := map[string]bool{}
	var groups []int // an instruction of each distinct set
	var key []byte
	for _, pc := range pcs {
		// The set: its ASCII bytes, then whether it takes each range
		// outside ASCII.
		set := d.bytes[pc]
		key = binary.LittleEndian.AppendUint64(key[:0], set[0])
		key = binary.LittleEndian.AppendUint64(key, set[1])
		for _, c := range chars[utf8.RuneSelf:] {
			b := byte(0)
			if d.takes(uint32(pc), c) {
				b = 1
			}
			key = append(key, b)
		}
		if !distinct[string(key)] {
			distinct[string(key)] = true
			groups = append(groups, pc)
		}
	}
	buf := make([]byte, 0, 1+len(groups))
	for _, c := range chars {
		buf = append(buf[:0], runeKind(c))
		for _, pc := range groups {
			b := byte(0)
			if d.takes(uint32(pc), c) {
				b = 1
			}
			buf = append(buf, b)
		}
		id, ok := sig[string(buf)]
		if !ok {
			if len(sig) == 256 {
				return nil
			}
			id = uint8(len(sig))
			sig[string(buf)] = id
			d.rep = append(d.rep, c)
		}
		if c < utf8.RuneSelf {
			d.class[c] = id
		} else {
			d.hiFrom, d.hiClass = append(d.hiFrom, c), append(d.hiClass, id)
		}
	}
	d.row = len(d.rep) + 1
	t := make([]int32, 16*d.row)
	d.table.Store(&t)
	d.states = append(d.states, dfaState{}) // 0: none
	d.state(nil, kindStart)
	return d
}

// runeBounds adds to bounds the starts of the ranges outside ASCII that
// a rune instruction's runes begin or end (a rune of a case-folded
// literal is a range of one, with each rune it folds to).
func runeBounds(bounds []rune, in *syntax.Inst) []rune {
	add := func(lo, hi rune) {
		if hi >= utf8.RuneSelf {
			bounds = append(bounds, max(lo, utf8.RuneSelf), hi+1)
		}
	}
	if len(in.Rune) == 1 {
		r0 := in.Rune[0]
		add(r0, r0)
		if syntax.Flags(in.Arg)&syntax.FoldCase != 0 {
			for r := unicode.SimpleFold(r0); r != r0; r = unicode.SimpleFold(r) {
				add(r, r)
			}
		}
		return bounds
	}
	for i := 0; i+1 < len(in.Rune); i += 2 {
		add(in.Rune[i], in.Rune[i+1])
	}
	return bounds
}

// takes reports whether the rune instruction at pc takes the character.
func (d *lazyDFA) takes(pc uint32, c rune) bool {
	if c < utf8.RuneSelf {
		b := d.bytes[pc]
		return b[c>>6]>>(c&63)&1 != 0
	}
	in := &d.prog.Inst[pc]
	switch in.Op {
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return c != '\n'
	}
	return in.MatchRune(c)
}

// asciiRunes is the set of ASCII bytes a rune instruction takes, as
// syntax.Inst.MatchRune reads them.
func asciiRunes(in *syntax.Inst) [2]uint64 {
	var set [2]uint64
	add := func(r rune) {
		if r >= 0 && r < 128 {
			set[r>>6] |= 1 << (r & 63)
		}
	}
	if len(in.Rune) == 1 {
		r0 := in.Rune[0]
		add(r0)
		if in.Op == syntax.InstRune && syntax.Flags(in.Arg)&syntax.FoldCase != 0 {
			for r := unicode.SimpleFold(r0); r != r0; r = unicode.SimpleFold(r) {
				add(r)
			}
		}
		return set
	}
	for i := 0; i+1 < len(in.Rune); i += 2 {
		for r := in.Rune[i]; r <= min(in.Rune[i+1], 127); r++ {
			add(r)
		}
	}
	return set
}

// runeClass is the class of a rune outside ASCII.
func (d *lazyDFA) runeClass(r rune) int {
	i, found := slices.BinarySearch(d.hiFrom, r)
	if !found {
		i--
	}
	return int(d.hiClass[i])
}

// matchString reports whether the pattern matches v; ok is false when v
// holds a byte outside ASCII and the DFA does not read runes, or the
// states are full (nothing decided).
func (d *lazyDFA) matchString(v string) (matched, ok bool) {
	if d == nil || d.full.Load() {
		return false, false
	}
	t := *d.table.Load()
	class, row := &d.class, d.row
	at := int32(dfaStart * row) // the state's row
	for i := 0; i < len(v); i++ {
		var cl int
		if c := v[i]; c < utf8.RuneSelf {
			cl = int(class[c])
		} else {
			if !d.runes {
				return false, false
			}
			r, size := utf8.DecodeRuneInString(v[i:])
			cl = d.runeClass(r)
			i += size - 1
		}
		n := atomic.LoadInt32(&t[int(at)+cl])
		if n == 0 {
			if n = d.step(at/int32(row), cl); n == 0 {
				return false, false
			}
			t = *d.table.Load()
		}
		if n == dfaMatch {
			return true, true
		}
		at = n
	}
	switch atomic.LoadInt32(&t[int(at)+row-1]) {
	case 1:
		return false, true
	case 2:
		return true, true
	}
	return d.end(at / int32(row)), true
}

// step builds the transition of s on a byte of class cl: the next
// state's row offset, dfaMatch, or 0 when the states are full.
func (d *lazyDFA) step(s int32, cl int) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := atomic.LoadInt32(&(*d.table.Load())[int(s)*d.row+cl]); n != 0 {
		return n
	}
	c := d.rep[cl]
	k := runeKind(c)
	st := d.states[s]
	n := int32(dfaMatch)
	if matched, start := d.closure(st.pcs, syntax.EmptyOpContext(kindRune(st.prev), kindRune(k))); !matched {
		next := slices.Clone(start.nextOn(d, cl))
		for _, pc := range d.set {
			if d.takes(pc, c) {
				next = append(next, d.prog.Inst[pc].Out)
			}
		}
		slices.Sort(next)
		if n = d.state(slices.Compact(next), k); n == 0 {
			return 0
		}
		n *= int32(d.row)
	}
	atomic.StoreInt32(&(*d.table.Load())[int(s)*d.row+cl], n)
	return n
}

// end decides whether the pattern matches when the value ends in s.
func (d *lazyDFA) end(s int32) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.states[s]
	m, _ := d.closure(st.pcs, syntax.EmptyOpContext(kindRune(st.prev), -1))
	v := int32(1)
	if m {
		v = 2
	}
	atomic.StoreInt32(&(*d.table.Load())[int(s)*d.row+d.row-1], v)
	return m
}

// state numbers the state of the instructions pcs (sorted) after a byte
// of kind prev, added if new (0 when the states are full); d.mu is held.
func (d *lazyDFA) state(pcs []uint32, prev uint8) int32 {
	d.key = append(d.key[:0], prev)
	for _, pc := range pcs {
		d.key = append(d.key, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	if n, ok := d.index[string(d.key)]; ok {
		return n
	}
	n := int32(len(d.states))
	if n > dfaMaxStates {
		d.full.Store(true)
		return 0
	}
	d.states = append(d.states, dfaState{pcs: pcs, prev: prev})
	d.index[string(d.key)] = n
	if t := *d.table.Load(); len(t) < (int(n)+1)*d.row {
		// Readers of the old table find the transitions it holds; those
		// added from now on are in the new one.
		grown := make([]int32, 2*len(t))
		copy(grown, t)
		d.table.Store(&grown)
	}
	return n
}

// closure follows, from pcs and the start, the instructions that read no
// byte under the assertions flags allow. It reports whether a match is
// reached; if not, d.set gets the rune instructions reached from pcs,
// and start those reached from the start.
func (d *lazyDFA) closure(pcs []uint32, flags syntax.EmptyOp) (bool, *startClosure) {
	start := d.starts[flags]
	if start == nil {
		start = &startClosure{next: make([][]uint32, len(d.rep)), done: make([]bool, len(d.rep))}
		start.match = d.reach([]uint32{uint32(d.prog.Start)}, flags)
		start.runes = slices.Clone(d.set)
		d.starts[flags] = start
	}
	if start.match {
		return true, start
	}
	return d.reach(pcs, flags), start
}

// nextOn is the instructions the start's runes lead to on a byte of
// class cl; d.mu is held.
func (sc *startClosure) nextOn(d *lazyDFA, cl int) []uint32 {
	if !sc.done[cl] {
		c := d.rep[cl]
		var next []uint32
		for _, pc := range sc.runes {
			if d.takes(pc, c) {
				next = append(next, d.prog.Inst[pc].Out)
			}
		}
		slices.Sort(next)
		sc.next[cl], sc.done[cl] = slices.Compact(next), true
	}
	return sc.next[cl]
}

// reach follows the instructions that read no byte from pcs; d.set gets
// the rune instructions reached. It reports whether a match is reached.
func (d *lazyDFA) reach(pcs []uint32, flags syntax.EmptyOp) bool {
	if d.mark++; d.mark == 0 {
		clear(d.seen)
		d.mark = 1
	}
	d.set = d.set[:0]
	d.stack = append(d.stack[:0], pcs...)
	for len(d.stack) > 0 {
		pc := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		if d.seen[pc] == d.mark {
			continue
		}
		d.seen[pc] = d.mark
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			d.stack = append(d.stack, in.Arg, in.Out)
		case syntax.InstCapture, syntax.InstNop:
			d.stack = append(d.stack, in.Out)
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(in.Arg)&^flags == 0 {
				d.stack = append(d.stack, in.Out)
			}
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			d.set = append(d.set, pc)
		}
	}
	return false
}
