package web

import (
	"context"
	"encoding/json"
	"fmt"
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
	s := newSiteWith(t, Deps{Patrol: runner, DataDir: dir})
	runner.DB, runner.Saver = s.db, patrol.Saver{DB: s.db, Evidence: evidence.Store{Dir: dir}}

	analyst, other := s.as("kpu.analyst"), s.as("jateng.analyst")
	resp, html := analyst.get("/patroli")
	wantStatus(t, resp, 200, "queue")
	if !strings.Contains(html, "Belum ada konten") || strings.Contains(html, "pillar") && strings.Contains(html, "segera</h1>") {
		t.Fatalf("empty queue:\n%s", html)
	}
	analyst.get("/patroli/sumber")
	resp, html = analyst.post("/patroli/sumber", url.Values{"name": {""}, "type": {"feed"}, "url": {feed.URL + "/rss"}})
	wantStatus(t, resp, 400, "a source without a name")
	resp, _ = analyst.post("/patroli/sumber", url.Values{"name": {"Portal"}, "type": {"feed"}, "url": {feed.URL + "/rss"}, "every": {"30"}})
	wantStatus(t, resp, 303, "add a source")
	srcPath := resp.Header.Get("Location")
	analyst.get(srcPath)
	resp, html = analyst.post(srcPath+"/jalankan", nil)
	wantStatus(t, resp, 200, "run a source")
	if !strings.Contains(html, "1 baru") {
		t.Fatalf("run result:\n%s", html)
	}
	resp, _ = analyst.post(srcPath+"/jeda", nil)
	wantStatus(t, resp, 303, "pause")
	if _, html = analyst.get(srcPath); !strings.Contains(html, "Lanjutkan") {
		t.Error("a paused source offers to resume")
	}
	// A broken feed's error is on its page, in words.
	analyst.get("/patroli/sumber")
	resp, _ = analyst.post("/patroli/sumber", url.Values{"name": {"Rusak"}, "type": {"feed"}, "url": {feed.URL + "/rusak"}})
	bad := resp.Header.Get("Location")
	analyst.get(bad)
	resp, html = analyst.post(bad+"/jalankan", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(html, "not an RSS") {
		t.Fatalf("broken feed: %d\n%s", resp.StatusCode, html)
	}

	resp, html = analyst.get("/patroli")
	m := regexp.MustCompile(`href="/patroli/item/(\d+)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("queue without the item:\n%s", html)
	}
	item := "/patroli/item/" + m[1]
	resp, html = analyst.get(item)
	wantStatus(t, resp, 200, "item page")
	for _, want := range []string{"Surat suara sudah dicoblos", "Belum dikonfigurasi", "Unduh salinan", "/penurunan-konten/baru?urls="} {
		if !strings.Contains(html, want) {
			t.Errorf("item page without %q", want)
		}
	}
	resp, _ = analyst.post(item+"/label", url.Values{"label": {"hoaks"}})
	wantStatus(t, resp, 303, "label")
	resp, _ = analyst.post(item+"/klaim", url.Values{"claim_id": {"CLM-9"}})
	wantStatus(t, resp, 303, "link claim")
	resp, html = analyst.post(item+"/label", url.Values{"label": {"palsu"}})
	wantStatus(t, resp, 400, "unknown label")
	resp, html = analyst.get("/patroli?label=hoaks&platform=web")
	if !strings.Contains(html, item) {
		t.Errorf("filtered queue without the labelled item")
	}
	resp, _ = analyst.get("/patroli?platform=myspace")
	wantStatus(t, resp, 400, "bad filter")
	resp, body := analyst.get(item + "/salinan")
	wantStatus(t, resp, 200, "stored copy")
	if resp.Header.Get("Content-Disposition") == "" || !strings.Contains(body, "Surat suara") {
		t.Errorf("copy: %v %q", resp.Header, body)
	}
	resp, html = analyst.get(item)
	if !strings.Contains(html, "Salinan diunduh") || !strings.Contains(html, "Dilabeli") {
		t.Errorf("chain of custody and labels in the history")
	}
	// Another province's analyst: 404, not 403, and an empty queue.
	resp, _ = other.get(item)
	wantStatus(t, resp, 404, "another province reads the item")
	resp, _ = other.get(srcPath)
	wantStatus(t, resp, 404, "another province reads the source")
	other.get(item + "/baris")

	// An export.
	analyst.get("/patroli/sumber")
	resp, _ = analyst.post("/patroli/sumber", url.Values{"name": {"Ekspor"}, "type": {"import"}})
	imp := resp.Header.Get("Location")
	analyst.get(imp)
	resp, html = analyst.upload(imp+"/impor", nil, "posts.csv", []byte("url,text,likes\nhttps://t.me/a/1,Pemilu diundur,10\n,,\n"))
	if resp.StatusCode != 200 || !strings.Contains(html, "1 baru") {
		t.Fatalf("import: %d\n%s", resp.StatusCode, html)
	}
	resp, html = analyst.upload(imp+"/impor", nil, "rusak.bin", []byte("\x00\x01\x02"))
	if resp.StatusCode != 400 || !strings.Contains(html, "not a known export") {
		t.Fatalf("bad import: %d\n%s", resp.StatusCode, html)
	}
	resp, html = analyst.get("/patroli/mingguan")
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

func apiToken(t *testing.T, s *site, user string) string {
	code, out := apiCall(t, s, "", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password(user)))
	var tok struct {
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(out), &tok); code != 200 || tok.Token == "" {
		t.Fatalf("login %s: %d %s", user, code, out)
	}
	return tok.Token
}

func apiCall(t *testing.T, s *site, token, method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, s.ts.URL+path, strings.NewReader(body))
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
	s := newSiteWith(t, Deps{Patrol: runner})
	runner.DB, runner.Saver = s.db, patrol.Saver{DB: s.db}
	anon := s.browser()
	resp, _ := anon.get("/aduan-konten")
	wantStatus(t, resp, 200, "form")
	resp, _ = anon.post("/aduan-konten", url.Values{"url": {"https://t.me/x/1"}, "csrf": {"palsu"}})
	wantStatus(t, resp, 403, "a forged form")
	resp, html := anon.post("/aduan-konten", url.Values{"url": {""}, "text": {""}})
	wantStatus(t, resp, 400, "an empty report")
	resp, html = anon.post("/aduan-konten", url.Values{"url": {"https://t.me/x/1"}, "text": {"hoaks surat suara"}, "category": {"hoaks"}, "region": {"32"}})
	wantStatus(t, resp, 201, "a report")
	ref := regexp.MustCompile(`ADU-[A-Z2-7]{12}`).FindString(html)
	if ref == "" {
		t.Fatalf("no reference:\n%s", html)
	}
	resp, html = anon.get("/aduan-konten/cek?ref=" + ref)
	if resp.StatusCode != 200 || !strings.Contains(html, "menunggu ditinjau") {
		t.Fatalf("look-up: %d\n%s", resp.StatusCode, html)
	}
	resp, _ = anon.get("/aduan-konten/cek?ref=ADU-AAAAAAAAAAAA")
	wantStatus(t, resp, 404, "unknown reference")
	// The report is an item of the ministry's patrol, not readable by KPU's analyst (AMBER, another organisation).
	var owner string
	s.db.QueryRow(context.Background(), `SELECT o.slug FROM patrol_items i JOIN orgs o ON o.id = i.owner_org_id`).Scan(&owner)
	if owner != "komdigi" {
		t.Errorf("report item owned by %q", owner)
	}
	for i := 1; i < patrol.ReportsPerHour; i++ {
		resp, _ = anon.post("/aduan-konten", url.Values{"text": {fmt.Sprintf("aduan %d", i)}})
		wantStatus(t, resp, 201, "a report within the limit")
	}
	resp, _ = anon.post("/aduan-konten", url.Values{"text": {"satu lagi"}})
	wantStatus(t, resp, 429, "over the limit")
	var addr int
	s.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM patrol_reports WHERE addr_hash LIKE '127.%'`).Scan(&addr)
	if addr != 0 {
		t.Error("an address is stored in the clear")
	}
}
