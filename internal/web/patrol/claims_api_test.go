package patrol_test

import (
	"encoding/json"
	"fmt"
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestAPIClaims(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := webtest.NewAPIWorld(t, db, web.Deps{}.Handler)
		var f claim.FactCheck
		w.Call("kpu.analyst", "POST", "/api/v1/claims", `{"claim":"Gempa 9,8 magnitudo guncang Labuan Bajo 4 April 2024","rating":"salah","title":"[SALAH] Gempa di Labuan Bajo","date":"2024-04-05"}`, 201, &f)
		if f.TLP != "CLEAR" || f.Rating != "salah" {
			t.Errorf("created %+v", f)
		}
		// Bad input: a clear error and nothing stored; a viewer may not write.
		w.Call("kpu.analyst", "POST", "/api/v1/claims", `{"claim":"x","rating":"barangkali"}`, 400, nil)
		w.Call("kpu.analyst", "POST", "/api/v1/claims", `{"claim":"","rating":"hoaks"}`, 400, nil)
		w.Call("jateng.viewer", "POST", "/api/v1/claims", `{"claim":"x","rating":"hoaks"}`, 403, nil)
		var amber claim.FactCheck
		w.Call("jabar.analyst", "POST", "/api/v1/claims", `{"claim":"Surat suara tercoblos di Bandung","rating":"hoaks","region":"32","tlp":"AMBER"}`, 201, &amber)
		w.Call("bssn.analyst", "GET", fmt.Sprintf("/api/v1/claims/%d", amber.ID), "", 404, nil)
		w.Call("bssn.analyst", "GET", fmt.Sprintf("/api/v1/claims/%d/claimreview", amber.ID), "", 404, nil)
		w.Call("kpu.analyst", "GET", "/api/v1/claims/0", "", 404, nil)

		// ClaimReview JSON-LD out, and back in through the parser.
		res := claimCall(w, "bssn.analyst", "GET", fmt.Sprintf("/api/v1/claims/%d/claimreview", f.ID), "", "", 200)
		rs, err := claim.ParseClaimReview([]byte(res))
		if err != nil || len(rs) != 1 || rs[0].Claim != f.Claim || rs[0].Rating != "salah" || !strings.HasSuffix(rs[0].URL, fmt.Sprintf("/klaim/%d", f.ID)) {
			t.Errorf("claimreview: %v %+v\n%s", err, rs, res)
		}

		// Imports: CSV and JSON-LD; the same file again skips; a bad file changes nothing.
		csv := "id,claim,rating\nc1,Vaksin polio tidak berguna karena polio disebabkan racun,hoaks\nc2,BBM Pertalite dihapus pemerintah,menyesatkan\n"
		var imp claim.ImportResult
		json.Unmarshal([]byte(claimCall(w, "kpu.analyst", "POST", "/api/v1/claims/import", "text/csv", csv, 200)), &imp)
		if imp.Created != 2 {
			t.Errorf("csv import: %+v", imp)
		}
		json.Unmarshal([]byte(claimCall(w, "kpu.analyst", "POST", "/api/v1/claims/import", "text/csv", csv, 200)), &imp)
		if imp.Created != 0 || imp.Skipped != 2 {
			t.Errorf("csv re-import: %+v", imp)
		}
		claimCall(w, "kpu.analyst", "POST", "/api/v1/claims/import", "application/ld+json", `{"@type":"ClaimReview","claimReviewed":"Prabowo masuk rumah sakit","url":"https://cek.example/p","reviewRating":{"alternateName":"Hoaks"}}`, 200)
		claimCall(w, "kpu.analyst", "POST", "/api/v1/claims/import", "text/csv", "id,text\n1,x\n", 400)
		claimCall(w, "kpu.analyst", "POST", "/api/v1/claims/import", "text/plain", "x", 415)
		claimCall(w, "jateng.viewer", "POST", "/api/v1/claims/import", "text/csv", csv, 403)

		var list struct {
			Items []claim.FactCheck `json:"items"`
			Next  string            `json:"next_cursor"`
		}
		w.Call("kpu.analyst", "GET", "/api/v1/claims?limit=2", "", 200, &list)
		if len(list.Items) != 2 || list.Next == "" {
			t.Errorf("page: %d items, next %q", len(list.Items), list.Next)
		}
		w.Call("kpu.analyst", "GET", "/api/v1/claims?rating=menyesatkan", "", 200, &list)
		if len(list.Items) != 1 {
			t.Errorf("rating filter: %+v", list.Items)
		}

		var m struct {
			Items []claim.Found `json:"items"`
		}
		w.Call("kpu.analyst", "POST", "/api/v1/claims/match", `{"text":"“BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO HINGGA TERBELAH AMBRUK”"}`, 200, &m)
		if len(m.Items) == 0 || m.Items[0].ID != f.ID || len(m.Items[0].Why.Words) == 0 {
			t.Errorf("match: %+v", m.Items)
		}
		w.Call("kpu.analyst", "POST", "/api/v1/claims/match", `{"text":""}`, 400, nil)
	})
}

// claimCall makes a request with a given content type and returns the body.
func claimCall(w *webtest.APIWorld, user, method, path, ctype, body string, want int) string {
	w.T.Helper()
	req, _ := http.NewRequest(method, w.Srv.URL+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+w.Tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		w.T.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, res.StatusCode, want, b)
	}
	return string(b)
}
