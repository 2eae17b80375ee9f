package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/temoto/robotstxt"
)

// robotsCache keeps each site's robots.txt for the Fetcher's life (a
// crawl is short; a new round builds a new Fetcher).
type robotsCache struct {
	mu    sync.Mutex
	sites map[string]*robotsEntry
}

type robotsEntry struct {
	once sync.Once
	data *robotstxt.RobotsData
}

func newRobotsCache() *robotsCache { return &robotsCache{sites: map[string]*robotsEntry{}} }

// agentToken is the product token robots.txt groups are matched against.
const agentToken = "Garda"

func (c *robotsCache) allowed(ctx context.Context, f *Fetcher, u *url.URL) error {
	if u.Path == "/robots.txt" {
		return nil
	}
	site := BaseURL(u)
	c.mu.Lock()
	e, ok := c.sites[site]
	if !ok {
		e = &robotsEntry{}
		c.sites[site] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.data = fetchRobots(ctx, f, site) })
	if !e.data.TestAgent(u.EscapedPath(), agentToken) {
		return fmt.Errorf("%w: %s", ErrRobots, u.Redacted())
	}
	return nil
}

// fetchRobots reads site/robots.txt politely. RFC 9309: a 4xx means no
// rules; a 5xx or an unreachable file means stay out entirely.
func fetchRobots(ctx context.Context, f *Fetcher, site string) *robotstxt.RobotsData {
	disallowAll, _ := robotstxt.FromStatusAndBytes(http.StatusServiceUnavailable, nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, site+"/robots.txt", nil)
	if err != nil {
		return disallowAll
	}
	resp, err := f.send(req)
	if err != nil {
		return disallowAll
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 500<<10))
	d, err := robotstxt.FromStatusAndBytes(resp.StatusCode, body)
	if err != nil {
		return disallowAll
	}
	return d
}

// Allowed reports whether robots.txt lets the Fetcher ask for u (always,
// when the Fetcher does not obey robots.txt), reading the site's file
// first if it has not yet: a crawler asks before it claims the URL.
func (f *Fetcher) Allowed(ctx context.Context, u *url.URL) error {
	if f.robots == nil {
		return nil
	}
	return f.robots.allowed(ctx, f, u)
}
