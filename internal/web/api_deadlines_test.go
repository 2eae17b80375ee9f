package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/store/storetest"
)

func TestIncidentDeadlinesAPI(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	var inc struct {
		HumanID string `json:"human_id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Data pemilih bocor","severity":"critical","category":"information-content-security","region":"32"}`, 201, &inc)
	base := "/api/v1/incidents/" + inc.HumanID
	w.call("jabar.analyst", "GET", base+"/pdp", "", 404, nil)
	w.call("jabar.analyst", "PUT", base+"/pdp", `{"data_subjects":1200,"data_categories":["nik","nama"],"niks":["3204..."]}`, 400, nil)
	w.call("jabar.analyst", "PUT", base+"/pdp", `{"data_subjects":1200,"data_categories":["nik","nama"]}`, 200, nil)
	var clocks struct {
		Items []struct {
			Name, State string
		} `json:"items"`
	}
	w.call("jabar.analyst", "GET", base+"/clocks", "", 200, &clocks)
	names := map[string]string{}
	for _, c := range clocks.Items {
		names[c.Name] = c.State
	}
	for _, n := range []string{"first_response", "containment", "bssn_report", "pdp_notification"} {
		if names[n] != "running" {
			t.Errorf("clock %s: %q (all: %v)", n, names[n], names)
		}
	}
	req, _ := http.NewRequest("GET", w.srv.URL+base+"/pdp/letter", nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens["jabar.analyst"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(string(b), "1.200 orang") {
		t.Errorf("letter: %d %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	w.call("jateng.viewer", "GET", base+"/pdp/letter", "", 404, nil)
	w.call("jateng.viewer", "GET", base+"/clocks", "", 404, nil)
}

func TestIncidentMergeLinksAPI(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	var a, b struct {
		HumanID string `json:"human_id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Deface situs KPU Jabar","region":"32"}`, 201, &a)
	w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Situs KPU Jabar berubah","region":"32"}`, 201, &b)
	w.call("jabar.analyst", "POST", "/api/v1/incidents/"+b.HumanID+"/merge", `{"into":"`+a.HumanID+`","reason":"same"}`, 403, nil)
	w.call("jabar.analyst", "POST", "/api/v1/incidents/"+a.HumanID+"/links", `{"incident":"`+b.HumanID+`","reason":"same site"}`, 200, nil)
	var links struct {
		Items []struct{ Relation, HumanID string } `json:"items"`
	}
	w.call("jabar.analyst", "GET", "/api/v1/incidents/"+b.HumanID+"/links", "", 200, &links)
	if len(links.Items) != 1 || links.Items[0].Relation != "related" {
		t.Errorf("links: %+v", links.Items)
	}
	w.call("jabar.analyst", "POST", "/api/v1/incidents/"+a.HumanID+"/deescalate", `{"reason":"x"}`, 403, nil)
	w.call("jateng.viewer", "GET", "/api/v1/incidents/"+a.HumanID+"/links", "", 404, nil)
}
