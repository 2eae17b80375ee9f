package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
)

// TestSavedViews saves the incident queue's filters under a name, finds
// the view again, and deletes it; another person never sees it.
func TestSavedViews(t *testing.T) {
	s := newIncidentSite(t)
	c := s.as("jabar.analyst")
	resp, _ := c.get("/insiden?severity=high&status=open")
	wantStatus(t, resp, 200, "queue")
	resp, _ = c.post("/insiden/tampilan", url.Values{"name": {"Tinggi terbuka"}, "query": {"severity=high&status=open"}})
	wantStatus(t, resp, 303, "save view")
	_, body := c.get("/insiden")
	if !regexp.MustCompile(`data-live="/api/v1/incidents/stream\?last_event_id=\d+" data-live-event="incident" data-row="/insiden/\{id\}/baris\?"`).MatchString(body) {
		t.Error("the queue does not follow the incident stream")
	}
	if !strings.Contains(body, `href="/insiden?severity=high&amp;status=open">Tinggi terbuka</a>`) {
		i := strings.Index(body, "Tinggi terbuka")
		t.Fatalf("the saved view is not listed: %q", body[max(0, i-200):min(len(body), i+50)])
	}
	resp, _ = c.post("/insiden/tampilan", url.Values{"name": {""}, "query": {"x=1"}})
	wantStatus(t, resp, 400, "a view without a name")
	other := s.as("jateng.analyst")
	if _, body := other.get("/insiden"); strings.Contains(body, "Tinggi terbuka") {
		t.Error("another person sees the view")
	}
	id := regexp.MustCompile(`/insiden/tampilan/(\d+)/hapus`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no delete form")
	}
	resp, _ = other.post("/insiden/tampilan/"+id[1]+"/hapus", url.Values{})
	wantStatus(t, resp, 404, "another person deletes the view")
	resp, _ = c.post("/insiden/tampilan/"+id[1]+"/hapus", url.Values{})
	wantStatus(t, resp, 303, "delete view")
	if _, body := c.get("/insiden"); strings.Contains(body, "Tinggi terbuka") {
		t.Error("the deleted view is still listed")
	}
}

// TestIncidentPageShowsWork: tasks and observables appear on the incident page.
func TestIncidentPageShowsWork(t *testing.T) {
	s := newIncidentSite(t)
	ctx := context.Background()
	p := principal(t, s.site, "jabar.coord")
	tree, _ := org.Load(ctx, s.db)
	title, reg := "Deface situs KPU Jabar", "32"
	inc, err := incident.Create(ctx, s.db, p, tree, incident.Input{Title: &title, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := incident.CreateTask(ctx, s.db, p, tree, inc.HumanID, incident.TaskInput{Title: "Minta takedown ke platform", Owner: "komdigi"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := incident.AddObservable(ctx, s.db, p, inc.HumanID, incident.ObservableInput{Type: "ip", Value: "203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	resp, body := s.as("jabar.coord").get("/insiden/" + inc.HumanID)
	wantStatus(t, resp, 200, "incident page")
	live := fmt.Sprintf(`data-incident-live="%d"`, inc.ID) // the page follows the incident stream
	for _, want := range []string{"Minta takedown ke platform", "203.0.113.9", "Tenggat", "Tugas", live, "Muat ulang"} {
		if !strings.Contains(body, want) {
			t.Errorf("the incident page lacks %q", want)
		}
	}
}

// TestIncidentQueueRows: the queue's live rows are rendered by the server
// under the reader's visibility, with whether the incident matches the
// queue's filters, which the row URL carries.
func TestIncidentQueueRows(t *testing.T) {
	s := newIncidentSite(t)
	inc := s.incident("jabar.analyst", incident.Input{Title: strp("Deface situs KPU Jabar"), Region: strp("32"), Severity: strp("high")})
	c := s.as("jabar.analyst")
	_, queue := c.get("/insiden?severity=high")
	wantIn(t, queue, "the filtered queue", `data-row="/insiden/{id}/baris?severity=high"`, fmt.Sprintf(`<tr data-id="%d">`, inc.ID), "data-live-prepend")
	for _, q := range []struct{ query, match string }{
		{"", "1"}, {"severity=high", "1"}, {"severity=critical", "0"}, {"status=closed", "0"}, {"q=deface", "1"}, {"q=phishing", "0"},
		{"region=32.04", "0"}, {"region=32", "1"},
	} {
		resp, row := c.get(fmt.Sprintf("/insiden/%d/baris?%s", inc.ID, q.query))
		wantStatus(t, resp, 200, "row "+q.query)
		if got := resp.Header.Get("X-Queue-Match"); got != q.match {
			t.Errorf("row with %q: X-Queue-Match %q, want %q", q.query, got, q.match)
		}
		wantIn(t, row, "the row", fmt.Sprintf(`<tr data-id="%d">`, inc.ID), "Deface situs KPU Jabar", "Tinggi")
		wantNotIn(t, row, "the row", "<html", "<nav")
	}
	resp, _ := s.as("jateng.analyst").get(fmt.Sprintf("/insiden/%d/baris", inc.ID))
	wantStatus(t, resp, 404, "Central Java asks for West Java's row")
	_, queue = c.get("/insiden?before=1")
	wantNotIn(t, queue, "a later page", "data-live-prepend")
}
