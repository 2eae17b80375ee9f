package takedown_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestTakedownPages: the patrol files a request from the form (a bad URL
// is refused with nothing stored), a second coordinator approves it on
// its page, it is recorded as sent; the platform's liaison finds it in the
// queue, reads it without the internal notes and answers a URL; another
// platform's liaison and another province's analyst get 404; the
// platform's page counts the answer.
func TestTakedownPages(t *testing.T) {
	s := takedownSite(t)
	ctx := context.Background()
	patrol, coord, fb, tt, other := s.As("patroli"), s.As("koord.komdigi"), s.As("liaison.fb"), s.As("liaison.tt"), s.As("jateng.analyst")

	resp, html := patrol.Get("/penurunan-konten/baru")
	webtest.WantStatus(t, resp, 200, "new request form")
	form := url.Values{"urls": {"https://www.facebook.com/hoaks/posts/1\nhttps://www.facebook.com/hoaks/posts/1\nbukan-url"}, "category": {"hoaks"},
		"legal_basis": {"uu_ite_28_3"}, "urgency": {"urgent"}, "summary": {"Hoaks jadwal pemungutan suara"}, "notes": {"catatan rahasia patroli"}}
	resp, html = patrol.Post("/penurunan-konten/baru", form)
	webtest.WantStatus(t, resp, 400, "a malformed URL")
	if !strings.Contains(html, "Ditolak") || !strings.Contains(html, "bukan-url") {
		t.Fatalf("refusal says nothing:\n%s", html)
	}
	form.Set("urls", "https://www.facebook.com/hoaks/posts/1\nhttps://www.facebook.com/hoaks/posts/1\nhttps://m.facebook.com/hoaks/posts/2")
	resp, _ = patrol.Post("/penurunan-konten/baru", form)
	webtest.WantStatus(t, resp, 303, "file a request")
	path := strings.TrimSuffix(resp.Header.Get("Location"), "?ok=created")
	resp, html = patrol.Get(path)
	webtest.WantStatus(t, resp, 200, "request page")
	if strings.Contains(html, `action="`+path+`/setujui"`) {
		t.Fatal("the author is offered the approval")
	}
	resp, _ = patrol.Post(path+"/setujui", nil)
	webtest.WantStatus(t, resp, 403, "the author approves")
	resp, _ = fb.Get(path)
	webtest.WantStatus(t, resp, 404, "the platform reads a draft")
	resp, _ = coord.Post(path+"/setujui", nil)
	webtest.WantStatus(t, resp, 303, "approve")
	resp, _ = patrol.Post(path+"/kirim", url.Values{"channel": {"email"}})
	webtest.WantStatus(t, resp, 303, "send")

	resp, html = fb.Get("/penurunan-konten")
	webtest.WantStatus(t, resp, 200, "liaison's queue")
	if !strings.Contains(html, path) {
		t.Fatal("the liaison's queue lacks the request")
	}
	resp, html = fb.Get(path)
	webtest.WantStatus(t, resp, 200, "liaison reads")
	if strings.Contains(html, "catatan rahasia patroli") {
		t.Fatal("the liaison reads the internal notes")
	}
	r, err := takedown.Get(ctx, s.DB, webtest.Principal(t, s.DB, "liaison.fb"), mustID(t, path))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*webtest.Client{tt, other} {
		resp, html = c.Get("/penurunan-konten")
		if strings.Contains(html, path) {
			t.Fatal("another platform's or province's queue shows the request")
		}
		resp, _ = c.Get(path)
		webtest.WantStatus(t, resp, 404, "a stranger reads")
		resp, _ = c.Post(path+"/jawab", url.Values{"url_id": {fmt.Sprint(r.URLs[0].ID)}, "outcome": {"removed"}})
		webtest.WantStatus(t, resp, 404, "a stranger answers")
	}
	resp, _ = fb.Post(path+"/jawab", url.Values{"url_id": {fmt.Sprint(r.URLs[0].ID)}, "outcome": {"removed"}})
	webtest.WantStatus(t, resp, 303, "liaison answers")
	resp, html = fb.Post(path+"/jawab", url.Values{"url_id": {"999999"}, "outcome": {"removed"}})
	webtest.WantStatus(t, resp, 400, "an answer for a URL not in the request")
	resp, html = coord.Get("/penurunan-konten/platform/meta-facebook")
	webtest.WantStatus(t, resp, 200, "platform page")
	if !strings.Contains(html, "Diturunkan: 1") {
		t.Fatalf("platform page lacks the removal:\n%s", html)
	}
}

func mustID(t *testing.T, path string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(path, "/penurunan-konten/%d", &id); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return id
}

// people are those of a request: the patrol's analyst and a coordinator
// at Komdigi, and the liaisons of two platforms (SeedPlatforms' orgs).
var people = []auth.NewUser{
	{Username: "patroli", Org: "komdigi", Role: "analyst"},
	{Username: "koord.komdigi", Org: "komdigi", Role: "coordinator"},
	{Username: "liaison.fb", Org: "platform-meta-facebook", Role: "liaison"},
	{Username: "liaison.tt", Org: "platform-tiktok", Role: "liaison"},
}

// takedownSite is a Site with the platforms registry and people.
func takedownSite(t *testing.T) *webtest.Site {
	t.Helper()
	s := webtest.NewSite(t, web.Deps{Version: "test"}.Handler)
	ctx := context.Background()
	if _, err := takedown.SeedPlatforms(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	for _, n := range people {
		n.Password = webtest.Password(n.Username)
		if _, err := auth.CreateUser(ctx, s.DB, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
