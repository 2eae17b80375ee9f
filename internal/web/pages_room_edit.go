package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
)

// roomedit: a room's members, contacts and readiness changed from its
// page. Who may change what is package room's (room.RightsOf, and the
// same check inside every write, which audits it); a refused form draws
// the page again with its error and changes nothing; a room outside the
// reader's scope is not found.

func (p *pages) roomEditRoutes() {
	p.handle("POST /ruang-operasi/{id}/kesiapan", p.roomReadiness)
	p.handle("POST /ruang-operasi/{id}/petugas", p.roomStaff)
	p.handle("POST /ruang-operasi/{id}/petugas/{username}/hapus", p.roomUnstaff)
	p.handle("POST /ruang-operasi/{id}/kontak", p.roomContactAdd)
	p.handle("POST /ruang-operasi/{id}/kontak/{contact}/hapus", p.roomContactRemove)
}

// roomEditForms are the room page's forms: empty, or one refused with
// what was posted.
type roomEditForms struct {
	Ready   readinessForm
	Member  memberForm
	Contact contactForm
}

type readinessForm struct {
	fieldForm
	posted    bool
	Trained   string
	LastDrill string // YYYY-MM-DD in the room's zone
	Items     []checkRow
	New       string
}

// checkRow is one checklist item in the form: its name and its state.
type checkRow struct {
	Name             string
	OK               bool
	Num              int    // from 1, for its label
	NameField, Field string // item_N, ok_N
	Options          []option
}

type memberForm struct {
	fieldForm
	Username, Duty string
	Duties         []option
}

type contactForm struct {
	fieldForm
	room.ContactInput
}

// maxCheckRows bounds the checklist rows a posted form is read for (the
// package refuses more than 50 items).
const maxCheckRows = 60

// fill completes the forms for rm: values from the room unless posted,
// the choices, and the fields each form shows its errors on.
func (f roomEditForms) fill(rq *req, rm room.Room) roomEditForms {
	if !f.Ready.posted {
		f.Ready.Trained = strconv.Itoa(rm.StaffTrained)
		if rm.LastDrillAt != nil {
			f.Ready.LastDrill = rm.LastDrillAt.In(calendar.ZoneOf(rm.Region)).Format(calendar.DateLayout)
		}
		for _, c := range rm.Checklist {
			f.Ready.Items = append(f.Ready.Items, checkRow{Name: c.Item, OK: c.OK})
		}
	}
	f.Ready.fields = []string{"staff_trained", "last_drill_at", "item_new"}
	for i := range f.Ready.Items {
		it := &f.Ready.Items[i]
		it.NameField, it.Field, it.Num = fmt.Sprintf("item_%d", i), fmt.Sprintf("ok_%d", i), i+1
		it.Options = []option{{Value: "1", Label: rq.T("room.f.ok"), Selected: it.OK}, {Value: "", Label: rq.T("room.f.not_ok"), Selected: !it.OK}}
	}
	if f.Member.Duty == "" {
		f.Member.Duty = "member"
	}
	for _, d := range []string{"member", "lead"} {
		f.Member.Duties = append(f.Member.Duties, option{Value: d, Label: rq.T("room.duty." + d), Selected: d == f.Member.Duty})
	}
	f.Member.fields = []string{"username", "duty"}
	f.Contact.fields = []string{"name", "duty", "phone", "email"}
	return f
}

// roomDoneFlash says what the last write did (the redirect's ?selesai=).
func roomDoneFlash(rq *req, done string) string {
	switch done {
	case "kesiapan", "petugas", "petugas-hapus", "kontak", "kontak-hapus":
		return rq.T("room.done." + done)
	}
	return ""
}

// roomRefusal is a refused form's error in the reader's language: the
// package's keyed message, or "required" for an empty field of the form.
func roomRefusal(rq *req, pe *problem.Error, values url.Values, fields []string) *problem.Error {
	out := *pe
	out.Message = rq.problemText(pe)
	if slices.Contains(fields, pe.Field) && strings.TrimSpace(values.Get(pe.Field)) == "" {
		out.Message = rq.T("form.field_required")
	}
	return &out
}

// roomDone redirects to the room's page after a write, to the panel.
func roomDone(w http.ResponseWriter, r *http.Request, id int64, done, anchor string) error {
	http.Redirect(w, r, fmt.Sprintf("/ruang-operasi/%d?selesai=%s#%s", id, done, anchor), http.StatusSeeOther)
	return nil
}

func (p *pages) roomReadiness(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := readinessForm{posted: true, Trained: strings.TrimSpace(f.Get("staff_trained")), LastDrill: strings.TrimSpace(f.Get("last_drill_at")), New: strings.TrimSpace(f.Get("item_new"))}
	rows, _ := strconv.Atoi(f.Get("items"))
	rd := room.Readiness{}
	for i := range min(max(rows, 0), maxCheckRows) {
		c := room.CheckItem{Item: strings.TrimSpace(f.Get(fmt.Sprintf("item_%d", i))), OK: f.Get(fmt.Sprintf("ok_%d", i)) == "1"}
		form.Items = append(form.Items, checkRow{Name: c.Item, OK: c.OK})
		if c.Item != "" { // an emptied name takes the item off
			rd.Checklist = append(rd.Checklist, c)
		}
	}
	if form.New != "" {
		rd.Checklist = append(rd.Checklist, room.CheckItem{Item: form.New})
	}
	err = readinessValues(&rd, form, rm)
	if err == nil {
		err = room.UpdateReadiness(r.Context(), p.s.DB, *rq.P, rm.ID, rd)
	}
	if pe, ok := formFailed(err); ok {
		form.Err = roomRefusal(rq, pe, f, []string{"staff_trained"})
		return p.renderRoom(w, r, rq, pe.Status(), roomEditForms{Ready: form}, "")
	} else if err != nil {
		return err
	}
	return roomDone(w, r, rm.ID, "kesiapan", "kesiapan")
}

// readinessValues reads the form's number and date into rd. The last
// drill's date is a day in the room's zone; the same day as recorded keeps
// the recorded time.
func readinessValues(rd *room.Readiness, form readinessForm, rm room.Room) error {
	n, err := strconv.Atoi(form.Trained)
	if err != nil || n < 0 || n > 100000 {
		return problem.Field("staff_trained", "not a number of people: %q", form.Trained).Keyed("room.err.trained")
	}
	rd.StaffTrained = n
	if form.LastDrill == "" {
		return nil
	}
	tz := calendar.ZoneOf(rm.Region)
	if rm.LastDrillAt != nil && rm.LastDrillAt.In(tz).Format(calendar.DateLayout) == form.LastDrill {
		rd.LastDrillAt = rm.LastDrillAt
		return nil
	}
	d, err := time.ParseInLocation(calendar.DateLayout, form.LastDrill, tz)
	if err != nil {
		return problem.Field("last_drill_at", "not a date (YYYY-MM-DD): %q", form.LastDrill).Keyed("room.err.drill_date")
	}
	rd.LastDrillAt = &d
	return nil
}

func (p *pages) roomStaff(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	in := room.StaffInput{Username: strings.TrimSpace(r.PostForm.Get("username")), Duty: r.PostForm.Get("duty")}
	err = room.Staff(r.Context(), p.s.DB, *rq.P, rm.ID, in)
	if pe, ok := formFailed(err); ok {
		form := memberForm{Username: in.Username, Duty: in.Duty}
		form.Err = roomRefusal(rq, pe, r.PostForm, []string{"username"})
		return p.renderRoom(w, r, rq, pe.Status(), roomEditForms{Member: form}, "")
	} else if err != nil {
		return err
	}
	return roomDone(w, r, rm.ID, "petugas", "petugas")
}

func (p *pages) roomUnstaff(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	if err := room.RemoveMember(r.Context(), p.s.DB, *rq.P, rm.ID, r.PathValue("username")); err != nil {
		return err
	}
	return roomDone(w, r, rm.ID, "petugas-hapus", "petugas")
}

func (p *pages) roomContactAdd(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := room.ContactInput{Name: f.Get("name"), Duty: f.Get("duty"), Phone: f.Get("phone"), Email: f.Get("email")}
	_, err = room.NewContact(r.Context(), p.s.DB, *rq.P, rm.ID, in)
	if pe, ok := formFailed(err); ok {
		form := contactForm{ContactInput: in}
		form.Err = roomRefusal(rq, pe, f, []string{"name"})
		return p.renderRoom(w, r, rq, pe.Status(), roomEditForms{Contact: form}, "")
	} else if err != nil {
		return err
	}
	return roomDone(w, r, rm.ID, "kontak", "kontak")
}

func (p *pages) roomContactRemove(w http.ResponseWriter, r *http.Request, rq *req) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseInt(r.PathValue("contact"), 10, 64)
	if err != nil || cid <= 0 {
		return problem.New(problem.NotFound, "no contact %q", r.PathValue("contact"))
	}
	if err := room.RemoveContact(r.Context(), p.s.DB, *rq.P, rm.ID, cid); err != nil {
		return err
	}
	return roomDone(w, r, rm.ID, "kontak-hapus", "kontak")
}
