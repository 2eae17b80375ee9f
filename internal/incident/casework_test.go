package incident_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestOperatorsWorkTheirIncidents: the regency's operator who reported an
// incident collects evidence and observables on it and asks for
// escalation; the decisions (escalating, TLP, closing, merging) stay with
// coordinators. After the escalation the province's operation room works
// it the same way.
func TestOperatorsWorkTheirIncidents(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ev := incident.EvidenceStore{Dir: t.TempDir()}
		file := func(name string) func() (string, io.Reader, error) {
			return func() (string, io.Reader, error) { return name, bytes.NewReader([]byte("screenshot of " + name)), nil }
		}
		inc := w.create(t, "bandung.operator", incident.Input{Title: str("Situs KPU Kabupaten Bandung di-deface")})
		ref := inc.HumanID
		op := w.who["bandung.operator"]

		// The working actions.
		if _, err := ev.Save(ctx, db, op, ref, "127.0.0.1", file("deface.png")); err != nil {
			t.Fatalf("the reporting operator adds evidence: %v", err)
		}
		if _, _, err := incident.AddObservable(ctx, db, op, ref, incident.ObservableInput{Type: "ip", Value: "203.0.113.7"}); err != nil {
			t.Fatalf("the reporting operator adds an observable: %v", err)
		}
		if _, err := incident.Comment(ctx, db, op, ref, "Halaman depan diganti pukul 09.10"); err != nil {
			t.Fatal(err)
		}
		if _, err := incident.RequestEscalation(ctx, db, op, ref, ""); !problem.Is(err, problem.Invalid) {
			t.Fatalf("a request without a reason: %v", err)
		}
		e, err := incident.RequestEscalation(ctx, db, op, ref, "Situs resmi di masa kampanye")
		if err != nil || e.Kind != "escalation_requested" {
			t.Fatalf("the operator asks for escalation: %+v %v", e, err)
		}
		// The decisions are not the operator's.
		tlp, closed, res := "GREEN", "closed", "false_positive"
		for name, err := range map[string]error{
			"escalate": func() error { _, err := incident.Escalate(ctx, db, op, w.tree, ref, "now"); return err }(),
			"tlp":      func() error { _, err := incident.Edit(ctx, db, op, ref, incident.Update{TLP: &tlp}); return err }(),
			"close": func() error {
				_, err := incident.Edit(ctx, db, op, ref, incident.Update{Status: &closed, Resolution: &res})
				return err
			}(),
			"participants": func() error {
				_, err := incident.AddParticipants(ctx, db, op, w.tree, ref, incident.Participants{Orgs: []string{"polri"}})
				return err
			}(),
		} {
			if !problem.Is(err, problem.Forbidden) {
				t.Errorf("the operator's %s: %v, want forbidden", name, err)
			}
		}
		if got, _ := incident.Get(ctx, db, op, ref); got.Escalation != "" || got.TLP != "AMBER" || got.Status != incident.New {
			t.Fatalf("refused decisions changed the incident: %+v", got)
		}
		// The province's room reads nothing of an AMBER regency incident
		// until it is escalated; then it works it.
		room := w.who["jabar.room"]
		if _, err := ev.Save(ctx, db, room, ref, "127.0.0.1", file("x.png")); !problem.Is(err, problem.NotFound) {
			t.Fatalf("the room before escalation: %v", err)
		}
		if _, err := incident.Escalate(ctx, db, w.who["jabar.coord"], w.tree, ref, "as the regency asked"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := incident.AddObservable(ctx, db, room, ref, incident.ObservableInput{Type: "domain", Value: "deface-crew.example"}); err != nil {
			t.Fatalf("the province's room adds an observable: %v", err)
		}
		if _, err := ev.Save(ctx, db, room, ref, "127.0.0.1", file("mirror.png")); err != nil {
			t.Fatalf("the province's room adds evidence: %v", err)
		}
		// It asks for the next level: the national desk.
		if e, err := incident.RequestEscalation(ctx, db, room, ref, "Pola sama di kabupaten lain"); err != nil || e.Kind != "escalation_requested" {
			t.Fatalf("the room asks for the national desk: %v", err)
		}
		if k := kinds(t, w, ref); k != "created,evidence,observable,comment,escalation_requested,escalated,observable,evidence,escalation_requested" {
			t.Fatalf("timeline %s", k)
		}
		// The viewer reads only.
		if _, err := incident.Comment(ctx, db, w.who["jabar.viewer"], ref, "x"); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a viewer comments: %v", err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestParticipationIsGranted: touching a GREEN incident does not make an
// organisation a participant, so tightening the label to AMBER+STRICT
// leaves it outside; coordinators grant participation and take it back.
func TestParticipationIsGranted(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		inc := w.create(t, "bandung.operator", incident.Input{Title: str("Hoaks hasil hitung"), TLP: str("GREEN")})
		ref := inc.HumanID
		// BSSN reads GREEN as the community does: it may comment; working
		// the incident is for those taking part.
		if _, err := incident.Comment(ctx, db, w.who["bssn.analyst"], ref, "Kami melihat pola serupa"); err != nil {
			t.Fatalf("BSSN comments on a GREEN incident: %v", err)
		}
		sev := "high"
		if _, err := incident.Edit(ctx, db, w.who["bssn.analyst"], ref, incident.Update{Severity: &sev}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("BSSN steers a GREEN incident it does not take part in: %v", err)
		}
		// The province's analyst (supervising) works it, and stays outside too.
		if _, err := incident.Edit(ctx, db, w.who["jabar.analyst"], ref, incident.Update{Severity: &sev}); err != nil {
			t.Fatal(err)
		}
		got, _ := incident.Get(ctx, db, w.who["bandung.operator"], ref)
		if slices.Contains(got.Participants.Orgs, "bssn") || slices.Contains(got.Participants.Orgs, "kpu-32") || !slices.Equal(got.Participants.Orgs, []string{"kpu-32.04"}) {
			t.Fatalf("participants caught by touching: %v", got.Participants.Orgs)
		}
		strict := "AMBER+STRICT"
		if _, err := incident.Edit(ctx, db, w.who["bandung.coord"], ref, incident.Update{TLP: &strict}); err != nil {
			t.Fatal(err)
		}
		if w.sees("bssn.analyst", ref) || w.sees("jabar.analyst", ref) {
			t.Fatal("a reader of the GREEN incident kept it after AMBER+STRICT")
		}

		// Granted by a coordinator, and taken back.
		added, err := incident.AddParticipants(ctx, db, w.who["bandung.coord"], w.tree, ref, incident.Participants{Orgs: []string{"bssn"}})
		if err != nil || !slices.Contains(added.Participants.Orgs, "bssn") {
			t.Fatalf("add: %+v %v", added.Participants, err)
		}
		if !w.sees("bssn.analyst", ref) {
			t.Fatal("BSSN, added, does not read the incident")
		}
		for name, p := range map[string]incident.Participants{
			"the owner":       {Orgs: []string{"kpu-32.04"}},
			"not taking part": {Orgs: []string{"polri"}},
			"not named":       {Users: []string{"jateng.analyst"}},
			"nobody":          {},
		} {
			if _, err := incident.RemoveParticipants(ctx, db, w.who["bandung.coord"], w.tree, ref, p); !problem.Is(err, problem.Invalid) {
				t.Errorf("removing %s: %v", name, err)
			}
		}
		if _, err := incident.RemoveParticipants(ctx, db, w.who["bandung.operator"], w.tree, ref, incident.Participants{Orgs: []string{"bssn"}}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("an operator removes a participant: %v", err)
		}
		after, err := incident.RemoveParticipants(ctx, db, w.who["bandung.coord"], w.tree, ref, incident.Participants{Orgs: []string{"bssn"}})
		if err != nil || slices.Contains(after.Participants.Orgs, "bssn") {
			t.Fatalf("remove: %+v %v", after.Participants, err)
		}
		if w.sees("bssn.analyst", ref) {
			t.Fatal("BSSN still reads the incident it was removed from")
		}
		tl, err := incident.Timeline(ctx, db, w.who["bandung.coord"], ref)
		if err != nil || len(tl) != 6 || tl[4].Kind != "participants" || tl[5].Kind != "participants_removed" || tl[5].Actor != "bandung.coord" {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		var n int
		for _, action := range []string{"incident.participants", "incident.participants.remove"} {
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil || n != 1 {
				t.Fatalf("audit entries %s: %d %v", action, n, err)
			}
		}
		// Both changes are changes of the incident.
		if !after.UpdatedAt.After(added.UpdatedAt) || !added.UpdatedAt.After(inc.UpdatedAt) {
			t.Errorf("updated_at: created %v, added %v, removed %v", inc.UpdatedAt, added.UpdatedAt, after.UpdatedAt)
		}
	})
}

// TestTimelineHidesUnreadableLinks: a link entry names the other incident
// and the reason only to a reader of that incident.
func TestTimelineHidesUnreadableLinks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		open := w.create(t, "jabar.analyst", incident.Input{Title: str("Phishing"), Region: str("32"), TLP: str("GREEN")})
		secret := w.create(t, "jabar.analyst", incident.Input{Title: str("Sumber dalam"), Region: str("32"), TLP: str("AMBER+STRICT")})
		if err := incident.LinkRelated(ctx, db, w.who["jabar.analyst"], open.HumanID, secret.HumanID, "sumber dari informan"); err != nil {
			t.Fatal(err)
		}
		link := func(user string) incident.Entry {
			tl, err := incident.Timeline(ctx, db, w.who[user], open.HumanID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range tl {
				if e.Kind == "linked" {
					return e
				}
			}
			t.Fatalf("%s sees no link entry", user)
			return incident.Entry{}
		}
		if e := link("jabar.analyst"); e.Changes["incident"] != secret.HumanID || e.Body != "sumber dari informan" {
			t.Fatalf("the reader of both: %+v", e)
		}
		e := link("bssn.analyst") // reads the GREEN one only
		if _, ok := e.Changes["incident"]; ok || e.Body != "" || e.Changes["hidden"] != true {
			t.Fatalf("the reader of one side sees %+v", e)
		}
	})
}
