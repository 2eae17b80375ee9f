// Package post is what a patrol source yields before the pipeline reads
// it: a post (a URL or a platform's record) with its text and
// engagement, and the bounds an item may hold. It depends on nothing but
// the standard library, so the parsers of feeds and exports (and their
// fuzz targets) build without the rest of Garda.
package post

import "time"

// Limits of what one item may hold: a page's text beyond these is not what
// a patrol analyst reads, and a hostile page must not fill the store.
const (
	MaxText   = 64 << 10
	MaxTitle  = 500
	MaxAuthor = 200
	MaxURL    = 2048
	MaxImage  = 10 << 20
	MaxRaw    = 4 << 20
)

// Engagement is what a platform counted of a post.
type Engagement struct {
	Likes    int64 `json:"likes,omitempty"`
	Shares   int64 `json:"shares,omitempty"`
	Comments int64 `json:"comments,omitempty"`
	Views    int64 `json:"views,omitempty"`
}

// Sum is the queue's "most shared" measure: reactions, shares and comments.
func (e Engagement) Sum() int64 { return e.Likes + e.Shares + e.Comments }

// Post is one item as a source yields it, before the pipeline reads it.
type Post struct {
	URL       string     `json:"url,omitempty"`
	PostID    string     `json:"post_id,omitempty"` // the platform's id, when there is no URL
	Platform  string     `json:"platform,omitempty"`
	Author    string     `json:"author,omitempty"`
	Title     string     `json:"title,omitempty"`
	Text      string     `json:"text"`
	Published *time.Time `json:"published_at,omitempty"`
	Engagement
	// Image is an image to read by OCR (a post's picture, a screenshot).
	Image []byte `json:"-"`
	// ImageError says why an image the post shows could not be read in
	// (the OCR step reports it as failed rather than as "no image").
	ImageError string `json:"-"`
	// Raw is the stored copy (the page, the export's record); nil: the text.
	Raw []byte `json:"-"`
}
