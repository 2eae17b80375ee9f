package match

import (
	"cmp"
	"net/netip"
	"slices"
	"sort"
)

// u128 is an address as a number: IPv4 addresses in their IPv4-mapped
// IPv6 form, so that one sorted table holds both families.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) add1() u128 {
	a.lo++
	if a.lo == 0 {
		a.hi++
	}
	return a
}

func (a u128) sub1() u128 {
	if a.lo == 0 {
		a.hi--
	}
	a.lo--
	return a
}

var maxU128 = u128{^uint64(0), ^uint64(0)}

func num(a netip.Addr) u128 {
	b := a.As16()
	var n u128
	for i := 0; i < 8; i++ {
		n.hi = n.hi<<8 | uint64(b[i])
		n.lo = n.lo<<8 | uint64(b[8+i])
	}
	return n
}

// span is a prefix as the first and last address it covers.
func span(p netip.Prefix) (u128, u128) {
	p = p.Masked()
	first := num(p.Addr())
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	last := first
	host := 128 - bits
	switch {
	case host >= 64:
		last.lo = ^uint64(0)
		if host > 64 {
			last.hi |= ^uint64(0) >> (128 - host)
		}
	case host > 0:
		last.lo |= ^uint64(0) >> (64 - host)
	}
	return first, last
}

// ranges finds the CIDR ranges an address lies in. CIDR ranges never
// overlap without one holding the other, so the ranges cut the address
// space into disjoint segments, each belonging to the innermost range over
// it; an address is found by binary search over the segments, and the
// ranges around that one by following parents.
type ranges struct {
	start, end []u128 // segment i is [start[i], end[i]]
	owner      []int32
	parent     []int32 // of each range (slot index), -1 for none
}

type rangeIn struct {
	first, last u128
	slot        int32
}

func buildRanges(in []rangeIn, nslots int) ranges {
	slices.SortFunc(in, func(a, b rangeIn) int {
		switch {
		case a.first != b.first:
			return a.first.cmp(b.first)
		default:
			return b.last.cmp(a.last) // the outer first
		}
	})
	r := ranges{parent: make([]int32, nslots)}
	for i := range r.parent {
		r.parent[i] = -1
	}
	emit := func(a, b u128, slot int32) {
		r.start, r.end, r.owner = append(r.start, a), append(r.end, b), append(r.owner, slot)
	}
	var stack []rangeIn
	p, done := u128{}, false // next address not yet in a segment; done past the end of the space
	pop := func() {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !done && !t.last.less(p) {
			emit(p, t.last, t.slot)
			if t.last == maxU128 {
				done = true
			} else {
				p = t.last.add1()
			}
		}
	}
	for _, x := range in {
		for len(stack) > 0 && stack[len(stack)-1].last.less(x.first) {
			pop()
		}
		if n := len(stack); n > 0 {
			if p.less(x.first) {
				emit(p, x.first.sub1(), stack[n-1].slot)
			}
			r.parent[x.slot] = stack[n-1].slot
		}
		if !done && p.less(x.first) || len(stack) == 0 {
			p = x.first
		}
		stack = append(stack, x)
	}
	for len(stack) > 0 {
		pop()
	}
	return r
}

// find returns the innermost range's slot holding a, or -1.
func (r *ranges) find(a u128) int32 {
	// the last segment starting at or before a
	i := sort.Search(len(r.start), func(i int) bool { return a.less(r.start[i]) }) - 1
	if i < 0 || r.end[i].less(a) {
		return -1
	}
	return r.owner[i]
}
