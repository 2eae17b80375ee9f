package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func roomIDs(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := room.Ensure(ctx, db, audit.System); err != nil {
		t.Fatal(err)
	}
	if _, err := room.CreateRegency(ctx, db, audit.System, "32.04"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT region, id FROM rooms`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var reg string
		var id int64
		if err := rows.Scan(&reg, &id); err != nil {
			t.Fatal(err)
		}
		ids[reg] = id
	}
	return ids
}

// TestRoomsAPI: the list and a room answer by scope; another province's
// room is 404; the calendar is readable by all; only a national
// coordinator enters elections, and bad input changes nothing.
func TestRoomsAPI(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		ids := roomIDs(t, db)
		type list struct {
			Items []room.Room `json:"items"`
			Next  string      `json:"next_cursor"`
		}
		for user, want := range map[string]int{"kpu.analyst": 40, "bssn.analyst": 40, "jabar.analyst": 2, "bandung.analyst": 1, "jateng.viewer": 1} {
			var l list
			w.call(user, "GET", "/api/v1/rooms?limit=500", "", 200, &l)
			if len(l.Items) != want {
				t.Errorf("%s sees %d rooms, want %d", user, len(l.Items), want)
			}
		}
		// Paging with the cursor walks every room once.
		seen, cursor := 0, ""
		for i := 0; i < 10; i++ {
			var l list
			w.call("kpu.analyst", "GET", "/api/v1/rooms?limit=15&cursor="+url.QueryEscape(cursor), "", 200, &l)
			seen += len(l.Items)
			if cursor = l.Next; cursor == "" {
				break
			}
		}
		if seen != 40 {
			t.Errorf("paging saw %d rooms, want 40", seen)
		}
		var l list
		w.call("kpu.analyst", "GET", "/api/v1/rooms?level=province&region=32", "", 200, &l)
		if len(l.Items) != 1 || l.Items[0].Region != "32" {
			t.Errorf("level=province&region=32: %+v", l.Items)
		}
		w.call("kpu.analyst", "GET", "/api/v1/rooms?level=kecamatan", "", 400, nil)
		w.call("kpu.analyst", "GET", "/api/v1/rooms?region=99", "", 400, nil)
		w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/rooms/%d", ids["32"]), "", 404, nil)
		w.call("jateng.viewer", "GET", "/api/v1/rooms/999999", "", 404, nil)
		var rm room.Room
		w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/rooms/%d", ids["32.04"]), "", 200, &rm)
		if !rm.Internals || rm.Checklist == nil {
			t.Errorf("jabar reads bandung's room without internals: %+v", rm)
		}
		var cal calendarView
		w.call("jateng.viewer", "GET", "/api/v1/calendar", "", 200, &cal)
		if len(cal.Elections) != 2 || len(cal.Postures) != 3 {
			t.Errorf("calendar: %d elections, postures %v", len(cal.Elections), cal.Postures)
		}
	})
}

func TestElectionEntry(t *testing.T) {
	db := storetest.SQLite(t)
	w := newAPIWorld(t, db)
	ctx := context.Background()
	coord := auth.NewUser{Username: "bssn.koord", Org: "bssn", Role: "coordinator", Password: "pw-bssn.koord-long"}
	if _, err := auth.CreateUser(ctx, db, audit.System, coord); err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	w.call("", "POST", "/api/v1/auth/login", `{"username":"bssn.koord","password":"pw-bssn.koord-long"}`, 200, &tok)
	w.tokens["bssn.koord"] = tok.Token

	w.call("kpu.analyst", "POST", "/api/v1/elections", `{"slug":"psu-2025","name":"PSU 2025"}`, 403, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections", `{"slug":"pemilu-2024","name":"again"}`, 409, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections", `{"slug":"PSU!","name":"x"}`, 400, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections", `{"slug":"psu-2025","name":"Pemungutan suara ulang 2025","source":"Keputusan KPU"}`, 201, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections/psu-2025/phases", `{"key":"pemungutan","name":"Pemungutan suara ulang","start":"2025-04-20","end":"2025-04-19","posture":"awas"}`, 400, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections/psu-2025/phases", `{"key":"pemungutan","name":"Pemungutan suara ulang","start":"2025-04-19","end":"2025-04-19","posture":"genting"}`, 400, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections/none/phases", `{"key":"pemungutan","name":"x","start":"2025-04-19","end":"2025-04-19","posture":"awas"}`, 404, nil)
	w.call("bssn.koord", "POST", "/api/v1/elections/psu-2025/phases", `{"key":"pemungutan","name":"Pemungutan suara ulang","start":"2025-04-19","end":"2025-04-19","posture":"awas","critical":["Sirekap"]}`, 201, nil)
	var cal calendarView
	w.call("jateng.viewer", "GET", "/api/v1/calendar", "", 200, &cal)
	if len(cal.Elections) != 3 || len(cal.Elections[2].Phases) != 1 || cal.Elections[2].Phases[0].Posture != "awas" {
		t.Errorf("calendar after entry: %+v", cal.Elections)
	}
	var phases int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM election_phases`).Scan(&phases)
	if phases != 1 {
		t.Errorf("%d phases stored; refused ones must change nothing", phases)
	}
}

// TestRoomPages: the list draws every province as a path coloured by
// posture, links only the rooms the reader sees, and a room's page shows
// its staff to those who may see them.
func TestRoomPages(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	jabar := principal(t, s, "jabar.analyst")
	if err := room.AddMember(ctx, s.db, audit.System, ids["32"], jabar.User.ID, "lead"); err != nil {
		t.Fatal(err)
	}
	c := s.as("kpu.analyst")
	resp, html := c.get("/ruang-operasi")
	wantStatus(t, resp, 200, "/ruang-operasi")
	if n := strings.Count(html, "<path data-region="); n != 38 {
		t.Errorf("map has %d provinces, want 38", n)
	}
	if !strings.Contains(html, fmt.Sprintf(`href="/ruang-operasi/%d"`, ids["91"])) || !strings.Contains(html, "Kalender pemilu") {
		t.Error("the national reader's list lacks Papua's room or the calendar")
	}
	cj := s.as("jateng.analyst")
	_, html = cj.get("/ruang-operasi")
	if strings.Contains(html, fmt.Sprintf(`href="/ruang-operasi/%d"`, ids["32"])) {
		t.Error("jateng's list links jabar's room")
	}
	resp, _ = cj.get(fmt.Sprintf("/ruang-operasi/%d", ids["32"]))
	wantStatus(t, resp, 404, "another province's room")
	resp, html = s.as("jabar.viewer").get(fmt.Sprintf("/ruang-operasi/%d", ids["32"]))
	wantStatus(t, resp, 200, "own room")
	if !strings.Contains(html, "jabar.analyst") || !strings.Contains(html, "Daftar periksa peralatan") {
		t.Error("a province's own room page lacks its staff or checklist")
	}
	_, html = c.get(fmt.Sprintf("/ruang-operasi/%d", ids["32"]))
	if !strings.Contains(html, "jabar.analyst") {
		t.Error("KPU RI, above the room's partner KPU Provinsi, does not see its staff")
	}
	resp, _ = c.get("/ruang-operasi?level=kecamatan")
	wantStatus(t, resp, 400, "bad level")
	// Only national coordinators get the form; others are refused.
	if strings.Contains(html, "/ruang-operasi/kalender/pemilihan") {
		t.Error("an analyst sees the election form")
	}
	resp, _ = c.post("/ruang-operasi/kalender/pemilihan", url.Values{"slug": {"psu-2025"}, "name": {"PSU"}})
	wantStatus(t, resp, 400, "an analyst enters an election")
}

// TestRoomWrites: staff and readiness through the API, each audited;
// refused writes change nothing.
func TestRoomWrites(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		ids := roomIDs(t, db)
		ctx := context.Background()
		coord := auth.NewUser{Username: "jabar.koord", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: "pw-jabar.koord-long"}
		if _, err := auth.CreateUser(ctx, db, audit.System, coord); err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", `{"username":"jabar.koord","password":"pw-jabar.koord-long"}`, 200, &tok)
		w.tokens["jabar.koord"] = tok.Token
		jabar := fmt.Sprintf("/api/v1/rooms/%d", ids["32"])
		var rm room.Room
		w.call("jabar.koord", "POST", jabar+"/members", `{"username":"diskominfo.jabar","duty":"lead"}`, 200, &rm)
		if len(rm.Members) != 1 || rm.Members[0].Duty != "lead" {
			t.Errorf("members after adding: %+v", rm.Members)
		}
		w.call("jabar.koord", "POST", jabar+"/members", `{"username":"jateng.viewer"}`, 400, nil) // works in another province
		w.call("jabar.koord", "POST", jabar+"/members", `{"username":"nobody"}`, 400, nil)        // no such user
		w.call("jabar.koord", "POST", jabar+"/members", `{"username":"bandung.analyst","duty":"boss"}`, 400, nil)
		w.call("jabar.analyst", "POST", jabar+"/members", `{"username":"diskominfo.jabar"}`, 403, nil) // an analyst does not staff rooms
		w.call("jateng.viewer", "POST", jabar+"/members", `{"username":"diskominfo.jabar"}`, 404, nil)
		w.call("diskominfo.jabar", "PUT", jabar+"/readiness", `{"staff_trained":5,"checklist":[{"item":"Layar","ok":true}],"last_drill_at":"2024-01-20T02:00:00Z"}`, 200, &rm)
		if rm.StaffTrained != 5 || rm.ChecklistOK != 1 || rm.LastDrillAt == nil {
			t.Errorf("readiness not recorded: %+v", rm)
		}
		w.call("diskominfo.jabar", "PUT", jabar+"/readiness", `{"staff_trained":-1}`, 400, nil)
		w.call("jateng.viewer", "PUT", jabar+"/readiness", `{"staff_trained":9}`, 404, nil)
		w.call("kpu.admin", "PUT", jabar+"/readiness", `{"staff_trained":9}`, 403, nil)
		w.call("diskominfo.jabar", "GET", jabar, "", 200, &rm)
		if rm.StaffTrained != 5 {
			t.Errorf("a refused write changed staff_trained to %d", rm.StaffTrained)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('room.member.add', 'room.readiness') AND actor_id IS NOT NULL`).Scan(&n)
		if n != 2 {
			t.Errorf("%d audited room writes by people, want 2", n)
		}
	})
}
