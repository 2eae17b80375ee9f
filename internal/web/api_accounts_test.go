package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// addUser creates an account in w and signs it in over the API.
func (w *apiWorld) addUser(n auth.NewUser) auth.User {
	w.t.Helper()
	n.Password = "pw-" + n.Username + "-long"
	u, err := auth.CreateUser(context.Background(), w.db, audit.System, n)
	if err != nil {
		w.t.Fatal(err)
	}
	var out struct {
		Token string `json:"token"`
	}
	w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &out)
	w.tokens[n.Username] = out.Token
	return u
}

// TestNationalSettingsAreForNationalAdmins: a provincial administrator
// changes neither the nationwide response targets nor the enforcement
// points (bouncers) that receive every decision in the country.
func TestNationalSettingsAreForNationalAdmins(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	w.addUser(auth.NewUser{Username: "jabar.admin", Org: "kpu-32", Role: "admin", Scope: "32"})
	w.call("jabar.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 403, nil)
	w.call("jabar.admin", "POST", "/api/v1/bouncers", `{"name":"jabar-fw"}`, 403, nil)
	w.call("kpu.admin", "POST", "/api/v1/bouncers", `{"name":"national-fw"}`, 201, nil)
	w.call("jabar.admin", "DELETE", "/api/v1/bouncers/national-fw", "", 403, nil)
	var list struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	w.call("kpu.admin", "GET", "/api/v1/bouncers", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "national-fw" {
		t.Fatalf("bouncers after a provincial admin's attempts: %+v", list.Items)
	}
	w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 200, nil)
	w.call("kpu.admin", "DELETE", "/api/v1/bouncers/national-fw", "", 204, nil)
}

// credentials signs username in every way there is: the sign-in token
// (already in w.tokens), an API token made over the API, and a browser
// session. It returns a check that each still works (or not).
func (w *apiWorld) credentials(username string) func(want int) {
	w.t.Helper()
	var made struct {
		Token string `json:"token"`
	}
	w.call(username, "POST", "/api/v1/tokens", `{"name":"script"}`, 201, &made)
	u, err := auth.UserByName(context.Background(), w.db, username)
	if err != nil {
		w.t.Fatal(err)
	}
	cookie, _, err := auth.CreateSession(context.Background(), w.db, u.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	login := w.tokens[username]
	return func(want int) {
		w.t.Helper()
		for name, tok := range map[string]string{"sign-in token": login, "API token": made.Token} {
			req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != want {
				w.t.Errorf("%s of %s: %v %v, want %d", name, username, res.StatusCode, err, want)
			}
		}
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != want {
			w.t.Errorf("browser session of %s: %v %v, want %d", username, res.StatusCode, err, want)
		}
	}
}

// TestPasswordChangeAndDisableEndEveryCredential: a new password (as
// `garda user passwd` sets it) and a disable over the API both end the
// sessions, the sign-in tokens and the API tokens of the account.
func TestPasswordChangeAndDisableEndEveryCredential(t *testing.T) {
	w := newAPIWorld(t, storetest.SQLite(t))
	check := w.credentials("jabar.analyst")
	check(http.StatusOK)
	if err := auth.SetPassword(context.Background(), w.db, audit.System, "jabar.analyst", "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	check(http.StatusUnauthorized)

	check = w.credentials("bssn.analyst")
	check(http.StatusOK)
	w.call("kpu.admin", "POST", "/api/v1/users/bssn.analyst/disable", "", 204, nil)
	check(http.StatusUnauthorized)
}

// TestAuditReadUnderRecordVisibility: the audit log shows an administrator
// only entries about records it may read. A provincial admin read the
// national log, entries about other provinces' RED incidents included.
func TestAuditReadUnderRecordVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		w.addUser(auth.NewUser{Username: "jatim.admin", Org: "kpu-35", Role: "admin", Scope: "35"})
		jabarAdmin := w.addUser(auth.NewUser{Username: "jabar.admin", Org: "kpu-32", Role: "admin", Scope: "32"})
		var red, green struct {
			ID      int64  `json:"id"`
			HumanID string `json:"human_id"`
		}
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Data pemilih bocor","region":"32","tlp":"RED"}`, 201, &red)
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Deface situs","region":"32","tlp":"GREEN"}`, 201, &green)
		w.call("kpu.admin", "PUT", "/api/v1/settings/response-targets", `{"items":[{"severity":"critical","first_response_minutes":30,"containment_minutes":120}]}`, 200, nil)
		// A RED alert in Jawa Barat and the automatic decision it brings:
		// the decision tells who attacked what, as the alert does, so its
		// audit entries are read as the alert is. A person's block in the
		// same region is read by region.
		var site struct {
			ID int64 `json:"id"`
		}
		w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar","kind":"site","region":"32","tlp":"RED"}`, 201, &site)
		ctx := context.Background()
		created, _, err := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-sqli", Title: "SQL injection", Severity: "high",
			SourceIP: "203.0.113.7", AssetID: site.ID, Time: time.Now().UTC(), Count: 1}})
		if err != nil {
			t.Fatal(err)
		}
		fromAlert, err := decision.Decide(ctx, db, decision.Proposal{IP: "203.0.113.7", Scenario: "http-sqli", AlertID: created[0], Asset: site.ID, Region: "32"})
		if err != nil {
			t.Fatal(err)
		}
		byHand, err := decision.Decide(ctx, db, decision.Proposal{IP: "203.0.113.8", Scenario: "http-sqli", Region: "32"})
		if err != nil {
			t.Fatal(err)
		}

		type list struct {
			Items []struct {
				Kind     string `json:"kind"`
				RecordID string `json:"record_id"`
				Action   string `json:"action"`
			} `json:"items"`
		}
		seen := func(user string) map[string]bool {
			var l list
			w.call(user, "GET", "/api/v1/audit?limit=500", "", 200, &l)
			out := map[string]bool{}
			for _, e := range l.Items {
				out[e.Kind+"/"+e.RecordID] = true
			}
			return out
		}
		redKey, greenKey := fmt.Sprintf("incident/%d", red.ID), fmt.Sprintf("incident/%d", green.ID)
		jabarUser := fmt.Sprintf("user/%d", jabarAdmin.ID)
		redDecision, handDecision := fmt.Sprintf("decision/%d", fromAlert.ID), fmt.Sprintf("decision/%d", byHand.ID)
		for user, want := range map[string]map[string]bool{
			// RED is for named users only: no administrator is one here.
			"kpu.admin":   {redKey: false, greenKey: true, jabarUser: true, "settings/response_targets": true, redDecision: false, handDecision: true},
			"jabar.admin": {redKey: false, greenKey: true, jabarUser: true, "settings/response_targets": false, redDecision: false, handDecision: true},
			"jatim.admin": {redKey: false, greenKey: false, jabarUser: false, "settings/response_targets": false, redDecision: false, handDecision: false},
		} {
			got := seen(user)
			for key, shown := range want {
				if got[key] != shown {
					t.Errorf("%s sees %s: %v, want %v", user, key, got[key], shown)
				}
			}
		}
		var l list
		w.call("jatim.admin", "GET", fmt.Sprintf("/api/v1/audit?kind=incident&record_id=%d", red.ID), "", 200, &l)
		if len(l.Items) != 0 {
			t.Errorf("jatim.admin reads entries of Jawa Barat's RED incident: %+v", l.Items)
		}
		// As the decision itself: not found for whoever may not read it.
		w.call("jabar.admin", "GET", "/api/v1/audit?kind=decision", "", 200, &l)
		for _, e := range l.Items {
			if e.RecordID == fmt.Sprint(fromAlert.ID) {
				t.Errorf("jabar.admin reads %s of a decision made from a RED alert", e.Action)
			}
		}
		w.call("jabar.admin", "GET", fmt.Sprintf("/api/v1/decisions/%d", fromAlert.ID), "", 404, nil)

		// A link from the GREEN incident to the RED one: the entry is read
		// with the GREEN incident, but no detail is sent (it names the RED
		// incident and gives the reason), as for every entry.
		w.call("jabar.analyst", "POST", "/api/v1/incidents/"+green.HumanID+"/links", `{"incident":"`+red.HumanID+`","reason":"sumber bocoran sama"}`, 200, nil)
		var raw struct {
			Items []struct {
				Action string          `json:"action"`
				Detail json.RawMessage `json:"detail"`
			} `json:"items"`
		}
		w.call("jabar.admin", "GET", fmt.Sprintf("/api/v1/audit?kind=incident&record_id=%d", green.ID), "", 200, &raw)
		found := false
		for _, e := range raw.Items {
			found = found || e.Action == "incident.link"
			if d := string(e.Detail); strings.Contains(d, red.HumanID) || strings.Contains(d, "sumber bocoran") {
				t.Errorf("jabar.admin reads %s with detail %s", e.Action, d)
			}
		}
		if !found {
			t.Errorf("jabar.admin does not see the link entry of %s", green.HumanID)
		}
	})
}
