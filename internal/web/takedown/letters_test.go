package takedown_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestTakedownLetterPages: an approved request's letter is a printable
// page and a PDF; once sent, the platform's liaison reads it too, another
// platform's never; the compliance API and the platform page show the
// figures; a check on demand without a checker is refused as not
// configured.
func TestTakedownLetterPages(t *testing.T) {
	s := takedownSite(t)
	ctx := context.Background()
	patrol, coord, fb, tt := s.As("patroli"), s.As("koord.komdigi"), s.As("liaison.fb"), s.As("liaison.tt")
	r, err := takedown.Create(ctx, s.DB, webtest.Principal(t, s.DB, "patroli"), takedown.New{URLs: []string{"https://www.facebook.com/hoaks/1"},
		Category: "hoaks", LegalBasis: []string{"uu_ite_28_3"}, Urgency: takedown.Urgent, Summary: "Hoaks surat suara", Notes: "RAHASIA-INTERNAL"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/penurunan-konten/" + strconv.FormatInt(r.ID, 10)
	resp, _ := patrol.Get(path + "/surat/permohonan")
	webtest.WantStatus(t, resp, 404, "a draft's letter")
	resp, _ = coord.Post(path+"/setujui", nil)
	webtest.WantStatus(t, resp, 303, "approve")
	resp, html := patrol.Get(path)
	webtest.WantStatus(t, resp, 200, "request page")
	if !strings.Contains(html, path+"/surat/permohonan/pdf") {
		t.Fatal("the request page does not offer the letter")
	}
	resp, html = patrol.Get(path + "/surat/permohonan")
	webtest.WantStatus(t, resp, 200, "letter page")
	if !strings.Contains(html, r.Number) || !strings.Contains(html, "Kepada Yth.") || !strings.Contains(html, "https://www.facebook.com/hoaks/1") || strings.Contains(html, "RAHASIA-INTERNAL") {
		t.Fatalf("letter page:\n%s", html)
	}
	resp, body := patrol.Get(path + "/surat/permohonan/pdf")
	webtest.WantStatus(t, resp, 200, "letter PDF")
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-1.4") {
		t.Fatalf("PDF: %s %q", resp.Header.Get("Content-Type"), body[:min(20, len(body))])
	}
	resp, _ = fb.Get(path + "/surat/permohonan")
	webtest.WantStatus(t, resp, 404, "the platform reads the letter before it is sent")
	resp, _ = patrol.Post(path+"/kirim", url.Values{"channel": {"email"}})
	webtest.WantStatus(t, resp, 303, "send (recorded: no SMTP server here)")
	resp, _ = fb.Get(path + "/surat/permohonan/pdf")
	webtest.WantStatus(t, resp, 200, "the platform reads its letter")
	resp, _ = tt.Get(path + "/surat/permohonan")
	webtest.WantStatus(t, resp, 404, "another platform reads the letter")
	resp, body = fb.Get("/api/v1/takedowns/" + strconv.FormatInt(r.ID, 10) + "/letters")
	webtest.WantStatus(t, resp, 200, "letters API")
	if !strings.Contains(body, `"number":"`+r.Number+`"`) {
		t.Fatalf("letters: %s", body)
	}
	resp, _ = patrol.Post(path+"/periksa", nil)
	webtest.WantStatus(t, resp, 503, "a check with no checker configured")
	resp, _ = fb.Post(path+"/jawab", url.Values{"url_id": {strconv.FormatInt(r.URLs[0].ID, 10)}, "outcome": {"removed"}})
	webtest.WantStatus(t, resp, 303, "liaison answers")
	resp, body = coord.Get("/api/v1/platforms/meta-facebook/compliance")
	webtest.WantStatus(t, resp, 200, "compliance API")
	var c takedown.Compliance
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Overall.TakenDown != 1 || c.Overall.WithinDeadline != 1 || len(c.ByWeek) != 1 || len(c.ByCategory) != 1 {
		t.Fatalf("compliance: %+v %v", c, err)
	}
	resp, html = coord.Get("/penurunan-konten/platform/meta-facebook")
	webtest.WantStatus(t, resp, 200, "platform page")
	if !strings.Contains(html, "Per kategori") || !strings.Contains(html, "100% (1/1)") {
		t.Fatalf("platform page lacks the compliance tables:\n%s", html)
	}
	resp, body = tt.Get("/api/v1/platforms/meta-facebook/compliance")
	webtest.WantStatus(t, resp, 200, "another platform's compliance (over what it may read: nothing)")
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Overall.URLs != 0 {
		t.Fatalf("another platform's liaison counts Facebook's URLs: %+v %v", c.Overall, err)
	}
}
