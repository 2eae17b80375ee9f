package imports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/patrol/post"
)

// Telegram Desktop's export: one chat (result.json of "export chat
// history") or every chat under chats.list (a full export). A message's
// text is a string or a list of strings and entities {"type","text"}.
type tgChat struct {
	Name     string      `json:"name"`
	Type     string      `json:"type"`
	ID       json.Number `json:"id"`
	Messages []tgMessage `json:"messages"`
}

type tgMessage struct {
	ID            json.Number     `json:"id"`
	Type          string          `json:"type"`
	Date          string          `json:"date"`
	DateUnix      string          `json:"date_unixtime"`
	From          string          `json:"from"`
	FromID        string          `json:"from_id"`
	Text          json.RawMessage `json:"text"`
	ForwardedFrom string          `json:"forwarded_from"`
	Photo         string          `json:"photo"`
	Reactions     []struct {
		Count int64 `json:"count"`
	} `json:"reactions"`
}

func readTelegram(b []byte) (Result, error) {
	var top struct {
		tgChat
		Chats *struct {
			List []tgChat `json:"list"`
		} `json:"chats"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return Result{}, fmt.Errorf("%w: Telegram result.json: %v", ErrFormat, err)
	}
	chats := []tgChat{top.tgChat}
	if top.Chats != nil {
		chats = append(chats, top.Chats.List...)
	}
	var res Result
	for _, c := range chats {
		for i, m := range c.Messages {
			res.Read++
			if m.Type != "" && m.Type != "message" {
				continue // service messages (joins, pins) are not content
			}
			text, err := tgText(m.Text)
			if err != nil {
				res.skip("chat %q message %d: %v", clip(c.Name, 60), i+1, err)
				continue
			}
			if m.ID.String() == "" {
				res.skip("chat %q message %d: no id", clip(c.Name, 60), i+1)
				continue
			}
			p := post.Post{Platform: "telegram", PostID: c.ID.String() + "/" + m.ID.String(), Author: m.From, Text: text, Title: c.Name}
			if m.ForwardedFrom != "" {
				p.Author = m.From + " (diteruskan dari " + m.ForwardedFrom + ")"
			}
			when := m.DateUnix
			if when == "" {
				when = m.Date
			}
			if p.Published, err = parseTime(when); err != nil {
				res.skip("chat %q message %s: %v", clip(c.Name, 60), m.ID, err)
				continue
			}
			for _, r := range m.Reactions {
				if r.Count > 0 {
					p.Likes += r.Count
				}
			}
			p.Raw = rawOf(m)
			if !res.add(p) {
				return res, nil
			}
		}
	}
	if res.Read == 0 {
		return res, fmt.Errorf("%w: Telegram result.json without messages", ErrFormat)
	}
	return res, nil
}

func tgText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("text is neither a string nor a list")
	}
	var b strings.Builder
	for _, p := range parts {
		var s string
		if json.Unmarshal(p, &s) == nil {
			b.WriteString(s)
			continue
		}
		var e struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(p, &e); err != nil {
			return "", errors.New("a text part is neither a string nor an entity")
		}
		b.WriteString(e.Text)
	}
	return b.String(), nil
}

// X API v2: {"data":[tweets], "includes":{"users":[...]}}.
type xTweet struct {
	ID            string `json:"id"`
	Text          string `json:"text"`
	AuthorID      string `json:"author_id"`
	CreatedAt     string `json:"created_at"`
	PublicMetrics struct {
		Retweets    int64 `json:"retweet_count"`
		Replies     int64 `json:"reply_count"`
		Likes       int64 `json:"like_count"`
		Quotes      int64 `json:"quote_count"`
		Impressions int64 `json:"impression_count"`
	} `json:"public_metrics"`
}

func readX(b []byte) (Result, error) {
	var top struct {
		Data     json.RawMessage `json:"data"`
		Includes struct {
			Users []struct {
				ID       string `json:"id"`
				Username string `json:"username"`
				Name     string `json:"name"`
			} `json:"users"`
		} `json:"includes"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return Result{}, fmt.Errorf("%w: X API v2 JSON: %v", ErrFormat, err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top.Data, &raws); err != nil {
		// A single-tweet lookup answers data as one object.
		if len(top.Data) == 0 || top.Data[0] != '{' {
			return Result{}, fmt.Errorf("%w: X API v2 JSON: data is not a list of posts", ErrFormat)
		}
		raws = []json.RawMessage{top.Data}
	}
	users := map[string]string{}
	for _, u := range top.Includes.Users {
		users[u.ID] = u.Username
	}
	var res Result
	for i, raw := range raws {
		res.Read++
		var t xTweet
		if err := json.Unmarshal(raw, &t); err != nil {
			res.skip("post %d: %v", i+1, err)
			continue
		}
		if t.ID == "" || strings.Trim(t.ID, "0123456789") != "" {
			res.skip("post %d: id %q is not a post id", i+1, clip(t.ID, 30))
			continue
		}
		p := post.Post{Platform: "x", PostID: t.ID, Text: t.Text, Raw: raw}
		user := users[t.AuthorID]
		if user != "" && validHandle(user) {
			p.Author = "@" + user
			p.URL = "https://x.com/" + user + "/status/" + t.ID
		} else {
			p.URL = "https://x.com/i/web/status/" + t.ID
			p.Author = t.AuthorID
		}
		var err error
		if p.Published, err = parseTime(t.CreatedAt); err != nil {
			res.skip("post %s: %v", t.ID, err)
			continue
		}
		m := t.PublicMetrics
		p.Likes, p.Shares, p.Comments, p.Views = m.Likes, m.Retweets+m.Quotes, m.Replies, m.Impressions
		if !res.add(p) {
			return res, nil
		}
	}
	return res, nil
}

func validHandle(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// columns maps a CSV header's names (lower case) to a post's fields: the
// generic names first, CrowdTangle's after.
var columns = map[string][]string{
	"url":       {"url", "link", "post url", "permalink"},
	"text":      {"text", "message", "content", "body", "description"},
	"title":     {"title", "link text"},
	"author":    {"author", "user name", "username", "handle", "page name", "account"},
	"time":      {"time", "published_at", "created_at", "date", "post created"},
	"platform":  {"platform"},
	"id":        {"id", "post_id", "post id"},
	"likes":     {"likes", "like_count", "reactions"},
	"shares":    {"shares", "share_count", "retweets"},
	"comments":  {"comments", "comment_count", "replies"},
	"views":     {"views", "post views", "total views"},
	"total":     {"engagement", "total interactions", "interactions"},
	"imagetext": {"image text"},
}

func headerIndex(header []string) map[string]int {
	idx := map[string]int{}
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for field, names := range columns {
		for _, n := range names {
			if i, ok := pos[n]; ok {
				idx[field] = i
				break
			}
		}
	}
	return idx
}

func readCSV(b []byte, f Format) (Result, error) {
	comma := ','
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		comma = ';'
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = comma, -1, true, true
	header, err := r.Read()
	if err != nil {
		return Result{}, fmt.Errorf("%w: CSV header: %v", ErrFormat, err)
	}
	idx := headerIndex(header)
	_, hasURL := idx["url"]
	_, hasText := idx["text"]
	if !hasURL && !hasText {
		return Result{}, fmt.Errorf("%w: the CSV has neither a url nor a text column (header: %s)", ErrFormat, clip(strings.Join(header, ","), 200))
	}
	var res Result
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		res.Read++
		if err != nil {
			res.skip("line %d: %v", line, err)
			continue
		}
		get := func(k string) string {
			if i, ok := idx[k]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		p, err := postOf(get)
		if err != nil {
			res.skip("line %d: %v", line, err)
			continue
		}
		if it := get("imagetext"); it != "" {
			p.Text += "\n\n[teks gambar] " + it
		}
		if !res.add(p) {
			return res, nil
		}
		if res.Read > MaxRecords*2 {
			break
		}
	}
	return res, nil
}

// postOf builds a post from named fields (CSV columns or NDJSON keys).
func postOf(get func(string) string) (post.Post, error) {
	p := post.Post{URL: strings.TrimSpace(get("url")), Text: get("text"), Title: get("title"), Author: get("author"),
		Platform: get("platform"), PostID: get("id")}
	if p.URL == "" && p.Text == "" {
		return p, errors.New("neither url nor text")
	}
	var err error
	if p.Published, err = parseTime(get("time")); err != nil {
		return p, err
	}
	for _, f := range []struct {
		key string
		to  *int64
	}{{"likes", &p.Likes}, {"shares", &p.Shares}, {"comments", &p.Comments}, {"views", &p.Views}} {
		if *f.to, err = count(get(f.key)); err != nil {
			return p, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	if p.Engagement.Sum() == 0 {
		// Only a total: it stands for the reactions.
		if p.Likes, err = count(get("total")); err != nil {
			return p, fmt.Errorf("engagement: %w", err)
		}
	}
	return p, nil
}

// count reads an engagement count: digits, maybe with thousands
// separators; "" is 0.
func count(s string) (int64, error) {
	s = strings.NewReplacer(",", "", ".", "", " ", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a count", clip(s, 20))
	}
	return n, nil
}

func readNDJSON(b []byte) (Result, error) {
	var res Result
	sc := lines(b)
	line := 0
	for sc.Scan() {
		line++
		t := bytes.TrimSpace(sc.Bytes())
		if len(t) == 0 {
			continue
		}
		res.Read++
		var m map[string]any
		if err := json.Unmarshal(t, &m); err != nil {
			res.skip("line %d: %v", line, err)
			continue
		}
		lower := make(map[string]any, len(m))
		for k, v := range m {
			lower[strings.ToLower(k)] = v
		}
		get := func(k string) string {
			for _, n := range columns[k] {
				switch v := lower[n].(type) {
				case string:
					return v
				case float64:
					return strconv.FormatFloat(v, 'f', -1, 64)
				case nil:
				default:
					continue
				}
			}
			return ""
		}
		p, err := postOf(get)
		if err != nil {
			res.skip("line %d: %v", line, err)
			continue
		}
		p.Raw = append([]byte(nil), t...)
		if !res.add(p) {
			return res, nil
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("imports: NDJSON line %d: %w", line+1, err)
	}
	if res.Read == 0 {
		return res, fmt.Errorf("%w: an empty NDJSON file", ErrFormat)
	}
	return res, nil
}

func rawOf(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
