// Package source runs the patrol's sources: it pulls a feed or a
// sitemap, crawls a site, or reads an uploaded export, puts every post
// through the patrol pipeline and stores it as an item, and writes the
// run's outcome into the source's health (last run, last error in words,
// items found). One bad source never stops the others: its error lands in
// its own health. Timetabled sources run under internal/schedule, once
// across instances; each crawled URL is claimed in the database, so two
// instances never fetch it twice.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/crawl"
	"github.com/garda-id/garda/internal/patrol/feed"
	"github.com/garda-id/garda/internal/patrol/imports"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// Runner runs sources.
type Runner struct {
	DB       *store.DB
	Pipeline *patrol.Pipeline
	Saver    patrol.Saver
	// Policy is the networks a crawl may reach (fetch.PublicInternet in
	// production, fetch.LoopbackOnly in tests and the demo).
	Policy fetch.Policy
	Holder string // this instance, for crawl claims
	Log    *slog.Logger
	// Limits bound each request (zero: fetch's defaults with a 4 MiB body).
	Limits fetch.Limits
	// OnItem, when set, is told of each new item (the queue's live stream).
	OnItem func(id int64)
	// Resolver is the DNS server (host:port) lookalike sources ask, and
	// DNSRate the queries a second they may send it (0: lookalike's default).
	Resolver string
	DNSRate  float64
}

// Actor is who the runners write as in the audit chain.
var Actor = audit.Actor{Username: "garda-patrol"}

// Outcome is what one run did.
type Outcome struct {
	Posts   int      `json:"posts"`   // read from the source
	New     int      `json:"new"`     // new items
	Seen    int      `json:"seen"`    // items seen again
	Skipped int      `json:"skipped"` // posts left out (malformed, empty)
	Errors  []string `json:"errors,omitempty"`
	// Indicators the patrol's rules made or sighted again (a live
	// lookalike of a KPU domain: package intel).
	Indicators int `json:"indicators,omitempty"`

	saved map[string]int64 // item id by post URL, for the rules after ingest
}

func (o *Outcome) note(format string, args ...any) {
	o.Skipped++
	if len(o.Errors) < 20 {
		o.Errors = append(o.Errors, fmt.Sprintf(format, args...))
	}
}

// ingest puts posts through the pipeline and stores them for owner.
func (r *Runner) ingest(ctx context.Context, who audit.Actor, owner patrol.Owner, posts []patrol.Post, out *Outcome) error {
	for _, p := range posts {
		if err := ctx.Err(); err != nil {
			return err
		}
		out.Posts++
		proc, err := r.Pipeline.Process(ctx, p)
		if err != nil {
			out.note("%s: %v", describe(p), err)
			continue
		}
		saved, err := r.Saver.Save(ctx, who, owner, proc)
		if err != nil {
			return fmt.Errorf("store %s: %w", describe(p), err)
		}
		if p.URL != "" {
			if out.saved == nil {
				out.saved = map[string]int64{}
			}
			out.saved[p.URL] = saved.ID
		}
		if saved.New {
			out.New++
			if r.OnItem != nil {
				r.OnItem(saved.ID)
			}
		} else {
			out.Seen++
		}
	}
	return nil
}

func describe(p patrol.Post) string {
	switch {
	case p.URL != "":
		return p.URL
	case p.PostID != "":
		return p.Platform + " post " + p.PostID
	}
	return "a post"
}

func (r *Runner) fetcher(robots bool, rps float64) *fetch.Fetcher {
	l := r.Limits
	if l.MaxBody == 0 {
		l.MaxBody = 4 << 20
	}
	return fetch.New(fetch.Config{Policy: r.Policy, Limits: l, Robots: robots, PerHost: fetch.HostLimit{Conns: 2, RPS: rps}, Global: fetch.HostLimit{Conns: 16}})
}

// Run runs one timetabled source now and records its health. The error
// returned is the run's (also written into the health).
func (r *Runner) Run(ctx context.Context, src patrol.Source) (Outcome, error) {
	started := store.Now()
	var out Outcome
	var err error
	switch src.Type {
	case patrol.Feed:
		err = r.runFeed(ctx, src, &out)
	case patrol.Sitemap:
		err = r.runSitemap(ctx, src, &out)
	case patrol.Crawl:
		err = r.runCrawl(ctx, src, &out)
	case patrol.Lookalike:
		err = r.runLookalike(ctx, src, &out)
	default:
		err = fmt.Errorf("a %s source is not pulled: its items arrive by upload, the form or the API", src.Type)
	}
	if err == nil && out.Skipped > 0 && out.New+out.Seen == 0 {
		err = fmt.Errorf("every one of %d entries was refused; first: %s", out.Skipped, strings.Join(out.Errors[:min(3, len(out.Errors))], "; "))
	}
	if herr := patrol.RecordRun(context.WithoutCancel(ctx), r.DB, src.ID, started, out.New+out.Seen, err); herr != nil {
		return out, errors.Join(err, herr)
	}
	if err != nil && r.Log != nil {
		r.Log.Warn("patrol source failed", "source", src.ID, "name", src.Name, "err", err)
	}
	return out, err
}

// get fetches one URL politely (robots.txt obeyed) and reads its body.
func (r *Runner) get(ctx context.Context, f *fetch.Fetcher, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered HTTP %d", u, resp.StatusCode)
	}
	b, cut, err := fetch.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	if cut {
		return nil, fmt.Errorf("%s is larger than a source may be (the fetch body limit)", u)
	}
	return b, nil
}

func (r *Runner) runFeed(ctx context.Context, src patrol.Source, out *Outcome) error {
	f := r.fetcher(true, rate(src))
	defer f.CloseIdle()
	b, err := r.get(ctx, f, src.URL)
	if err != nil {
		return err
	}
	posts, err := feed.Parse(b)
	if err != nil {
		return err
	}
	for i := range posts {
		if posts[i].Platform == "" {
			posts[i].Platform = src.Platform
		}
		posts[i].Raw = nil // the entry's text is its copy
	}
	return r.ingest(ctx, Actor, src.ItemOwner(), posts, out)
}

func rate(src patrol.Source) float64 {
	if src.Crawl.RPS > 0 {
		return src.Crawl.RPS
	}
	return 2
}

func (r *Runner) runSitemap(ctx context.Context, src patrol.Source, out *Outcome) error {
	f := r.fetcher(true, rate(src))
	defer f.CloseIdle()
	b, err := r.get(ctx, f, src.URL)
	if err != nil {
		return err
	}
	sm, err := feed.ParseSitemap(b)
	if err != nil {
		return err
	}
	// An index: its first sitemaps (bounded), read the same way.
	for i, child := range sm.Sitemaps {
		if i >= 20 {
			break
		}
		cb, err := r.get(ctx, f, child)
		if err != nil {
			out.note("sitemap %s: %v", child, err)
			continue
		}
		csm, err := feed.ParseSitemap(cb)
		if err != nil {
			out.note("sitemap %s: %v", child, err)
			continue
		}
		sm.URLs = append(sm.URLs, csm.URLs...)
	}
	var start []string
	for _, u := range sm.URLs {
		start = append(start, u.URL)
	}
	if len(start) == 0 {
		return errors.New("the sitemap lists no pages")
	}
	// The pages themselves: a crawl of depth 0 from the sitemap's URLs.
	return r.crawl(ctx, src, f, start, 0, out)
}

func (r *Runner) runCrawl(ctx context.Context, src patrol.Source, out *Outcome) error {
	f := r.fetcher(true, rate(src))
	defer f.CloseIdle()
	depth := src.Crawl.MaxDepth
	if depth == 0 {
		depth = 2
	}
	return r.crawl(ctx, src, f, []string{src.URL}, depth, out)
}

func (r *Runner) crawl(ctx context.Context, src patrol.Source, f *fetch.Fetcher, start []string, depth int, out *Outcome) error {
	revisit := time.Duration(src.Every) * time.Minute / 2
	c := &crawl.Crawler{Fetcher: f, Claims: &crawl.DBClaims{DB: r.DB, SourceID: src.ID, Holder: r.Holder, Revisit: revisit}}
	pages := src.Crawl.MaxPages
	if pages == 0 {
		pages = 500
	}
	var good []string
	for _, s := range start {
		if _, err := patrol.CanonicalURL(s); err != nil {
			out.note("%v", err)
			continue
		}
		good = append(good, s)
	}
	if len(good) == 0 {
		return errors.New("no usable start URL")
	}
	var mu = make(chan struct{}, 1)
	st, err := c.Run(ctx, crawl.Config{Start: good, MaxDepth: depth, MaxPages: pages, Hosts: src.Crawl.Hosts, Workers: 4},
		func(ctx context.Context, p crawl.Page) error {
			post := patrol.Post{URL: p.URL, Title: p.Title, Text: p.Text, Platform: src.Platform, Raw: p.Raw}
			if r.Pipeline.OCR != nil && len(p.Images) > 0 {
				// The page's first image is read too: hoaxes travel as pictures.
				post.Image, post.ImageError = r.image(ctx, f, p.Images[0])
			}
			mu <- struct{}{}
			defer func() { <-mu }()
			return r.ingest(ctx, Actor, src.ItemOwner(), []patrol.Post{post}, out)
		})
	for _, e := range st.Errors {
		if len(out.Errors) < 20 {
			out.Errors = append(out.Errors, e)
		}
	}
	out.Skipped += int(st.Failed)
	if err != nil {
		return err
	}
	if st.Pages == 0 && st.NotModified == 0 {
		switch {
		case st.Failed > 0:
			return fmt.Errorf("no page could be read (%d failed; first: %s)", st.Failed, strings.Join(st.Errors[:min(3, len(st.Errors))], "; "))
		case st.Disallowed > 0:
			return fmt.Errorf("robots.txt disallows every page tried (%d)", st.Disallowed)
		}
	}
	return nil
}

// image fetches one image politely, bounded by the Fetcher's body limit.
func (r *Runner) image(ctx context.Context, f *fetch.Fetcher, u string) ([]byte, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err.Error()
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		return nil, fmt.Sprintf("image %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Sprintf("image %s: HTTP %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/") {
		return nil, fmt.Sprintf("image %s: content type %q is not an image", u, ct)
	}
	b, cut, err := fetch.ReadAll(resp.Body)
	if err != nil || cut {
		return nil, fmt.Sprintf("image %s: too large or broken off", u)
	}
	return b, ""
}

// Import reads an uploaded export into a source's items. A malformed
// record is skipped and named; a file that is not an export is the
// error, written into the source's health as any run's.
func (r *Runner) Import(ctx context.Context, who audit.Actor, src patrol.Source, body io.Reader, format imports.Format) (Outcome, imports.Result, error) {
	started := store.Now()
	var out Outcome
	res, err := imports.Read(body, format)
	if err == nil {
		for _, e := range res.Errors {
			out.Errors = append(out.Errors, e)
		}
		out.Skipped = res.Skipped
		for i := range res.Posts {
			if res.Posts[i].Platform == "" {
				res.Posts[i].Platform = src.Platform
			}
		}
		err = r.ingest(ctx, who, src.ItemOwner(), res.Posts, &out)
	}
	if herr := patrol.RecordRun(context.WithoutCancel(ctx), r.DB, src.ID, started, out.New+out.Seen, err); herr != nil {
		err = errors.Join(err, herr)
	}
	return out, res, err
}

// Submit stores posts sent by a person or an agency's tool (the API, the
// report form) as items of owner.
func (r *Runner) Submit(ctx context.Context, who audit.Actor, owner patrol.Owner, posts []patrol.Post) (Outcome, []patrol.Saved, error) {
	var out Outcome
	var saved []patrol.Saved
	for _, p := range posts {
		proc, err := r.Pipeline.Process(ctx, p)
		if err != nil {
			out.note("%s: %v", describe(p), err)
			saved = append(saved, patrol.Saved{})
			continue
		}
		s, err := r.Saver.Save(ctx, who, owner, proc)
		if err != nil {
			return out, saved, err
		}
		out.Posts++
		if s.New {
			out.New++
			if r.OnItem != nil {
				r.OnItem(s.ID)
			}
		} else {
			out.Seen++
		}
		saved = append(saved, s)
	}
	return out, saved, nil
}

// Job is the scheduler's job: every minute, the sources that are due,
// one after the other; one failing never stops the next.
func (r *Runner) Job() schedule.Job {
	return schedule.Job{Name: "patrol.sources", Every: time.Minute, Run: func(ctx context.Context) error {
		due, err := patrol.DueSources(ctx, r.DB, store.Now())
		if err != nil {
			return err
		}
		for _, src := range due {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			runCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			_, _ = r.Run(runCtx, src) // its error is in its health
			cancel()
		}
		return nil
	}}
}
