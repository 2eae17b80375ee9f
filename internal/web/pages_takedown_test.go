package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/takedown"
)

// TestTakedownPages: the patrol files a request from the form (a bad URL
// is refused with nothing stored), a second coordinator approves it on
// its page, it is recorded as sent; the platform's liaison finds it in the
// queue, reads it without the internal notes and answers a URL; another
// platform's liaison and another province's analyst get 404; the
// platform's page counts the answer.
func TestTakedownPages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	if _, err := takedown.SeedPlatforms(ctx, s.db); err != nil {
		t.Fatal(err)
	}
	for _, n := range []auth.NewUser{
		{Username: "patroli", Org: "komdigi", Role: "analyst"},
		{Username: "koord.komdigi", Org: "komdigi", Role: "coordinator"},
		{Username: "liaison.fb", Org: "platform-meta-facebook", Role: "liaison"},
		{Username: "liaison.tt", Org: "platform-tiktok", Role: "liaison"},
	} {
		n.Password = password(n.Username)
		if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	patrol, coord, fb, tt, other := s.as("patroli"), s.as("koord.komdigi"), s.as("liaison.fb"), s.as("liaison.tt"), s.as("jateng.analyst")

	resp, html := patrol.get("/penurunan-konten/baru")
	wantStatus(t, resp, 200, "new request form")
	form := url.Values{"urls": {"https://www.facebook.com/hoaks/posts/1\nhttps://www.facebook.com/hoaks/posts/1\nbukan-url"}, "category": {"hoaks"},
		"legal_basis": {"uu_ite_28_3"}, "urgency": {"urgent"}, "summary": {"Hoaks jadwal pemungutan suara"}, "notes": {"catatan rahasia patroli"}}
	resp, html = patrol.post("/penurunan-konten/baru", form)
	wantStatus(t, resp, 400, "a malformed URL")
	if !strings.Contains(html, "Ditolak") || !strings.Contains(html, "bukan-url") {
		t.Fatalf("refusal says nothing:\n%s", html)
	}
	form.Set("urls", "https://www.facebook.com/hoaks/posts/1\nhttps://www.facebook.com/hoaks/posts/1\nhttps://m.facebook.com/hoaks/posts/2")
	resp, _ = patrol.post("/penurunan-konten/baru", form)
	wantStatus(t, resp, 303, "file a request")
	path := strings.TrimSuffix(resp.Header.Get("Location"), "?ok=created")
	resp, html = patrol.get(path)
	wantStatus(t, resp, 200, "request page")
	if strings.Contains(html, `action="`+path+`/setujui"`) {
		t.Fatal("the author is offered the approval")
	}
	resp, _ = patrol.post(path+"/setujui", nil)
	wantStatus(t, resp, 403, "the author approves")
	resp, _ = fb.get(path)
	wantStatus(t, resp, 404, "the platform reads a draft")
	resp, _ = coord.post(path+"/setujui", nil)
	wantStatus(t, resp, 303, "approve")
	resp, _ = patrol.post(path+"/kirim", url.Values{"channel": {"email"}})
	wantStatus(t, resp, 303, "send")

	resp, html = fb.get("/penurunan-konten")
	wantStatus(t, resp, 200, "liaison's queue")
	if !strings.Contains(html, path) {
		t.Fatal("the liaison's queue lacks the request")
	}
	resp, html = fb.get(path)
	wantStatus(t, resp, 200, "liaison reads")
	if strings.Contains(html, "catatan rahasia patroli") {
		t.Fatal("the liaison reads the internal notes")
	}
	r, err := takedown.Get(ctx, s.db, principal(t, s, "liaison.fb"), mustID(t, path))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{tt, other} {
		resp, html = c.get("/penurunan-konten")
		if strings.Contains(html, path) {
			t.Fatal("another platform's or province's queue shows the request")
		}
		resp, _ = c.get(path)
		wantStatus(t, resp, 404, "a stranger reads")
		resp, _ = c.post(path+"/jawab", url.Values{"url_id": {fmt.Sprint(r.URLs[0].ID)}, "outcome": {"removed"}})
		wantStatus(t, resp, 404, "a stranger answers")
	}
	resp, _ = fb.post(path+"/jawab", url.Values{"url_id": {fmt.Sprint(r.URLs[0].ID)}, "outcome": {"removed"}})
	wantStatus(t, resp, 303, "liaison answers")
	resp, html = fb.post(path+"/jawab", url.Values{"url_id": {"999999"}, "outcome": {"removed"}})
	wantStatus(t, resp, 400, "an answer for a URL not in the request")
	resp, html = coord.get("/penurunan-konten/platform/meta-facebook")
	wantStatus(t, resp, 200, "platform page")
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
