package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestRoomEditPages: on Jawa Barat's room page its coordinator adds a
// member and a contact, removes them and sets the readiness, each audited;
// a bad username or e-mail draws the form again with the field's error and
// changes nothing; Jawa Tengah's analyst finds neither the page nor its
// forms (404), Jawa Barat's viewer gets no form and is refused.
func TestRoomEditPages(t *testing.T) {
	s := newSite(t)
	ids := roomIDs(t, s.db)
	ctx := context.Background()
	if _, err := auth.CreateUser(ctx, s.db, audit.System, auth.NewUser{Username: "jabar.koord", DisplayName: "Koordinator Jabar", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: password("jabar.koord")}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/ruang-operasi/%d", ids["32"])
	koord := principal(t, s, "jabar.koord")
	read := func() room.Room {
		t.Helper()
		r, err := room.Get(ctx, s.db, koord, ids["32"])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	c := s.as("jabar.koord")
	resp, html := c.get(page)
	wantStatus(t, resp, 200, "the coordinator's room page")
	wantIn(t, html, "the coordinator's forms", `action="`+page+`/petugas"`, `action="`+page+`/kontak"`, `action="`+page+`/kesiapan"`,
		`name="username"`, `name="item_0"`, "Tetapkan petugas", "Tambah kontak", "Catat kesiapan")
	_, html = s.as("jabar.analyst").get(page)
	wantIn(t, html, "the analyst's readiness form", `action="`+page+`/kesiapan"`)
	wantNotIn(t, html, "the analyst's staff and contact forms", `action="`+page+`/petugas"`, `action="`+page+`/kontak"`)
	viewer := s.as("jabar.viewer")
	_, html = viewer.get(page)
	wantNotIn(t, html, "the viewer's forms", `action="`+page+`/petugas"`, `action="`+page+`/kontak"`, `action="`+page+`/kesiapan"`)

	// A member: a bad username is refused in the form, then one is added.
	resp, html = c.post(page+"/petugas", url.Values{"username": {"nobody"}, "duty": {"lead"}})
	wantStatus(t, resp, 400, "an unknown username")
	wantIn(t, html, "the refused member form", `class="field invalid"`, "Tidak ada pengguna &#34;nobody&#34;.", `value="nobody"`)
	resp, html = c.post(page+"/petugas", url.Values{"username": {"jateng.analyst"}, "duty": {"member"}})
	wantStatus(t, resp, 400, "a username of another province")
	wantIn(t, html, "the refused member form", "jateng.analyst bekerja di luar wilayah ruang ini.")
	if n := len(read().Members); n != 0 {
		t.Fatalf("%d members after refused forms, want 0", n)
	}
	resp, _ = c.post(page+"/petugas", url.Values{"username": {"jabar.analyst"}, "duty": {"lead"}})
	wantStatus(t, resp, 303, "adding a member")
	if loc := resp.Header.Get("Location"); loc != page+"?selesai=petugas#petugas" {
		t.Errorf("redirected to %q", loc)
	}
	_, html = c.get(page + "?selesai=petugas")
	wantIn(t, html, "the page after adding", "Petugas ditetapkan.", "jabar.analyst", `action="`+page+`/petugas/jabar.analyst/hapus"`)
	if m := read().Members; len(m) != 1 || m[0].Username != "jabar.analyst" || m[0].Duty != "lead" {
		t.Errorf("members = %+v", m)
	}

	// A contact: a bad e-mail is refused, then one is added.
	contact := url.Values{"name": {"Kompol Andi"}, "duty": {"Ditressiber Polda Jabar"}, "phone": {"+62 22 780-0000"}, "email": {"siber@polda.example"}}
	bad := cloneForm(contact)
	bad.Set("email", "siber-at-polda")
	resp, html = c.post(page+"/kontak", bad)
	wantStatus(t, resp, 400, "a bad e-mail")
	wantIn(t, html, "the refused contact form", "Bukan alamat surel.", `value="Kompol Andi"`)
	if n := len(read().Contacts); n != 0 {
		t.Fatalf("%d contacts after a refused form", n)
	}
	resp, _ = c.post(page+"/kontak", contact)
	wantStatus(t, resp, 303, "adding a contact")
	_, html = c.get(page + "?selesai=kontak")
	wantIn(t, html, "the page after adding a contact", "Kontak ditambahkan.", "Kompol Andi", "siber@polda.example")
	rm := regexp.MustCompile(`action="(` + page + `/kontak/[0-9]+/hapus)"`).FindStringSubmatch(html)
	if rm == nil {
		t.Fatal("no remove form for the contact")
	}

	// Readiness: the five default items, the first ticked, one added.
	ready := url.Values{"staff_trained": {"7"}, "last_drill_at": {"2024-01-20"}, "items": {fmt.Sprint(len(room.DefaultChecklist))}, "ok_0": {"1"}, "item_new": {"Genset cadangan kedua"}}
	for i, it := range room.DefaultChecklist {
		ready.Set(fmt.Sprintf("item_%d", i), it)
	}
	badReady := cloneForm(ready)
	badReady.Set("staff_trained", "tujuh")
	resp, html = c.post(page+"/kesiapan", badReady)
	wantStatus(t, resp, 400, "a bad number")
	wantIn(t, html, "the refused readiness form", "Isi jumlah orang, 0 atau lebih.", `value="Genset cadangan kedua"`)
	resp, _ = c.post(page+"/kesiapan", ready)
	wantStatus(t, resp, 303, "setting readiness")
	r := read()
	drill := time.Date(2024, 1, 20, 0, 0, 0, 0, calendar.WIB)
	if r.StaffTrained != 7 || r.ChecklistAll != len(room.DefaultChecklist)+1 || r.ChecklistOK != 1 || r.LastDrillAt == nil || !r.LastDrillAt.Equal(drill) {
		t.Errorf("readiness = %d trained, %d/%d, drill %v", r.StaffTrained, r.ChecklistOK, r.ChecklistAll, r.LastDrillAt)
	}
	_, html = c.get(page + "?selesai=kesiapan")
	wantIn(t, html, "the page after readiness", "Kesiapan ruang dicatat.", `value="2024-01-20"`, "Genset cadangan kedua")

	// Jawa Tengah's analyst: 404 on the page and every form; Jawa Barat's
	// viewer: refused. Nothing changes.
	cj := s.as("jateng.analyst")
	resp, _ = cj.get(page)
	wantStatus(t, resp, 404, "jateng's analyst reads jabar's room")
	for path, form := range map[string]url.Values{
		page + "/petugas":                     {"username": {"jabar.viewer"}},
		page + "/petugas/jabar.analyst/hapus": {},
		page + "/kontak":                      contact,
		rm[1]:                                 {},
		page + "/kesiapan":                    ready,
	} {
		resp, _ = cj.post(path, form)
		wantStatus(t, resp, 404, "jateng's analyst posts "+path)
		resp, _ = viewer.post(path, form)
		wantStatus(t, resp, 403, "jabar's viewer posts "+path)
	}
	if r := read(); len(r.Members) != 1 || len(r.Contacts) != 1 {
		t.Fatalf("refused posts changed the room: %d members, %d contacts", len(r.Members), len(r.Contacts))
	}

	// Removing both.
	resp, _ = c.post(page+"/petugas/jabar.analyst/hapus", url.Values{})
	wantStatus(t, resp, 303, "removing the member")
	resp, _ = c.post(rm[1], url.Values{})
	wantStatus(t, resp, 303, "removing the contact")
	_, html = c.get(page + "?selesai=kontak-hapus")
	wantIn(t, html, "the page after removals", "Kontak dihapus.", "Belum ada petugas.", "Belum ada kontak.")
	if r := read(); len(r.Members) != 0 || len(r.Contacts) != 0 {
		t.Errorf("after removals: %d members, %d contacts", len(r.Members), len(r.Contacts))
	}
	counts := auditedBy(t, s.db, "jabar.koord")
	for _, a := range []string{"room.member.add", "room.member.remove", "room.contact.add", "room.contact.remove", "room.readiness"} {
		if counts[a] != 1 {
			t.Errorf("%s audited %d times by the coordinator, want 1 (all: %v)", a, counts[a], counts)
		}
	}
}

// auditedBy counts a person's audited actions.
func auditedBy(t *testing.T, db *store.DB, username string) map[string]int {
	t.Helper()
	entries, err := audit.List(context.Background(), db, audit.Filter{Actor: username, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range entries {
		out[e.Action]++
	}
	return out
}

// TestRoomEditAPI: a member taken off and contacts added and removed
// through the API, by the coordinator; others refused (403, or 404
// outside their scope); refused writes change nothing.
func TestRoomEditAPI(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		ids := roomIDs(t, db)
		ctx := context.Background()
		if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "jabar.koord", Org: "kpu-32", Role: "coordinator", Scope: "32", Password: "pw-jabar.koord-long"}); err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		w.call("", "POST", "/api/v1/auth/login", `{"username":"jabar.koord","password":"pw-jabar.koord-long"}`, 200, &tok)
		w.tokens["jabar.koord"] = tok.Token
		jabar := fmt.Sprintf("/api/v1/rooms/%d", ids["32"])
		var rm room.Room
		w.call("jabar.koord", "POST", jabar+"/members", `{"username":"jabar.analyst"}`, 200, &rm)
		w.call("jabar.koord", "POST", jabar+"/contacts", `{"name":"Kompol Andi","duty":"Ditressiber","phone":"+62 22 780","email":"siber@polda.example"}`, 200, &rm)
		if len(rm.Members) != 1 || len(rm.Contacts) != 1 || rm.Contacts[0].ID == 0 {
			t.Fatalf("room after adding: %+v %+v", rm.Members, rm.Contacts)
		}
		contact := fmt.Sprintf("%s/contacts/%d", jabar, rm.Contacts[0].ID)
		w.call("jabar.koord", "POST", jabar+"/contacts", `{"name":""}`, 400, nil)
		w.call("jabar.koord", "POST", jabar+"/contacts", `{"name":"x","email":"nope"}`, 400, nil)
		w.call("jabar.analyst", "POST", jabar+"/contacts", `{"name":"x"}`, 403, nil)
		w.call("jateng.viewer", "POST", jabar+"/contacts", `{"name":"x"}`, 404, nil)
		w.call("jateng.viewer", "DELETE", contact, "", 404, nil)
		w.call("jabar.analyst", "DELETE", contact, "", 403, nil)
		w.call("jateng.viewer", "DELETE", jabar+"/members/jabar.analyst", "", 404, nil)
		w.call("jabar.analyst", "DELETE", jabar+"/members/jabar.analyst", "", 403, nil)
		w.call("jabar.koord", "DELETE", jabar+"/members/nobody", "", 404, nil)
		w.call("jabar.koord", "DELETE", fmt.Sprintf("/api/v1/rooms/%d/contacts/%d", ids["32.04"], rm.Contacts[0].ID), "", 404, nil)
		w.call("jabar.koord", "GET", jabar, "", 200, &rm)
		if len(rm.Members) != 1 || len(rm.Contacts) != 1 {
			t.Fatalf("refused writes changed the room: %+v %+v", rm.Members, rm.Contacts)
		}
		var afterMember, afterContact room.Room // fresh: empty lists are absent from JSON
		w.call("jabar.koord", "DELETE", jabar+"/members/jabar.analyst", "", 200, &afterMember)
		w.call("jabar.koord", "DELETE", contact, "", 200, &afterContact)
		if len(afterMember.Members) != 0 || len(afterContact.Contacts) != 0 || !afterContact.Internals {
			t.Errorf("after removals: %+v %+v", afterMember.Members, afterContact.Contacts)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('room.member.remove', 'room.contact.add', 'room.contact.remove') AND actor_id IS NOT NULL`).Scan(&n)
		if n != 3 {
			t.Errorf("%d audited removals and additions by people, want 3", n)
		}
	})
}
