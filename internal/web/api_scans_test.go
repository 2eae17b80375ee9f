package web

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// gitConfigCheck is a TEST check: it asks for /.git/config through the
// Env (package fetch's, under a loopback guard) and reports it when served.
type gitConfigCheck struct{}

func (gitConfigCheck) ID() string   { return "test-git-config" }
func (gitConfigCheck) Active() bool { return false }
func (gitConfigCheck) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.URL+"/.git/config", nil)
	res, err := env.HTTP.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		emit(scan.Result{TemplateID: "test-git-config", Info: scan.Info{Name: "Git config exposed", Severity: scan.SeverityHigh},
			Type: "http", Host: t.URL, MatchedAt: t.URL + "/.git/config", Timestamp: time.Now(), MatcherStatus: true})
	}
	return nil
}

// newScanAPIWorld is the API world with a scan runner, and coordinators.
func newScanAPIWorld(t *testing.T, db *store.DB) *apiWorld {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	st := scan.NewStore(db)
	runner := &scan.Runner{Auth: st, Recorder: st, Env: fetch.ScanEnv(fetch.LoopbackOnly(), ""), Checks: []scan.Check{gitConfigCheck{}},
		ProgressEvery: 10 * time.Millisecond}
	s, err := New(Deps{DB: db, Scans: runner})
	if err != nil {
		t.Fatal(err)
	}
	scanPoll = 20 * time.Millisecond
	w := &apiWorld{t: t, db: db, srv: httptest.NewServer(s.Handler()), tokens: map[string]string{}}
	t.Cleanup(w.srv.Close)
	users := append([]auth.NewUser{
		{Username: "jabar.coord", Org: "kpu-32", Role: "coordinator", Scope: "32"},
		{Username: "jateng.coord", Org: "kpu-33", Role: "coordinator", Scope: "33"},
	}, apiUsers...)
	for _, n := range users {
		n.Password = "pw-" + n.Username + "-long"
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &out)
		w.tokens[n.Username] = out.Token
	}
	return w
}

// TestScanAPILifecycle: refused without an authorisation (with the
// reason), authorised by a coordinator, started by hand, watched to its
// end over SSE, its finding listed, ruled and reopened; revoked, refused
// again; another province's people see none of it.
func TestScanAPILifecycle(t *testing.T) {
	storetest.Backends(t, testScanAPILifecycle)
}

func testScanAPILifecycle(t *testing.T, db *store.DB) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.git/config" {
			w.Write([]byte("[core]\n"))
			return
		}
		http.NotFound(w, r)
	}))
	defer site.Close()
	w := newScanAPIWorld(t, db)
	var a struct{ ID int64 }
	w.call("jabar.analyst", "POST", "/api/v1/assets", fmt.Sprintf(`{"name":"Portal KPU Jabar","kind":"site","urls":[%q]}`, site.URL), 201, &a)
	assetPath := fmt.Sprintf("/api/v1/assets/%d", a.ID)

	var refused struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	w.call("jabar.analyst", "POST", assetPath+"/scans", "", 409, &refused)
	if !strings.Contains(refused.Error.Message, "was ever given") {
		t.Errorf("refusal %+v: want the reason (never given)", refused.Error)
	}
	expires := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	give := fmt.Sprintf(`{"scope":[%q],"mode":"passive","window_start":0,"window_end":24,"rate_per_second":20,"concurrency":2,"expires_at":%q}`, site.URL, expires)
	w.call("jabar.analyst", "POST", assetPath+"/scan-authorizations", give, 403, nil)
	w.call("jateng.coord", "POST", assetPath+"/scan-authorizations", give, 404, nil)
	w.call("jabar.coord", "POST", assetPath+"/scan-authorizations", strings.Replace(give, "passive", "loud", 1), 400, nil)
	w.call("jabar.coord", "POST", assetPath+"/scan-authorizations", `{"scope":["https://elsewhere.example"],"mode":"passive","rate_per_second":1,"concurrency":1,"expires_at":"`+expires+`"}`, 400, nil)
	var az scan.Authorization
	w.call("jabar.coord", "POST", assetPath+"/scan-authorizations", give, 201, &az)
	var azs struct{ Items []scan.Authorization }
	w.call("jabar.analyst", "GET", assetPath+"/scan-authorizations", "", 200, &azs)
	if len(azs.Items) != 1 || azs.Items[0].ID != az.ID {
		t.Fatalf("authorisations: %+v", azs.Items)
	}
	w.call("jateng.viewer", "GET", assetPath+"/scan-authorizations", "", 404, nil)
	w.call("jateng.coord", "POST", assetPath+"/scans", "", 404, nil)
	w.call("jateng.viewer", "POST", assetPath+"/scans", "", 404, nil)

	var sc scan.ScanRecord
	h := w.call("jabar.analyst", "POST", assetPath+"/scans", "", 202, &sc)
	if sc.ID == 0 || h.Get("Location") != fmt.Sprintf("/api/v1/scans/%d", sc.ID) || sc.Trigger != scan.TriggerManual || sc.RequestedBy != "jabar.analyst" {
		t.Fatalf("started %+v (Location %q)", sc, h.Get("Location"))
	}
	scanPath := fmt.Sprintf("/api/v1/scans/%d", sc.ID)
	w.call("jateng.viewer", "GET", scanPath, "", 404, nil)
	w.call("jateng.viewer", "GET", scanPath+"/events", "", 404, nil)

	// The live stream ends with the final record.
	req, _ := http.NewRequest("GET", w.srv.URL+scanPath+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens["jabar.analyst"])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	var endData string
	sc2 := bufio.NewScanner(res.Body)
	for sc2.Scan() {
		line := sc2.Text()
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			events = append(events, ev)
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok && len(events) > 0 && events[len(events)-1] == "end" {
			endData = d
			break
		}
	}
	res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(endData, `"status":"done"`) {
		t.Fatalf("events %v, end %s", events, endData)
	}

	var scans struct{ Items []scan.ScanRecord }
	w.call("jabar.analyst", "GET", fmt.Sprintf("/api/v1/scans?asset=%d&status=done", a.ID), "", 200, &scans)
	if len(scans.Items) != 1 || scans.Items[0].Results != 1 {
		t.Fatalf("scans: %+v", scans.Items)
	}
	w.call("jateng.viewer", "GET", "/api/v1/scans", "", 200, &scans)
	if len(scans.Items) != 0 {
		t.Fatalf("another province sees scans: %+v", scans.Items)
	}

	type fnd struct {
		ID       int64
		Status   string
		Severity string
		History  []struct{ Kind string }
	}
	var list struct {
		Items      []fnd
		NextCursor string `json:"next_cursor"`
	}
	w.call("jabar.analyst", "GET", "/api/v1/findings?region=32&severity=high&status=open", "", 200, &list)
	if len(list.Items) != 1 || list.Items[0].Severity != "high" {
		t.Fatalf("findings: %+v", list.Items)
	}
	fid := list.Items[0].ID
	w.call("jateng.viewer", "GET", "/api/v1/findings", "", 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another province sees findings: %+v", list.Items)
	}
	w.call("jabar.analyst", "GET", "/api/v1/findings?region=33", "", 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("region filter: %+v", list.Items)
	}
	findingPath := fmt.Sprintf("/api/v1/findings/%d", fid)
	// The daily report counts the day's tests for its reader only.
	for user, want := range map[string]int{"jabar.analyst": 1, "jateng.viewer": 0, "kpu.analyst": 1} {
		var rep struct {
			Scans struct {
				SitesScanned int `json:"sites_scanned"`
				New, Open    int
			} `json:"scans"`
		}
		w.call(user, "GET", "/api/v1/reports/daily", "", 200, &rep)
		if rep.Scans.SitesScanned != want || rep.Scans.New != want || rep.Scans.Open != want {
			t.Errorf("report for %s: %+v, want %d of each", user, rep.Scans, want)
		}
	}
	w.call("jateng.viewer", "GET", findingPath, "", 404, nil)
	w.call("jateng.coord", "POST", findingPath+"/decision", `{"status":"false_positive","reason":"test"}`, 404, nil)
	w.call("jateng.coord", "POST", findingPath+"/promote", "", 404, nil)
	var f fnd
	w.call("jabar.analyst", "GET", findingPath, "", 200, &f)
	if f.Status != "open" || len(f.History) == 0 || f.History[0].Kind != "opened" {
		t.Fatalf("finding %+v", f)
	}
	for _, bad := range []string{"?severity=loud", "?overdue=maybe", "?status=gone", "?region=99", "?asset=x", "?cursor=%21%21", "?limit=0"} {
		w.call("jabar.analyst", "GET", "/api/v1/findings"+bad, "", 400, nil)
	}
	w.call("jabar.analyst", "GET", "/api/v1/scans?status=sleeping", "", 400, nil)
	w.call("jabar.analyst", "GET", "/api/v1/findings/x", "", 404, nil)
	w.call("jabar.coord", "POST", findingPath+"/decision", `{"status":"false_positive"}`, 400, nil)
	w.call("jabar.coord", "POST", findingPath+"/decision", `{"status":"false_positive","reason":"berkas contoh, bukan repositori","bogus":1}`, 400, nil)
	w.call("jabar.analyst", "GET", findingPath, "", 200, &f)
	if f.Status != "open" {
		t.Fatalf("bad input changed the finding: %+v", f)
	}
	w.call("jabar.coord", "POST", findingPath+"/decision", `{"status":"false_positive","reason":"berkas contoh, bukan repositori"}`, 200, &f)
	if f.Status != "false_positive" {
		t.Fatalf("ruled: %+v", f)
	}
	w.call("jabar.coord", "POST", findingPath+"/decision", `{"status":"open","reason":"ternyata repositori asli"}`, 200, &f)
	if f.Status != "open" {
		t.Fatalf("reopened: %+v", f)
	}
	// Only a critical finding becomes an incident.
	w.call("jateng.viewer", "POST", findingPath+"/promote", "", 404, nil)
	w.call("jabar.coord", "POST", findingPath+"/promote", "", 409, &refused)
	if !strings.Contains(refused.Error.Message, "critical") {
		t.Errorf("promoting a high finding: %+v", refused.Error)
	}
	if _, err := w.db.Exec(context.Background(), `UPDATE findings SET severity = 'critical' WHERE id = ?`, fid); err != nil {
		t.Fatal(err)
	}
	var inc struct {
		HumanID string `json:"human_id"`
	}
	w.call("jabar.coord", "POST", findingPath+"/promote", "", 201, &inc)
	w.call("jabar.coord", "POST", findingPath+"/promote", "", 409, nil)
	w.call("jabar.analyst", "GET", findingPath, "", 200, &f)
	if inc.HumanID == "" || len(f.History) == 0 || f.History[len(f.History)-1].Kind != "promoted" {
		t.Fatalf("promoted to %q; history %+v", inc.HumanID, f.History)
	}

	authPath := fmt.Sprintf("%s/scan-authorizations/%d", assetPath, az.ID)
	w.call("jabar.coord", "DELETE", authPath, "", 400, nil)
	w.call("jabar.coord", "DELETE", fmt.Sprintf("%s/scan-authorizations/%d", assetPath, az.ID+100), `{"reason":"selesai"}`, 404, nil)
	w.call("jateng.coord", "DELETE", authPath, `{"reason":"selesai"}`, 404, nil)
	w.call("jabar.coord", "DELETE", authPath, `{"reason":"masa uji selesai"}`, 200, nil)
	w.call("jabar.analyst", "POST", assetPath+"/scans", "", 409, &refused)
	if !strings.Contains(refused.Error.Message, "revoked") {
		t.Errorf("refusal after revoking: %+v", refused.Error)
	}
}
