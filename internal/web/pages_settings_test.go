package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestResponseTargetsPage: everyone reads the targets; the administrator
// changes them from the page (a malformed form changes nothing) and over
// the API; others may not.
func TestResponseTargetsPage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	analyst, admin := s.as("kpu.analyst"), s.as("bssn.admin")
	resp, body := analyst.get("/insiden/target-respons")
	wantStatus(t, resp, http.StatusOK, "targets as an analyst")
	wantIn(t, body, "the analyst's targets page", "Respons pertama", "<td class=\"num\">1 jam</td>", "<td class=\"num\">7 hari</td>")
	wantNotIn(t, body, "the analyst's targets page", `name="critical_first"`)
	resp, _ = analyst.post("/insiden/target-respons", url.Values{"critical_first": {"5"}})
	wantStatus(t, resp, http.StatusForbidden, "an analyst saves targets")

	_, body = admin.get("/insiden/target-respons")
	wantIn(t, body, "the admin's targets page", `name="critical_first" type="number" min="1" value="1"`,
		`<option value="h" selected>jam</option>`)
	// Hours and days as people write them (and minutes, a unit left out
	// being minutes, as scripts send them).
	form := url.Values{}
	for sev, v := range map[string][4]string{"critical": {"30", "m", "3", "h"}, "high": {"2", "h", "12", "h"}, "medium": {"12", "h", "2", "d"}, "low": {"2", "d", "8640", ""}} {
		form.Set(sev+"_first", v[0])
		form.Set(sev+"_first_unit", v[1])
		form.Set(sev+"_contain", v[2])
		form.Set(sev+"_contain_unit", v[3])
	}
	bad := cloneForm(form)
	bad.Set("high_contain", "1") // 1 h: sooner than its first response (2 h)
	resp, body = admin.post("/insiden/target-respons", bad)
	wantStatus(t, resp, http.StatusBadRequest, "containment before first response")
	wantIn(t, body, "the refused form", "alert-error", `name="high_contain" type="number" min="1" value="1"`,
		"Penahanan tidak boleh lebih cepat dari respons pertama")
	bad = cloneForm(form)
	bad.Set("low_contain_unit", "d")
	bad.Set("low_contain", "31")
	resp, body = admin.post("/insiden/target-respons", bad)
	wantStatus(t, resp, http.StatusBadRequest, "containment over 30 days")
	wantIn(t, body, "the refused form", "paling lama 30 hari")
	for field, value := range map[string]string{"low_first_unit": "minggu", "low_contain": "0", "medium_first": "-2"} {
		bad = cloneForm(form)
		bad.Set(field, value)
		resp, _ = admin.post("/insiden/target-respons", bad)
		wantStatus(t, resp, http.StatusBadRequest, field+"="+value)
	}
	bad = cloneForm(form)
	bad.Set("low_first", "seminggu")
	resp, _ = admin.post("/insiden/target-respons", bad)
	wantStatus(t, resp, http.StatusBadRequest, "words for minutes")
	if got, _ := incident.LoadTargets(ctx, s.db); got["critical"].FirstResponse != time.Hour {
		t.Fatalf("a refused form changed the targets: %+v", got["critical"])
	}
	resp, _ = admin.post("/insiden/target-respons", form)
	wantStatus(t, resp, http.StatusSeeOther, "save targets")
	if got, _ := incident.LoadTargets(ctx, s.db); got["critical"].FirstResponse != 30*time.Minute || got["critical"].Containment != 3*time.Hour ||
		got["low"].Containment != 6*24*time.Hour || got["medium"].FirstResponse != 12*time.Hour || got["medium"].Containment != 48*time.Hour {
		t.Fatalf("targets after saving: %+v", got)
	}
	_, body = analyst.get("/insiden/target-respons")
	wantIn(t, body, "the analyst's page after the change", "<td class=\"num\">30 menit</td>", "<td class=\"num\">6 hari</td>", "<td class=\"num\">2 hari</td>")
}

// TestResponseTargetsAPI: GET for anyone signed in, PUT for administrators,
// bad input refused with a code and nothing changed.
func TestResponseTargetsAPI(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	var got struct {
		Items []incident.Target `json:"items"`
	}
	w.call("kpu.analyst", "GET", "/api/v1/settings/response-targets", "", 200, &got)
	if len(got.Items) != 4 || got.Items[0].Severity != "critical" || got.Items[0].FirstResponseMinutes != 60 {
		t.Fatalf("targets: %+v", got.Items)
	}
	w.call("kpu.analyst", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 403, nil)
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":10}]}`, 400, nil)
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":"soon"}]}`, 400, nil)
	w.call("kpu.admin", "GET", "/api/v1/settings/response-targets", "", 200, &got)
	if got.Items[0].FirstResponseMinutes != 60 {
		t.Fatalf("refused input changed the targets: %+v", got.Items[0])
	}
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 200, &got)
	if got.Items[0].FirstResponseMinutes != 30 || got.Items[1].FirstResponseMinutes != 240 {
		t.Fatalf("targets after the change: %+v", got.Items)
	}
}

// TestResponseTargetsPosture: a posture's own targets over the API (GET
// for anyone signed in, PUT and DELETE for national administrators, bad
// input refused and nothing stored) and from the page's posture tables.
func TestResponseTargetsPosture(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	var got incident.PostureTargets
	w.call("kpu.analyst", "GET", "/api/v1/settings/response-targets/awas", "", 200, &got)
	if got.Posture != "awas" || len(got.Items) != 0 || len(got.InForce) != 4 || got.InForce[0].FirstResponseMinutes != 60 {
		t.Fatalf("awas before: %+v", got)
	}
	w.call("kpu.analyst", "GET", "/api/v1/settings/response-targets/normal", "", 404, nil)
	awas := `{"items":[{"severity":"critical","first_response_minutes":15,"containment_minutes":60}]}`
	w.call("kpu.analyst", "PUT", "/api/v1/settings/response-targets/awas", awas, 403, nil)
	w.call("kpu.analyst", "DELETE", "/api/v1/settings/response-targets/awas", "", 403, nil)
	for _, bad := range []string{
		`{"items":[]}`,
		`{"items":[{"severity":"critical","first_response_minutes":90,"containment_minutes":120}]}`, // looser than the ordinary hour
		`{"items":[{"severity":"critical","first_response_minutes":15,"containment_minutes":10}]}`,
		`{"items":[{"severity":"critical","first_response_minutes":"soon"}]}`,
	} {
		w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets/awas", bad, 400, nil)
	}
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets/normal", awas, 404, nil)
	w.call("kpu.admin", "GET", "/api/v1/settings/response-targets/awas", "", 200, &got)
	if len(got.Items) != 0 {
		t.Fatalf("refused input stored targets: %+v", got)
	}
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets/awas", awas, 200, &got)
	if len(got.Items) != 1 || got.Items[0].FirstResponseMinutes != 15 || got.InForce[0].FirstResponseMinutes != 15 || got.InForce[1].FirstResponseMinutes != 240 {
		t.Fatalf("awas after setting: %+v", got)
	}
	w.call("kpu.analyst", "GET", "/api/v1/settings/response-targets/siaga", "", 200, &got)
	if len(got.Items) != 0 || got.InForce[0].FirstResponseMinutes != 60 {
		t.Fatalf("siaga took awas's targets: %+v", got)
	}
	w.call("kpu.admin", "DELETE", "/api/v1/settings/response-targets/awas", "", 200, &got)
	if len(got.Items) != 0 || got.InForce[0].FirstResponseMinutes != 60 {
		t.Fatalf("awas after removal: %+v", got)
	}

	s := newSite(t)
	ctx := context.Background()
	analyst, admin := s.as("kpu.analyst"), s.as("bssn.admin")
	_, body := admin.get("/insiden/target-respons")
	wantIn(t, body, "the admin's posture tables", "Target per postur", `id="postur-awas"`, `name="posture" value="siaga"`,
		`id="awas-critical-first" name="critical_first" type="number" min="1" value="" placeholder="target biasa"`)
	resp, _ := analyst.post("/insiden/target-respons", url.Values{"posture": {"awas"}, "critical_first": {"15"}, "critical_contain": {"1"}, "critical_contain_unit": {"h"}})
	wantStatus(t, resp, http.StatusForbidden, "an analyst saves posture targets")
	resp, body = admin.post("/insiden/target-respons", url.Values{"posture": {"awas"}, "critical_first": {"2"}, "critical_first_unit": {"h"}, "critical_contain": {"3"}, "critical_contain_unit": {"h"}})
	wantStatus(t, resp, http.StatusBadRequest, "a posture target looser than the ordinary")
	wantIn(t, body, "the refused posture form", "alert-error", "tidak boleh lebih longgar")
	resp, body = admin.post("/insiden/target-respons", url.Values{"posture": {"awas"}, "critical_first": {"15"}})
	wantStatus(t, resp, http.StatusBadRequest, "a posture target half written")
	timing, err := incident.LoadTiming(ctx, s.db)
	if err != nil || len(timing.ByPosture) != 0 {
		t.Fatalf("refused forms stored posture targets: %+v %v", timing.ByPosture, err)
	}
	resp, _ = admin.post("/insiden/target-respons", url.Values{"posture": {"awas"}, "critical_first": {"15"}, "critical_first_unit": {"m"}, "critical_contain": {"1"}, "critical_contain_unit": {"h"}})
	wantStatus(t, resp, http.StatusSeeOther, "save awas targets")
	if timing, _ = incident.LoadTiming(ctx, s.db); timing.For("awas")["critical"].FirstResponse != 15*time.Minute || timing.For("awas")["high"].FirstResponse != 4*time.Hour {
		t.Fatalf("awas after the form: %+v", timing.ByPosture)
	}
	_, body = analyst.get("/insiden/target-respons")
	wantIn(t, body, "the analyst's posture tables", "<td class=\"num\">15 menit</td>", "<td>target biasa</td>")
	wantNotIn(t, body, "the analyst's posture tables", `name="posture"`)
	_, body = admin.get("/insiden/target-respons")
	wantIn(t, body, "the admin's awas table", `id="awas-critical-first" name="critical_first" type="number" min="1" value="15"`, "Hapus target postur ini")
	resp, _ = admin.post("/insiden/target-respons", url.Values{"posture": {"awas"}, "hapus": {"1"}, "critical_first": {"15"}})
	wantStatus(t, resp, http.StatusSeeOther, "remove awas targets")
	if timing, _ = incident.LoadTiming(ctx, s.db); len(timing.ByPosture) != 0 {
		t.Fatalf("awas after removal: %+v", timing.ByPosture)
	}
}
