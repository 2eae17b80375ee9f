package web

import (
	"fmt"
	"testing"

	"github.com/garda-id/garda/internal/store/storetest"
)

func TestIndicatorsAPI(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	type ind struct {
		ID        int64
		Value     string
		Pattern   string
		TLP       string
		Revoked   bool
		Sightings []struct{ Count int64 }
	}
	var created ind
	w.call("jabar.analyst", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"203.0.113.7","detect":true}`, 201, &created)
	if created.Pattern != "[ipv4-addr:value = '203.0.113.7']" || created.TLP != "AMBER" {
		t.Fatalf("created %+v", created)
	}
	w.call("bssn.analyst", "POST", "/api/v1/indicators", `{"kind":"domain-name","value":"phish.example","tlp":"RED"}`, 201, nil)
	w.call("jabar.analyst", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"300.1.1.1"}`, 400, nil)
	w.call("jateng.viewer", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"192.0.2.1"}`, 403, nil)
	w.call("jabar.analyst", "POST", "/api/v1/indicators", `{"kind":"ipv4-addr","value":"203.0.113.7"}`, 409, nil)

	var list struct {
		Items      []ind
		NextCursor string `json:"next_cursor"`
	}
	w.call("kpu.analyst", "GET", "/api/v1/indicators?kind=ipv4-addr&active=true", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Value != "203.0.113.7" {
		t.Fatalf("kpu sees %+v", list.Items)
	}
	w.call("kpu.analyst", "GET", "/api/v1/indicators?q=phish", "", 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("RED read by someone not named: %+v", list.Items)
	}
	w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/indicators/%d", created.ID), "", 404, nil)
	w.call("jabar.analyst", "GET", "/api/v1/indicators?tlp=PINK", "", 400, nil)
	var got ind
	w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/indicators/%d", created.ID), "", 200, &got)
	if got.Sightings == nil {
		t.Error("sightings missing")
	}
	w.call("jabar.analyst", "POST", fmt.Sprintf("/api/v1/indicators/%d/revoke", created.ID), `{"reason":"a KPU proxy"}`, 200, &got)
	if !got.Revoked {
		t.Error("not revoked")
	}
}
