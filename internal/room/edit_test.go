package room_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestRoomEdits: members and contacts added and removed, readiness set,
// each by those the package lets (a coordinator who reads the room's
// internals; readiness by its operators too), each audited by the person;
// another province's operator is refused (not found) and refused writes
// change nothing.
func TestRoomEdits(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "koord.jabar", Org: "diskominfo-32", Role: "coordinator", Scope: "32", Password: "pw-koord.jabar-long-enough"})
		if err != nil {
			t.Fatal(err)
		}
		koord, err := auth.PrincipalOf(u, tree)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "analis.jabar", Org: "diskominfo-32", Role: "analyst", Scope: "32", Password: "pw-analis.jabar-long-enough"}); err != nil {
			t.Fatal(err)
		}
		jabar := w.rooms["32"]
		get := func() room.Room {
			t.Helper()
			r, err := room.Get(ctx, db, koord, jabar)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if rt := room.RightsOf(koord, get()); !rt.Staff || !rt.Contacts || !rt.Readiness {
			t.Errorf("jabar's coordinator may change %+v of its room", rt)
		}
		opRoom, _ := room.Get(ctx, db, w.who["op.jabar"], jabar)
		if rt := room.RightsOf(w.who["op.jabar"], opRoom); rt.Staff || rt.Contacts || !rt.Readiness {
			t.Errorf("jabar's operator may change %+v of its room, want readiness only", rt)
		}

		// Members: the coordinator staffs and unstaffs; Papua's operator
		// does not even find the room; jabar's operator may not.
		if err := room.Staff(ctx, db, koord, jabar, room.StaffInput{Username: "op.bandung"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("staffing a regency's operator in the province's room: %v, want invalid", err)
		}
		if err := room.Staff(ctx, db, koord, jabar, room.StaffInput{Username: "analis.jabar", Duty: "lead"}); err != nil {
			t.Fatal(err)
		}
		if err := room.RemoveMember(ctx, db, w.who["op.papua"], jabar, "analis.jabar"); !problem.Is(err, problem.NotFound) {
			t.Errorf("papua removes jabar's member: %v, want not found", err)
		}
		if err := room.RemoveMember(ctx, db, w.who["op.jabar"], jabar, "analis.jabar"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an operator removes a member: %v, want forbidden", err)
		}
		if n := len(get().Members); n != 2 {
			t.Fatalf("%d members after refused removals, want 2", n)
		}
		if err := room.RemoveMember(ctx, db, koord, jabar, "op.papua"); !problem.Is(err, problem.NotFound) {
			t.Errorf("removing a non-member: %v, want not found", err)
		}
		if err := room.RemoveMember(ctx, db, koord, jabar, "analis.jabar"); err != nil {
			t.Fatal(err)
		}
		if m := get().Members; len(m) != 1 || m[0].Username != "op.jabar" {
			t.Errorf("members after removal: %+v", m)
		}
		// BSSN's coordinator, above every room, may too.
		if err := room.RemoveMember(ctx, db, w.who["bssn.koord"], jabar, "op.jabar"); err != nil {
			t.Errorf("bssn's coordinator removes a member: %v", err)
		}

		// Contacts.
		in := room.ContactInput{Name: "Kompol Andi", Duty: "Ditressiber Polda Jabar", Phone: "+62 22 780-0000", Email: "siber@polda-jabar.example"}
		if _, err := room.NewContact(ctx, db, w.who["op.papua"], jabar, in); !problem.Is(err, problem.NotFound) {
			t.Errorf("papua adds a contact to jabar: %v, want not found", err)
		}
		if _, err := room.NewContact(ctx, db, w.who["op.jabar"], jabar, in); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an operator adds a contact: %v, want forbidden", err)
		}
		for _, bad := range []room.ContactInput{{Name: " "}, {Name: "x", Email: "not-mail"}, {Name: "x", Phone: "call me"}} {
			if _, err := room.NewContact(ctx, db, koord, jabar, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("contact %+v: %v, want invalid", bad, err)
			}
		}
		if n := len(get().Contacts); n != 0 {
			t.Fatalf("%d contacts after refusals, want 0", n)
		}
		c, err := room.NewContact(ctx, db, koord, jabar, in)
		if err != nil || c.ID == 0 {
			t.Fatalf("NewContact = %+v, %v", c, err)
		}
		if got := get().Contacts; len(got) != 1 || got[0] != c {
			t.Errorf("contacts = %+v, want [%+v]", got, c)
		}
		if err := room.RemoveContact(ctx, db, w.who["op.papua"], jabar, c.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("papua removes jabar's contact: %v", err)
		}
		if err := room.RemoveContact(ctx, db, w.who["bssn.koord"], w.rooms["91"], c.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("removing jabar's contact through papua's room: %v, want not found", err)
		}
		if err := room.RemoveContact(ctx, db, koord, jabar, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(get().Contacts); n != 0 {
			t.Errorf("%d contacts after removal", n)
		}

		// Readiness: the coordinator too; papua's operator not.
		rd := room.Readiness{StaffTrained: 4, Checklist: []room.CheckItem{{Item: "Layar", OK: true}}}
		if err := room.UpdateReadiness(ctx, db, w.who["op.papua"], jabar, rd); !problem.Is(err, problem.NotFound) {
			t.Errorf("papua sets jabar's readiness: %v", err)
		}
		if err := room.UpdateReadiness(ctx, db, koord, jabar, rd); err != nil {
			t.Fatal(err)
		}
		if r := get(); r.StaffTrained != 4 || r.ChecklistOK != 1 || r.ChecklistAll != 1 {
			t.Errorf("readiness = %d trained, %d/%d", r.StaffTrained, r.ChecklistOK, r.ChecklistAll)
		}

		// Audited, by the person, against the room.
		entries, err := audit.List(ctx, db, audit.Filter{Kind: room.RecordKind, RecordID: strconv.FormatInt(jabar, 10), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, e := range entries {
			if e.Actor != audit.System.Username {
				got[e.Actor+" "+e.Action]++
			}
		}
		want := map[string]int{"koord.jabar room.member.add": 1, "koord.jabar room.member.remove": 1, "bssn.koord room.member.remove": 1,
			"koord.jabar room.contact.add": 1, "koord.jabar room.contact.remove": 1, "koord.jabar room.readiness": 1}
		if len(got) != len(want) {
			t.Errorf("audited %v, want %v", got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("audited %q %d times, want %d", k, got[k], n)
			}
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
