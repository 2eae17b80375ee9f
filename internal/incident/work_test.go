package incident_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// addUser adds a user to the world after it was built.
func (w *world) addUser(t *testing.T, n auth.NewUser) {
	t.Helper()
	n.Password = "password-long-enough"
	u, err := auth.CreateUser(context.Background(), w.db, audit.System, n)
	if err != nil {
		t.Fatal(err)
	}
	w.who[n.Username], _ = auth.PrincipalOf(u, w.tree)
}

func kinds(t *testing.T, w *world, ref string) string {
	t.Helper()
	tl, err := incident.Timeline(context.Background(), w.db, w.who["jabar.analyst"], ref)
	if err != nil {
		t.Fatal(err)
	}
	var k []string
	for _, e := range tl {
		k = append(k, e.Kind)
	}
	return strings.Join(k, ",")
}

func TestTasks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		w.addUser(t, auth.NewUser{Username: "jabar.responder", Org: "diskominfo-32", Role: "responder", Scope: "32"})
		inc := w.create(t, "jabar.analyst", incident.Input{Title: str("Phishing of PPK members"), Region: str("32")})
		ref := inc.HumanID
		if w.sees("jabar.responder", ref) {
			t.Fatal("Diskominfo Jabar sees the incident before it has a task")
		}

		// Bad input changes nothing.
		past := time.Now().Add(-time.Hour)
		for name, in := range map[string]incident.TaskInput{
			"no title":         {Owner: "diskominfo-32"},
			"unknown owner":    {Title: "Block", Owner: "nope"},
			"foreign assignee": {Title: "Block", Owner: "diskominfo-32", Assignee: "jateng.analyst"},
			"unknown assignee": {Title: "Block", Owner: "diskominfo-32", Assignee: "ghost"},
		} {
			if _, err := incident.CreateTask(ctx, db, w.who["jabar.analyst"], w.tree, ref, in); !problem.Is(err, problem.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := incident.CreateTask(ctx, db, w.who["jateng.analyst"], w.tree, ref, incident.TaskInput{Title: "x", Owner: "kpu-33"}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden incident: %v", err)
		}
		if _, err := incident.CreateTask(ctx, db, w.who["jabar.viewer"], w.tree, ref, incident.TaskInput{Title: "x", Owner: "kpu-32"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer: %v", err)
		}
		if n := w.count(t, "incident_tasks"); n != 0 {
			t.Fatalf("%d tasks after bad input", n)
		}

		task, err := incident.CreateTask(ctx, db, w.who["jabar.analyst"], w.tree, ref, incident.TaskInput{Title: "Take down the phishing site",
			Owner: "diskominfo-32", Assignee: "jabar.responder", DueAt: &past})
		if err != nil {
			t.Fatal(err)
		}
		if task.Owner != "diskominfo-32" || task.Assignee != "jabar.responder" || task.Status != "open" || !task.Overdue {
			t.Fatalf("task %+v", task)
		}
		future := time.Now().Add(time.Hour)
		later, err := incident.CreateTask(ctx, db, w.who["jabar.analyst"], w.tree, ref, incident.TaskInput{Title: "Report to Bawaslu", Owner: "kpu-32", DueAt: &future})
		if err != nil || later.Overdue {
			t.Fatalf("later %+v %v", later, err)
		}
		// The owner organisation became a participant.
		if !w.sees("jabar.responder", ref) {
			t.Fatal("the owner organisation does not see the incident")
		}
		list, err := incident.Tasks(ctx, db, w.who["jabar.responder"], ref)
		if err != nil || len(list) != 2 || !list[0].Overdue || list[1].Overdue {
			t.Fatalf("tasks %+v %v", list, err)
		}
		if _, err := incident.Tasks(ctx, db, w.who["jateng.analyst"], ref); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden tasks: %v", err)
		}

		id := strconv.FormatInt(task.ID, 10)
		done := incident.TaskUpdate{Status: "done"}
		// Not the owner organisation (though it works tasks), a viewer, the hidden: refused.
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.analyst"], ref, id, done); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("other organisation: %v", err)
		}
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.viewer"], ref, id, done); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer: %v", err)
		}
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jateng.analyst"], ref, id, done); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden: %v", err)
		}
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.responder"], ref, id, incident.TaskUpdate{Status: "finished"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad status: %v", err)
		}
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.responder"], ref, "999999", done); !problem.Is(err, problem.NotFound) {
			t.Fatalf("unknown task: %v", err)
		}
		other := w.create(t, "jabar.analyst", incident.Input{Title: str("Other"), Region: str("32")})
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.coord"], other.HumanID, id, done); !problem.Is(err, problem.NotFound) {
			t.Fatalf("task through another incident: %v", err)
		}

		// The operation room's operator closes its organisation's task.
		got, err := incident.SetTaskStatus(ctx, db, w.who["jabar.room"], ref, id, done)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "done" || got.DoneBy != "jabar.room" || got.DoneAt == nil || got.Overdue {
			t.Fatalf("done %+v", got)
		}
		// A coordinator may reopen and close anyone's task.
		if got, err = incident.SetTaskStatus(ctx, db, w.who["jabar.coord"], ref, id, incident.TaskUpdate{Status: "open"}); err != nil || got.DoneAt != nil || !got.Overdue {
			t.Fatalf("reopen %+v %v", got, err)
		}
		if _, err := incident.SetTaskStatus(ctx, db, w.who["jabar.coord"], ref, strconv.FormatInt(later.ID, 10), done); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, w, ref); k != "created,task,task,task_done,task_reopened,task_done" {
			t.Fatalf("timeline %s", k)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHasNIK(t *testing.T) {
	for s, want := range map[string]bool{
		"3204123456780001":            true,
		"nik 3204123456780001 leaked": true,
		"user3204123456780001":        true,
		"3204 1234 5678 0001":         true,
		"3204-1234-5678-0001":         true,
		"3204.1234.5678.0001.":        true,
		"320412345678000":             false, // 15
		"32041234567800011":           false, // 17
		"192.168.10.200":              false,
		"1200 NIKs":                   false,
		"2024-02-14 10.30":            false,
		"":                            false,
	} {
		if got := incident.HasNIK(s); got != want {
			t.Errorf("HasNIK(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestObservables(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		inc := w.create(t, "jabar.analyst", incident.Input{Title: str("Data leak"), Region: str("32")})
		ref := inc.HumanID
		add := func(user, typ, value, note string) (incident.Observable, bool, error) {
			return incident.AddObservable(ctx, db, w.who[user], ref, incident.ObservableInput{Type: typ, Value: value, Note: note})
		}
		for _, c := range []struct{ typ, value, want, kind string }{
			{"ip", " 203.0.113.7 ", "203.0.113.7", ""},
			{"ip", "2001:DB8::1", "2001:db8::1", ""},
			{"domain", "Phish.Example.COM.", "phish.example.com", ""},
			{"url", "HTTPS://Phish.Example.com/login?x=1", "https://phish.example.com/login?x=1", ""},
			{"hash", strings.Repeat("A", 32), strings.Repeat("a", 32), "md5"},
			{"hash", strings.Repeat("b", 40), strings.Repeat("b", 40), "sha1"},
			{"hash", "1234567890123456" + strings.Repeat("c", 48), "1234567890123456" + strings.Repeat("c", 48), "sha256"},
			{"email", "Admin@KPU-Palsu.ID", "Admin@kpu-palsu.id", ""},
			{"account", "@kpu_palsu", "@kpu_palsu", ""},
			{"nik_count", "1200", "1200", ""},
		} {
			o, created, err := add("jabar.analyst", c.typ, c.value, "seen in the mail headers")
			if err != nil || !created || o.Value != c.want || o.HashKind != c.kind {
				t.Errorf("%s %q: %+v created=%v %v", c.typ, c.value, o, created, err)
			}
		}
		for _, c := range []struct{ typ, value, note string }{
			{"ip", "203.0.113.300", ""},
			{"ip", "fe80::1%eth0", ""},
			{"domain", "not a domain", ""},
			{"domain", "localhost", ""},
			{"url", "javascript:alert(1)", ""},
			{"url", "/relative", ""},
			{"hash", strings.Repeat("a", 33), ""},
			{"hash", strings.Repeat("g", 32), ""},
			{"email", "Admin <a@b.id>", ""},
			{"nik_count", "-3", ""},
			{"nik_count", "lots", ""},
			{"colour", "red", ""},
			{"ip", "", ""},
			// NIK values, in any field, in any shape.
			{"nik_count", "3204123456780001", ""},
			{"account", "3204123456780001", ""},
			{"account", "nik-3204 1234 5678 0001", ""},
			{"url", "https://example.com/?nik=3204123456780001", ""},
			{"email", "3204123456780001@example.com", ""},
			{"domain", "example.com", "victim NIK 3204123456780001"},
			{"account", "@kpu", "line\x00break"},
		} {
			if _, _, err := add("jabar.analyst", c.typ, c.value, c.note); !problem.Is(err, problem.Invalid) {
				t.Errorf("%s %q note %q: %v", c.typ, c.value, c.note, err)
			}
		}
		if _, _, err := add("jabar.analyst", "account", "3204123456780001", ""); err == nil || !strings.Contains(err.Error(), "NIK") {
			t.Fatalf("NIK refusal does not say why: %v", err)
		}
		if n := w.count(t, "incident_observables"); n != 10 {
			t.Fatalf("%d observables after bad input", n)
		}
		// De-duplicated per incident, after normalisation.
		first, _, _ := add("jabar.analyst", "domain", "phish.example.com", "")
		again, created, err := add("jabar.coord", "domain", "PHISH.example.com", "other note")
		if err != nil || created || again.ID != first.ID || again.Note != "seen in the mail headers" {
			t.Fatalf("duplicate %+v created=%v %v", again, created, err)
		}
		other := w.create(t, "jabar.analyst", incident.Input{Title: str("Other"), Region: str("32")})
		if _, created, err := incident.AddObservable(ctx, db, w.who["jabar.analyst"], other.HumanID,
			incident.ObservableInput{Type: "domain", Value: "phish.example.com"}); err != nil || !created {
			t.Fatalf("same value on another incident: %v %v", created, err)
		}
		if _, _, err := add("jateng.analyst", "ip", "198.51.100.1", ""); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden: %v", err)
		}
		if _, _, err := add("jabar.viewer", "ip", "198.51.100.1", ""); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer: %v", err)
		}
		list, err := incident.Observables(ctx, db, w.who["jabar.viewer"], ref)
		if err != nil || len(list) != 10 || list[4].HashKind != "md5" {
			t.Fatalf("list %d %v", len(list), err)
		}
		if _, err := incident.Observables(ctx, db, w.who["jateng.analyst"], ref); !problem.Is(err, problem.NotFound) {
			t.Fatalf("hidden list: %v", err)
		}
		if k := kinds(t, w, ref); strings.Count(k, "observable") != 10 {
			t.Fatalf("timeline %s", k)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEvidenceStore(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		dir := t.TempDir()
		ev := incident.EvidenceStore{Dir: dir, MaxBytes: 1024}
		inc := w.create(t, "jabar.analyst", incident.Input{Title: str("Defacement"), Region: str("32")})
		ref := inc.HumanID
		file := func(name, body string) func() (string, io.Reader, error) {
			return func() (string, io.Reader, error) { return name, strings.NewReader(body), nil }
		}
		e, err := ev.Save(ctx, db, w.who["jabar.analyst"], ref, "192.0.2.10", file("defaced page.html", "<html><body>hacked</body></html>"))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "defaced page.html" || e.Size != 32 || !strings.HasPrefix(e.ContentType, "text/html") || len(e.SHA256) != 64 {
			t.Fatalf("evidence %+v", e)
		}
		stored := filepath.Join(dir, "evidence", strconv.FormatInt(inc.ID, 10), e.SHA256)
		if b, err := os.ReadFile(stored); err != nil || string(b) != "<html><body>hacked</body></html>" {
			t.Fatalf("stored %q %v", b, err)
		}

		// Bad input stores nothing, in the database or on disk.
		called := false
		if _, err := ev.Save(ctx, db, w.who["jateng.analyst"], ref, "", func() (string, io.Reader, error) {
			called = true
			return "x", strings.NewReader("x"), nil
		}); !problem.Is(err, problem.NotFound) || called {
			t.Fatalf("hidden incident: %v (body read: %v)", err, called)
		}
		if _, err := ev.Save(ctx, db, w.who["jabar.viewer"], ref, "", file("x", "x")); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("viewer: %v", err)
		}
		if _, err := ev.Save(ctx, db, w.who["jabar.analyst"], ref, "", file("big.bin", strings.Repeat("x", 1025))); !problem.Is(err, problem.BodyTooLarge) {
			t.Fatalf("too large: %v", err)
		}
		if _, err := ev.Save(ctx, db, w.who["jabar.analyst"], ref, "", file("empty.txt", "")); !problem.Is(err, problem.Invalid) {
			t.Fatalf("empty: %v", err)
		}
		for _, name := range []string{"../../etc/passwd", "..", "/etc/passwd", `C:\evil.exe`, `..\x`, "a/b", "nul\x00.txt", "line\nbreak", "tab\t", "bell\a", "rtl\u202etxt.exe", "", "   ", strings.Repeat("a", 256), "bad\xffutf8"} {
			if _, err := ev.Save(ctx, db, w.who["jabar.analyst"], ref, "", file(name, "payload")); !problem.Is(err, problem.Invalid) {
				t.Errorf("name %q: %v", name, err)
			}
		}
		if n := w.count(t, "incident_evidence"); n != 1 {
			t.Fatalf("%d evidence rows after bad input", n)
		}
		entries, _ := os.ReadDir(filepath.Dir(stored))
		if len(entries) != 1 {
			t.Fatalf("files on disk after bad input: %v", entries)
		}

		// Download: the bytes, and a custody entry with the address.
		id := strconv.FormatInt(e.ID, 10)
		got, f, err := ev.Open(ctx, db, w.who["jabar.viewer"], ref, id, "198.51.100.20")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if got.ID != e.ID || !bytes.Equal(b, []byte("<html><body>hacked</body></html>")) {
			t.Fatalf("opened %+v %q", got, b)
		}
		for _, user := range []string{"jateng.analyst", "bssn.analyst"} {
			if _, _, err := ev.Open(ctx, db, w.who[user], ref, id, ""); !problem.Is(err, problem.NotFound) {
				t.Fatalf("%s opens: %v", user, err)
			}
			if _, err := incident.CustodyOf(ctx, db, w.who[user], ref, id); !problem.Is(err, problem.NotFound) {
				t.Fatalf("%s custody: %v", user, err)
			}
			if _, err := incident.EvidenceList(ctx, db, w.who[user], ref); !problem.Is(err, problem.NotFound) {
				t.Fatalf("%s list: %v", user, err)
			}
		}
		other := w.create(t, "jabar.analyst", incident.Input{Title: str("Other"), Region: str("32")})
		for _, c := range [][2]string{{ref, "999999"}, {ref, "abc"}, {other.HumanID, id}} {
			if _, _, err := ev.Open(ctx, db, w.who["jabar.analyst"], c[0], c[1], ""); !problem.Is(err, problem.NotFound) {
				t.Fatalf("open %v: %v", c, err)
			}
		}
		custody, err := incident.CustodyOf(ctx, db, w.who["jabar.analyst"], ref, id)
		if err != nil || len(custody) != 2 {
			t.Fatalf("custody %+v %v", custody, err)
		}
		if custody[0].Action != "uploaded" || custody[0].Actor != "jabar.analyst" || custody[0].Addr != "192.0.2.10" ||
			custody[1].Action != "downloaded" || custody[1].Actor != "jabar.viewer" || custody[1].ActorOrg != "kpu-32" || custody[1].Addr != "198.51.100.20" {
			t.Fatalf("custody %+v", custody)
		}
		list, err := incident.EvidenceList(ctx, db, w.who["jabar.viewer"], ref)
		if err != nil || len(list) != 1 || list[0].UploadedBy != "jabar.analyst" {
			t.Fatalf("list %+v %v", list, err)
		}
		// The same bytes again: a second record, one file.
		if _, err := ev.Save(ctx, db, w.who["jabar.analyst"], ref, "", file("copy.html", "<html><body>hacked</body></html>")); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(stored)); len(entries) != 1 {
			t.Fatalf("files on disk %v", entries)
		}
		// No data directory: unavailable, after the visibility check.
		if _, err := (incident.EvidenceStore{}).Save(ctx, db, w.who["jateng.analyst"], ref, "", file("x", "x")); !problem.Is(err, problem.NotFound) {
			t.Fatalf("no dir, hidden: %v", err)
		}
		if _, err := (incident.EvidenceStore{}).Save(ctx, db, w.who["jabar.analyst"], ref, "", file("x", "x")); !problem.Is(err, problem.Unavailable) {
			t.Fatalf("no dir: %v", err)
		}
		if k := kinds(t, w, ref); k != "created,evidence,evidence" {
			t.Fatalf("timeline %s", k)
		}
		// Bytes changed on disk: refused, and no download in the custody.
		if err := os.WriteFile(stored, []byte("<html><body>edited</body></html>"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, f, err := ev.Open(ctx, db, w.who["jabar.viewer"], ref, id, ""); !errors.Is(err, evidence.ErrTampered) {
			if f != nil {
				f.Close()
			}
			t.Fatalf("tampered file opened: %v", err)
		}
		if custody, _ := incident.CustodyOf(ctx, db, w.who["jabar.analyst"], ref, id); len(custody) != 2 {
			t.Fatalf("custody after a refused download %+v", custody)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
