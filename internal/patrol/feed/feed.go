// Package feed reads what a patrol source publishes for machines: RSS and
// Atom feeds (through gofeed, the field's parser) and sitemaps (the
// sitemaps.org XML: a urlset or a sitemap index), and the text of an HTML
// page. It parses bytes it is given, bounded; it never fetches (the
// source runner does, through internal/fetch).
package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/garda-id/garda/internal/patrol/post"
)

// MaxEntries bounds what one feed or sitemap yields.
const MaxEntries = 50_000

// ErrNotFeed says the bytes are not an RSS, Atom or JSON feed.
var ErrNotFeed = errors.New("feed: not an RSS, Atom or JSON feed")

// Parse reads a feed into posts (each entry's link, title, text, author,
// time).
func Parse(b []byte) (posts []post.Post, err error) {
	defer func() {
		// gofeed is the field's parser, but a hostile feed must cost a
		// clear error, never the post.
		if r := recover(); r != nil {
			posts, err = nil, fmt.Errorf("%w: the parser failed on it (%v)", ErrNotFeed, r)
		}
	}()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFeed, err)
	}
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		if len(posts) >= MaxEntries {
			break
		}
		text := it.Description
		if len(it.Content) > len(text) {
			text = it.Content
		}
		p := post.Post{URL: strings.TrimSpace(it.Link), Title: it.Title, Text: HTMLText([]byte(text))}
		if p.URL == "" && it.GUID != "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
			p.URL = it.GUID
		}
		if it.Author != nil {
			p.Author = it.Author.Name
		} else if len(it.Authors) > 0 && it.Authors[0] != nil {
			p.Author = it.Authors[0].Name
		}
		if it.PublishedParsed != nil {
			t := it.PublishedParsed.UTC()
			p.Published = &t
		} else if it.UpdatedParsed != nil {
			t := it.UpdatedParsed.UTC()
			p.Published = &t
		}
		if p.URL == "" && p.Text == "" && p.Title == "" {
			continue
		}
		posts = append(posts, p)
	}
	return posts, nil
}

// SitemapEntry is one URL of a sitemap.
type SitemapEntry struct {
	URL     string
	LastMod *time.Time
}

// Sitemap is a parsed sitemap: pages, or (an index) further sitemaps.
type Sitemap struct {
	URLs     []SitemapEntry
	Sitemaps []string
}

// ErrNotSitemap says the bytes are not a sitemap.
var ErrNotSitemap = errors.New("feed: not a sitemap (want <urlset> or <sitemapindex>)")

// ParseSitemap reads a sitemap or a sitemap index, streaming: at most
// MaxEntries locations, each at most 2 KiB.
func ParseSitemap(b []byte) (Sitemap, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var sm Sitemap
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if root == "" {
				return Sitemap{}, fmt.Errorf("%w: %v", ErrNotSitemap, err)
			}
			return sm, fmt.Errorf("feed: sitemap broken after %d entries: %w", len(sm.URLs)+len(sm.Sitemaps), err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Local
			if root != "urlset" && root != "sitemapindex" {
				return Sitemap{}, ErrNotSitemap
			}
			continue
		}
		if se.Name.Local != "url" && se.Name.Local != "sitemap" {
			continue
		}
		var e struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		}
		if err := d.DecodeElement(&e, &se); err != nil {
			return sm, fmt.Errorf("feed: sitemap entry %d: %w", len(sm.URLs)+len(sm.Sitemaps)+1, err)
		}
		loc := strings.TrimSpace(e.Loc)
		if loc == "" || len(loc) > post.MaxURL {
			continue
		}
		if se.Name.Local == "sitemap" {
			sm.Sitemaps = append(sm.Sitemaps, loc)
		} else {
			en := SitemapEntry{URL: loc}
			for _, l := range []string{time.RFC3339, "2006-01-02"} {
				if t, err := time.Parse(l, strings.TrimSpace(e.LastMod)); err == nil {
					u := t.UTC()
					en.LastMod = &u
					break
				}
			}
			sm.URLs = append(sm.URLs, en)
		}
		if len(sm.URLs)+len(sm.Sitemaps) >= MaxEntries {
			break
		}
	}
	if root == "" {
		return Sitemap{}, ErrNotSitemap
	}
	return sm, nil
}

// Page is what a patrol keeps of an HTML page.
type Page struct {
	Title  string
	Text   string
	Links  []string // href values as written (resolve against the page URL)
	Images []string // src values as written
}

// maxLinks bounds the links kept of one page.
const maxLinks = 2000

// ParseHTML reads an HTML page's title, visible text and links, with the
// tolerant HTML5 tokenizer (malformed pages parse as browsers parse them).
// Script, style and template contents are not text.
func ParseHTML(b []byte) Page {
	var p Page
	var text strings.Builder
	z := html.NewTokenizer(bytes.NewReader(b))
	z.SetMaxBuf(1 << 20)
	skip, inTitle := 0, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			p.Text = strings.TrimSpace(text.String())
			p.Title = strings.TrimSpace(p.Title)
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "style", "template", "noscript", "svg":
				if tt == html.StartTagToken {
					skip++
				}
			case "title":
				inTitle = tt == html.StartTagToken
			case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr", "article", "section":
				text.WriteByte('\n')
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch {
				case string(name) == "a" && string(k) == "href" && len(p.Links) < maxLinks:
					p.Links = append(p.Links, string(v))
				case string(name) == "img" && string(k) == "src" && len(p.Images) < 50:
					p.Images = append(p.Images, string(v))
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "template", "noscript", "svg":
				if skip > 0 {
					skip--
				}
			case "title":
				inTitle = false
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if inTitle {
				if len(p.Title) < post.MaxTitle {
					p.Title += string(z.Text())
				}
				continue
			}
			if room := post.MaxText - text.Len(); room > 0 {
				t := z.Text()
				text.Write(t[:min(len(t), room)])
				text.WriteByte(' ')
			}
		}
	}
}

// HTMLText is the visible text of an HTML fragment (a feed entry's body).
func HTMLText(b []byte) string {
	if !bytes.ContainsAny(b, "<&") {
		return string(b)
	}
	return ParseHTML(b).Text
}
