package fetch

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// hostState holds one host's (or the whole Fetcher's) politeness: a
// semaphore of connection slots and a token bucket of requests.
type hostState struct {
	slots  chan struct{} // nil: no concurrency limit
	bucket *bucket       // nil: no rate limit
}

func newHostState(l HostLimit) *hostState {
	s := &hostState{}
	if l.Conns > 0 {
		s.slots = make(chan struct{}, l.Conns)
	}
	if l.RPS > 0 {
		s.bucket = newBucket(l.RPS)
	}
	return s
}

func (f *Fetcher) host(host string) *hostState {
	host = hostKey(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.hosts[host]
	if !ok {
		l, ok := f.limits[host]
		if !ok {
			l = f.cfg.PerHost
		}
		s = newHostState(l)
		f.hosts[host] = s
	}
	return s
}

// acquire waits for a slot of host and of the Fetcher, then for a token of
// each bucket. The returned func gives the slots back.
func (f *Fetcher) acquire(ctx context.Context, host string) (func(), error) {
	h := f.host(host)
	var held []chan struct{}
	release := func() {
		for _, c := range held {
			<-c
		}
	}
	for _, s := range []*hostState{h, f.global} {
		if s.slots == nil {
			continue
		}
		select {
		case s.slots <- struct{}{}:
			held = append(held, s.slots)
		case <-ctx.Done():
			release()
			return nil, fmt.Errorf("fetch: waiting for a connection slot to %s: %w", host, ctx.Err())
		}
	}
	for _, s := range []*hostState{h, f.global} {
		if s.bucket == nil {
			continue
		}
		if err := f.wait(ctx, s.bucket.reserve(f.now())); err != nil {
			s.bucket.giveBack()
			release()
			return nil, fmt.Errorf("fetch: waiting for the rate limit of %s: %w", host, err)
		}
	}
	return release, nil
}

// bucket is a token bucket of burst 1: requests are spaced 1/rate apart,
// never bunched, which is what a site's operator sees as polite.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	tokens float64
	last   time.Time
}

func newBucket(rate float64) *bucket { return &bucket{rate: rate, tokens: 1} }

// reserve takes a token at now and says how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = math.Min(1, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// giveBack returns a reserved token that was not used.
func (b *bucket) giveBack() {
	b.mu.Lock()
	b.tokens = math.Min(1, b.tokens+1)
	b.mu.Unlock()
}
