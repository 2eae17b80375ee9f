package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/takedown"
)

// TestTakedownLetterPages: an approved request's letter is a printable
// page and a PDF; once sent, the platform's liaison reads it too, another
// platform's never; the compliance API and the platform page show the
// figures; a check on demand without a checker is refused as not
// configured.
func TestTakedownLetterPages(t *testing.T) {
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
	patrol, coord, fb, tt := s.as("patroli"), s.as("koord.komdigi"), s.as("liaison.fb"), s.as("liaison.tt")
	r, err := takedown.Create(ctx, s.db, principal(t, s, "patroli"), takedown.New{URLs: []string{"https://www.facebook.com/hoaks/1"},
		Category: "hoaks", LegalBasis: []string{"uu_ite_28_3"}, Urgency: takedown.Urgent, Summary: "Hoaks surat suara", Notes: "RAHASIA-INTERNAL"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/penurunan-konten/" + itoa(r.ID)
	resp, _ := patrol.get(path + "/surat/permohonan")
	wantStatus(t, resp, 404, "a draft's letter")
	resp, _ = coord.post(path+"/setujui", nil)
	wantStatus(t, resp, 303, "approve")
	resp, html := patrol.get(path)
	wantStatus(t, resp, 200, "request page")
	if !strings.Contains(html, path+"/surat/permohonan/pdf") {
		t.Fatal("the request page does not offer the letter")
	}
	resp, html = patrol.get(path + "/surat/permohonan")
	wantStatus(t, resp, 200, "letter page")
	if !strings.Contains(html, r.Number) || !strings.Contains(html, "Kepada Yth.") || !strings.Contains(html, "https://www.facebook.com/hoaks/1") || strings.Contains(html, "RAHASIA-INTERNAL") {
		t.Fatalf("letter page:\n%s", html)
	}
	resp, body := patrol.get(path + "/surat/permohonan/pdf")
	wantStatus(t, resp, 200, "letter PDF")
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-1.4") {
		t.Fatalf("PDF: %s %q", resp.Header.Get("Content-Type"), body[:min(20, len(body))])
	}
	resp, _ = fb.get(path + "/surat/permohonan")
	wantStatus(t, resp, 404, "the platform reads the letter before it is sent")
	resp, _ = patrol.post(path+"/kirim", url.Values{"channel": {"email"}})
	wantStatus(t, resp, 303, "send (recorded: no SMTP server here)")
	resp, _ = fb.get(path + "/surat/permohonan/pdf")
	wantStatus(t, resp, 200, "the platform reads its letter")
	resp, _ = tt.get(path + "/surat/permohonan")
	wantStatus(t, resp, 404, "another platform reads the letter")
	resp, body = fb.get("/api/v1/takedowns/" + itoa(r.ID) + "/letters")
	wantStatus(t, resp, 200, "letters API")
	if !strings.Contains(body, `"number":"`+r.Number+`"`) {
		t.Fatalf("letters: %s", body)
	}
	resp, _ = patrol.post(path+"/periksa", nil)
	wantStatus(t, resp, 503, "a check with no checker configured")
	resp, _ = fb.post(path+"/jawab", url.Values{"url_id": {itoa(r.URLs[0].ID)}, "outcome": {"removed"}})
	wantStatus(t, resp, 303, "liaison answers")
	resp, body = coord.get("/api/v1/platforms/meta-facebook/compliance")
	wantStatus(t, resp, 200, "compliance API")
	var c takedown.Compliance
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Overall.TakenDown != 1 || c.Overall.WithinDeadline != 1 || len(c.ByWeek) != 1 || len(c.ByCategory) != 1 {
		t.Fatalf("compliance: %+v %v", c, err)
	}
	resp, html = coord.get("/penurunan-konten/platform/meta-facebook")
	wantStatus(t, resp, 200, "platform page")
	if !strings.Contains(html, "Per kategori") || !strings.Contains(html, "100% (1/1)") {
		t.Fatalf("platform page lacks the compliance tables:\n%s", html)
	}
	resp, body = tt.get("/api/v1/platforms/meta-facebook/compliance")
	wantStatus(t, resp, 200, "another platform's compliance (over what it may read: nothing)")
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Overall.URLs != 0 {
		t.Fatalf("another platform's liaison counts Facebook's URLs: %+v %v", c.Overall, err)
	}
}
