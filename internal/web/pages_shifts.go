package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
)

// The shifts' pages under a room (package shift decides who reads and
// does what): the running shift with its staff, check-in and checklist;
// the handover to the next shift; the reports upward with the roll-up of
// the rooms below and, for the national room, its map coloured by posture
// and report age; one report, drafted from the data and sent by the lead.

func (p *pages) shiftRoutes() {
	p.handle("GET /ruang-operasi/{id}/sif", p.shiftPage)
	p.handle("POST /ruang-operasi/{id}/sif/masuk", p.shiftCheckIn)
	p.handle("POST /ruang-operasi/{id}/sif/keluar", p.shiftCheckOut)
	p.handle("POST /ruang-operasi/{id}/sif/periksa", p.shiftTick)
	p.handle("POST /ruang-operasi/{id}/sif/jadwal", p.shiftRoster)
	p.handle("GET /ruang-operasi/{id}/serah-terima", p.handoverPage)
	p.handle("POST /ruang-operasi/{id}/serah-terima/catatan", p.handoverNotes)
	p.handle("POST /ruang-operasi/{id}/serah-terima/tanda-tangan", p.handoverSign)
	p.handle("GET /ruang-operasi/{id}/laporan", p.shiftReportsPage)
	p.handle("GET /ruang-operasi/{id}/laporan/{shift}", p.shiftReportPage)
	p.handle("POST /ruang-operasi/{id}/laporan/{shift}/draf", p.shiftReportDraft)
	p.handle("POST /ruang-operasi/{id}/laporan/{shift}/kirim", p.shiftReportSend)
}

// zoned formats times in a room's time zone.
type zoned struct{ Zone *time.Location }

// Local is t in the room's zone, "2006-01-02 15:04 MST".
func (z zoned) Local(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(z.Zone).Format("2006-01-02 15:04") + " " + z.Zone.String()
}

// LocalPtr is Local of a time that may be missing.
func (z zoned) LocalPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return z.Local(*t)
}

type shiftPageView struct {
	zoned
	Room      room.Room
	Now, Next shift.Shift
	Checklist shift.ChecklistView
	Members   []room.Member
	Me        *shift.Person // who on the running shift, if on it
	Member    bool          // who is on the room's staff
	CanWork   bool
	Error     string
	Done      string
}

func (p *pages) shiftPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderShift(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderShift(w http.ResponseWriter, r *http.Request, rq *req, status int, errMsg string) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	ctx, now, id := r.Context(), store.Now(), rm.ID
	v := shiftPageView{zoned: zoned{shift.Zone(rm)}, Room: rm, Members: rm.Members, Error: errMsg, Done: r.URL.Query().Get("selesai"),
		CanWork: rm.Internals && rq.P.Can(policy.ShiftLog)}
	if v.Now, err = shift.Get(ctx, p.s.DB, *rq.P, id, "now", now); err != nil {
		return err
	}
	if v.Next, err = shift.Get(ctx, p.s.DB, *rq.P, id, "next", now); err != nil {
		return err
	}
	if v.Checklist, err = shift.GetChecklist(ctx, p.s.DB, *rq.P, id, "now", now); err != nil {
		return err
	}
	for i, s := range v.Now.Staff {
		if s.UserID == rq.P.User.ID {
			v.Me = &v.Now.Staff[i]
		}
	}
	for _, m := range rm.Members {
		if m.UserID == rq.P.User.ID {
			v.Member = true
		}
	}
	p.render(w, r, status, "shifts_shift.html", page{req: rq, Title: rq.T("shifts.title", rm.Name), Active: "nav.oprooms", Data: v})
	return nil
}

// shiftDone answers a form: back to path with ?selesai=done, or the page
// again with the problem in a line.
func (p *pages) shiftDone(w http.ResponseWriter, r *http.Request, rq *req, err error, path, done string, again func(int, string) error) error {
	if err != nil {
		msg, ferr := formProblem(rq, err)
		if ferr != nil {
			return ferr
		}
		status := http.StatusBadRequest
		if pe := problem.As(err); pe != nil {
			status = pe.Status()
		}
		return again(status, msg)
	}
	http.Redirect(w, r, path+"?selesai="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

func (p *pages) shiftForm(w http.ResponseWriter, r *http.Request, rq *req, done string, act func(id int64) error) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	return p.shiftDone(w, r, rq, act(id), "/ruang-operasi/"+strconv.FormatInt(id, 10)+"/sif", done,
		func(status int, msg string) error { return p.renderShift(w, r, rq, status, msg) })
}

func (p *pages) shiftCheckIn(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.shiftForm(w, r, rq, "masuk", func(id int64) error {
		_, err := shift.CheckIn(r.Context(), p.s.DB, *rq.P, id, store.Now())
		return err
	})
}

func (p *pages) shiftCheckOut(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.shiftForm(w, r, rq, "keluar", func(id int64) error {
		_, err := shift.CheckOut(r.Context(), p.s.DB, *rq.P, id, store.Now())
		return err
	})
}

func (p *pages) shiftTick(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.shiftForm(w, r, rq, "periksa", func(id int64) error {
		_, err := shift.Tick(r.Context(), p.s.DB, *rq.P, id, r.PostForm.Get("item"), r.PostForm.Get("note"), store.Now())
		return err
	})
}

func (p *pages) shiftRoster(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.shiftForm(w, r, rq, "jadwal", func(id int64) error {
		which := r.PostForm.Get("sif")
		if which != "now" {
			which = "next"
		}
		_, err := shift.SetRoster(r.Context(), p.s.DB, *rq.P, id, which, shift.RosterInput{Lead: r.PostForm.Get("lead"), Members: r.PostForm["members"]}, store.Now())
		return err
	})
}

type handoverView struct {
	zoned
	shift.Handover
	Name    string // the outgoing shift's name, for the forms
	CanSign bool
	CanNote bool
	Error   string
	Done    string
}

func (p *pages) handoverPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderHandover(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderHandover(w http.ResponseWriter, r *http.Request, rq *req, status int, errMsg string) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("sif")
	if name == "" {
		name = r.PostForm.Get("sif")
	}
	now := store.Now()
	var h shift.Handover
	if name == "" {
		// Early in a shift, the handover waiting is the one into it.
		h, err = shift.GetHandover(r.Context(), p.s.DB, *rq.P, id, "prev", now)
		if err != nil {
			return err
		}
		if h.Signed || now.Sub(h.From.End) > 2*time.Hour {
			name = "now"
		}
	}
	if name != "" {
		if h, err = shift.GetHandover(r.Context(), p.s.DB, *rq.P, id, name, now); err != nil {
			return err
		}
	}
	v := handoverView{zoned: zoned{shift.Zone(h.Room)}, Handover: h, Name: h.From.Name, Error: errMsg, Done: r.URL.Query().Get("selesai")}
	work := rq.P.Can(policy.ShiftLog)
	v.CanNote = work && !h.Signed
	for _, s := range h.To.Staff {
		if s.UserID == rq.P.User.ID {
			v.CanSign = work && !h.Signed
		}
	}
	p.render(w, r, status, "shifts_handover.html", page{req: rq, Title: rq.T("shifts.handover_title", h.Room.Name), Active: "nav.oprooms", Data: v})
	return nil
}

func (p *pages) handoverForm(w http.ResponseWriter, r *http.Request, rq *req, done string, act func(id int64, name string) error) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	name := r.PostForm.Get("sif")
	path := "/ruang-operasi/" + strconv.FormatInt(id, 10) + "/serah-terima"
	err = act(id, name)
	if err == nil {
		http.Redirect(w, r, path+"?sif="+url.QueryEscape(name)+"&selesai="+done, http.StatusSeeOther)
		return nil
	}
	return p.shiftDone(w, r, rq, err, path, done, func(status int, msg string) error { return p.renderHandover(w, r, rq, status, msg) })
}

func (p *pages) handoverNotes(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.handoverForm(w, r, rq, "catatan", func(id int64, name string) error {
		_, err := shift.SetNotes(r.Context(), p.s.DB, *rq.P, id, name, r.PostForm.Get("notes"), store.Now())
		return err
	})
}

func (p *pages) handoverSign(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.handoverForm(w, r, rq, "tanda-tangan", func(id int64, name string) error {
		_, err := shift.SignOff(r.Context(), p.s.DB, *rq.P, id, name, store.Now())
		return err
	})
}

// rollupArea is one province on the national room's roll-up map, or one
// regency's square on a province's tile map.
type rollupArea struct {
	Code, D, Title, Class string
	RoomID                int64
	// A tile's label (two lines: "Kab."/"Kota" and the name) and where
	// it is written.
	Label          [2]string
	LabelX, LabelY float64
}

type reportsView struct {
	zoned
	Room    room.Room
	Rollup  shift.Rollup
	Map     []rollupArea
	ViewBox string
	Tiles   bool // Map is the province's tile map
	Cols    int  // its columns: the CSS gives each column 108 px at most
	Own     []shift.Report
	Below   []shift.Report
	Ages    map[int64]string // each row's last report's age, in words
	Current string           // the running shift's name
	Prev    string           // the one before, whose report is due
}

func (p *pages) shiftReportsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	ctx, now := r.Context(), store.Now()
	up, err := shift.GetRollup(ctx, p.s.DB, *rq.P, id, now)
	if err != nil {
		return err
	}
	v := reportsView{zoned: zoned{shift.Zone(up.Room)}, Room: up.Room, Rollup: up, Ages: map[int64]string{}}
	for _, row := range up.Rows {
		v.Ages[row.Room.ID] = rq.T("shifts.never")
		if row.LastReportAt != nil {
			v.Ages[row.Room.ID] = rq.Span(now.Sub(*row.LastReportAt))
		}
	}
	if v.Own, err = shift.ListReportsOf(ctx, p.s.DB, up.Room, shift.ReportFilter{Limit: 20}); err != nil {
		return err
	}
	if v.Below, err = shift.ListReportsOf(ctx, p.s.DB, up.Room, shift.ReportFilter{FromBelow: true, Limit: 50}); err != nil {
		return err
	}
	times, err := shift.LoadTimes(ctx, p.s.DB, id)
	if err != nil {
		return err
	}
	cur := times.At(now, v.Zone)
	v.Current, v.Prev = cur.ID(), times.Prev(cur, v.Zone).ID()
	if up.Room.Level == room.National {
		byRegion := map[string]shift.RollupRow{}
		for _, row := range up.Rows {
			byRegion[row.Room.Region] = row
		}
		v.ViewBox = p.geo.ViewBox
		for _, gp := range p.geo.Provinces {
			a := rollupArea{Code: gp.Code, D: gp.D, Class: "lvl-none dim", Title: regionName(gp.Code)}
			if row, ok := byRegion[gp.Code]; ok {
				a.Class, a.RoomID = postureClass(row.Room.Posture)+" age-"+row.Age, row.Room.ID
				a.Title = rq.T("shifts.map_title", row.Room.Name, rq.L("posture", string(row.Room.Posture)), rq.T("shifts.age."+row.Age))
			}
			v.Map = append(v.Map, a)
		}
	}
	if up.Room.Level == room.Province && len(up.Rows) > 0 {
		v.Map, v.ViewBox, v.Cols = rollupTiles(rq, up.Rows)
		v.Tiles = true
	}
	p.render(w, r, http.StatusOK, "shifts_reports.html", page{req: rq, Title: rq.T("shifts.reports_title", up.Room.Name), Active: "nav.oprooms", Data: v})
	return nil
}

type shiftReportView struct {
	zoned
	Report  shift.Report
	Room    room.Room
	CanSend bool
	Error   string
	Done    string
}

func (p *pages) shiftReportPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderShiftReport(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderShiftReport(w http.ResponseWriter, r *http.Request, rq *req, status int, errMsg string) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	ctx, now, id := r.Context(), store.Now(), rm.ID
	rp, err := shift.GetReport(ctx, p.s.DB, *rq.P, id, r.PathValue("shift"), now)
	if problem.Is(err, problem.NotFound) && rm.Internals {
		// Not drafted yet: the page offers the draft.
		s, gerr := shift.Get(ctx, p.s.DB, *rq.P, id, r.PathValue("shift"), now)
		if gerr != nil {
			return gerr
		}
		rp, err = shift.Report{RoomID: id, RoomName: rm.Name, Region: rm.Region, Level: rm.Level, Shift: s.Name, Start: s.Start, End: s.End, Status: "none"}, nil
	}
	if err != nil {
		return err
	}
	v := shiftReportView{zoned: zoned{shift.Zone(rm)}, Report: rp, Room: rm, Error: errMsg, Done: r.URL.Query().Get("selesai"),
		CanSend: rm.Internals && rq.P.Can(policy.ShiftLog) && rp.Status != shift.Sent}
	p.render(w, r, status, "shifts_report.html", page{req: rq, Title: rq.T("shifts.report_title", rm.Name, rp.Shift), Active: "nav.oprooms", Data: v})
	return nil
}

func (p *pages) reportForm(w http.ResponseWriter, r *http.Request, rq *req, done string, act func(id int64, name string) error) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	name := r.PathValue("shift")
	return p.shiftDone(w, r, rq, act(id, name), "/ruang-operasi/"+strconv.FormatInt(id, 10)+"/laporan/"+url.PathEscape(name), done,
		func(status int, msg string) error { return p.renderShiftReport(w, r, rq, status, msg) })
}

func (p *pages) shiftReportDraft(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.reportForm(w, r, rq, "draf", func(id int64, name string) error {
		_, err := shift.DraftReport(r.Context(), p.s.DB, *rq.P, id, name, store.Now())
		return err
	})
}

func (p *pages) shiftReportSend(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.reportForm(w, r, rq, "kirim", func(id int64, name string) error {
		_, err := shift.SendReport(r.Context(), p.s.DB, *rq.P, id, name, r.PostForm.Get("summary"), store.Now(), p.s.shiftTeller())
		return err
	})
}

// tileSide and tileGap size a province's tile map (SVG units).
const tileSide, tileGap = 100.0, 8.0

// rollupTiles draws a province's roll-up as a tile map: regencies have no
// map shapes here, so each regency room is a square, in code order, in a
// grid about as wide as high, coloured by posture and outlined by report
// age as the national map is.
func rollupTiles(rq *req, rows []shift.RollupRow) ([]rollupArea, string, int) {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b shift.RollupRow) int { return strings.Compare(a.Room.Region, b.Room.Region) })
	cols := int(math.Ceil(math.Sqrt(float64(len(rows)))))
	cols = min(max(cols, 1), 8)
	out := make([]rollupArea, 0, len(rows))
	for i, row := range rows {
		x, y := float64(i%cols)*(tileSide+tileGap)+tileGap, float64(i/cols)*(tileSide+tileGap)+tileGap
		a := rollupArea{Code: row.Room.Region, RoomID: row.Room.ID,
			D:     fmt.Sprintf("M%.0f %.0fh%.0fv%.0fh-%.0fz", x, y, tileSide, tileSide, tileSide),
			Class: postureClass(row.Room.Posture) + " age-" + row.Age,
			Title: rq.T("shifts.map_title", regionName(row.Room.Region), rq.L("posture", string(row.Room.Posture)), rq.T("shifts.age."+row.Age)),
			Label: tileLabel(regionName(row.Room.Region)), LabelX: x + tileSide/2, LabelY: y + tileSide/2}
		out = append(out, a)
	}
	rowsN := (len(rows) + cols - 1) / cols
	cols = min(cols, len(rows))
	return out, fmt.Sprintf("0 0 %.0f %.0f", float64(cols)*(tileSide+tileGap)+tileGap, float64(rowsN)*(tileSide+tileGap)+tileGap), cols
}

// tileLabel splits a regency's name for its square: "Kabupaten Bandung
// Barat" is "Kab." over "Bandung Barat", "Kota Bandung" "Kota" over
// "Bandung".
func tileLabel(name string) [2]string {
	kind, rest := "", name
	if r, ok := strings.CutPrefix(name, "Kabupaten "); ok {
		kind, rest = "Kab.", r
	} else if r, ok := strings.CutPrefix(name, "Kota "); ok {
		kind, rest = "Kota", r
	}
	// A square holds about 13 letters a line; the title gives the whole name.
	if r := []rune(rest); len(r) > tileLetters {
		rest = strings.TrimSpace(string(r[:tileLetters-1])) + "…"
	}
	return [2]string{kind, rest}
}

// tileLetters is how many letters of a name fit across a tile.
const tileLetters = 13
