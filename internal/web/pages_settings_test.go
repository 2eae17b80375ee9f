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
	wantIn(t, body, "the analyst's targets page", "Respons pertama (menit)", "<td class=\"num\">60</td>")
	wantNotIn(t, body, "the analyst's targets page", `name="critical_first"`)
	resp, _ = analyst.post("/insiden/target-respons", url.Values{"critical_first": {"5"}})
	wantStatus(t, resp, http.StatusForbidden, "an analyst saves targets")

	_, body = admin.get("/insiden/target-respons")
	wantIn(t, body, "the admin's targets page", `name="critical_first" type="number" min="1" max="43200" value="60"`)
	form := url.Values{}
	for sev, v := range map[string][2]string{"critical": {"30", "180"}, "high": {"120", "720"}, "medium": {"720", "2880"}, "low": {"2880", "8640"}} {
		form.Set(sev+"_first", v[0])
		form.Set(sev+"_contain", v[1])
	}
	bad := cloneForm(form)
	bad.Set("high_contain", "60") // sooner than its first response (120)
	resp, body = admin.post("/insiden/target-respons", bad)
	wantStatus(t, resp, http.StatusBadRequest, "containment before first response")
	wantIn(t, body, "the refused form", "alert-error", `value="60"`)
	bad = cloneForm(form)
	bad.Set("low_first", "seminggu")
	resp, _ = admin.post("/insiden/target-respons", bad)
	wantStatus(t, resp, http.StatusBadRequest, "words for minutes")
	if got, _ := incident.LoadTargets(ctx, s.db); got["critical"].FirstResponse != time.Hour {
		t.Fatalf("a refused form changed the targets: %+v", got["critical"])
	}
	resp, _ = admin.post("/insiden/target-respons", form)
	wantStatus(t, resp, http.StatusSeeOther, "save targets")
	if got, _ := incident.LoadTargets(ctx, s.db); got["critical"].FirstResponse != 30*time.Minute || got["low"].Containment != 6*24*time.Hour || got["medium"].FirstResponse != 12*time.Hour {
		t.Fatalf("targets after saving: %+v", got)
	}
	_, body = analyst.get("/insiden/target-respons")
	wantIn(t, body, "the analyst's page after the change", "<td class=\"num\">30</td>")
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
