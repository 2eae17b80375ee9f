package imports

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func readFile(t *testing.T, name string, f Format) Result {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Read(bytes.NewReader(b), f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func TestFormats(t *testing.T) {
	cases := []struct {
		file     string
		format   Format
		posts    int
		skipped  int
		first    string // a word of the first post's text
		platform string
		url      string
		engage   int64
	}{
		{"telegram.json", Telegram, 2, 1, "Surat suara sudah dicoblos", "telegram", "", 150},
		{"x.json", X, 2, 1, "Sirekap", "x", "https://x.com/kabar_pemilu/status/1755555555555555555", 2000 + 1000 + 80},
		{"crowdtangle.csv", CrowdTangle, 2, 1, "Kotak suara", "", "https://www.facebook.com/relawandigital/posts/111", 1530},
		{"posts.csv", CSV, 2, 1, "diundur", "telegram", "https://t.me/infopemilu/55", 500},
		{"posts.ndjson", NDJSON, 2, 2, "Video hoaks", "", "https://www.tiktok.com/@akun/video/1", 15},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			res := readFile(t, c.file, Auto)
			if res.Format != c.format {
				t.Errorf("detected %q, want %q", res.Format, c.format)
			}
			if len(res.Posts) != c.posts || res.Skipped != c.skipped {
				t.Fatalf("posts %d skipped %d (errors %q), want %d and %d", len(res.Posts), res.Skipped, res.Errors, c.posts, c.skipped)
			}
			if len(res.Errors) != res.Skipped {
				t.Errorf("each skipped record is named: %q", res.Errors)
			}
			p := res.Posts[0]
			if !strings.Contains(p.Text, c.first) {
				t.Errorf("first text %q, want %q in it", p.Text, c.first)
			}
			if c.platform != "" && p.Platform != c.platform {
				t.Errorf("platform %q, want %q", p.Platform, c.platform)
			}
			if c.url != "" && p.URL != c.url {
				t.Errorf("url %q, want %q", p.URL, c.url)
			}
			if p.Engagement.Sum() != c.engage {
				t.Errorf("engagement %d (%+v), want %d", p.Engagement.Sum(), p.Engagement, c.engage)
			}
			if p.Published == nil {
				t.Error("no published time")
			}
		})
	}
}

func TestCrowdTangleImageText(t *testing.T) {
	res := readFile(t, "crowdtangle.csv", Auto)
	if !strings.Contains(res.Posts[0].Text, "KOTAK SUARA TPS 7") {
		t.Errorf("CrowdTangle's image text is kept: %q", res.Posts[0].Text)
	}
	if res.Posts[0].Author != "relawandigital" {
		t.Errorf("author %q", res.Posts[0].Author)
	}
}

func TestTelegramForwardAndPostID(t *testing.T) {
	res := readFile(t, "telegram.json", Telegram)
	if res.Posts[0].PostID != "1234567890/2" {
		t.Errorf("post id %q", res.Posts[0].PostID)
	}
	if !strings.Contains(res.Posts[1].Author, "Kabar Kilat") {
		t.Errorf("a forward names its origin: %q", res.Posts[1].Author)
	}
}

func TestBadExports(t *testing.T) {
	cases := map[string]struct {
		body   string
		format Format
		want   string
	}{
		"empty":             {"", Auto, "not a known export"},
		"binary":            {"\x00\x01\x02\xff", Auto, "not a known export"},
		"telegram not json": {`{"messages": [`, Telegram, "Telegram result.json"},
		"x data string":     {`{"data": "x"}`, X, "data is not a list"},
		"csv no columns":    {"a,b\n1,2\n", CSV, "neither a url nor a text column"},
		"telegram empty":    {`{"name":"x","messages":[]}`, Telegram, "without messages"},
		"ndjson empty":      {"\n\n", NDJSON, "empty NDJSON"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.body), c.format)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q in it", err, c.want)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Read(io0{n: MaxBytes + 10}, Auto)
	if err != ErrTooLarge {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}

// io0 is n bytes of spaces, without holding them.
type io0 struct{ n int }

func (z io0) Read(p []byte) (int, error) { return len(p), nil }

// FuzzRead feeds any bytes to every format: no panic, no post without
// something to patrol, bounded results.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"telegram.json", "x.json", "crowdtangle.csv", "posts.csv", "posts.ndjson"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"id":"1","text":"a"}}`))
	f.Add([]byte(`{"chats":{"list":[{"messages":[{"id":1,"text":[1]}]}]}}`))
	f.Add([]byte("url;text\n\"a;b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fm := range append([]Format{Auto}, Formats...) {
			res, err := Read(bytes.NewReader(b), fm)
			if err != nil {
				continue
			}
			if len(res.Posts) > MaxRecords || len(res.Errors) > maxErrors {
				t.Fatalf("unbounded result: %d posts, %d errors", len(res.Posts), len(res.Errors))
			}
			for _, p := range res.Posts {
				if p.URL == "" && p.Text == "" && p.PostID == "" {
					t.Fatalf("%s: a post with nothing: %+v", fm, p)
				}
			}
		}
	})
}
