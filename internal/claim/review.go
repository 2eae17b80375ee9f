package claim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Review is one fact-check as it is imported or written: the claim, the
// verdict and where it was published.
type Review struct {
	ID          string `json:"id,omitempty"` // the source's id: a URL, @id or CSV id
	Claim       string `json:"claim"`
	Title       string `json:"title,omitempty"`
	Rating      string `json:"rating,omitempty"`
	URL         string `json:"url,omitempty"`
	Date        string `json:"date,omitempty"` // YYYY-MM-DD
	ClaimAuthor string `json:"claim_author,omitempty"`
	Publisher   string `json:"publisher,omitempty"`
}

// Limits on what an import may hold: a fact-check database of a nation is
// tens of thousands of reviews, and a claim is a sentence or two.
const (
	MaxImportBytes = 32 << 20
	MaxReviews     = 200_000
	MaxClaimRunes  = 2000
	maxFieldRunes  = 2000
)

// ErrTooLarge is returned for input over MaxImportBytes.
var ErrTooLarge = fmt.Errorf("file is larger than %d MiB", MaxImportBytes>>20)

// ParseFile reads fact-checks from a CSV (an "id" and a "claim" column, and
// optionally title, rating, url, date, claim_author, publisher) or from
// schema.org ClaimReview JSON-LD (one object, an array, or an @graph),
// telling them apart by the first byte that is not a space.
func ParseFile(r io.Reader) ([]Review, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, ErrTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return ParseClaimReview(data)
	}
	return ParseCSV(bytes.NewReader(data))
}

// ParseCSV reads fact-checks from CSV with a header row. Every row must
// have an id and a claim; an error names the first bad row.
func ParseCSV(r io.Reader) ([]Review, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("csv: the file is empty (want a header with id and claim columns)")
	}
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"id", "claim"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("csv: no %q column (the header has %s)", need, strings.Join(head, ", "))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Review
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: %w", err)
		}
		if len(out) >= MaxReviews {
			return nil, fmt.Errorf("csv: more than %d rows", MaxReviews)
		}
		rv := Review{
			ID: get(rec, "id"), Claim: get(rec, "claim"), Title: get(rec, "title"), Rating: get(rec, "rating"),
			URL: get(rec, "url"), Date: get(rec, "date"), ClaimAuthor: get(rec, "claim_author"), Publisher: get(rec, "publisher"),
		}
		if err := rv.check(); err != nil {
			return nil, fmt.Errorf("csv row %d: %w", line, err)
		}
		if prev, dup := seen[rv.ID]; dup {
			return nil, fmt.Errorf("csv row %d: id %q already on row %d", line, rv.ID, prev)
		}
		seen[rv.ID] = line
		out = append(out, rv)
	}
	if len(out) == 0 {
		return nil, errors.New("csv: a header but no rows")
	}
	return out, nil
}

func (rv *Review) check() error {
	switch {
	case rv.ID == "":
		return errors.New("id is empty")
	case rv.Claim == "":
		return errors.New("claim is empty")
	case !utf8.ValidString(rv.Claim + rv.Title + rv.ID + rv.Rating + rv.URL + rv.ClaimAuthor + rv.Publisher):
		return errors.New("text is not valid UTF-8")
	case utf8.RuneCountInString(rv.Claim) > MaxClaimRunes:
		return fmt.Errorf("claim is longer than %d characters", MaxClaimRunes)
	}
	for _, f := range []string{rv.ID, rv.Title, rv.Rating, rv.URL, rv.ClaimAuthor, rv.Publisher} {
		if utf8.RuneCountInString(f) > maxFieldRunes {
			return fmt.Errorf("a field is longer than %d characters", maxFieldRunes)
		}
	}
	if rv.Date != "" {
		d, err := parseDate(rv.Date)
		if err != nil {
			return fmt.Errorf("date %q: want YYYY-MM-DD, RFC 3339 or \"30 Jun 2024\"", rv.Date)
		}
		rv.Date = d
	}
	return nil
}

// ParseDay reads a date as fact-check sites and exports write it:
// YYYY-MM-DD, RFC 3339 (the day is taken), or "30 Jun 2024" /
// "30 June 2024" (TurnBackHoax's form).
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04:05Z0700", "2 Jan 2006", "2 January 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD, RFC 3339 or \"30 Jun 2024\"", s)
}

func parseDate(s string) (string, error) {
	t, err := ParseDay(s)
	if err != nil {
		return "", errors.New("bad date")
	}
	return t.Format("2006-01-02"), nil
}

// ParseClaimReview reads schema.org ClaimReview JSON-LD: a single object,
// an array of them, or an object with an @graph (nodes of other types are
// passed over). A ClaimReview without claimReviewed is an error.
func ParseClaimReview(data []byte) ([]Review, error) {
	var root any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("json-ld: %w", err)
	}
	if dec.More() {
		return nil, errors.New("json-ld: more than one JSON value (wrap them in an array)")
	}
	var nodes []map[string]any
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > 4 {
			return nil
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := walk(e, depth+1); err != nil {
					return err
				}
			}
		case map[string]any:
			if hasType(x["@type"], "ClaimReview") {
				nodes = append(nodes, x)
			} else if g, ok := x["@graph"]; ok {
				return walk(g, depth+1)
			}
		}
		if len(nodes) > MaxReviews {
			return fmt.Errorf("json-ld: more than %d ClaimReviews", MaxReviews)
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, errors.New(`json-ld: no node of @type "ClaimReview"`)
	}
	out := make([]Review, 0, len(nodes))
	seen := map[string]bool{}
	for i, n := range nodes {
		rv := Review{
			Claim:  str(n["claimReviewed"]),
			Title:  firstOf(str(n["name"]), str(n["headline"])),
			URL:    str(n["url"]),
			Date:   str(n["datePublished"]),
			Rating: firstOf(str(field(n["reviewRating"], "alternateName")), str(field(n["reviewRating"], "name"))),
		}
		item := field(n, "itemReviewed")
		rv.ClaimAuthor = firstOf(str(field(field(item, "author"), "name")), str(field(item, "author")))
		rv.Publisher = firstOf(str(field(n["author"], "name")), str(field(n["publisher"], "name")))
		rv.ID = firstOf(rv.URL, str(n["@id"]), fmt.Sprintf("claimreview-%d", i+1))
		if len(rv.Date) > 10 {
			if d, err := parseDate(rv.Date); err == nil {
				rv.Date = d
			}
		}
		if err := rv.check(); err != nil {
			return nil, fmt.Errorf("json-ld ClaimReview %d: %w", i+1, err)
		}
		if seen[rv.ID] {
			return nil, fmt.Errorf("json-ld ClaimReview %d: id %q appears twice", i+1, rv.ID)
		}
		seen[rv.ID] = true
		out = append(out, rv)
	}
	return out, nil
}

func hasType(v any, want string) bool {
	switch t := v.(type) {
	case string:
		return t == want || t == "schema:"+want || t == "http://schema.org/"+want || t == "https://schema.org/"+want
	case []any:
		for _, e := range t {
			if hasType(e, want) {
				return true
			}
		}
	}
	return false
}

// field is v[name] when v is an object; the first element's when v is an
// array (JSON-LD allows a list wherever one value is).
func field(v any, name string) any {
	switch x := v.(type) {
	case map[string]any:
		return x[name]
	case []any:
		if len(x) > 0 {
			return field(x[0], name)
		}
	}
	return nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case []any:
		if len(x) > 0 {
			return str(x[0])
		}
	case map[string]any:
		return str(x["@value"])
	}
	return ""
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// ClaimReviewJSON renders a review as schema.org ClaimReview JSON-LD.
func ClaimReviewJSON(rv Review, reviewURL string) ([]byte, error) {
	doc := map[string]any{
		"@context":      "https://schema.org",
		"@type":         "ClaimReview",
		"claimReviewed": rv.Claim,
		"reviewRating": map[string]any{
			"@type":         "Rating",
			"alternateName": rv.Rating,
		},
	}
	if u := firstOf(rv.URL, reviewURL); u != "" {
		doc["url"] = u
	}
	if rv.Title != "" {
		doc["name"] = rv.Title
	}
	if rv.Date != "" {
		doc["datePublished"] = rv.Date
	}
	if rv.Publisher != "" {
		doc["author"] = map[string]any{"@type": "Organization", "name": rv.Publisher}
	}
	item := map[string]any{"@type": "Claim"}
	if rv.ClaimAuthor != "" {
		item["author"] = map[string]any{"@type": "Person", "name": rv.ClaimAuthor}
	}
	doc["itemReviewed"] = item
	return json.MarshalIndent(doc, "", "  ")
}
