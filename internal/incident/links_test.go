package incident_test

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestMergeLinkDeescalate(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		a := w.create(t, "bandung.analyst", incident.Input{Title: str("Deface situs KPU Bandung"), Severity: str("high")})
		b := w.create(t, "bandung.analyst", incident.Input{Title: str("Situs KPU Bandung berubah tampilan")})
		c := w.create(t, "bandung.analyst", incident.Input{Title: str("Pemindaian dari alamat yang sama")})

		// Merge: a coordinator's decision, with a reason; the duplicate closes.
		if _, err := incident.Merge(ctx, db, w.who["bandung.analyst"], b.HumanID, a.HumanID, "same defacement"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an analyst merges: %v", err)
		}
		if _, err := incident.Merge(ctx, db, w.who["bandung.coord"], b.HumanID, a.HumanID, ""); !problem.Is(err, problem.Invalid) {
			t.Errorf("merge without a reason: %v", err)
		}
		if _, err := incident.Merge(ctx, db, w.who["bandung.coord"], b.HumanID, b.HumanID, "itself"); !problem.Is(err, problem.Invalid) {
			t.Errorf("merge into itself: %v", err)
		}
		m, err := incident.Merge(ctx, db, w.who["bandung.coord"], b.HumanID, a.HumanID, "same defacement")
		if err != nil || m.Status != incident.Closed || m.Resolution != "duplicate" {
			t.Fatalf("merge: %+v %v", m, err)
		}
		if _, err := incident.Merge(ctx, db, w.who["bandung.coord"], b.HumanID, a.HumanID, "again"); !problem.Is(err, problem.Conflict) {
			t.Errorf("merge twice: %v", err)
		}
		if err := incident.LinkRelated(ctx, db, w.who["bandung.analyst"], a.HumanID, c.HumanID, "same source address"); err != nil {
			t.Fatal(err)
		}
		links, err := incident.Links(ctx, db, w.who["bandung.analyst"], a.HumanID)
		if err != nil || len(links) != 2 || links[0].Relation != incident.DuplicatedBy || links[1].Relation != incident.Related {
			t.Fatalf("links of %s: %+v %v", a.HumanID, links, err)
		}
		if _, err := incident.Links(ctx, db, w.who["jateng.analyst"], a.HumanID); !problem.Is(err, problem.NotFound) {
			t.Errorf("another province reads the links: %v", err)
		}

		// Escalate twice, then step back: the national desk leaves, the province stays.
		for range 2 {
			if _, err := incident.Escalate(ctx, db, w.who["bandung.coord"], w.tree, a.HumanID, "defacement during the count"); err != nil {
				t.Fatal(err)
			}
		}
		if !w.sees("bssn.analyst", a.HumanID) {
			t.Fatal("BSSN does not see the escalated incident")
		}
		if _, err := incident.Deescalate(ctx, db, w.who["bandung.analyst"], w.tree, a.HumanID, "handled"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an analyst de-escalates: %v", err)
		}
		d, err := incident.Deescalate(ctx, db, w.who["bandung.coord"], w.tree, a.HumanID, "handled by the province")
		if err != nil || d.Escalation != incident.EscalatedProvince {
			t.Fatalf("de-escalate: %+v %v", d, err)
		}
		if w.sees("bssn.analyst", a.HumanID) || !w.sees("jabar.room", a.HumanID) {
			t.Errorf("after stepping back: BSSN sees %v, the province's room sees %v", w.sees("bssn.analyst", a.HumanID), w.sees("jabar.room", a.HumanID))
		}
		if _, err := incident.Deescalate(ctx, db, w.who["bandung.coord"], w.tree, a.HumanID, "back to the regency"); err != nil {
			t.Fatal(err)
		}
		if _, err := incident.Deescalate(ctx, db, w.who["bandung.coord"], w.tree, a.HumanID, "more"); !problem.Is(err, problem.Conflict) {
			t.Errorf("de-escalate a plain incident: %v", err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
