package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// The operation rooms' pages ("Ruang Operasi"): the rooms a person may see
// on a map coloured by posture, the election calendar with the posture now
// in each zone, the form coordinators enter elections with, and a room's
// own page. Who sees which room and which of its internals is decided in
// package room; the calendar's rules in package calendar.

func (p *pages) roomRoutes() {
	p.handle("GET /ruang-operasi", p.roomList)
	p.handle("GET /ruang-operasi/{id}", p.roomPage)
	p.handle("POST /ruang-operasi/kalender/pemilihan", p.roomElectionCreate)
	p.handle("POST /ruang-operasi/kalender/tahapan", p.roomPhaseAdd)
	p.roomEditRoutes() // roomedit: members, contacts and readiness from the room's page
}

// postureClass colours a posture with the map's four levels.
func postureClass(p calendar.Posture) string {
	switch p {
	case calendar.Waspada:
		return "lvl-low"
	case calendar.Siaga:
		return "lvl-medium"
	case calendar.Awas:
		return "lvl-high"
	}
	return "lvl-none"
}

// roomMapArea is one province on the rooms' map.
type roomMapArea struct {
	Code, D, Title, Class string
	RoomID                int64
}

type roomListView struct {
	Rooms    []room.Room
	National *room.Room
	Map      []roomMapArea
	ViewBox  string
	Calendar calendarView
	Zones    []zonePosture
	Upcoming []calendar.Phase
	Entered  []calendar.Election
	CanEnter bool
	Postures []calendar.Posture
	Error    string
	Level    string
	Done     string
	CanDrill bool // walldrills: BSSN's coordinators get the drills' page
}

type zonePosture struct {
	Zone    string
	Posture calendar.Posture
	Phase   calendar.Phase
	Class   string
	Rule    calendar.Rule
}

func mayEnterCalendar(rq *req) bool {
	return rq.P != nil && policy.Role(rq.P.User.Role) == policy.RoleCoordinator && rq.P.Viewer.Scope == ""
}

func (p *pages) roomList(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderRoomList(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderRoomList(w http.ResponseWriter, r *http.Request, rq *req, status int, errMsg string) error {
	q := r.URL.Query()
	f := room.Filter{Level: q.Get("level"), Limit: 600}
	if f.Validate() != nil {
		f.Level, errMsg, status = "", rq.T("room.bad_level"), http.StatusBadRequest
	}
	list, err := room.List(r.Context(), p.s.DB, *rq.P, f)
	if err != nil {
		return err
	}
	if len(list) > f.Limit {
		list = list[:f.Limit]
	}
	v := roomListView{Rooms: list, Error: errMsg, Level: f.Level, CanEnter: mayEnterCalendar(rq), Postures: calendar.Postures, Done: q.Get("selesai"),
		CanDrill: drill.MayRun(r.Context(), p.s.DB, *rq.P)}
	cal, err := calendar.Load(r.Context(), p.s.DB)
	if err != nil {
		return err
	}
	now := store.Now()
	for _, z := range calendar.Zones {
		pst, ph := cal.PostureAt(now, z)
		v.Zones = append(v.Zones, zonePosture{Zone: z.String(), Posture: pst, Phase: ph, Class: postureClass(pst), Rule: calendar.RuleOf(pst)})
	}
	today := now.In(calendar.WIB).Format(calendar.DateLayout)
	for _, ph := range cal.Phases() {
		if ph.End >= today && len(v.Upcoming) < 8 {
			v.Upcoming = append(v.Upcoming, ph)
		}
	}
	for _, e := range cal.Elections {
		if e.ID != 0 {
			v.Entered = append(v.Entered, e)
		}
	}
	v.Calendar.Critical = cal.CriticalAt(now, calendar.WIB)
	v.Calendar.Focus = cal.FocusAt(now, calendar.WIB) // rooms5: the patrol's focus words (WIB)
	v.Calendar.ScanEvery = v.Zones[0].Rule.ScanHint
	// The map: each province coloured by its room's posture when the
	// reader sees that room, grey otherwise.
	byRegion := map[string]room.Room{}
	for i, rm := range list {
		byRegion[rm.Region] = rm
		if rm.Level == room.National {
			v.National = &list[i]
		}
	}
	v.ViewBox = p.geo.ViewBox
	for _, gp := range p.geo.Provinces {
		a := roomMapArea{Code: gp.Code, D: gp.D, Class: "lvl-none dim", Title: regionName(gp.Code)}
		if rm, ok := byRegion[gp.Code]; ok {
			a.Class, a.RoomID = postureClass(rm.Posture), rm.ID
			a.Title = rq.T("room.map_title", rm.Name, rq.L("posture", string(rm.Posture)))
		}
		v.Map = append(v.Map, a)
	}
	p.render(w, r, status, "room_list.html", page{req: rq, Title: rq.T("nav.oprooms"), Active: "nav.oprooms", Data: v})
	return nil
}

type roomPageView struct {
	Room room.Room
	Zone zonePosture
	// rooms5: what the phase does now in the room's region and zone.
	Effects phaseEffects
	// roomedit: what the reader may change here, and the forms.
	Rights room.Rights
	Edit   roomEditForms
}

// phaseEffects is what the running phase sets in a region: its critical
// assets (those the reader may read; their alerts rise in priority, their
// scans follow the posture), the open alerts it raised, and the patrol's
// focus words.
type phaseEffects struct {
	Critical   []string // the phase's systems and tags
	Assets     []asset.Asset
	MoreAssets bool
	ScanEvery  string // the posture's cadence of those assets' scans
	Raised     int    // open alerts the phase raised in the region, up to 100
	Focus      []string
}

// effectsOf reads the running phase's effects in a region for rq's reader.
func (p *pages) effectsOf(ctx context.Context, rq *req, cal *calendar.Calendar, region string, now time.Time) (phaseEffects, error) {
	tz := calendar.ZoneOf(region)
	e := phaseEffects{Critical: cal.CriticalAt(now, tz), Focus: cal.FocusAt(now, tz)}
	if len(e.Critical) == 0 {
		return e, nil
	}
	pst, _ := cal.PostureAt(now, tz)
	e.ScanEvery = calendar.RuleOf(pst).ScanHint
	for before := int64(0); ; {
		list, err := asset.List(ctx, p.s.DB, *rq.P, asset.Filter{Region: region, Before: before, Limit: 500})
		if err != nil {
			return e, err
		}
		for _, a := range list[:min(len(list), 500)] {
			if _, _, ok := cal.Critical(now, calendar.ZoneOf(a.Region), a.Name, a.Tags()); ok {
				if len(e.Assets) == 20 {
					e.MoreAssets = true
					break
				}
				e.Assets = append(e.Assets, a)
			}
		}
		if len(list) <= 500 || e.MoreAssets {
			break
		}
		before = list[499].ID
	}
	raised, err := alert.List(ctx, p.s.DB, *rq.P, alert.Filter{Priority: true, Status: []alert.Status{alert.New, alert.Acknowledged}, Region: region, Limit: 100})
	if err != nil {
		return e, err
	}
	e.Raised = min(len(raised), 100)
	return e, nil
}

// pathRoom is the room of the path's {id} as rq's reader sees it: every
// room page's prologue (a room outside the reader's scope is not found).
func (p *pages) pathRoom(r *http.Request, rq *req) (room.Room, error) {
	id, err := pathID(r, "room")
	if err != nil {
		return room.Room{}, err
	}
	return room.Get(r.Context(), p.s.DB, *rq.P, id)
}

func (p *pages) roomPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderRoom(w, r, rq, http.StatusOK, roomEditForms{}, roomDoneFlash(rq, r.URL.Query().Get("selesai")))
}

// renderRoom draws a room's page; forms carries a refused form's values
// and error (roomedit).
func (p *pages) renderRoom(w http.ResponseWriter, r *http.Request, rq *req, status int, forms roomEditForms, flash string) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	cal, err := calendar.Load(r.Context(), p.s.DB)
	if err != nil {
		return err
	}
	z := calendar.ZoneOf(rm.Region)
	now := store.Now()
	pst, ph := cal.PostureAt(now, z)
	v := roomPageView{Room: rm, Zone: zonePosture{Zone: z.String(), Posture: pst, Phase: ph, Class: postureClass(pst), Rule: calendar.RuleOf(pst)}}
	if v.Effects, err = p.effectsOf(r.Context(), rq, cal, rm.Region, now); err != nil {
		return err
	}
	v.Rights, v.Edit = room.RightsOf(*rq.P, rm), forms.fill(rq, rm)
	p.render(w, r, status, "room.html", page{req: rq, Title: rm.Name, Active: "nav.oprooms", Flash: flash, Data: v})
	return nil
}

// formProblem says what was wrong with a form in a line.
func formProblem(rq *req, err error) (string, error) {
	if pe := problem.As(err); pe != nil && pe.Code != problem.NotFound {
		msg := pe.Message
		if pe.Field != "" {
			msg = pe.Field + ": " + msg
		}
		return rq.T("room.refused", msg), nil
	}
	return "", err
}

func (p *pages) roomElectionCreate(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	_, err := calendar.CreateElection(r.Context(), p.s.DB, *rq.P, calendar.NewElection{Slug: f.Get("slug"), Name: f.Get("name"), Source: f.Get("source")})
	if err != nil {
		msg, err := formProblem(rq, err)
		if err != nil {
			return err
		}
		return p.renderRoomList(w, r, rq, http.StatusBadRequest, msg)
	}
	http.Redirect(w, r, "/ruang-operasi?selesai=pemilihan#kalender", http.StatusSeeOther)
	return nil
}

func (p *pages) roomPhaseAdd(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	ph := calendar.Phase{Key: f.Get("key"), Name: f.Get("name"), Start: f.Get("start"), End: f.Get("end"), Posture: calendar.Posture(f.Get("posture"))}
	for _, c := range strings.Split(f.Get("critical"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			ph.Critical = append(ph.Critical, c)
		}
	}
	for _, w := range strings.Split(f.Get("focus"), ",") { // rooms5: the patrol's focus words
		if w = strings.TrimSpace(w); w != "" {
			ph.Focus = append(ph.Focus, w)
		}
	}
	_, err := calendar.AddPhase(r.Context(), p.s.DB, *rq.P, f.Get("election"), ph)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			err = problem.Field("election", "%s", problem.As(err).Message)
		}
		msg, ferr := formProblem(rq, err)
		if ferr != nil {
			return ferr
		}
		if msg == "" {
			return errors.New("phase refused without a reason")
		}
		return p.renderRoomList(w, r, rq, http.StatusBadRequest, msg)
	}
	http.Redirect(w, r, "/ruang-operasi?selesai=tahapan#kalender", http.StatusSeeOther)
	return nil
}
