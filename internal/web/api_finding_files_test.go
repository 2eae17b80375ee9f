package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestFindingEvidenceCarriedToIncident: the response behind a critical
// finding is kept as evidence once (a rescan that sees the same bytes adds
// nothing, a different answer adds a file), capped in size; promoting the
// finding gives its incident the same files, by SHA-256.
func TestFindingEvidenceCarriedToIncident(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		w := newScanAPIWorld(t, db)
		w.serve(Deps{DataDir: dir})
		var a struct{ ID int64 }
		w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"Sidalih Jawa Barat","kind":"site","urls":["http://127.0.0.1:2375"]}`, 201, &a)
		give := fmt.Sprintf(`{"scope":["http://127.0.0.1:2375"],"mode":"active","window_start":0,"window_end":24,"rate_per_second":5,"concurrency":2,"expires_at":%q}`,
			time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339))
		w.call("jabar.coord", "POST", fmt.Sprintf("/api/v1/assets/%d/scan-authorizations", a.ID), give, 201, nil)

		st := scan.NewStore(db)
		st.Files = evidence.Store{Dir: dir}
		scanOnce := func(response string) {
			t.Helper()
			id, _, err := st.Begin(ctx, a.ID, scan.TriggerSchedule, "")
			if err != nil {
				t.Fatal(err)
			}
			res := scan.Result{TemplateID: "docker-api-exposed", Info: scan.Info{Name: "Docker API exposed", Severity: scan.SeverityCritical},
				Type: "http", Host: "127.0.0.1:2375", MatchedAt: "http://127.0.0.1:2375/version", Timestamp: time.Now(), MatcherStatus: true,
				Request: "GET /version HTTP/1.1\r\nHost: 127.0.0.1:2375\r\n\r\n", Response: response}
			if err := st.Finish(ctx, id, scan.StatusDone, []scan.Result{res}, nil); err != nil {
				t.Fatal(err)
			}
		}
		answer := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ApiVersion\":\"1.41\"}"
		scanOnce(answer)
		scanOnce(answer)                                                // the same bytes: one file
		scanOnce(answer + strings.Repeat("x", 2*finding.ExchangeLimit)) // another answer, capped

		var list struct{ Items []finding.Finding }
		w.call("jabar.coord", "GET", fmt.Sprintf("/api/v1/findings?asset=%d", a.ID), "", 200, &list)
		if len(list.Items) != 1 || list.Items[0].Severity != "critical" {
			t.Fatalf("findings: %+v", list.Items)
		}
		fid := list.Items[0].ID
		var files struct{ Items []finding.File }
		w.call("jabar.coord", "GET", fmt.Sprintf("/api/v1/findings/%d/evidence", fid), "", 200, &files)
		if len(files.Items) != 2 {
			t.Fatalf("evidence files: %+v, want two (the same bytes kept once)", files.Items)
		}
		if big := files.Items[0]; big.Size > 2*finding.ExchangeLimit || big.Size < finding.ExchangeLimit {
			t.Errorf("the long answer's file is %d bytes: want it capped near %d", big.Size, finding.ExchangeLimit)
		}
		w.call("jateng.viewer", "GET", fmt.Sprintf("/api/v1/findings/%d/evidence", fid), "", 404, nil)

		var inc incident.Incident
		w.call("jabar.coord", "POST", fmt.Sprintf("/api/v1/findings/%d/promote", fid), "", 201, &inc)
		var carried struct{ Items []incident.Evidence }
		w.call("jabar.coord", "GET", "/api/v1/incidents/"+inc.HumanID+"/evidence", "", 200, &carried)
		if len(carried.Items) != 2 {
			t.Fatalf("the incident carries %d evidence files, want 2: %+v", len(carried.Items), carried.Items)
		}
		want := map[string]bool{files.Items[0].SHA256: true, files.Items[1].SHA256: true}
		for _, e := range carried.Items {
			if !want[e.SHA256] || !strings.HasPrefix(e.Name, "scan-") {
				t.Errorf("carried %+v: not one of the finding's files", e)
			}
		}
		body, _ := w.download("jabar.coord", fmt.Sprintf("/api/v1/incidents/%s/evidence/%d", inc.HumanID, carried.Items[0].ID))
		if !strings.Contains(body, "GET /version") {
			t.Errorf("the incident's copy:\n%s", body)
		}
	})
}
