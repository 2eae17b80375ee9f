package patrol_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/source"
)

// TestPatrolPages walks the patrol room's work: a source added and run,
// its items in the queue, an item labelled and linked, an export
// imported, an agency's tool posting items over the API; and what
// another province may not see.
func TestPatrolPages(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/rss":
			fmt.Fprint(w, `<rss><channel><item><title>Surat suara sudah dicoblos</title><link>http://127.0.0.1/berita/1</link><description>di gudang KPU</description></item></channel></rss>`)
		case "/rusak":
			fmt.Fprint(w, "<html>bukan umpan</html>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer feed.Close()
	dir := t.TempDir()
	runner := &source.Runner{Pipeline: &patrol.Pipeline{}, Policy: fetch.LoopbackOnly(), Holder: "uji"}
	s := webtest.NewSite(t, web.Deps{Patrol: runner, DataDir: dir, Version: "test"}.Handler)
	runner.DB, runner.Saver = s.DB, patrol.Saver{DB: s.DB, Evidence: evidence.Store{Dir: dir}}

	analyst, other := s.As("kpu.analyst"), s.As("jateng.analyst")
	resp, html := analyst.Get("/patroli")
	webtest.WantStatus(t, resp, 200, "queue")
	if !strings.Contains(html, "Belum ada konten") || strings.Contains(html, "pillar") && strings.Contains(html, "segera</h1>") {
		t.Fatalf("empty queue:\n%s", html)
	}
	analyst.Get("/patroli/sumber")
	resp, html = analyst.Post("/patroli/sumber", url.Values{"name": {""}, "type": {"feed"}, "url": {feed.URL + "/rss"}})
	webtest.WantStatus(t, resp, 400, "a source without a name")
	resp, _ = analyst.Post("/patroli/sumber", url.Values{"name": {"Portal"}, "type": {"feed"}, "url": {feed.URL + "/rss"}, "every": {"30"}})
	webtest.WantStatus(t, resp, 303, "add a source")
	srcPath := resp.Header.Get("Location")
	analyst.Get(srcPath)
	resp, html = analyst.Post(srcPath+"/jalankan", nil)
	webtest.WantStatus(t, resp, 200, "run a source")
	if !strings.Contains(html, "1 baru") {
		t.Fatalf("run result:\n%s", html)
	}
	resp, _ = analyst.Post(srcPath+"/jeda", nil)
	webtest.WantStatus(t, resp, 303, "pause")
	if _, html = analyst.Get(srcPath); !strings.Contains(html, "Lanjutkan") {
		t.Error("a paused source offers to resume")
	}
	// A broken feed's error is on its page, in words.
	analyst.Get("/patroli/sumber")
	resp, _ = analyst.Post("/patroli/sumber", url.Values{"name": {"Rusak"}, "type": {"feed"}, "url": {feed.URL + "/rusak"}})
	bad := resp.Header.Get("Location")
	analyst.Get(bad)
	resp, html = analyst.Post(bad+"/jalankan", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(html, "not an RSS") {
		t.Fatalf("broken feed: %d\n%s", resp.StatusCode, html)
	}

	resp, html = analyst.Get("/patroli")
	m := regexp.MustCompile(`href="/patroli/item/(\d+)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("queue without the item:\n%s", html)
	}
	item := "/patroli/item/" + m[1]
	resp, html = analyst.Get(item)
	webtest.WantStatus(t, resp, 200, "item page")
	for _, want := range []string{"Surat suara sudah dicoblos", "Belum dikonfigurasi", "Unduh salinan", "/penurunan-konten/baru?urls="} {
		if !strings.Contains(html, want) {
			t.Errorf("item page without %q", want)
		}
	}
	resp, _ = analyst.Post(item+"/label", url.Values{"label": {"hoaks"}})
	webtest.WantStatus(t, resp, 303, "label")
	resp, _ = analyst.Post(item+"/klaim", url.Values{"claim_id": {"CLM-9"}})
	webtest.WantStatus(t, resp, 303, "link claim")
	resp, html = analyst.Post(item+"/label", url.Values{"label": {"palsu"}})
	webtest.WantStatus(t, resp, 400, "unknown label")
	resp, html = analyst.Get("/patroli?label=hoaks&platform=web")
	if !strings.Contains(html, item) {
		t.Errorf("filtered queue without the labelled item")
	}
	resp, _ = analyst.Get("/patroli?platform=myspace")
	webtest.WantStatus(t, resp, 400, "bad filter")
	resp, body := analyst.Get(item + "/salinan")
	webtest.WantStatus(t, resp, 200, "stored copy")
	if resp.Header.Get("Content-Disposition") == "" || !strings.Contains(body, "Surat suara") {
		t.Errorf("copy: %v %q", resp.Header, body)
	}
	resp, html = analyst.Get(item)
	if !strings.Contains(html, "Salinan diunduh") || !strings.Contains(html, "Dilabeli") {
		t.Errorf("chain of custody and labels in the history")
	}
	// Another province's analyst: 404, not 403, and an empty queue.
	resp, _ = other.Get(item)
	webtest.WantStatus(t, resp, 404, "another province reads the item")
	resp, _ = other.Get(srcPath)
	webtest.WantStatus(t, resp, 404, "another province reads the source")
	resp, _ = other.Get(item + "/baris")
	webtest.WantStatus(t, resp, 404, "another province reads the item's row")
	// The live queue's row: the item's, saying whether it passes the queue's filters.
	resp, row := analyst.Get(item + "/baris?label=hoaks")
	webtest.WantStatus(t, resp, 200, "the item's row")
	if resp.Header.Get("X-Queue-Match") != "1" || !strings.Contains(row, `<tr data-id="`+m[1]+`"`) || strings.Contains(row, "<html") {
		t.Errorf("row of a matching item: %q\n%s", resp.Header.Get("X-Queue-Match"), row)
	}
	if resp, _ = analyst.Get(item + "/baris?label=none"); resp.Header.Get("X-Queue-Match") != "0" {
		t.Errorf("row of an item outside the filter: X-Queue-Match %q", resp.Header.Get("X-Queue-Match"))
	}

	// An export.
	analyst.Get("/patroli/sumber")
	resp, _ = analyst.Post("/patroli/sumber", url.Values{"name": {"Ekspor"}, "type": {"import"}})
	imp := resp.Header.Get("Location")
	analyst.Get(imp)
	resp, html = analyst.Upload(imp+"/impor", nil, "posts.csv", []byte("url,text,likes\nhttps://t.me/a/1,Pemilu diundur,10\n,,\n"))
	if resp.StatusCode != 200 || !strings.Contains(html, "1 baru") {
		t.Fatalf("import: %d\n%s", resp.StatusCode, html)
	}
	resp, html = analyst.Upload(imp+"/impor", nil, "rusak.bin", []byte("\x00\x01\x02"))
	if resp.StatusCode != 400 || !strings.Contains(html, "not a known export") {
		t.Fatalf("bad import: %d\n%s", resp.StatusCode, html)
	}
	resp, html = analyst.Get("/patroli/mingguan")
	if resp.StatusCode != 200 || !strings.Contains(html, "2 konten") && !strings.Contains(html, "3 konten") {
		t.Errorf("weekly counts: %d\n%s", resp.StatusCode, html)
	}

	// The API: an agency's tool posts items; a bad one changes nothing.
	tok := apiToken(t, s, "kpu.analyst")
	code, out := apiCall(t, s, tok, "POST", "/api/v1/patrol/items", `{"items":[{"url":"https://t.me/b/2","text":"NIK dijual"},{"url":"ftp://x"}]}`)
	if code != 400 {
		t.Fatalf("bad submit: %d %s", code, out)
	}
	code, out = apiCall(t, s, tok, "POST", "/api/v1/patrol/items", `{"items":[{"url":"https://t.me/b/2","text":"NIK dijual","shares":5}]}`)
	if code != 201 || !strings.Contains(out, `"new":1`) {
		t.Fatalf("submit: %d %s", code, out)
	}
	code, out = apiCall(t, s, tok, "GET", "/api/v1/patrol/items?sort=most_shared&limit=2", "")
	var list struct {
		Items []patrol.Item `json:"items"`
		Next  string        `json:"next_cursor"`
	}
	if json.Unmarshal([]byte(out), &list); code != 200 || len(list.Items) != 2 || list.Next == "" {
		t.Fatalf("api list: %d %s", code, out)
	}
	if code, _ := apiCall(t, s, apiToken(t, s, "jateng.analyst"), "GET", "/api/v1/patrol/items/"+m[1], ""); code != 404 {
		t.Errorf("another province reads the item over the API: %d", code)
	}
}

func apiToken(t *testing.T, s *webtest.Site, user string) string {
	code, out := apiCall(t, s, "", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, webtest.Password(user)))
	var tok struct {
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(out), &tok); code != 200 || tok.Token == "" {
		t.Fatalf("login %s: %d %s", user, code, out)
	}
	return tok.Token
}

func apiCall(t *testing.T, s *webtest.Site, token, method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, s.TS.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestAduanKonten: the public form takes a report without an account,
// gives a reference the reporter looks up, refuses a form without its
// token, and limits an address to ReportsPerHour reports an hour.
func TestAduanKonten(t *testing.T) {
	runner := &source.Runner{Pipeline: &patrol.Pipeline{}, Policy: fetch.LoopbackOnly()}
	s := webtest.NewSite(t, web.Deps{Patrol: runner, Version: "test"}.Handler)
	runner.DB, runner.Saver = s.DB, patrol.Saver{DB: s.DB}
	anon := s.Browser()
	resp, _ := anon.Get("/aduan-konten")
	webtest.WantStatus(t, resp, 200, "form")
	resp, _ = anon.Post("/aduan-konten", url.Values{"url": {"https://t.me/x/1"}, "csrf": {"palsu"}})
	webtest.WantStatus(t, resp, 403, "a forged form")
	resp, html := anon.Post("/aduan-konten", url.Values{"url": {""}, "text": {""}})
	webtest.WantStatus(t, resp, 400, "an empty report")
	resp, html = anon.Post("/aduan-konten", url.Values{"url": {"https://t.me/x/1"}, "text": {"hoaks surat suara"}, "category": {"hoaks"}, "region": {"32"}})
	webtest.WantStatus(t, resp, 201, "a report")
	ref := regexp.MustCompile(`ADU-[A-Z2-7]{12}`).FindString(html)
	if ref == "" {
		t.Fatalf("no reference:\n%s", html)
	}
	resp, html = anon.Get("/aduan-konten/cek?ref=" + ref)
	if resp.StatusCode != 200 || !strings.Contains(html, "menunggu ditinjau") {
		t.Fatalf("look-up: %d\n%s", resp.StatusCode, html)
	}
	resp, _ = anon.Get("/aduan-konten/cek?ref=ADU-AAAAAAAAAAAA")
	webtest.WantStatus(t, resp, 404, "unknown reference")
	// The report is an item of the ministry's patrol, not readable by KPU's analyst (AMBER, another organisation).
	var owner string
	s.DB.QueryRow(context.Background(), `SELECT o.slug FROM patrol_items i JOIN orgs o ON o.id = i.owner_org_id`).Scan(&owner)
	if owner != "komdigi" {
		t.Errorf("report item owned by %q", owner)
	}
	for i := 1; i < patrol.ReportsPerHour; i++ {
		resp, _ = anon.Post("/aduan-konten", url.Values{"text": {fmt.Sprintf("aduan %d", i)}})
		webtest.WantStatus(t, resp, 201, "a report within the limit")
	}
	resp, _ = anon.Post("/aduan-konten", url.Values{"text": {"satu lagi"}})
	webtest.WantStatus(t, resp, 429, "over the limit")
	var addr int
	s.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM patrol_reports WHERE addr_hash LIKE '127.%'`).Scan(&addr)
	if addr != 0 {
		t.Error("an address is stored in the clear")
	}
}
