package room_test

import (
	"context"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type world struct {
	db    *store.DB
	who   map[string]auth.Principal
	rooms map[string]int64 // by region
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	n, err := room.Ensure(ctx, db, audit.System)
	if err != nil || n != 39 {
		t.Fatalf("Ensure = %d, %v; want the national room and 38 provinces", n, err)
	}
	if n, err := room.Ensure(ctx, db, audit.System); err != nil || n != 0 {
		t.Fatalf("second Ensure = %d, %v; want none", n, err)
	}
	if ok, err := room.CreateRegency(ctx, db, audit.System, "32.04"); err != nil || !ok {
		t.Fatalf("regency room: %v %v", ok, err)
	}
	w := &world{db: db, who: map[string]auth.Principal{}, rooms: map[string]int64{}}
	users := []auth.NewUser{
		{Username: "bssn.koord", Org: "bssn", Role: "coordinator"},
		{Username: "bawaslu.viewer", Org: "bawaslu", Role: "viewer"},
		{Username: "op.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		{Username: "op.bandung", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
		{Username: "op.papua", Org: "diskominfo-91", Role: "operator", Scope: "91"},
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		u.Password = "pw-" + u.Username + "-long-enough"
		created, err := auth.CreateUser(ctx, db, audit.System, u)
		if err != nil {
			t.Fatal(err)
		}
		if w.who[u.Username], err = auth.PrincipalOf(created, tree); err != nil {
			t.Fatal(err)
		}
	}
	all, err := room.List(ctx, db, w.who["bssn.koord"], room.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		w.rooms[r.Region] = r.ID
	}
	for name, region := range map[string]string{"bssn.koord": "", "op.jabar": "32", "op.bandung": "32.04", "op.papua": "91"} {
		if err := room.AddMember(ctx, db, audit.System, w.rooms[region], w.who[name].User.ID, "member"); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestRoomVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		count := func(user string, f room.Filter) int {
			f.Limit = 500
			l, err := room.List(ctx, db, w.who[user], f)
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}
		for _, c := range []struct {
			user   string
			filter room.Filter
			want   int
		}{
			{"bssn.koord", room.Filter{}, 40},
			{"bssn.koord", room.Filter{Level: room.Province}, 38},
			{"bssn.koord", room.Filter{Region: "32"}, 2},
			{"bawaslu.viewer", room.Filter{}, 40},
			{"op.jabar", room.Filter{}, 2},   // its own and Bandung's
			{"op.bandung", room.Filter{}, 1}, // its own only
			{"op.papua", room.Filter{}, 1},   // never Jawa Barat's
			{"op.papua", room.Filter{Region: "32"}, 0},
		} {
			if got := count(c.user, c.filter); got != c.want {
				t.Errorf("%s %+v: %d rooms, want %d", c.user, c.filter, got, c.want)
			}
		}
		// Another province's room is not found, not forbidden.
		if _, err := room.Get(ctx, db, w.who["op.papua"], w.rooms["32"]); !problem.Is(err, problem.NotFound) {
			t.Errorf("papua reads jabar's room: %v, want not found", err)
		}
		if _, err := room.Get(ctx, db, w.who["op.bandung"], w.rooms["32"]); !problem.Is(err, problem.NotFound) {
			t.Errorf("a regency reads its province's room: %v, want not found", err)
		}
		// Internals: the province reads its regency's, BSSN every room's,
		// a national viewer of another body only the state.
		for _, c := range []struct {
			user, region string
			internals    bool
		}{
			{"op.jabar", "32.04", true},
			{"op.jabar", "32", true},
			{"bssn.koord", "91", true},
			{"bawaslu.viewer", "32", false},
			{"bawaslu.viewer", "", false},
		} {
			r, err := room.Get(ctx, db, w.who[c.user], w.rooms[c.region])
			if err != nil {
				t.Fatalf("%s reads room %q: %v", c.user, c.region, err)
			}
			if r.Internals != c.internals || (r.Members != nil) != c.internals || (r.Checklist != nil) != c.internals {
				t.Errorf("%s reads room %q: internals %v (members %v), want %v", c.user, c.region, r.Internals, r.Members, c.internals)
			}
		}
		r, _ := room.Get(ctx, db, w.who["op.jabar"], w.rooms["32"])
		if len(r.Members) != 1 || r.Members[0].Username != "op.jabar" || r.ChecklistAll != len(room.DefaultChecklist) || r.Zone != "WIB" {
			t.Errorf("jabar's room = %+v", r)
		}
	})
}

// The posture switcher with a fake clock: at the start of masa tenang
// Papua's room turns awas at 00:00 WIT, Sulawesi's at 00:00 WITA and
// Jakarta's at 00:00 WIB, two hours after Papua's;
// each switch is audited once and told to the room's members.
func TestPostureSwitchesPerZone(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		cal := calendar.Shipped()
		n := notify.New(db, nil, notify.SMTP{})
		posture := func(region string) calendar.Posture {
			r, err := room.Get(ctx, db, w.who["bssn.koord"], w.rooms[region])
			if err != nil {
				t.Fatal(err)
			}
			return r.Posture
		}
		// The campaign: every room siaga.
		campaign := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
		if _, err := room.SwitchPostures(ctx, db, cal, campaign, n); err != nil {
			t.Fatal(err)
		}
		for _, reg := range []string{"", "32", "91", "73"} {
			if got := posture(reg); got != calendar.Siaga {
				t.Fatalf("room %q in the campaign: %s", reg, got)
			}
		}
		// 00:00 WIT on 11 Feb: only the WIT rooms switch.
		sw, err := room.SwitchPostures(ctx, db, cal, time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIT), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(sw) != 8 || posture("91") != calendar.Awas || posture("32") != calendar.Siaga {
			t.Fatalf("at 00:00 WIT: %d switches, papua %s, jabar %s; want the 8 WIT rooms only", len(sw), posture("91"), posture("32"))
		}
		// Run again at the same instant (another instance): nothing more.
		if again, _ := room.SwitchPostures(ctx, db, cal, time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIT), n); len(again) != 0 {
			t.Fatalf("a second run switched %d rooms", len(again))
		}
		// 00:00 WITA: Bali, Nusa Tenggara, East Kalimantan, Sulawesi.
		sw, err = room.SwitchPostures(ctx, db, cal, time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WITA), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(sw) != 12 || posture("73") != calendar.Awas || posture("32") != calendar.Siaga {
			t.Fatalf("at 00:00 WITA: %d switches; makassar %s, jabar %s", len(sw), posture("73"), posture("32"))
		}
		// 00:00 WIB: the rest, the national room with them.
		sw, err = room.SwitchPostures(ctx, db, cal, time.Date(2024, 2, 11, 0, 0, 0, 0, calendar.WIB), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(sw) != 40-8-12 || posture("32") != calendar.Awas || posture("32.04") != calendar.Awas || posture("") != calendar.Awas {
			t.Fatalf("at 00:00 WIB: %d switches; jabar %s, national %s", len(sw), posture("32"), posture(""))
		}
		r, _ := room.Get(ctx, db, w.who["op.jabar"], w.rooms["32"])
		if r.MinStaff != calendar.Rules[calendar.Awas].MinStaff || r.PosturePhase != "pemilu-2024/masa-tenang" {
			t.Errorf("jabar after the switch: min staff %d, phase %q", r.MinStaff, r.PosturePhase)
		}
		// Audited: the system's entries, one per switch.
		entries, err := audit.List(ctx, db, audit.Filter{Kind: room.RecordKind, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		switches := 0
		for _, e := range entries {
			if e.Action == "room.posture" {
				switches++
				if e.Actor != audit.System.Username {
					t.Errorf("switch audited as %q", e.Actor)
				}
			}
		}
		if switches != 40+8+12+20 {
			t.Errorf("audited switches = %d, want 80 (40 + 8 + 12 + 20)", switches)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
		// Told: Papua's operator has two entries (siaga, awas); Jabar's
		// member does not see Papua's.
		inbox, err := notify.Inbox(ctx, db, w.who["op.papua"], 0, false, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) != 2 || inbox[0].RoomID != w.rooms["91"] || inbox[0].Actor != "awas" {
			t.Errorf("papua's inbox = %+v", inbox)
		}
		jabar, _ := notify.Inbox(ctx, db, w.who["op.jabar"], 0, false, 50)
		for _, it := range jabar {
			if it.RoomID != w.rooms["32"] {
				t.Errorf("jabar's operator told of room %d", it.RoomID)
			}
		}
	})
}
