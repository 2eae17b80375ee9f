package patrol

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/patrol/post"
)

// Limits of what one item may hold (package post's).
const (
	MaxText   = post.MaxText
	MaxTitle  = post.MaxTitle
	MaxAuthor = post.MaxAuthor
	MaxURL    = post.MaxURL
	MaxImage  = post.MaxImage
	MaxRaw    = post.MaxRaw
)

// The states of a pipeline step, as the item page shows them: a step that
// is not configured says so, it is never skipped silently.
const (
	StepDone          = "done"
	StepNone          = "none" // nothing to do (no image to read)
	StepNotConfigured = "not_configured"
	StepFailed        = "failed"
)

// Pipeline reads one post: normalise, OCR of its image, claim match, PII.
// A nil interface is a step not configured. It is safe for concurrent use
// when its interfaces are.
type Pipeline struct {
	Claims ClaimMatcher
	PII    PIIScanner
	OCR    OCR
	// TopK is how many claim matches an item keeps (default 3).
	TopK int
}

// Processed is a post after the pipeline: what the store keeps.
type Processed struct {
	Post
	Key         string // canonical URL or "platform:post id"
	OCRText     string
	OCRStatus   string // StepDone, StepNone, StepNotConfigured, StepFailed + ": why"
	Matches     []ClaimMatch
	MatchStatus string
	PII         PIICounts
	PIIStatus   string
	TextSHA256  string // of title, text and OCR text: what the item said when captured
}

// ErrEmpty: a post with neither URL, id nor text is nothing to patrol.
var ErrEmpty = errors.New("patrol: the post has no URL, no post id and no text")

// Process runs the pipeline on one post. Only a post that cannot be an
// item (empty, or a bad URL) is an error; a failing step is recorded on
// the item and the rest goes on.
func (p *Pipeline) Process(ctx context.Context, post Post) (Processed, error) {
	out := Processed{Post: post}
	if err := normalise(&out.Post); err != nil {
		return Processed{}, err
	}
	key, err := itemKey(out.Post)
	if err != nil {
		return Processed{}, err
	}
	out.Key = key

	switch {
	case len(post.Image) == 0 && post.ImageError != "":
		out.OCRStatus = StepFailed + ": " + clip(post.ImageError, 300)
	case len(post.Image) == 0:
		out.OCRStatus = StepNone
	case p.OCR == nil:
		out.OCRStatus = StepNotConfigured
	case len(post.Image) > MaxImage:
		out.OCRStatus = fmt.Sprintf("%s: the image is larger than %d MiB", StepFailed, MaxImage>>20)
	default:
		text, err := p.OCR.Read(ctx, post.Image)
		if err != nil {
			out.OCRStatus = StepFailed + ": " + clip(err.Error(), 300)
		} else {
			out.OCRText, out.OCRStatus = cleanText(text, MaxText), StepDone
		}
	}

	all := out.Title + "\n" + out.Text + "\n" + out.OCRText
	if p.Claims == nil {
		out.MatchStatus = StepNotConfigured
	} else {
		k := p.TopK
		if k <= 0 {
			k = 3
		}
		// The post's own date when the source gives one, else now: the
		// item is being seen for the first time.
		seen := time.Now()
		if out.Post.Published != nil && !out.Post.Published.IsZero() {
			seen = *out.Post.Published
		}
		if dm, ok := p.Claims.(DatedClaimMatcher); ok {
			out.Matches = dm.MatchAt(ctx, all, seen, k)
		} else {
			out.Matches = p.Claims.Match(ctx, all, k)
		}
		if len(out.Matches) > k {
			out.Matches = out.Matches[:k]
		}
		for i := range out.Matches {
			out.Matches[i].ClaimID = clip(out.Matches[i].ClaimID, 100)
			out.Matches[i].Why = clip(out.Matches[i].Why, 500)
		}
		out.MatchStatus = StepDone
	}
	if p.PII == nil {
		out.PIIStatus = StepNotConfigured
	} else {
		out.PII, out.PIIStatus = p.PII.Scan(all), StepDone
	}
	sum := sha256.Sum256([]byte(all))
	out.TextSHA256 = hex.EncodeToString(sum[:])
	return out, nil
}

// normalise cleans a post in place: valid UTF-8 without control
// characters, whitespace collapsed, lengths bounded, the platform known,
// the URL canonical.
func normalise(p *Post) error {
	p.Text = cleanText(p.Text, MaxText)
	p.Title = clip(cleanLine(p.Title), MaxTitle)
	p.Author = clip(cleanLine(p.Author), MaxAuthor)
	p.PostID = clip(cleanLine(p.PostID), 200)
	if p.URL = strings.TrimSpace(p.URL); p.URL != "" {
		u, err := CanonicalURL(p.URL)
		if err != nil {
			return err
		}
		p.URL = u
	}
	p.Platform = PlatformOf(p.Platform, p.URL)
	if len(p.Raw) > MaxRaw {
		p.Raw = p.Raw[:MaxRaw]
	}
	for _, n := range []*int64{&p.Likes, &p.Shares, &p.Comments, &p.Views} {
		if *n < 0 {
			*n = 0
		}
	}
	if p.URL == "" && p.PostID == "" && p.Text == "" && p.Title == "" {
		return ErrEmpty
	}
	return nil
}

// itemKey is what makes a post one item: its URL, else its platform id,
// else its text (a report pasted without a link).
func itemKey(p Post) (string, error) {
	switch {
	case p.URL != "":
		return p.URL, nil
	case p.PostID != "":
		return p.Platform + ":" + p.PostID, nil
	default:
		sum := sha256.Sum256([]byte(p.Title + "\n" + p.Text))
		return "text:" + hex.EncodeToString(sum[:16]), nil
	}
}

// CanonicalURL is the form an item's URL is stored and compared in:
// http(s) only, host lower case without a default port, no fragment, no
// tracking parameters (utm_*, fbclid, gclid).
func CanonicalURL(raw string) (string, error) {
	if len(raw) > MaxURL {
		return "", fmt.Errorf("patrol: the URL is longer than %d bytes", MaxURL)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("patrol: URL %q: %w", clip(raw, 100), err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("patrol: URL %q: want an absolute http or https URL", clip(raw, 100))
	}
	u.User = nil
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" || u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		u.Host = host
		if strings.Contains(host, ":") {
			u.Host = "[" + host + "]"
		}
	} else {
		u.Host = strings.ToLower(u.Host)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			lk := strings.ToLower(k)
			if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" || lk == "igshid" {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// platformHosts maps a site to its platform.
var platformHosts = map[string]string{
	"t.me": "telegram", "telegram.me": "telegram", "x.com": "x", "twitter.com": "x",
	"facebook.com": "facebook", "fb.com": "facebook", "instagram.com": "instagram",
	"tiktok.com": "tiktok", "youtube.com": "youtube", "youtu.be": "youtube", "wa.me": "whatsapp",
}

// PlatformOf is the item's platform: the one given when known, else the
// one its URL's host says, else web (a URL) or other.
func PlatformOf(given, rawURL string) string {
	given = strings.ToLower(strings.TrimSpace(given))
	switch given {
	case "twitter":
		given = "x"
	case "":
	default:
		for _, p := range Platforms {
			if p == given {
				return p
			}
		}
	}
	if rawURL != "" {
		if u, err := url.Parse(rawURL); err == nil {
			h := strings.TrimPrefix(strings.TrimPrefix(u.Hostname(), "www."), "m.")
			if p, ok := platformHosts[h]; ok {
				return p
			}
		}
		if given == "" {
			return "web"
		}
	}
	return "other"
}

// cleanText makes text valid UTF-8 without control characters (newlines
// kept, at most two in a row), spaces collapsed, at most max bytes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(min(len(s), max))
	space, newlines := false, 0
	for _, r := range s {
		switch {
		case r == '\n':
			space = false
			if newlines < 2 && b.Len() > 0 {
				b.WriteByte('\n')
			}
			newlines++
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			space = b.Len() > 0 && newlines == 0
			continue
		}
		if space {
			b.WriteByte(' ')
		}
		space, newlines = false, 0
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// cleanLine is cleanText on one line.
func cleanLine(s string) string {
	return strings.ReplaceAll(cleanText(s, MaxText), "\n", " ")
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
