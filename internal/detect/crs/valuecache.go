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
// operator), so a value that an earlier request carried
// (a User-Agent, a path, an argument name; on the hostile sample half the
// operators' calls were on a value some earlier request held) is not
// transformed or matched again for the rules already decided on it. Each
// entry holds two bitsets over the evaluator's rules: known (decided on
// this value) and matched (of those, matched). It is shared by the
// detector's goroutines: the bits are set with atomic ORs, matched before
// known, so a reader that sees a rule known sees its verdict.
// TestValueCacheKeepsVerdicts compares with the detector without it.
type valueCache struct {
	seed   maphash.Seed
	words  int
	shards [valueShards]valueShard
}

type valueShard struct {
	mu    sync.Mutex
	m     map[string]valueEntry
	bytes int
}

// valueEntry is the words of known, then those of matched.
type valueEntry []atomic.Uint64

const (
	valueShards = 16
	// maxCachedValue: longer values (a payload's body in a query) are
	// seldom repeated; valueShardBytes bounds a shard's keys (the shard
	// is emptied when they would pass it, some 16 MB in all).
	maxCachedValue  = 1024
	valueShardBytes = 1 << 20
)

func newValueCache(words int) *valueCache {
	c := &valueCache{seed: maphash.MakeSeed(), words: words}
	for i := range c.shards {
		c.shards[i].m = map[string]valueEntry{}
	}
	return c
}

// entry is v's entry, added if new; nil for a value too long to keep.
func (c *valueCache) entry(v string) valueEntry {
	if c == nil || len(v) > maxCachedValue {
		return nil
	}
	sh := &c.shards[maphash.String(c.seed, v)%valueShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.m[v]; ok {
		return e
	}
	if sh.bytes+len(v) > valueShardBytes {
		sh.m, sh.bytes = map[string]valueEntry{}, 0
	}
	e := make(valueEntry, 2*c.words)
	// The value may be a view of the request's memory: the key is a copy.
	sh.m[strings.Clone(v)] = e
	sh.bytes += len(v)
	return e
}

// reset empties the cache (benchmarks: each pass over a sample as the
// first).
func (c *valueCache) reset() {
	if c == nil {
		return
	}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.m, sh.bytes = map[string]valueEntry{}, 0
		sh.mu.Unlock()
	}
}

// verdict reports whether rule i is known on the value, and if so
// whether it matched.
func (e valueEntry) verdict(i int32) (known, matched bool) {
	bit := uint64(1) << (i & 63)
	if e[i>>6].Load()&bit == 0 {
		return false, false
	}
	return true, e[len(e)/2+int(i>>6)].Load()&bit != 0
}

// set records rule i's verdict on the value.
func (e valueEntry) set(i int32, matched bool) {
	bit := uint64(1) << (i & 63)
	if matched {
		e[len(e)/2+int(i>>6)].Or(bit)
	}
	e[i>>6].Or(bit)
}
