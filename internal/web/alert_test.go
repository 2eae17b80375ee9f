package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestAlertAPIAndStream raises alerts on two provinces' assets and checks
// the list, the direct read, triage, and that the live stream carries each
// alert only to those who may see it.
func TestAlertAPIAndStream(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w, b := newBusWorld(t, db)

	tree, _ := org.Load(ctx, db)
	assetOf := func(user, name, reg string) int64 {
		u, _ := auth.UserByName(ctx, db, user)
		p, _ := auth.PrincipalOf(u, tree)
		kind := "site"
		a, err := asset.Create(ctx, db, p, tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	jabar := assetOf("jabar.analyst", "KPU Jabar", "32")
	bandung := assetOf("bandung.analyst", "KPU Bandung", "32.04")

	// Two readers follow the stream: a national BSSN analyst and a Central Java viewer.
	streams := map[string]<-chan string{}
	for _, user := range []string{"bssn.analyst", "jateng.viewer"} {
		streams[user] = w.follow(ctx, user, "/api/v1/alerts/stream")
	}

	sig := func(assetID int64, ip string) alert.Signal {
		return alert.Signal{Scenario: "http-sqli", Title: "SQL injection attempt", Severity: "high", Technique: "T1190",
			SourceIP: ip, AssetID: assetID, Time: time.Now().UTC(), Count: 1, Fields: map[string]string{"url.original": "/?id=1'--"}}
	}
	created, _, err := alert.Record(ctx, db, []alert.Signal{sig(jabar, "103.9.9.1"), sig(bandung, "103.9.9.2")})
	if err != nil || len(created) != 2 {
		t.Fatalf("record: %v %v", created, err)
	}
	alert.Notify(ctx, b, nil, created...)

	got := map[string]int{}
	deadline := time.After(10 * time.Second)
	for got["bssn.analyst"] < 2 {
		select {
		case d := <-streams["bssn.analyst"]:
			if !strings.Contains(d, `"scenario":"http-sqli"`) {
				t.Fatalf("stream data %s", d)
			}
			got["bssn.analyst"]++
		case d := <-streams["jateng.viewer"]:
			t.Fatalf("Central Java viewer received a West Java alert: %s", d)
		case <-deadline:
			t.Fatalf("stream delivered %v", got)
		}
	}

	var list struct {
		Items []alert.Alert `json:"items"`
	}
	w.call("jabar.analyst", "GET", "/api/v1/alerts?region=32&status=new&severity=medium", "", 200, &list)
	if len(list.Items) != 2 {
		t.Fatalf("West Java sees %d alerts", len(list.Items))
	}
	w.call("bandung.analyst", "GET", "/api/v1/alerts", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Asset != "KPU Bandung" {
		t.Fatalf("Bandung sees %+v", list.Items)
	}
	var one alert.Alert
	w.call("kpu.analyst", "GET", fmt.Sprintf("/api/v1/alerts/%d", created[0]), "", 200, &one)
	if len(one.Evidence) != 1 || one.Evidence[0].Fields["url.original"] != "/?id=1'--" {
		t.Fatalf("evidence %+v", one.Evidence)
	}
	w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/alerts/%d", created[0]), "", 404, nil)
	w.call("jabar.analyst", "GET", "/api/v1/alerts?status=open", "", 400, nil)
	w.call("jabar.analyst", "PATCH", fmt.Sprintf("/api/v1/alerts/%d", created[0]), `{"status":"dismissed"}`, 400, nil)
	w.call("jabar.analyst", "PATCH", fmt.Sprintf("/api/v1/alerts/%d", created[0]), `{"status":"dismissed","reason":"our own scanner"}`, 200, &one)
	if one.Status != alert.Dismissed {
		t.Fatalf("status %s", one.Status)
	}
	var ov struct {
		Provinces []provinceState `json:"provinces"`
	}
	w.call("bssn.analyst", "GET", "/api/v1/overview", "", 200, &ov)
	for _, p := range ov.Provinces {
		if p.Code == "32" && (p.Open != 1 || p.Level != "high") {
			t.Fatalf("West Java on the map: %+v", p)
		}
	}
}
