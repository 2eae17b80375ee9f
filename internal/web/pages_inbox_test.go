package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

var inboxLink = regexp.MustCompile(`href="(/insiden/INC-\d{4}-\d{6}\?n=\d+)"`)

// TestInboxPage follows a notification from the navigation's count to the
// incident: a report by West Java's analyst tells the province's
// coordinator (and not Central Java); opening it from the inbox marks it
// read; "mark all read" clears the rest.
func TestInboxPage(t *testing.T) {
	s := newIncidentSite(t)
	analyst, coord, jateng := s.as("jabar.analyst"), s.as("jabar.coord"), s.as("jateng.analyst")
	analyst.get("/insiden/baru")
	id := created(t, func() *http.Response { r, _ := analyst.post("/insiden/baru", reportForm(s)); return r }())

	_, page := coord.get("/")
	wantIn(t, page, "the coordinator's navigation", `href="/kotak-masuk"`, `<span class="count" aria-label="1 belum dibaca">1</span>`)
	resp, page := coord.get("/kotak-masuk")
	wantStatus(t, resp, 200, "inbox")
	wantIn(t, page, "the inbox", "Insiden baru", id, "Deface portal Sirekap", `class="inbox-item unread"`, "jabar.analyst")
	link := inboxLink.FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no incident link in the inbox:\n%s", page)
	}

	// Another reader of the incident opening it with the coordinator's
	// notification id changes nothing for the coordinator.
	resp, _ = s.as("jabar.viewer").get(link[1])
	wantStatus(t, resp, http.StatusOK, "the viewer opens the coordinator's link")
	_, page = coord.get("/")
	wantIn(t, page, "the coordinator's navigation after the viewer's visit", `aria-label="1 belum dibaca">1</span>`)

	_, page = jateng.get("/kotak-masuk")
	wantNotIn(t, page, "Central Java's inbox", id, "Deface portal Sirekap", `class="count"`)
	wantIn(t, page, "Central Java's inbox", "Belum ada pemberitahuan.")

	// Opening the incident from the inbox marks it read, there and then.
	resp, page = coord.get(link[1])
	wantStatus(t, resp, 200, "the incident from the inbox")
	wantIn(t, page, "the incident page", "Deface portal Sirekap")
	wantNotIn(t, page, "the navigation after reading", `class="count"`)
	_, page = coord.get("/kotak-masuk?belum=1")
	wantIn(t, page, "unread only", "Semua sudah dibaca.")
	resp, _ = jateng.get(link[1])
	wantStatus(t, resp, http.StatusNotFound, "Central Java opens the link")

	// A comment makes it unread again; "mark all read" clears it.
	analyst.get("/insiden/" + id)
	analyst.post("/insiden/"+id+"/komentar", url.Values{"body": {"Cadangan halaman sudah dipulihkan."}})
	_, page = coord.get("/kotak-masuk")
	wantIn(t, page, "the inbox after a comment", "Komentar baru", `class="inbox-item unread"`, "Tandai semua dibaca")
	resp, _ = coord.post("/kotak-masuk/dibaca", url.Values{})
	wantStatus(t, resp, http.StatusSeeOther, "mark all read")
	_, page = coord.get("/kotak-masuk")
	wantNotIn(t, page, "the inbox after mark all read", `class="inbox-item unread"`, `class="count"`)
}
