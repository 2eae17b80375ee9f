package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
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

// upload sends a multipart request as a user; name is the file part's raw
// filename (written as it is, so path tricks reach the server unaltered).
func (w *apiWorld) upload(user, path, field, name string, body io.Reader, want int) (incident.Evidence, string) {
	w.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)+`"`)
		h.Set("Content-Type", "application/octet-stream")
		part, err := mw.CreatePart(h)
		if err == nil {
			_, err = io.Copy(part, body)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest("POST", w.srv.URL+path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		w.t.Fatalf("upload %q to %s as %s: status %d, want %d: %s", name, path, user, res.StatusCode, want, b)
	}
	var e incident.Evidence
	if want == http.StatusCreated {
		if err := json.Unmarshal(b, &e); err != nil {
			w.t.Fatal(err)
		}
	}
	return e, string(b)
}

func TestAPIIncidentWork(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		dataDir := t.TempDir()
		w.serve(Deps{DataDir: dataDir})

		var inc incident.Incident
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Defacement","region":"32"}`, 201, &inc)
		base := "/api/v1/incidents/" + inc.HumanID

		// Tasks.
		var task incident.Task
		w.call("jabar.analyst", "POST", base+"/tasks", `{"title":"Restore the site","owner":"diskominfo-32","due_at":"2020-01-01T00:00:00Z"}`, 201, &task)
		if task.Owner != "diskominfo-32" || !task.Overdue || task.Status != "open" {
			t.Fatalf("task %+v", task)
		}
		w.call("jabar.analyst", "POST", base+"/tasks", `{"title":"","owner":"diskominfo-32"}`, 400, nil)
		w.call("jabar.analyst", "POST", base+"/tasks", `{"title":"x","owner":"diskominfo-32","priority":1}`, 400, nil)
		w.call("jateng.viewer", "POST", base+"/tasks", `{"title":"x","owner":"kpu-33"}`, 404, nil)
		w.call("jateng.viewer", "GET", base+"/tasks", "", 404, nil)
		taskPath := fmt.Sprintf("%s/tasks/%d", base, task.ID)
		// The operation room's operator works its organisation's task.
		w.call("diskominfo.jabar", "PATCH", taskPath, `{"status":"done"}`, 200, nil)
		w.call("diskominfo.jabar", "PATCH", taskPath, `{"status":"open"}`, 200, nil)
		w.call("bandung.analyst", "PATCH", taskPath, `{"status":"done"}`, 404, nil) // outside its scope
		w.call("jabar.analyst", "PATCH", taskPath, `{"status":"done"}`, 403, nil)   // not the owner organisation
		w.call("jabar.analyst", "PATCH", base+"/tasks/999999", `{"status":"done"}`, 404, nil)
		var tasks struct {
			Items []incident.Task `json:"items"`
		}
		w.call("diskominfo.jabar", "GET", base+"/tasks", "", 200, &tasks)
		if len(tasks.Items) != 1 || !tasks.Items[0].Overdue {
			t.Fatalf("tasks %+v", tasks.Items)
		}

		// Observables.
		var obs incident.Observable
		w.call("jabar.analyst", "POST", base+"/observables", `{"type":"domain","value":"Deface.Example.com"}`, 201, &obs)
		w.call("jabar.analyst", "POST", base+"/observables", `{"type":"domain","value":"deface.example.com"}`, 200, &obs)
		w.call("jabar.analyst", "POST", base+"/observables", `{"type":"nik_count","value":"350"}`, 201, nil)
		var e struct {
			Error struct{ Code, Message, Field string }
		}
		w.call("jabar.analyst", "POST", base+"/observables", `{"type":"account","value":"3204123456780001"}`, 400, &e)
		if e.Error.Field != "value" || !strings.Contains(e.Error.Message, "NIK") {
			t.Fatalf("NIK refusal %+v", e)
		}
		w.call("jabar.analyst", "POST", base+"/observables", `{"type":"ip","value":"999.1.1.1"}`, 400, nil)
		w.call("jateng.viewer", "GET", base+"/observables", "", 404, nil)
		var obsList struct {
			Items []incident.Observable `json:"items"`
		}
		w.call("jabar.analyst", "GET", base+"/observables", "", 200, &obsList)
		if len(obsList.Items) != 2 {
			t.Fatalf("observables %+v", obsList.Items)
		}

		// Evidence: upload, list, download, custody.
		content := "<html><script>alert(1)</script></html>"
		ev, _ := w.upload("jabar.analyst", base+"/evidence", "file", "halaman déface.html", strings.NewReader(content), 201)
		sum := sha256.Sum256([]byte(content))
		if ev.SHA256 != hex.EncodeToString(sum[:]) || ev.Size != int64(len(content)) || !strings.HasPrefix(ev.ContentType, "text/html") || ev.Name != "halaman déface.html" {
			t.Fatalf("evidence %+v", ev)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "evidence", strconv.FormatInt(inc.ID, 10), ev.SHA256)); err != nil {
			t.Fatal(err)
		}

		// Bad uploads: 400 (415 for a body that is not multipart), nothing stored.
		for _, name := range []string{"../../../etc/passwd", "/etc/passwd", `..\..\boot.ini`, "C:/x", "a\x01b"} {
			if _, msg := w.upload("jabar.analyst", base+"/evidence", "file", name, strings.NewReader("x"), 400); !strings.Contains(msg, "file") {
				t.Errorf("name %q: %s", name, msg)
			}
		}
		w.upload("jabar.analyst", base+"/evidence", "attachment", "x.txt", strings.NewReader("x"), 400)
		huge := io.MultiReader(strings.NewReader("%PDF-"), io.LimitReader(zeros{}, incident.DefaultEvidenceMaxBytes-4))
		if _, msg := w.upload("jabar.analyst", base+"/evidence", "file", "big.pdf", huge, 413); !strings.Contains(msg, "body_too_large") || !strings.Contains(msg, "50 MiB") {
			t.Fatalf("oversized: %s", msg)
		}
		w.call("jabar.analyst", "POST", base+"/evidence", `{"file":"x"}`, 415, nil)
		w.upload("jateng.viewer", base+"/evidence", "file", "x.txt", strings.NewReader("x"), 404)
		w.upload("jabar.analyst", "/api/v1/incidents/INC-1999-000001/evidence", "file", "x.txt", strings.NewReader("x"), 404)
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM incident_evidence`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d evidence rows after bad uploads (%v)", n, err)
		}
		if entries, _ := os.ReadDir(filepath.Join(dataDir, "evidence", strconv.FormatInt(inc.ID, 10))); len(entries) != 1 {
			t.Fatalf("files on disk after bad uploads: %v", entries)
		}

		var evList struct {
			Items []incident.Evidence `json:"items"`
		}
		w.call("jabar.analyst", "GET", base+"/evidence", "", 200, &evList)
		if len(evList.Items) != 1 || evList.Items[0].ID != ev.ID {
			t.Fatalf("evidence list %+v", evList.Items)
		}
		evPath := fmt.Sprintf("%s/evidence/%d", base, ev.ID)
		req, _ := http.NewRequest("GET", w.srv.URL+evPath, nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens["diskominfo.jabar"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != content {
			t.Fatalf("download %d %q", res.StatusCode, body)
		}
		_, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		if err != nil || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || params["filename"] != "halaman déface.html" {
			t.Fatalf("Content-Disposition %q", res.Header.Get("Content-Disposition"))
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Type") != "application/octet-stream" ||
			res.Header.Get("X-Evidence-SHA256") != ev.SHA256 {
			t.Fatalf("download headers %v", res.Header)
		}
		w.call("jateng.viewer", "GET", evPath, "", 404, nil)
		w.call("jateng.viewer", "GET", evPath+"/custody", "", 404, nil)
		w.call("jateng.viewer", "GET", base+"/evidence", "", 404, nil)
		w.call("jabar.analyst", "GET", base+"/evidence/999999", "", 404, nil)
		w.call("jabar.analyst", "GET", base+"/evidence/999999/custody", "", 404, nil)

		var custody struct {
			Items []incident.Custody `json:"items"`
		}
		w.call("jabar.analyst", "GET", evPath+"/custody", "", 200, &custody)
		if len(custody.Items) != 2 || custody.Items[0].Action != "uploaded" || custody.Items[1].Action != "downloaded" ||
			custody.Items[1].Actor != "diskominfo.jabar" || custody.Items[1].Addr != "127.0.0.1" {
			t.Fatalf("custody %+v", custody.Items)
		}

		// A user of the owner organisation who works tasks marks it done.
		var own incident.Task
		w.call("jabar.analyst", "POST", base+"/tasks", `{"title":"Preserve the logs","owner":"kpu-32","assignee":"jabar.analyst"}`, 201, &own)
		w.call("jabar.analyst", "PATCH", fmt.Sprintf("%s/tasks/%d", base, own.ID), `{"status":"done"}`, 200, &own)
		if own.Status != "done" || own.DoneBy != "jabar.analyst" || own.DoneAt == nil {
			t.Fatalf("done %+v", own)
		}
		var tl struct {
			Items []incident.Entry `json:"items"`
		}
		w.call("jabar.analyst", "GET", base+"/timeline", "", 200, &tl)
		var kinds []string
		for _, e := range tl.Items {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "created,task,task_done,task_reopened,observable,observable,evidence,task,task_done" {
			t.Fatalf("timeline %v", kinds)
		}
		if _, err := audit.Verify(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	})
}

// zeros reads zero bytes forever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestMapByIncidents: the national map colours a province by its open
// incidents' highest severity, counting only what the reader may see, and
// lets go once they are resolved.
func TestMapByIncidents(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		province := func(user, code string) (open int, highest, level string) {
			t.Helper()
			var o struct {
				Provinces []struct {
					Code    string `json:"code"`
					Open    int    `json:"open_items"`
					Highest string `json:"highest_severity"`
					Level   string `json:"level"`
				} `json:"provinces"`
			}
			w.call(user, "GET", "/api/v1/overview", "", 200, &o)
			for _, p := range o.Provinces {
				if p.Code == code {
					return p.Open, p.Highest, p.Level
				}
			}
			t.Fatalf("no province %s", code)
			return
		}
		if n, _, level := province("kpu.analyst", "33"); n != 0 || level != "none" {
			t.Fatalf("before: %d open, level %s", n, level)
		}
		var low, crit incident.Incident
		w.call("kpu.analyst", "POST", "/api/v1/incidents", `{"title":"Spam ke operator","severity":"low","region":"33"}`, 201, &low)
		w.call("kpu.analyst", "POST", "/api/v1/incidents", `{"title":"Deface situs KPU Jateng","severity":"critical","region":"33.74"}`, 201, &crit)
		if n, highest, level := province("kpu.analyst", "33"); n != 2 || highest != "critical" || level != "high" {
			t.Fatalf("two open incidents: %d open, highest %s, level %s", n, highest, level)
		}
		// West Java's analyst sees nothing of Central Java (scope).
		if n, _, level := province("jabar.analyst", "33"); n != 0 || level != "none" {
			t.Fatalf("another province's reader: %d open, level %s", n, level)
		}
		w.call("kpu.analyst", "PATCH", "/api/v1/incidents/"+crit.HumanID, `{"status":"resolved","resolution":"true_positive"}`, 200, nil)
		if n, highest, level := province("kpu.analyst", "33"); n != 1 || highest != "low" || level != "low" {
			t.Fatalf("after resolving the critical one: %d open, highest %s, level %s", n, highest, level)
		}
	})
}
