package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// follower reads the alert stream as a browser does: when its instance
// goes away it reconnects to the next one with Last-Event-ID, and counts
// the distinct alerts it was sent whose source starts with prefix.
type follower struct {
	c      *Cluster
	prefix string

	mu         sync.Mutex
	seen       map[int64]bool
	reconnects int
	connected  *instance
}

func follow(ctx context.Context, c *Cluster, start int, prefix string) *follower {
	f := &follower{c: c, prefix: prefix, seen: map[int64]bool{}}
	go func() {
		last := ""
		for n := start; ctx.Err() == nil; n++ {
			inst := c.insts[n%len(c.insts)]
			if !inst.alive() {
				continue
			}
			last = f.read(ctx, inst, last)
			if ctx.Err() != nil {
				return
			}
			f.mu.Lock()
			f.reconnects++
			f.mu.Unlock()
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return f
}

// read follows one instance's stream until it ends, returning the last
// event id.
func (f *follower) read(ctx context.Context, inst *instance, last string) string {
	req, _ := http.NewRequestWithContext(ctx, "GET", inst.url("/api/v1/alerts/stream"), nil)
	req.Header.Set("Authorization", "Bearer "+f.c.token)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return last
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return last
	}
	f.mu.Lock()
	f.connected = inst
	f.mu.Unlock()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			last = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			var a struct {
				ID       int64  `json:"id"`
				SourceIP string `json:"source_ip"`
			}
			if json.Unmarshal([]byte(v), &a) == nil && strings.HasPrefix(a.SourceIP, f.prefix) {
				f.mu.Lock()
				f.seen[a.ID] = true
				f.mu.Unlock()
			}
		}
	}
	return last
}

func (f *follower) count() (seen, reconnects int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen), f.reconnects
}

// missing are the alerts of ids the follower was not sent.
func (f *follower) missing(ids []int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, id := range ids {
		if !f.seen[id] {
			n++
		}
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
