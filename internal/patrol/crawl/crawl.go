// Package crawl is the patrol's polite crawler: from start URLs it follows
// links breadth first, within a depth, a page count and a set of hosts,
// through an internal/fetch Fetcher that obeys robots.txt and presses each
// host no harder than its requests per second. It asks a Claimer before
// each fetch, so that of several instances crawling one site each URL is
// fetched once, and revisits a page with a conditional GET (ETag,
// Last-Modified). It reads only text (HTML, XHTML, plain text) and only up
// to the Fetcher's body limit; anything else is counted, not read.
//
// It never decides what a page means: each page goes to the caller's visit
// function (the source runner turns pages into items).
package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/feed"
)

// Config bounds one crawl.
type Config struct {
	Start    []string
	MaxDepth int      // links followed from a start URL; 0 = only the start pages
	MaxPages int      // pages fetched at most (default 500)
	Hosts    []string // hosts the crawl may enter besides the start URLs'
	Workers  int      // fetches in flight (default 4); the Fetcher's per-host limits still hold
}

// Claimer says whether this instance may fetch a URL now, and what it
// knew of the URL the last time (for a conditional GET).
type Claimer interface {
	Claim(ctx context.Context, url string) (prev Validators, ok bool, err error)
	Done(ctx context.Context, url string, status int, v Validators, fetchErr error) error
}

// Validators are a response's ETag and Last-Modified.
type Validators struct {
	ETag         string
	LastModified string
}

// Page is one fetched page.
type Page struct {
	URL         string
	Depth       int
	Status      int
	ContentType string
	Title       string
	Text        string
	Images      []string // absolute URLs
	Raw         []byte   // the body as read (bounded by the Fetcher)
	Cut         bool     // the body went on past the limit
	NotModified bool     // a conditional GET answered 304: no body
}

// Stats says what a crawl did.
type Stats struct {
	Pages       int64    `json:"pages"`        // fetched and handed to visit
	Bytes       int64    `json:"bytes"`        // body bytes read
	NotModified int64    `json:"not_modified"` // 304 answers
	Disallowed  int64    `json:"disallowed"`   // refused by robots.txt
	Claimed     int64    `json:"claimed"`      // fetched by another instance
	Failed      int64    `json:"failed"`       // errors, bad statuses, refused types
	Errors      []string `json:"errors,omitempty"`
}

const maxErrors = 20

// Crawler crawls through one Fetcher (built with Robots on).
type Crawler struct {
	Fetcher *fetch.Fetcher
	Claims  Claimer // nil: no other instance (tests, the command line)
}

type state struct {
	cfg   Config
	hosts map[string]bool
	mu    sync.Mutex
	seen  map[string]bool
	stats Stats
	pages atomic.Int64
}

func (s *state) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Failed++
	if len(s.stats.Errors) < maxErrors {
		s.stats.Errors = append(s.stats.Errors, fmt.Sprintf(format, args...))
	}
}

// Run crawls and calls visit for each page, from several goroutines at
// once. An error of visit stops the crawl; a page that fails is counted
// and named in Stats, and the crawl goes on.
func (c *Crawler) Run(ctx context.Context, cfg Config, visit func(context.Context, Page) error) (Stats, error) {
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 500
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	s := &state{cfg: cfg, hosts: map[string]bool{}, seen: map[string]bool{}}
	for _, h := range cfg.Hosts {
		s.hosts[strings.ToLower(strings.TrimSpace(h))] = true
	}
	var level []string
	for _, raw := range cfg.Start {
		u, err := patrol.CanonicalURL(raw)
		if err != nil {
			return Stats{}, fmt.Errorf("crawl: start %w", err)
		}
		pu, _ := url.Parse(u)
		s.hosts[pu.Hostname()] = true
		if !s.seen[u] {
			s.seen[u] = true
			level = append(level, u)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for depth := 0; len(level) > 0 && depth <= cfg.MaxDepth; depth++ {
		var next []string
		var nextMu sync.Mutex
		work := make(chan string)
		var wg sync.WaitGroup
		for range cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range work {
					links := c.one(ctx, s, u, depth, visit, cancel)
					if depth < cfg.MaxDepth && len(links) > 0 {
						nextMu.Lock()
						next = append(next, links...)
						nextMu.Unlock()
					}
				}
			}()
		}
	send:
		for _, u := range level {
			if s.pages.Load() >= int64(cfg.MaxPages) {
				break
			}
			select {
			case work <- u:
			case <-ctx.Done():
				break send
			}
		}
		close(work)
		wg.Wait()
		if err := context.Cause(ctx); err != nil {
			return s.stats, err
		}
		level = level[:0]
		for _, u := range next {
			if !s.seen[u] {
				s.seen[u] = true
				level = append(level, u)
			}
		}
	}
	return s.stats, nil
}

// one fetches a page, hands it to visit and returns its links to follow.
func (c *Crawler) one(ctx context.Context, s *state, u string, depth int, visit func(context.Context, Page) error, stop context.CancelCauseFunc) []string {
	var prev Validators
	if pu, err := url.Parse(u); err == nil {
		// robots.txt first: a URL the site forbids is neither claimed nor asked.
		if err := c.Fetcher.Allowed(ctx, pu); errors.Is(err, fetch.ErrRobots) {
			s.mu.Lock()
			s.stats.Disallowed++
			s.mu.Unlock()
			return nil
		}
	}
	if c.Claims != nil {
		v, ok, err := c.Claims.Claim(ctx, u)
		if err != nil {
			s.fail("%s: claim: %v", u, err)
			return nil
		}
		if !ok {
			s.mu.Lock()
			s.stats.Claimed++
			s.mu.Unlock()
			return nil
		}
		prev = v
	}
	if s.pages.Add(1) > int64(s.cfg.MaxPages) {
		s.pages.Add(-1)
		if c.Claims != nil {
			_ = c.Claims.Done(ctx, u, 0, prev, errors.New("not fetched: the crawl's page limit was reached"))
		}
		return nil
	}
	page, v, err := c.fetch(ctx, u, prev)
	if c.Claims != nil {
		if derr := c.Claims.Done(ctx, u, page.Status, v, err); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		s.pages.Add(-1)
		if errors.Is(err, fetch.ErrRobots) {
			s.mu.Lock()
			s.stats.Disallowed++
			s.mu.Unlock()
			return nil
		}
		if ctx.Err() == nil {
			s.fail("%s: %v", u, err)
		}
		return nil
	}
	page.Depth = depth
	s.mu.Lock()
	s.stats.Bytes += int64(len(page.Raw))
	if page.NotModified {
		s.stats.NotModified++
	} else {
		s.stats.Pages++
	}
	s.mu.Unlock()
	if page.NotModified {
		return nil
	}
	var links []string
	base, _ := url.Parse(u)
	doc := feed.ParseHTML(page.Raw)
	page.Title, page.Text = doc.Title, doc.Text
	if !strings.Contains(page.ContentType, "html") {
		page.Title, page.Text = "", string(page.Raw)
	} else {
		for _, l := range doc.Links {
			if abs := s.resolve(base, l); abs != "" {
				links = append(links, abs)
			}
		}
		for _, l := range doc.Images {
			if ref, err := base.Parse(strings.TrimSpace(l)); err == nil && (ref.Scheme == "http" || ref.Scheme == "https") {
				page.Images = append(page.Images, ref.String())
			}
		}
	}
	if err := visit(ctx, page); err != nil {
		stop(err)
	}
	return links
}

// resolve makes a link absolute and canonical, or "" when the crawl does
// not follow it (another host, another scheme, too long).
func (s *state) resolve(base *url.URL, link string) string {
	ref, err := base.Parse(strings.TrimSpace(link))
	if err != nil {
		return ""
	}
	abs, err := patrol.CanonicalURL(ref.String())
	if err != nil {
		return ""
	}
	au, _ := url.Parse(abs)
	if !s.hosts[au.Hostname()] {
		return ""
	}
	return abs
}

// textTypes are the content types the crawler reads.
var textTypes = map[string]bool{"text/html": true, "application/xhtml+xml": true, "text/plain": true}

// ErrType says a response is not text the patrol reads.
var ErrType = errors.New("crawl: not a text page")

func (c *Crawler) fetch(ctx context.Context, u string, prev Validators) (Page, Validators, error) {
	p := Page{URL: u}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return p, prev, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.8")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := c.Fetcher.Client().Do(req)
	if err != nil {
		return p, prev, err
	}
	defer resp.Body.Close()
	p.Status = resp.StatusCode
	if resp.StatusCode == http.StatusNotModified {
		p.NotModified = true
		return p, prev, nil
	}
	if resp.StatusCode != http.StatusOK {
		return p, prev, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	v := Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" {
		ct = "text/html"
	}
	p.ContentType = ct
	if !textTypes[ct] {
		return p, v, fmt.Errorf("%w: %s", ErrType, ct)
	}
	body, cut, err := fetch.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return p, v, fmt.Errorf("read body: %w", err)
	}
	if looksBinary(body) {
		return p, v, fmt.Errorf("%w: the body is binary though it says %s", ErrType, ct)
	}
	p.Raw, p.Cut = body, cut
	return p, v, nil
}

// looksBinary says a body holds NUL bytes in its first 1 KiB: a text page
// never does.
func looksBinary(b []byte) bool {
	head := b[:min(len(b), 1024)]
	for _, c := range head {
		if c == 0 {
			return true
		}
	}
	return false
}
