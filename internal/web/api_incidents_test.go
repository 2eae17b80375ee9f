package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestAPIIncidents(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		// A coordinator of KPU Jawa Barat, for escalation and participants.
		n := auth.NewUser{Username: "jabar.coord", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: "pw-jabar.coord-long"}
		if _, err := auth.CreateUser(context.Background(), db, audit.System, n); err != nil {
			t.Fatal(err)
		}
		var login struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &login)
		w.tokens[n.Username] = login.Token

		var inc incident.Incident
		h := w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Defacement","category":"intrusions","severity":"high","region":"32"}`, 201, &inc)
		if !strings.HasPrefix(inc.HumanID, "INC-") || h.Get("Location") != "/api/v1/incidents/"+inc.HumanID {
			t.Fatalf("created %+v, location %q", inc, h.Get("Location"))
		}
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"x","category":"hacking"}`, 400, nil)
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"x","colour":"red"}`, 400, nil)
		w.call("jateng.viewer", "POST", "/api/v1/incidents", `{"title":"x"}`, 403, nil)
		w.call("", "GET", "/api/v1/incidents", "", 401, nil)

		var got incident.Incident
		w.call("jabar.analyst", "GET", "/api/v1/incidents/"+inc.HumanID, "", 200, &got)
		w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/incidents/%d", inc.ID), "", 200, &got)
		if got.ID != inc.ID || got.Title != "Defacement" {
			t.Fatalf("got %+v", got)
		}
		w.call("jateng.viewer", "GET", "/api/v1/incidents/"+inc.HumanID, "", 404, nil)
		w.call("jabar.analyst", "GET", "/api/v1/incidents/INC-1999-000001", "", 404, nil)
		w.call("jabar.analyst", "GET", "/api/v1/incidents/nonsense", "", 404, nil)

		var list struct {
			Items      []incident.Incident `json:"items"`
			NextCursor string              `json:"next_cursor"`
		}
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Second","region":"32.04"}`, 201, nil)
		w.call("jabar.analyst", "GET", "/api/v1/incidents?limit=1", "", 200, &list)
		if len(list.Items) != 1 || list.NextCursor == "" {
			t.Fatalf("page %+v", list)
		}
		cursor := list.NextCursor
		list.NextCursor = ""
		w.call("jabar.analyst", "GET", "/api/v1/incidents?limit=1&cursor="+cursor, "", 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != inc.ID || list.NextCursor != "" {
			t.Fatalf("second page %+v", list)
		}
		w.call("jabar.analyst", "GET", "/api/v1/incidents?status=new&severity=high&category=intrusions", "", 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("filtered %d", len(list.Items))
		}
		w.call("jabar.analyst", "GET", "/api/v1/incidents?severity=urgent", "", 400, nil)
		w.call("jateng.viewer", "GET", "/api/v1/incidents", "", 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("Central Java lists %d", len(list.Items))
		}

		w.call("jabar.analyst", "PATCH", "/api/v1/incidents/"+inc.HumanID, `{"status":"closed"}`, 400, nil)
		w.call("jabar.analyst", "PATCH", "/api/v1/incidents/"+inc.HumanID, `{"tlp":"GREEN"}`, 403, nil)
		w.call("jabar.analyst", "PATCH", "/api/v1/incidents/"+inc.HumanID, `{"status":"triage"}`, 200, &got)
		if got.Status != "triage" || got.FirstResponseAt == nil {
			t.Fatalf("patched %+v", got)
		}
		w.call("jabar.analyst", "POST", "/api/v1/incidents/"+inc.HumanID+"/comments", `{"body":"Looking into it"}`, 201, nil)
		w.call("jabar.analyst", "POST", "/api/v1/incidents/"+inc.HumanID+"/comments", `{"body":""}`, 400, nil)

		// Escalation from the province: BSSN joins.
		w.call("bssn.analyst", "GET", "/api/v1/incidents/"+inc.HumanID, "", 404, nil)
		w.call("jabar.analyst", "POST", "/api/v1/incidents/"+inc.HumanID+"/escalate", `{"reason":"big"}`, 403, nil)
		w.call("jabar.coord", "POST", "/api/v1/incidents/"+inc.HumanID+"/escalate", `{}`, 400, nil)
		w.call("jabar.coord", "POST", "/api/v1/incidents/"+inc.HumanID+"/escalate", `{"reason":"national impact"}`, 200, &got)
		w.call("bssn.analyst", "GET", "/api/v1/incidents/"+inc.HumanID, "", 200, nil)
		w.call("jabar.coord", "POST", "/api/v1/incidents/"+inc.HumanID+"/participants", `{"orgs":["polri"]}`, 200, &got)
		w.call("jabar.coord", "POST", "/api/v1/incidents/"+inc.HumanID+"/participants", `{"orgs":["nope"]}`, 400, nil)

		var tl struct {
			Items []incident.Entry `json:"items"`
		}
		w.call("jabar.analyst", "GET", "/api/v1/incidents/"+inc.HumanID+"/timeline", "", 200, &tl)
		var kinds []string
		for _, e := range tl.Items {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "created,updated,comment,escalated,participants" || tl.Items[3].Actor != "jabar.coord" || tl.Items[3].Body != "national impact" {
			t.Fatalf("timeline %+v", tl.Items)
		}
		w.call("jateng.viewer", "GET", "/api/v1/incidents/"+inc.HumanID+"/timeline", "", 404, nil)
		if _, err := audit.Verify(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	})
}
