package dsl

import (
	"regexp"
	"sync"
)

// reCache memoises compiled patterns, up to a bound past which it stops
// remembering new ones.
type reCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func newRECache() *reCache { return &reCache{m: map[string]*regexp.Regexp{}} }

func (c *reCache) get(p string) (*regexp.Regexp, error) {
	c.mu.Lock()
	re, ok := c.m[p]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) < 4096 {
		c.m[p] = re
	}
	c.mu.Unlock()
	return re, nil
}
