package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
)

// groupKey is the queue's key of a source's group on an asset.
func groupKey(ip string, assetID int64) string { return ip + "|" + strconv.FormatInt(assetID, 10) }

// attacker raises what one attacker of an asset raises: a scenario, a
// second scenario and a Sigma rule of the same address.
func (s *alertSite) attacker(ip string, assetID int64) []int64 {
	sigma := sig("sigma-1c2b3a4d", "high", "T1189", ip, assetID)
	sigma.Title = "Cross Site Scripting Strings"
	return s.raise(sig("http-sqli", "high", "T1190", ip, assetID), sig("http-xss", "medium", "T1189", ip, assetID), sigma)
}

func TestAlertQueueGroups(t *testing.T) {
	s := newAlertSite(t)
	ctx := context.Background()
	if _, err := auth.CreateUser(ctx, s.db, audit.System, auth.NewUser{Username: "bssn.analyst", DisplayName: "Analis BSSN", Org: "bssn",
		Role: "analyst", Scope: "", Password: password("bssn.analyst")}); err != nil {
		t.Fatal(err)
	}
	one := s.attacker("203.0.113.5", s.jabar)
	other := s.raise(sig("http-probing", "medium", "T1595.003", "198.51.100.7", s.jabar))
	status := func(id int64) alert.Status { return alertStatus(t, s, id) }

	t.Run("one row per attacker and asset", func(t *testing.T) {
		_, page := s.as("jabar.analyst").get("/pemantauan")
		if n := strings.Count(page, "<tr data-id="); n != 2 {
			t.Fatalf("%d rows, want one per attacker and asset", n)
		}
		wantIn(t, page, "grouped queue", `<tr data-id="`+groupKey("203.0.113.5", s.jabar)+`"`, `<tr data-id="`+groupKey("198.51.100.7", s.jabar)+`"`,
			"Injeksi SQL, Skrip lintas situs (XSS)", "<summary>3 peringatan</summary>", "Cross Site Scripting Strings", "2 kelompok ditampilkan",
			`name="group" value="`+groupKey("203.0.113.5", s.jabar)+`" form="pilihan"`, `name="alert_id" value="`+strconv.FormatInt(one[0], 10)+`" form="pilihan"`,
			`<form id="pilihan"`, `href="/aset/`+strconv.FormatInt(s.jabar, 10)+`"`)
		// The API lists the same groups.
		resp, body := s.as("jabar.analyst").get("/api/v1/alerts/groups?limit=1")
		wantStatus(t, resp, 200, "groups API")
		var list struct {
			Items      []alert.Group `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 1 || list.NextCursor == "" ||
			list.Items[0].Key != groupKey("198.51.100.7", s.jabar) {
			t.Fatalf("groups API: %v %s", err, body)
		}
		_, body = s.as("jabar.analyst").get("/api/v1/alerts/groups?cursor=" + url.QueryEscape(list.NextCursor))
		if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 1 || list.Items[0].Count != 3 ||
			list.Items[0].Severity != "high" || strings.Join(list.Items[0].Classes, ",") != "sqli,xss" {
			t.Fatalf("groups API, second page: %v %s", err, body)
		}
	})

	t.Run("an asset the reader may not open is not linked", func(t *testing.T) {
		c := s.as("bssn.analyst") // reads the alerts (the national CSIRT takes part), not KPU Jawa Barat's asset
		_, page := c.get("/pemantauan")
		wantIn(t, page, "BSSN's queue", `<tr data-id="`+groupKey("203.0.113.5", s.jabar)+`"`, "Aset terbatas")
		wantNotIn(t, page, "BSSN's queue", `href="/aset/`+strconv.FormatInt(s.jabar, 10)+`"`, "Sirekap Jawa Barat")
		resp, page := c.get(alertPath(one[0]))
		wantStatus(t, resp, 200, "BSSN reads the alert")
		wantIn(t, page, "BSSN's alert page", "Aset terbatas")
		wantNotIn(t, page, "BSSN's alert page", `href="/aset/`+strconv.FormatInt(s.jabar, 10)+`"`, "Sirekap Jawa Barat")
		resp, _ = c.get("/aset/" + strconv.FormatInt(s.jabar, 10))
		wantStatus(t, resp, http.StatusNotFound, "the asset itself") // what the link led to
	})

	t.Run("refused group actions change nothing", func(t *testing.T) {
		group := url.Values{"group": {groupKey("203.0.113.5", s.jabar)}}
		c := s.as("jabar.analyst")
		for _, token := range []string{"", "forged"} {
			form := cloneForm(group)
			form.Set("action", "acknowledge")
			form.Set("csrf", token)
			resp, _ := c.post("/pemantauan/pilihan", form)
			wantStatus(t, resp, http.StatusForbidden, "group action without the CSRF token")
		}
		form := cloneForm(group)
		form.Set("action", "dismiss")
		form.Set("reason", " ")
		resp, page := c.post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusBadRequest, "dismiss a group without a reason")
		wantIn(t, page, "refused dismissal", "Tuliskan alasan mengabaikan", `<tr data-id="`)
		form.Set("action", "acknowledge")
		resp, _ = s.as("jabar.viewer").post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusForbidden, "a viewer acknowledges a group")
		resp, page = s.as("jateng.analyst").post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusBadRequest, "another province acknowledges West Java's group")
		wantIn(t, page, "another province's group", "Pilih setidaknya satu")
		for _, id := range append(one, other...) {
			if st := status(id); st != alert.New {
				t.Fatalf("a refused action changed alert %d to %s", id, st)
			}
		}
	})

	t.Run("acknowledge a group", func(t *testing.T) {
		c := s.as("jabar.analyst")
		c.get("/pemantauan")
		resp, _ := c.post("/pemantauan/pilihan?severity=medium", url.Values{"group": {groupKey("203.0.113.5", s.jabar)}, "action": {"acknowledge"}})
		wantStatus(t, resp, http.StatusSeeOther, "acknowledge a group")
		if loc := resp.Header.Get("Location"); loc != "/pemantauan?diubah=3&severity=medium" {
			t.Errorf("back to %s", loc)
		}
		for _, id := range one {
			if st := status(id); st != alert.Acknowledged {
				t.Errorf("alert %d: %s", id, st)
			}
		}
		if st := status(other[0]); st != alert.New {
			t.Errorf("the other group's alert: %s", st)
		}
		var audited int
		s.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'alert.status'`).Scan(&audited)
		if audited != 3 {
			t.Errorf("%d audit records, want one per alert", audited)
		}
		_, page := c.get("/pemantauan?diubah=3&severity=medium")
		wantIn(t, page, "after the action", "3 peringatan diubah.")
	})

	var inc incident.Incident
	t.Run("promote a group into one incident", func(t *testing.T) {
		c := s.as("jabar.analyst")
		c.get("/pemantauan")
		resp, page := c.post("/pemantauan/pilihan", url.Values{"group": {groupKey("203.0.113.5", s.jabar)}, "action": {"promote"}})
		wantStatus(t, resp, http.StatusSeeOther, "promote")
		ref := strings.TrimPrefix(strings.TrimSuffix(resp.Header.Get("Location"), "?dibuat=1"), "/insiden/")
		var err error
		inc, err = incident.Get(ctx, s.db, principal(t, s.site, "jabar.analyst"), ref)
		if err != nil {
			t.Fatalf("promoted to %q: %v\n%s", ref, err, page)
		}
		if inc.Title != "Serangan injeksi SQL dari 203.0.113.5 ke Sirekap Jawa Barat" || inc.Category != "intrusion-attempts" ||
			inc.Region != "32.04" || len(inc.AlertIDs) != 3 || len(inc.AssetIDs) != 1 {
			t.Fatalf("promoted incident %+v", inc)
		}
		_, page = c.get("/insiden/" + inc.HumanID)
		wantIn(t, page, "the incident's timeline", "Wilayah: Kabupaten Bandung")
		// The incident page's people and organisations are pickers.
		wantIn(t, page, "the incident page", `id="assignee" name="assignee"`, `data-picker="/api/v1/users/search"`,
			`id="task-owner" name="owner"`, `data-picker="/api/v1/orgs"`)
		_, page = c.get("/insiden?region=32.04")
		wantIn(t, page, "the incident queue", `name="region" value="32.04"`, `data-picker="/api/v1/regions"`, inc.HumanID)
	})

	t.Run("attach to an existing incident", func(t *testing.T) {
		c := s.as("jabar.analyst")
		c.get("/pemantauan")
		form := url.Values{"alert_id": {strconv.FormatInt(other[0], 10)}, "action": {"attach"}, "incident": {"INC-1999-0001"}}
		resp, page := c.post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusBadRequest, "attach to an unknown incident")
		wantIn(t, page, "unknown incident", "Tidak ada insiden &#34;INC-1999-0001&#34;")
		form.Set("incident", inc.HumanID)
		resp, _ = s.as("jateng.analyst").post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusBadRequest, "another province attaches a hidden alert")
		if st := status(other[0]); st != alert.New {
			t.Fatalf("refused attachments changed the alert: %s", st)
		}
		resp, _ = c.post("/pemantauan/pilihan", form)
		wantStatus(t, resp, http.StatusSeeOther, "attach")
		if loc := resp.Header.Get("Location"); loc != "/insiden/"+inc.HumanID+"?ok=alerts" {
			t.Errorf("attached, then to %s", loc)
		}
		_, page = c.get("/insiden/" + inc.HumanID + "?ok=alerts")
		wantIn(t, page, "the incident", "Peringatan dilampirkan ke insiden ini.", fmt.Sprintf("Peringatan dilampirkan: #%d", other[0]))

		// From the alert's own page.
		more := s.raise(sig("http-rce", "critical", "T1190", "192.0.2.10", s.jabar))[0]
		_, page = c.get(alertPath(more))
		wantIn(t, page, "alert page", `action="`+alertPath(more)+`/lampirkan"`, `data-picker="/api/v1/incidents?`)
		resp, page = c.post(alertPath(more)+"/lampirkan", url.Values{"incident": {""}})
		wantStatus(t, resp, http.StatusBadRequest, "attach to no incident")
		wantIn(t, page, "refused attachment", "Sebutkan insidennya")
		resp, _ = c.post(alertPath(more)+"/lampirkan", url.Values{"incident": {inc.HumanID}})
		wantStatus(t, resp, http.StatusSeeOther, "attach from the alert page")
		if st := status(more); st != alert.Promoted {
			t.Errorf("attached alert: %s", st)
		}
	})
}

// TestPromotedNationalIncident: an incident promoted from alerts of a
// national asset says "Nasional" in its details and in its timeline alike.
func TestPromotedNationalIncident(t *testing.T) {
	s := newAlertSite(t)
	id := s.raise(sig("voter-data-scraping", "critical", "T1119", "192.0.2.44", s.national))[0]
	c := s.as("kpu.analyst")
	c.get(alertPath(id))
	resp, _ := c.post("/insiden/baru", url.Values{"alert_id": {strconv.FormatInt(id, 10)}})
	wantStatus(t, resp, http.StatusSeeOther, "promote")
	_, page := c.get(resp.Header.Get("Location"))
	wantIn(t, page, "national incident", "Pengambilan massal data pemilih dari 192.0.2.44 ke cekdptonline", "Wilayah: Nasional")
	wantNotIn(t, page, "national incident", "Wilayah: —")
}

func TestPickers(t *testing.T) {
	s := newAlertSite(t)
	get := func(c *client, path string, v any) {
		t.Helper()
		resp, body := c.get(path)
		wantStatus(t, resp, 200, path)
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	c := s.as("jabar.analyst")
	var regions struct {
		Items []struct{ Code, Name string } `json:"items"`
	}
	get(c, "/api/v1/regions?q=bandung", &regions)
	if len(regions.Items) == 0 || len(regions.Items) > pickerMatches || regions.Items[0].Code != "32.04" {
		t.Errorf("regions matching bandung: %+v", regions.Items)
	}
	get(c, "/api/v1/regions?q=32.7", &regions)
	for _, reg := range regions.Items {
		if !strings.HasPrefix(reg.Code, "32.7") {
			t.Errorf("32.7 matches %s", reg.Code)
		}
	}
	var orgs struct {
		Items []struct{ Slug string } `json:"items"`
	}
	get(c, "/api/v1/orgs?q=jawa+barat", &orgs)
	if len(orgs.Items) == 0 || !strings.Contains(fmt.Sprint(orgs.Items), "kpu-32") {
		t.Errorf("organisations matching jawa barat: %+v", orgs.Items)
	}
	// People: a province finds its own, not another province's; the nation finds everyone.
	var people struct {
		Items []auth.Person `json:"items"`
	}
	for user, want := range map[string]string{"jabar.analyst": "jabar.analyst,jabar.viewer", "kpu.analyst": "jabar.analyst,jateng.analyst,kpu.analyst"} {
		get(s.as(user), "/api/v1/users/search?q=analis", &people)
		var got []string
		for _, p := range people.Items {
			got = append(got, p.Username)
		}
		if user == "jabar.analyst" {
			get(s.as(user), "/api/v1/users/search?q=jabar", &people)
			got = nil
			for _, p := range people.Items {
				got = append(got, p.Username)
			}
			var others struct {
				Items []auth.Person `json:"items"`
			}
			get(s.as(user), "/api/v1/users/search?q=jateng", &others)
			if len(others.Items) != 0 {
				t.Errorf("West Java finds %+v", others.Items)
			}
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s finds %v, want %s", user, got, want)
		}
	}
	// The queue's region filter is a picker; its plain field takes a code.
	_, page := c.get("/pemantauan?region=32.04")
	wantIn(t, page, "queue", `name="region" value="32.04"`, `data-picker="/api/v1/regions"`, `list="f-region-list"`,
		`<option value="32.04">Kabupaten Bandung</option>`)
}
