package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
)

// TestIncidentPageWorkForms works an incident from its page only: a task
// handed to the police, done by a police responder; observables (a NIK is
// refused and nothing is stored); evidence uploaded through the browser's
// multipart form and downloaded; and the forms' refusals: a file before the
// CSRF token, a path in the file name, a file over the limit, a viewer.
func TestIncidentPageWorkForms(t *testing.T) {
	s := newSiteWith(t, Deps{DataDir: t.TempDir(), EvidenceMaxBytes: 64 << 10})
	ctx := context.Background()
	for _, n := range []auth.NewUser{
		{Username: "polri.responder", DisplayName: "Responder Polri", Org: "polri", Role: "responder", Scope: ""},
		{Username: "jabar.coord", DisplayName: "Koordinator Jabar", Org: "kpu-32", Role: "coordinator", Scope: "32"},
	} {
		n.Password = password(n.Username)
		if _, err := auth.CreateUser(ctx, s.db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	p := principal(t, s, "jabar.analyst")
	tree, _ := org.Load(ctx, s.db)
	title, reg := "Phishing ke operator Sirekap", "32"
	inc, err := incident.Create(ctx, s.db, p, tree, incident.Input{Title: &title, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	page := "/insiden/" + inc.HumanID
	count := func(table string) int {
		var n int
		s.db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		return n
	}

	analyst := s.as("jabar.analyst")
	_, body := analyst.get(page)
	for _, want := range []string{`action="` + page + `/tugas"`, `action="` + page + `/observabel"`, `action="` + page + `/bukti"`, `enctype="multipart/form-data"`} {
		wantIn(t, body, "the analyst's incident page", want)
	}

	// A task for the police, due tomorrow evening.
	resp, body := analyst.post(page+"/tugas", url.Values{"title": {"Selidiki pengirim surel"}, "owner": {"polri"}, "due_at": {"2030-01-02T17:00"}})
	wantStatus(t, resp, 303, "hand out a task: "+body)
	tasks, _ := incident.Tasks(ctx, s.db, p, inc.HumanID)
	if len(tasks) != 1 || tasks[0].Owner != "polri" || tasks[0].DueAt == nil || tasks[0].DueAt.UTC().Format("2006-01-02T15:04") != "2030-01-02T10:00" {
		t.Fatalf("tasks after the form: %+v", tasks)
	}
	// Bad task input: an unknown organisation, a malformed due time; nothing stored, the form says why.
	for _, f := range []url.Values{
		{"title": {"x"}, "owner": {"no-such-org"}},
		{"title": {"x"}, "owner": {"polri"}, "due_at": {"besok"}},
		{"title": {""}, "owner": {"polri"}},
	} {
		resp, body = analyst.post(page+"/tugas", f)
		wantStatus(t, resp, 400, "bad task")
		wantIn(t, body, "a refused task", `class="field invalid`, "<details class=\"work-form\" open>")
	}
	if n := count("incident_tasks"); n != 1 {
		t.Fatalf("%d tasks after refused forms", n)
	}
	// The police now take part: their responder sees the incident and closes the task.
	police := s.as("polri.responder")
	resp, body = police.get(page)
	wantStatus(t, resp, 200, "the police read the incident")
	wantIn(t, body, "the police's page", "Selidiki pengirim surel", "Tandai selesai")
	resp, _ = police.post(page+"/tugas/"+itoa(tasks[0].ID)+"/status", url.Values{"status": {"done"}})
	wantStatus(t, resp, 303, "task done")
	if tasks, _ = incident.Tasks(ctx, s.db, p, inc.HumanID); tasks[0].Status != incident.TaskDone || tasks[0].DoneBy != "polri.responder" {
		t.Fatalf("task after done: %+v", tasks[0])
	}

	// Observables: one recorded, a NIK refused.
	resp, _ = analyst.post(page+"/observabel", url.Values{"type": {"domain"}, "value": {"Sirekap-Login.Example"}, "note": {"tautan di surel"}})
	wantStatus(t, resp, 303, "observable")
	resp, body = analyst.post(page+"/observabel", url.Values{"type": {"account"}, "value": {"3204123456780001"}})
	wantStatus(t, resp, 400, "a NIK as an observable")
	wantIn(t, body, "the NIK refusal", "3204123456780001") // the form keeps what was typed, to correct it
	if obs, _ := incident.Observables(ctx, s.db, p, inc.HumanID); len(obs) != 1 || obs[0].Value != "sirekap-login.example" {
		t.Fatalf("observables: %+v", obs)
	}

	// Evidence through the browser form, then downloaded by the police (custody).
	eml := []byte("Received: from mail.example\r\nSubject: Verifikasi akun Sirekap\r\n\r\nKlik tautan ini.\r\n")
	resp, body = analyst.upload(page+"/bukti", nil, "surel-phishing.eml", eml)
	wantStatus(t, resp, 303, "upload: "+body)
	ev, _ := incident.EvidenceList(ctx, s.db, p, inc.HumanID)
	if len(ev) != 1 || ev[0].Name != "surel-phishing.eml" || ev[0].Size != int64(len(eml)) {
		t.Fatalf("evidence after upload: %+v", ev)
	}
	_, body = police.get(page)
	link := "/api/v1/incidents/" + inc.HumanID + "/evidence/" + itoa(ev[0].ID)
	wantIn(t, body, "the evidence link", link, "surel-phishing.eml")
	resp, got := police.get(link)
	wantStatus(t, resp, 200, "download")
	if !bytes.Equal([]byte(got), eml) {
		t.Fatalf("downloaded %q", got)
	}
	if c, _ := incident.CustodyOf(ctx, s.db, p, inc.HumanID, itoa(ev[0].ID)); len(c) != 2 || c[1].Actor != "polri.responder" || c[1].Action != "downloaded" {
		t.Fatalf("custody: %+v", c)
	}

	// Refused uploads store nothing.
	resp, _ = analyst.upload(page+"/bukti", [][2]string{{"note", "x"}, {"csrf", analyst.CSRF}}, "a.txt", []byte("late token"))
	wantStatus(t, resp, 403, "a token after another field")
	resp, body = analyst.upload(page+"/bukti", nil, "../../etc/passwd", []byte("root:x:0:0"))
	wantStatus(t, resp, 400, "a path as the file name")
	wantIn(t, body, "the path refusal", "holds a path")
	resp, body = analyst.upload(page+"/bukti", nil, "besar.bin", bytes.Repeat([]byte("x"), 65<<10))
	wantStatus(t, resp, 400, "a file over the limit") // said next to the form
	wantIn(t, body, "the size refusal", "larger than the evidence limit of 65536 bytes")
	resp, _ = analyst.upload(page+"/bukti", [][2]string{{"csrf", "wrong"}}, "a.txt", []byte("x"))
	wantStatus(t, resp, 403, "a wrong token")
	if n := count("incident_evidence"); n != 1 {
		t.Fatalf("%d evidence rows after refused uploads", n)
	}
	// Forms are sent as their page says: multipart to a plain form, whose
	// fields it would not read, and a plain form to the upload are refused.
	entries := count("incident_timeline")
	resp, _ = analyst.upload(page+"/komentar", [][2]string{{"body", "komentar lewat multipart"}}, "", nil)
	wantStatus(t, resp, http.StatusUnsupportedMediaType, "a multipart comment")
	resp, _ = analyst.upload(page+"/ubah", [][2]string{{"status", "triage"}}, "", nil)
	wantStatus(t, resp, http.StatusUnsupportedMediaType, "a multipart status change")
	resp, _ = analyst.post(page+"/bukti", url.Values{"file": {"x"}})
	wantStatus(t, resp, http.StatusUnsupportedMediaType, "an upload sent as a plain form")
	if n := count("incident_timeline"); n != entries {
		t.Fatalf("refused forms wrote %d timeline entries", n-entries)
	}

	// A viewer of the province reads the page but has no work forms and may not post them.
	viewer := s.as("jabar.viewer")
	_, body = viewer.get(page)
	wantNotIn(t, body, "the viewer's page", `action="`+page+`/tugas"`, `action="`+page+`/bukti"`)
	resp, _ = viewer.post(page+"/observabel", url.Values{"type": {"ip"}, "value": {"203.0.113.5"}})
	wantStatus(t, resp, 403, "a viewer's observable")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
