package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestDrillAPI: BSSN composes and schedules over the API, the room works
// its run (acknowledge, escalate, report), BSSN finishes it and reads the
// score; a province composes nothing and never reads another province's
// run; the real alert list stays empty.
func TestDrillAPI(t *testing.T) {
	db := storetest.SQLite(t)
	w := newAPIWorld(t, db)
	ids := roomIDs(t, db)
	ctx := context.Background()
	w.addUser(auth.NewUser{Username: "bssn.coord", Org: "bssn", Role: "coordinator"})
	op := w.addUser(auth.NewUser{Username: "jabar.op", Org: "diskominfo-32", Role: "operator", Scope: "32"})
	if err := room.AddMember(ctx, db, audit.System, ids["32"], op.ID, "member"); err != nil {
		t.Fatal(err)
	}
	body := `{"name":"Latihan injeksi SQL","classes":["sqli"],"expect_level":"national"}`
	w.call("jabar.analyst", "POST", "/api/v1/drills", body, 403, nil)
	w.call("bssn.coord", "POST", "/api/v1/drills", `{"name":"x","classes":["nope"]}`, 400, nil)
	var d drill.Drill
	w.call("bssn.coord", "POST", "/api/v1/drills", body, 201, &d)
	var sched struct {
		Runs []int64 `json:"runs"`
	}
	w.call("bssn.coord", "POST", fmt.Sprintf("/api/v1/drills/%d/runs", d.ID), fmt.Sprintf(`{"rooms":[%d],"speed":61}`, ids["32"]), 400, nil)
	w.call("bssn.coord", "POST", fmt.Sprintf("/api/v1/drills/%d/runs", d.ID), fmt.Sprintf(`{"rooms":[%d,%d],"speed":0}`, ids["32"], ids["33"]), 201, &sched)
	if len(sched.Runs) != 2 {
		t.Fatalf("runs: %+v", sched)
	}
	if n, err := runDrills(t, db); err != nil || n != 2 {
		t.Fatalf("run due: %d %v", n, err)
	}
	run := sched.Runs[0] // West Java's (rooms in id order)
	var got struct {
		drill.Run
		Alerts []drill.Alert `json:"alerts"`
	}
	w.call("jabar.op", "GET", fmt.Sprintf("/api/v1/drill-runs/%d", run), "", 200, &got)
	if got.RoomID != ids["32"] || len(got.Alerts) == 0 || !got.Alerts[0].Drill {
		t.Fatalf("West Java's run: %+v", got)
	}
	w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/drill-runs/%d", run), "", 404, nil)
	w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/rooms/%d/drills", ids["32"]), "", 404, nil)
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/alerts/%d/acknowledge", run, got.Alerts[0].ID), "", 200, nil)
	// A drill incident through the API; Central Java neither opens nor lists one.
	promote := fmt.Sprintf(`{"alert_ids":[%d]}`, got.Alerts[0].ID)
	w.call("jateng.viewer", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), promote, 404, nil)
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), `{"alert_ids":[]}`, 400, nil)
	var inc struct {
		HumanID string `json:"human_id"`
		Drill   bool   `json:"drill"`
	}
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), promote, 201, &inc)
	if !inc.Drill || !strings.HasPrefix(inc.HumanID, "LAT-") {
		t.Errorf("the drill incident: %+v", inc)
	}
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), promote, 409, nil)
	w.call("jabar.op", "GET", "/api/v1/incidents/"+inc.HumanID, "", 200, nil)
	w.call("jateng.viewer", "GET", "/api/v1/incidents/"+inc.HumanID, "", 404, nil)
	w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), "", 404, nil)
	var incs struct {
		Items []drill.RunIncident `json:"items"`
	}
	w.call("bssn.coord", "GET", fmt.Sprintf("/api/v1/drill-runs/%d/incidents", run), "", 200, &incs)
	if len(incs.Items) != 1 || incs.Items[0].HumanID != inc.HumanID {
		t.Errorf("BSSN's list of the run's incidents: %+v", incs)
	}
	var real struct {
		Items []map[string]any `json:"items"`
	}
	w.call("bssn.coord", "GET", "/api/v1/incidents", "", 200, &real)
	for _, i := range real.Items {
		if i["human_id"] == inc.HumanID {
			t.Error("the real incident list holds the drill incident")
		}
	}
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/escalate", run), `{"level":"kecamatan"}`, 400, nil)
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/escalate", run), `{"level":"national"}`, 200, nil)
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/report", run), `{"report":"Injeksi SQL terdeteksi dan dilaporkan."}`, 200, nil)
	w.call("jabar.op", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/finish", run), "", 403, nil)
	var done drill.Run
	w.call("bssn.coord", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/finish", run), "", 200, &done)
	w.call("bssn.coord", "POST", fmt.Sprintf("/api/v1/drill-runs/%d/finish", sched.Runs[1]), "", 200, nil)
	if done.Score == nil || done.Score.Total != 100 {
		t.Errorf("West Java's score: %+v", done.Score)
	}
	var runs struct {
		Items []drill.Run `json:"items"`
	}
	w.call("bssn.coord", "GET", fmt.Sprintf("/api/v1/drills/%d/runs", d.ID), "", 200, &runs)
	if len(runs.Items) != 2 || runs.Items[1].Score == nil || runs.Items[1].Score.Total != 0 {
		t.Errorf("BSSN's view of the scores: %+v", runs.Items)
	}
	var tr struct {
		Items []drill.Training `json:"items"`
	}
	w.call("jabar.op", "GET", "/api/v1/users/jabar.op/training", "", 200, &tr)
	if len(tr.Items) != 1 {
		t.Errorf("jabar.op's training: %+v", tr.Items)
	}
	w.call("jateng.viewer", "GET", "/api/v1/users/jabar.op/training", "", 404, nil)
	w.call("bssn.coord", "POST", "/api/v1/users/jabar.analyst/training", `{"title":"Pelatihan BSSN"}`, 201, nil)
	var alerts struct {
		Items []any `json:"items"`
	}
	w.call("kpu.analyst", "GET", "/api/v1/alerts", "", 200, &alerts)
	if len(alerts.Items) != 0 {
		t.Errorf("the real alert list holds %d after a drill", len(alerts.Items))
	}
}
