// Package imports reads platform exports into patrol posts, since the
// platforms' APIs are not reachable from the patrol room: Telegram
// Desktop's result.json, X API v2 JSON (data + includes.users),
// CrowdTangle-style CSV, and a generic CSV or NDJSON of posts (url, text,
// author, time, platform, engagement).
//
// An export comes from outside and may be broken or hostile: reading is
// bounded (bytes, records, field sizes), a malformed record is skipped and
// named in the result, and a file that is not the format at all is one
// clear error. It never fetches anything a record names.
package imports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/patrol/post"
)

// Format is an export's format.
type Format string

const (
	Auto        Format = ""
	Telegram    Format = "telegram"    // Telegram Desktop result.json
	X           Format = "x"           // X API v2 JSON
	CrowdTangle Format = "crowdtangle" // CrowdTangle CSV
	CSV         Format = "csv"         // generic CSV of posts
	NDJSON      Format = "ndjson"      // generic NDJSON of posts
)

// Formats lists the formats a person may choose.
var Formats = []Format{Telegram, X, CrowdTangle, CSV, NDJSON}

// Limits of one import.
const (
	MaxBytes   = 64 << 20
	MaxRecords = 100_000
	maxErrors  = 20 // errors named in a result; the rest are counted
)

// Result is what an import read.
type Result struct {
	Format  Format      `json:"format"`
	Posts   []post.Post `json:"-"`
	Read    int         `json:"read"`    // records read, good and bad
	Skipped int         `json:"skipped"` // malformed records left out
	Errors  []string    `json:"errors,omitempty"`
	Cut     bool        `json:"cut,omitempty"` // the export held more than MaxRecords
}

func (r *Result) skip(format string, args ...any) {
	r.Skipped++
	if len(r.Errors) < maxErrors {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	}
}

func (r *Result) add(p post.Post) bool {
	if len(r.Posts) >= MaxRecords {
		r.Cut = true
		return false
	}
	r.Posts = append(r.Posts, p)
	return true
}

// ErrFormat says an export is not in the format asked for (or any known
// one, when the format is detected).
var ErrFormat = errors.New("imports: not a known export")

// ErrTooLarge says an export is over MaxBytes.
var ErrTooLarge = fmt.Errorf("imports: the export is larger than %d MiB", MaxBytes>>20)

// Read reads an export of format f (Auto: detected from the bytes).
func Read(r io.Reader, f Format) (Result, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("imports: read the export: %w", err)
	}
	if len(b) > MaxBytes {
		return Result{}, ErrTooLarge
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if f == Auto {
		f = Detect(b)
	}
	var res Result
	switch f {
	case Telegram:
		res, err = readTelegram(b)
	case X:
		res, err = readX(b)
	case CrowdTangle, CSV:
		res, err = readCSV(b, f)
	case NDJSON:
		res, err = readNDJSON(b)
	default:
		return Result{}, fmt.Errorf("%w: want a Telegram result.json, X API v2 JSON, CrowdTangle CSV, or a CSV or NDJSON of posts", ErrFormat)
	}
	res.Format = f
	return res, err
}

// Detect names an export's format from its first bytes.
func Detect(b []byte) Format {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return Auto
	}
	if t[0] == '{' {
		// One object for the whole file is an export; more than one is NDJSON.
		var top map[string]json.RawMessage
		if json.Unmarshal(t, &top) != nil {
			return NDJSON
		}
		switch {
		case top["messages"] != nil || top["chats"] != nil:
			return Telegram
		case top["data"] != nil:
			return X
		}
		return NDJSON
	}
	line, _, _ := bytes.Cut(t, []byte("\n"))
	l := strings.ToLower(string(line))
	if strings.Contains(l, "total interactions") || strings.Contains(l, "facebook id") || strings.Contains(l, "post created") {
		return CrowdTangle
	}
	if strings.Contains(l, ",") || strings.Contains(l, ";") {
		return CSV
	}
	return Auto
}

// timeLayouts are the moments exports write.
var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
}

// parseTime reads a moment in the layouts exports use; a time without a
// zone is WIB (the patrol room's); Unix seconds too.
func parseTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	wib := time.FixedZone("WIB", 7*3600)
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, wib); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	var secs int64
	if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && fmt.Sprint(secs) == s && secs > 0 && secs < 1<<33 {
		u := time.Unix(secs, 0).UTC()
		return &u, nil
	}
	return nil, fmt.Errorf("time %q: want RFC 3339 or YYYY-MM-DD HH:MM:SS", clip(s, 40))
}

// lines splits b into lines for NDJSON, bounded per line.
func lines(b []byte) *bufio.Scanner {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	return sc
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
