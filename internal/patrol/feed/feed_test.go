package feed

import (
	"errors"
	"strings"
	"testing"
)

const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Portal Berita</title>
<item><title>KPU umumkan DPT</title><link>http://127.0.0.1/berita/1?utm_source=rss</link>
<description>&lt;p&gt;DPT Pemilu &lt;b&gt;204 juta&lt;/b&gt; pemilih&lt;/p&gt;</description>
<pubDate>Mon, 12 Feb 2024 10:00:00 +0700</pubDate><author>redaksi@contoh.invalid (Redaksi)</author></item>
<item><title>Tanpa tautan</title><description>isi saja</description></item>
</channel></rss>`

const atom = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
<entry><title>Hoaks surat suara</title><link href="http://127.0.0.1/blog/2"/><id>urn:x:2</id>
<updated>2024-02-13T08:00:00Z</updated><author><name>Penulis</name></author><content type="html">Surat suara &lt;i&gt;tercoblos&lt;/i&gt;</content></entry>
</feed>`

func TestParseFeeds(t *testing.T) {
	posts, err := Parse([]byte(rss))
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 2 || posts[0].URL != "http://127.0.0.1/berita/1?utm_source=rss" || posts[0].Title != "KPU umumkan DPT" {
		t.Fatalf("rss: %+v", posts)
	}
	if !strings.Contains(posts[0].Text, "204 juta") || strings.Contains(posts[0].Text, "<b>") {
		t.Errorf("rss text is the visible text: %q", posts[0].Text)
	}
	if posts[0].Published == nil || posts[0].Published.Hour() != 3 {
		t.Errorf("rss time in UTC: %v", posts[0].Published)
	}
	posts, err = Parse([]byte(atom))
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || posts[0].URL != "http://127.0.0.1/blog/2" || posts[0].Author != "Penulis" || !strings.Contains(posts[0].Text, "tercoblos") {
		t.Fatalf("atom: %+v", posts)
	}
}

func TestBadFeeds(t *testing.T) {
	for name, body := range map[string]string{
		"html":     "<html><body>not a feed</body></html>",
		"binary":   "\x89PNG\r\n\x1a\n\x00\x00",
		"empty":    "",
		"cut":      `<rss><channel><item><title>a`,
		"entities": `<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title></item></channel></rss>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(body))
			if name == "entities" {
				return // either refused or parsed without expanding: never a hang
			}
			if !errors.Is(err, ErrNotFeed) {
				t.Fatalf("error %v, want ErrNotFeed", err)
			}
		})
	}
}

func TestSitemap(t *testing.T) {
	sm, err := ParseSitemap([]byte(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
	<url><loc>http://127.0.0.1/a</loc><lastmod>2024-02-01</lastmod></url><url><loc> http://127.0.0.1/b </loc></url><url><loc></loc></url></urlset>`))
	if err != nil || len(sm.URLs) != 2 || sm.URLs[1].URL != "http://127.0.0.1/b" || sm.URLs[0].LastMod == nil {
		t.Fatalf("urlset: %+v %v", sm, err)
	}
	sm, err = ParseSitemap([]byte(`<sitemapindex><sitemap><loc>http://127.0.0.1/s1.xml</loc></sitemap></sitemapindex>`))
	if err != nil || len(sm.Sitemaps) != 1 {
		t.Fatalf("index: %+v %v", sm, err)
	}
	for _, bad := range []string{"", "<html></html>", "\x00\x01", "{}"} {
		if _, err := ParseSitemap([]byte(bad)); !errors.Is(err, ErrNotSitemap) {
			t.Errorf("%q: error %v, want ErrNotSitemap", bad, err)
		}
	}
}

func TestParseHTML(t *testing.T) {
	p := ParseHTML([]byte(`<html><head><title> Judul </title><script>var x = "bukan teks";</script><style>p{}</style></head>
	<body><p>Halo <b>dunia</b><a href="/b">tautan</a><img src="/g.png"><div>tak tertutup<p>lagi</body>`))
	if p.Title != "Judul" || !strings.Contains(p.Text, "Halo") || !strings.Contains(p.Text, "lagi") || strings.Contains(p.Text, "bukan teks") {
		t.Fatalf("%+v", p)
	}
	if len(p.Links) != 1 || p.Links[0] != "/b" || len(p.Images) != 1 {
		t.Fatalf("links %q images %q", p.Links, p.Images)
	}
	huge := ParseHTML([]byte("<p>" + strings.Repeat("kata ", 200_000)))
	if len(huge.Text) > 70<<10 {
		t.Errorf("text is bounded: %d bytes", len(huge.Text))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rss))
	f.Add([]byte(atom))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","items":[{"url":"http://127.0.0.1/","content_text":"a"}]}`))
	f.Add([]byte(`<urlset><url><loc>http://127.0.0.1/</loc></url></urlset>`))
	f.Add([]byte(`<p>a<a href="x">b</a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		posts, _ := Parse(b)
		if len(posts) > MaxEntries {
			t.Fatal("unbounded feed")
		}
		sm, _ := ParseSitemap(b)
		if len(sm.URLs)+len(sm.Sitemaps) > MaxEntries {
			t.Fatal("unbounded sitemap")
		}
		p := ParseHTML(b)
		if len(p.Links) > maxLinks {
			t.Fatal("unbounded links")
		}
	})
}
