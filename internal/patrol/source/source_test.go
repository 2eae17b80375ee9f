package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/imports"
	"github.com/garda-id/garda/internal/patrol/patroltest"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func hostile() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /dilarang/\n") })
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<rss><channel><item><title>Surat suara sudah dicoblos</title><link>http://127.0.0.1/b/1</link><description>di gudang</description></item>
		<item><title>Kedua</title><link>ftp://bukan/http</link></item></channel></rss>`)
	})
	mux.HandleFunc("/rusak", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss><channel><item><title>terpotong") })
	mux.HandleFunc("/besar", func(w http.ResponseWriter, r *http.Request) {
		for range 5000 {
			fmt.Fprint(w, strings.Repeat("x", 1024))
		}
	})
	mux.HandleFunc("/putar", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/putar", http.StatusFound) })
	mux.HandleFunc("/dilarang/rss", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss/>") })
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<urlset><url><loc>http://%s/hal/1</loc></url><url><loc>http://%s/hal/2</loc></url></urlset>`, r.Host, r.Host)
	})
	mux.HandleFunc("/hal/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<title>Halaman %s</title><p>server KPU diretas</p>", r.URL.Path)
	})
	mux.HandleFunc("/situs/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<title>Beranda</title><p>lihat gambar</p><img src="/gambar.png"><a href="/situs/rusak">b</a>`)
	})
	mux.HandleFunc("/situs/rusak", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<title>Rusak</title><img src="/tidak-ada.png">`)
	})
	mux.HandleFunc("/gambar.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "NIK 3201234567890001 dijual")
	})
	return httptest.NewServer(mux)
}

// TestCrawlReadsImages: a crawled page's image goes through OCR; one that
// cannot be fetched is a failed OCR step on the item, not "no image".
func TestCrawlReadsImages(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := patroltest.NewWorld(t, db)
	kom := w.Who["komdigi.analyst"]
	srv := hostile()
	defer srv.Close()
	r := &Runner{DB: db, Pipeline: &patrol.Pipeline{PII: patroltest.PII{}, OCR: patroltest.OCR{}}, Saver: patrol.Saver{DB: db},
		Policy: fetch.LoopbackOnly(), Holder: "uji"}
	src, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: "Situs", Type: patrol.Crawl, URL: srv.URL + "/situs/", Crawl: patrol.CrawlConfig{RPS: 50, MaxDepth: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := r.Run(ctx, src); err != nil || out.New != 2 {
		t.Fatalf("crawl: %+v %v", out, err)
	}
	list, _ := patrol.List(ctx, db, kom, patrol.Filter{SourceID: src.ID})
	for _, it := range list {
		switch it.Title {
		case "Beranda":
			if it.OCRStatus != patrol.StepDone || it.PII.NIK != 1 || !strings.Contains(it.OCRText, "dijual") {
				t.Errorf("image read: %+v", it)
			}
		case "Rusak":
			if !strings.HasPrefix(it.OCRStatus, patrol.StepFailed) || !strings.Contains(it.OCRStatus, "404") {
				t.Errorf("broken image: %q", it.OCRStatus)
			}
		}
	}
}

func TestRunSources(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		kom := w.Who["komdigi.analyst"]
		srv := hostile()
		defer srv.Close()
		l := fetch.DefaultLimits()
		l.MaxBody = 1 << 20
		r := &Runner{DB: db, Pipeline: &patrol.Pipeline{PII: patroltest.PII{}}, Saver: patrol.Saver{DB: db, Evidence: evidence.Store{Dir: t.TempDir()}},
			Policy: fetch.LoopbackOnly(), Holder: "uji", Limits: l}
		add := func(name string, typ patrol.SourceType, path string) patrol.Source {
			s, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: name, Type: typ, URL: srv.URL + path, Every: 30, Crawl: patrol.CrawlConfig{RPS: 50}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		good := add("Portal", patrol.Feed, "/rss")
		out, err := r.Run(ctx, good)
		if err != nil || out.New != 1 || out.Skipped != 1 {
			t.Fatalf("feed: %+v %v", out, err)
		}
		sm := add("Peta situs", patrol.Sitemap, "/sitemap.xml")
		if out, err := r.Run(ctx, sm); err != nil || out.New != 2 {
			t.Fatalf("sitemap: %+v %v", out, err)
		}
		// Each hostile source fails with its own clear error in its health;
		// the others go on.
		for _, c := range []struct{ name, path, want string }{
			{"Rusak", "/rusak", "not an RSS"},
			{"Besar", "/besar", "larger than"},
			{"Putar", "/putar", "redirect loop"},
			{"Dilarang", "/dilarang/rss", "robots.txt"},
			{"Hilang", "/tidak-ada", "HTTP 404"},
		} {
			s := add(c.name, patrol.Feed, c.path)
			if _, err := r.Run(ctx, s); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.want)
			}
			s, _ = patrol.GetSource(ctx, db, kom, s.ID)
			if !strings.Contains(s.LastError, c.want) || s.Failures != 1 || s.LastRunAt == nil {
				t.Errorf("%s: health %+v", c.name, s)
			}
		}
		good, _ = patrol.GetSource(ctx, db, kom, good.ID)
		if !good.Healthy() || good.ItemsFound != 1 || good.LastItems != 1 || good.LastOKAt == nil {
			t.Errorf("good source health %+v", good)
		}
		// The scheduler's job runs what is due (nothing now: every source just ran).
		if due, _ := patrol.DueSources(ctx, db, store.Now()); len(due) != 0 {
			t.Errorf("due right after running: %d", len(due))
		}
		// Imports: a bad file is the source's error, a good one its items.
		imp, err := patrol.CreateSource(ctx, db, kom, patrol.SourceInput{Name: "Ekspor", Type: patrol.Import})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Import(ctx, kom.Actor(), imp, strings.NewReader("\x00\x01 bukan ekspor"), imports.Auto); err == nil {
			t.Error("a binary import is accepted")
		}
		out, res, err := r.Import(ctx, kom.Actor(), imp, strings.NewReader("url,text\nhttps://t.me/a/1,NIK 3201234567890001\n,\n"), imports.Auto)
		if err != nil || out.New != 1 || res.Skipped != 1 {
			t.Fatalf("import: %+v %+v %v", out, res, err)
		}
		list, _ := patrol.List(ctx, db, kom, patrol.Filter{SourceID: imp.ID})
		if len(list) != 1 || list[0].PII.NIK != 1 || list[0].Platform != "telegram" {
			t.Fatalf("imported items %+v", list)
		}
	})
}
