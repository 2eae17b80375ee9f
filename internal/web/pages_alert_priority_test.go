package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
)

// An attack on a Sirekap server during the count (20 Mar 2024, in West
// Java's zone) comes first in the queue, older than the rest, marked with
// its priority and the calendar's reason; the API's priority filter lists
// it alone.
func TestAlertQueuePriority(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	systems := []string{"Sirekap"}
	if _, err := asset.Update(ctx, s.db, principal(t, s.site, "jabar.analyst"), nil, s.jabar, asset.Input{Systems: &systems}); err != nil {
		t.Fatal(err)
	}
	during := sig("http-sqli", "high", "T1190", "203.0.113.7", s.jabar)
	during.Time = time.Date(2024, 3, 20, 9, 0, 0, 0, time.UTC)
	raised := s.raise(during)[0]
	plain := s.raise(sig("http-scanner", "medium", "T1595.002", "203.0.113.8", s.jabar))[0]
	later := s.raise(sig("http-xss", "high", "T1059", "203.0.113.9", s.jabar))[0]

	jabar := s.as("jabar.analyst")
	resp, page := jabar.get("/pemantauan")
	wantStatus(t, resp, 200, "queue")
	wantIn(t, page, "queue", "Prioritas Kritis", "fase Rekapitulasi hasil penghitungan suara (Sirekap) (siaga): Sirekap kritis")
	at := func(id int64) int { return strings.Index(page, `data-alert-id="`+strconv.FormatInt(id, 10)+`"`) }
	if at(raised) < 0 || at(raised) > at(later) || at(raised) > at(plain) {
		t.Errorf("the raised alert is not first: positions %d, %d, %d", at(raised), at(later), at(plain))
	}
	_, page = jabar.get(alertPath(raised))
	wantIn(t, page, "alert page", "Prioritas Kritis", "Naik prioritas karena kalender pemilu: fase Rekapitulasi")
	_, page = jabar.get(alertPath(plain))
	wantNotIn(t, page, "a plain alert's page", "Naik prioritas")

	resp, body := jabar.get("/api/v1/alerts?priority=1")
	wantStatus(t, resp, 200, "priority list")
	var list struct{ Items []alert.Alert }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != raised || list.Items[0].Priority != "critical" || list.Items[0].Severity != "high" {
		t.Errorf("priority list = %+v", list.Items)
	}
	resp, _ = jabar.get("/api/v1/alerts?priority=yes")
	wantStatus(t, resp, http.StatusBadRequest, "priority=yes")
}
