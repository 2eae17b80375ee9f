package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIncidentAcrossAgencies walks one incident from a regency operator's
// report to closure with users of five organisations in three regions,
// checking at each step who can and cannot see it: lists, direct reads,
// search, the live stream, the inbox, the daily report. A RED incident is
// seen by its named user only, throughout.
func TestIncidentAcrossAgencies(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, b := newBusWorld(t, db)
		w.serve(Deps{Bus: b, DataDir: t.TempDir(), Notify: notify.New(db, nil, notify.SMTP{})})
		for _, n := range []auth.NewUser{
			{Username: "op.bandung", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
			{Username: "coord.bandung", Org: "kpu-32.04", Role: "coordinator", Scope: "32.04"},
			{Username: "coord.jabar", Org: "kpu-32", Role: "coordinator", Scope: "32"},
			{Username: "room.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
			{Username: "coord.bssn", Org: "bssn", Role: "coordinator", Scope: ""},
			{Username: "liaison.komdigi", Org: "komdigi", Role: "liaison", Scope: ""},
			{Username: "analyst.polri", Org: "polri", Role: "analyst", Scope: ""},
			{Username: "analyst.jateng", Org: "kpu-33", Role: "analyst", Scope: "33"},
			{Username: "analyst.bin", Org: "bin", Role: "analyst", Scope: ""},
		} {
			n.Password = "pw-" + n.Username + "-long"
			if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &login)
			w.tokens[n.Username] = login.Token
		}
		// Everyone follows the incident stream from the start; told counts
		// the events each was sent per incident.
		streamCtx, stop := context.WithCancel(ctx)
		t.Cleanup(stop)
		var mu sync.Mutex
		told := map[string]map[string]int{}
		for user := range w.tokens {
			told[user] = map[string]int{}
		}
		for user := range w.tokens {
			ch := w.follow(streamCtx, user, "/api/v1/incidents/stream")
			go func() {
				for d := range ch {
					var i struct {
						HumanID string `json:"human_id"`
					}
					json.Unmarshal([]byte(d), &i)
					mu.Lock()
					told[user][i.HumanID]++
					mu.Unlock()
				}
			}()
		}
		times := func(user, humanID string) int {
			mu.Lock()
			defer mu.Unlock()
			return told[user][humanID]
		}
		heard := func(user, humanID string) bool { return times(user, humanID) > 0 }
		// hears waits for user to be told of the incident again since the
		// last step that checked: every step's change reaches every reader.
		checked := map[string]int{}
		hears := func(step, user, humanID string) {
			t.Helper()
			before := checked[user+" "+humanID]
			for deadline := time.Now().Add(10 * time.Second); times(user, humanID) <= before; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Errorf("%s: %s was not told of %s on the stream", step, user, humanID)
					return
				}
			}
			checked[user+" "+humanID] = times(user, humanID)
		}
		// finds searches as user.
		finds := func(user, q, humanID string) bool {
			t.Helper()
			var list struct {
				Items []incident.Incident `json:"items"`
			}
			w.call(user, "GET", "/api/v1/incidents?limit=100&status=new,triage,containment,eradication,recovery,resolved,closed&q="+url.QueryEscape(q), "", 200, &list)
			for _, i := range list.Items {
				if i.HumanID == humanID {
					return true
				}
			}
			return false
		}
		var inc incident.Incident
		w.call("op.bandung", "POST", "/api/v1/incidents", `{"title":"Situs KPU Kabupaten Bandung di-deface","category":"intrusions","severity":"high","region":"32.04","tlp":"AMBER"}`, 201, &inc)
		base := "/api/v1/incidents/" + inc.HumanID

		inbox := func(user string) string {
			var items struct {
				Items []struct {
					Event   string `json:"event"`
					HumanID string `json:"human_id"`
				} `json:"items"`
			}
			w.call(user, "GET", "/api/v1/inbox?limit=100", "", 200, &items)
			return fmt.Sprint(items.Items)
		}
		report := func(user, region string) int {
			var r struct {
				Incidents struct {
					Opened int `json:"opened"`
				} `json:"incidents"`
			}
			q := "/api/v1/reports/daily"
			if region != "-" {
				q += "?region=" + region
			}
			w.call(user, "GET", q, "", 200, &r)
			return r.Incidents.Opened
		}
		// sees checks, for each user, a direct read, the list, search, the
		// daily report and the stream; and that no one who may not see the
		// incident was ever told of it in the inbox.
		sees := func(step string, want map[string]bool) {
			t.Helper()
			for user, may := range want {
				status := 404
				if may {
					status = 200
				}
				w.call(user, "GET", base, "", status, nil)
				var list struct {
					Items []incident.Incident `json:"items"`
				}
				w.call(user, "GET", "/api/v1/incidents?limit=100&status=new,triage,containment,eradication,recovery,resolved,closed", "", 200, &list)
				listed := false
				for _, i := range list.Items {
					listed = listed || i.ID == inc.ID
				}
				if listed != may {
					t.Errorf("%s: %s lists the incident: %v, want %v", step, user, listed, may)
				}
				if found := finds(user, "DEFACE", inc.HumanID); found != may {
					t.Errorf("%s: %s finds the incident by a word of its title: %v, want %v", step, user, found, may)
				}
				if opened := report(user, "-"); (opened == 1) != may {
					t.Errorf("%s: %s's daily report counts %d incidents opened, may see it: %v", step, user, opened, may)
				}
				if may {
					hears(step, user, inc.HumanID)
				} else if strings.Contains(inbox(user), inc.HumanID) {
					t.Errorf("%s: %s was told of the incident in the inbox", step, user)
				}
			}
		}
		sees("reported", map[string]bool{"op.bandung": true, "coord.bandung": true, "coord.jabar": true,
			"room.jabar": false, "coord.bssn": false, "liaison.komdigi": false, "analyst.polri": false, "analyst.jateng": false})

		w.call("coord.bandung", "POST", base+"/escalate", `{"reason":"defacement on counting day"}`, 200, nil)
		sees("escalated to the province", map[string]bool{"room.jabar": true, "coord.bssn": false, "analyst.jateng": false})
		w.call("coord.jabar", "POST", base+"/escalate", `{"reason":"national election system affected"}`, 200, nil)
		sees("escalated to the national desk", map[string]bool{"coord.bssn": true, "liaison.komdigi": false, "analyst.jateng": false})

		// Tasks for three agencies: each becomes a participant.
		for _, task := range []string{
			`{"title":"Minta takedown konten tiruan di platform","owner":"komdigi"}`,
			`{"title":"Amankan log server untuk penyidikan","owner":"polri"}`,
			`{"title":"Pulihkan halaman dari cadangan","owner":"kpu-32.04"}`,
		} {
			w.call("coord.bssn", "POST", base+"/tasks", task, 201, nil)
		}
		sees("tasks assigned", map[string]bool{"liaison.komdigi": true, "analyst.polri": true, "analyst.jateng": false})
		// An observable: the police find the incident by the attacker's address; Central Java does not.
		w.call("coord.bssn", "POST", base+"/observables", `{"type":"ip","value":"198.51.100.23","note":"pengunggah halaman deface"}`, 201, nil)
		if !finds("analyst.polri", "198.51.100.23", inc.HumanID) || finds("analyst.jateng", "198.51.100.23", inc.HumanID) {
			t.Error("search by observable: the police should find it, Central Java not")
		}
		var tasks struct {
			Items []incident.Task `json:"items"`
		}
		w.call("liaison.komdigi", "GET", base+"/tasks", "", 200, &tasks)
		if len(tasks.Items) != 3 {
			t.Errorf("komdigi sees %d tasks", len(tasks.Items))
		}

		// A personal-data breach: its 3x24 h clock runs.
		w.call("coord.bssn", "PUT", base+"/pdp", `{"data_subjects":5200,"data_categories":["nama","nik","alamat"]}`, 200, nil)
		var clocks struct {
			Items []incident.Clock `json:"items"`
		}
		w.call("analyst.polri", "GET", base+"/clocks", "", 200, &clocks)
		names := map[string]string{}
		for _, c := range clocks.Items {
			names[c.Name] = c.State
		}
		if names["pdp_notification"] != incident.ClockRunning || names["bssn_report"] != incident.ClockMet {
			t.Errorf("clocks: %v", names)
		}

		// Evidence: uploaded by the regency, downloaded by the police, on the custody log.
		e, _ := w.upload("coord.bandung", base+"/evidence", "file", "tangkapan-layar.png", strings.NewReader("\x89PNG\r\n\x1a\nbukti deface"), http.StatusCreated)
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s/evidence/%d", w.srv.URL, base, e.ID), nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens["analyst.polri"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "bukti deface") {
			t.Fatalf("police download: %d", res.StatusCode)
		}
		var custody struct {
			Items []struct {
				Actor string `json:"actor"`
			} `json:"items"`
		}
		w.call("coord.bssn", "GET", fmt.Sprintf("%s/evidence/%d/custody", base, e.ID), "", 200, &custody)
		police := false
		for _, c := range custody.Items {
			police = police || c.Actor == "analyst.polri"
		}
		if !police {
			t.Errorf("custody log lacks the police download: %+v", custody.Items)
		}
		w.call("analyst.jateng", "GET", fmt.Sprintf("%s/evidence/%d", base, e.ID), "", 404, nil)

		// The inbox told the province's room, never Central Java.
		if !strings.Contains(inbox("room.jabar"), inc.HumanID) {
			t.Errorf("the province's room was not told: %s", inbox("room.jabar"))
		}
		if strings.Contains(inbox("analyst.jateng"), inc.HumanID) {
			t.Error("Central Java was told")
		}
		unread := func(user string) int {
			var u struct {
				Unread int `json:"unread"`
			}
			w.call(user, "GET", "/api/v1/inbox/unread", "", 200, &u)
			return u.Unread
		}
		if unread("room.jabar") == 0 || unread("analyst.jateng") != 0 {
			t.Errorf("unread: room %d, Central Java %d", unread("room.jabar"), unread("analyst.jateng"))
		}
		w.call("room.jabar", "POST", "/api/v1/inbox/read", "", 204, nil)
		if n := unread("room.jabar"); n != 0 {
			t.Errorf("%d unread after marking all read", n)
		}

		// The daily report counts it for those who may see it only.
		if n := report("coord.bssn", ""); n != 1 {
			t.Errorf("the national report counts %d incidents opened", n)
		}
		if n := report("analyst.jateng", "-"); n != 0 {
			t.Errorf("Central Java's report counts %d", n)
		}

		// Closure.
		w.call("coord.bssn", "PATCH", base, `{"status":"closed"}`, 400, nil)
		w.call("coord.bssn", "PATCH", base, `{"status":"closed","resolution":"true_positive"}`, 200, nil)

		// A RED incident of intelligence: its named user only, everywhere.
		var red incident.Incident
		w.call("analyst.bin", "POST", "/api/v1/incidents", `{"title":"Rencana serangan terhadap Sirekap","severity":"critical","region":"","tlp":"RED"}`, 201, &red)
		for _, user := range []string{"coord.bssn", "analyst.polri", "coord.jabar"} {
			w.call(user, "GET", "/api/v1/incidents/"+red.HumanID, "", 404, nil)
			w.call(user, "GET", "/api/v1/incidents/"+red.HumanID+"/timeline", "", 404, nil)
			if strings.Contains(inbox(user), red.HumanID) {
				t.Errorf("%s was told of the RED incident", user)
			}
		}
		w.call("analyst.bin", "GET", "/api/v1/incidents/"+red.HumanID, "", 200, nil)
		// The map's national count: the RED incident is the named user's only.
		nationalOpen := func(user string) int {
			var o struct {
				National struct {
					Open int `json:"open_items"`
				} `json:"national"`
			}
			w.call(user, "GET", "/api/v1/overview", "", 200, &o)
			return o.National.Open
		}
		if a, b := nationalOpen("analyst.bin"), nationalOpen("coord.bssn"); a != 1 || b != 0 {
			t.Errorf("national open items: BIN %d (want 1), BSSN %d (want 0)", a, b)
		}
		if !finds("analyst.bin", "sirekap", red.HumanID) {
			t.Error("the named user does not find the RED incident")
		}
		for _, user := range []string{"coord.bssn", "analyst.polri", "coord.jabar", "liaison.komdigi"} {
			if finds(user, "sirekap", red.HumanID) {
				t.Errorf("%s finds the RED incident", user)
			}
		}
		// The stream: the named user is told of the RED incident; once it
		// has been, no one else was, and Central Java never heard of the
		// West Java incident.
		hears("RED reported", "analyst.bin", red.HumanID)
		time.Sleep(300 * time.Millisecond) // the same message reaches every stream; give the others time to misbehave
		for user := range told {
			if user != "analyst.bin" && heard(user, red.HumanID) {
				t.Errorf("%s was told of the RED incident on the stream", user)
			}
		}
		if heard("analyst.jateng", inc.HumanID) {
			t.Error("Central Java was told of the West Java incident on the stream")
		}
		if n := report("coord.bssn", ""); n != 1 {
			t.Errorf("the national report counts the RED incident: %d", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
