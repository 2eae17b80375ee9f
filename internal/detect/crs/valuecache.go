package crs

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// valueCache remembers, across requests, what the evaluator's rules
// decided on a raw value (before its group's transformations), and
// whether a kept rule's first operator matched it: a rule's verdict on a
// value is a function of the value alone (its chain, literal pass and
// operator), so a value that an earlier request carried (a User-Agent, a
// path, an argument name; on the hostile sample half the operators'
// calls were on a value some earlier request held) is not transformed or
// matched again for the rules already decided on it. Each entry holds
// two bitsets over the rules: known (decided on this value) and matched
// (of those, matched). It is shared by the detector's goroutines: the
// bits are set with atomic ORs, matched before known, so a reader that
// sees a rule known sees its verdict. TestValueCacheKeepsVerdicts
// compares with the detector without it.
type valueCache struct {
	seed   maphash.Seed
	gen    atomic.Uint64 // reset's count: older entries are not found
	shards [valueShards]valueShard
}

type valueShard struct {
	mu    sync.Mutex
	m     map[uint64]*valueEntry // by the value's hash (one value kept per hash)
	bytes int
}

type valueEntry struct {
	key            string
	gen            uint64
	known, matched [maxValueWords]atomic.Uint64
}

const (
	valueShards = 16
	// maxValueWords bounds the rules (64 a word) the entries hold: CRS
	// 4's 242 (180 evaluated, 62 kept) in 96 bytes an entry.
	maxValueWords = 4
	// maxCachedValue: longer values (a payload's body in a query) are
	// seldom repeated. A shard is emptied when its entries would pass
	// valueShardEntries or its keys valueShardBytes: some 32,000 entries
	// and 5 MB in all. (Without a bound on entries, 30,000 hostile lines
	// filled some 80 MB, and the garbage collector's marking of them
	// cost more CPU than the cache saved.)
	maxCachedValue    = 1024
	valueShardEntries = 2048
	valueShardBytes   = 256 << 10
	// recentValues: each request state's own entries, looked up without
	// the shard's lock (a request's Host, method and protocol, common
	// User-Agents).
	recentValues = 256
)

// newValueCache is a cache for rules rules, nil when they are more than
// an entry holds.
func newValueCache(rules int) *valueCache {
	if rules > 64*maxValueWords {
		return nil
	}
	c := &valueCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[uint64]*valueEntry{}
	}
	return c
}

// entry is v's entry, added if new (recent is the caller's own entries);
// nil for a value too long to keep.
func (c *valueCache) entry(v string, recent *[recentValues]*valueEntry) *valueEntry {
	if c == nil || len(v) > maxCachedValue {
		return nil
	}
	h := maphash.String(c.seed, v)
	gen := c.gen.Load()
	r := &recent[h%recentValues]
	if e := *r; e != nil && e.key == v && e.gen == gen {
		return e
	}
	sh := &c.shards[(h>>32)%valueShards]
	sh.mu.Lock()
	e := sh.m[h]
	if e == nil || e.key != v || e.gen != gen {
		if len(sh.m) >= valueShardEntries || sh.bytes+len(v) > valueShardBytes {
			sh.m, sh.bytes = map[uint64]*valueEntry{}, 0
		}
		// The value may be a view of the request's memory: the key is a
		// copy.
		e = &valueEntry{key: strings.Clone(v), gen: gen}
		sh.m[h] = e
		sh.bytes += len(v)
	}
	sh.mu.Unlock()
	*r = e
	return e
}

// reset empties the cache (benchmarks: each pass over a sample as the
// first).
func (c *valueCache) reset() {
	if c == nil {
		return
	}
	c.gen.Add(1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.m, sh.bytes = map[uint64]*valueEntry{}, 0
		sh.mu.Unlock()
	}
}

// verdict reports whether rule i is known on the value, and if so
// whether it matched.
func (e *valueEntry) verdict(i int32) (known, matched bool) {
	bit := uint64(1) << (i & 63)
	if e.known[i>>6].Load()&bit == 0 {
		return false, false
	}
	return true, e.matched[i>>6].Load()&bit != 0
}

// set records rule i's verdict on the value.
func (e *valueEntry) set(i int32, matched bool) {
	bit := uint64(1) << (i & 63)
	if matched {
		e.matched[i>>6].Or(bit)
	}
	e.known[i>>6].Or(bit)
}
