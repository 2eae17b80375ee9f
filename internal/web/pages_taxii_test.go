package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel/taxii"
	"github.com/garda-id/garda/internal/policy"
)

// TestTAXIIPage: the collections with who read them, a subscription added
// from the form, its health after a pull from a partner that answers
// HTML, the API's view of it, and the secret never shown.
func TestTAXIIPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	u, err := auth.UserByName(ctx, s.db, "kpu.analyst")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := auth.CreateToken(ctx, s.db, audit.System, u.ID, "taxii", auth.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, accept string, basic bool) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.ts.URL+path, nil)
		req.Header.Set("Accept", accept)
		if basic {
			req.SetBasicAuth("kpu.analyst", tok)
		} else {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	amber := "/taxii2/nasional/collections/" + taxii.TLPCollectionID("nasional", policy.Amber) + "/objects/"
	if st, b := call("GET", amber, taxii.MediaTAXII, true); st != 200 {
		t.Fatalf("TAXII read: %d %s", st, b)
	}

	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>maintenance</html>"))
	}))
	defer partner.Close()
	kpu := s.as("kpu.analyst")
	resp, _ := kpu.get("/intelijen/taxii")
	wantStatus(t, resp, 200, "the page")
	resp, body := kpu.post("/intelijen/taxii/langganan", url.Values{"name": {"CSIRT Sektor"}, "url": {"ftp://x/"}, "collection": {"abc"}, "secret": {"sangat-rahasia"}})
	wantStatus(t, resp, 400, "an ftp URL")
	if !strings.Contains(body, "api_root_url") || strings.Contains(body, "sangat-rahasia") {
		t.Errorf("the refusal does not say why, or echoes the secret")
	}
	resp, _ = kpu.post("/intelijen/taxii/langganan", url.Values{"name": {"CSIRT Sektor"}, "url": {partner.URL + "/taxii2/x/"}, "collection": {"abc"},
		"secret": {"sangat-rahasia"}, "every": {"5"}})
	wantStatus(t, resp, 303, "subscribe")
	resp, _ = kpu.post("/intelijen/taxii/langganan/1/tarik", url.Values{})
	wantStatus(t, resp, 303, "pull now")
	resp, body = kpu.get("/intelijen/taxii")
	for _, want := range []string{"TLP:AMBER", taxii.TLPCollectionID("nasional", policy.Amber), "kpu.analyst (kpu)", "CSIRT Sektor", "Gagal", "text/html", "/taxii2/nasional/", "300"} {
		if !strings.Contains(body, want) {
			t.Errorf("the TAXII page lacks %q", want)
		}
	}
	if strings.Contains(body, "sangat-rahasia") {
		t.Error("the page shows the partner's secret")
	}
	// A viewer of Jawa Barat: no form, no KPU subscription, no KPU reader.
	viewer := s.as("jabar.viewer")
	resp, body = viewer.get("/intelijen/taxii")
	wantStatus(t, resp, 200, "the viewer's page")
	if strings.Contains(body, `action="/intelijen/taxii/langganan"`) || strings.Contains(body, "CSIRT Sektor") || strings.Contains(body, "kpu.analyst (kpu)") {
		t.Error("the viewer sees the form, KPU's subscription or KPU's readers")
	}
	resp, _ = viewer.post("/intelijen/taxii/langganan", url.Values{"name": {"x"}, "url": {partner.URL + "/"}, "collection": {"y"}})
	wantStatus(t, resp, 403, "a viewer subscribing")
	// BSSN's administrator sees every reader.
	resp, body = s.as("bssn.admin").get("/intelijen/taxii")
	if !strings.Contains(body, "kpu.analyst (kpu)") {
		t.Error("the administrator does not see who read")
	}

	// The API says the same, without the secret.
	st, b := call("GET", "/api/v1/taxii/subscriptions", "application/json", false)
	var list struct{ Items []map[string]any }
	if st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) != 1 || !strings.Contains(list.Items[0]["last_error"].(string), "text/html") ||
		strings.Contains(string(b), "sangat-rahasia") {
		t.Fatalf("API: %d %s", st, b)
	}
	if st, b := call("POST", "/api/v1/taxii/subscriptions/1/pull", "application/json", false); st != 503 || !strings.Contains(string(b), "text/html") {
		t.Fatalf("API pull: %d %s", st, b)
	}
}
