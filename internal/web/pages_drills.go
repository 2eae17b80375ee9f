package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
)

// The drills' pages (diklat, package drill): BSSN composes, schedules and
// reads the scores on /ruang-operasi/diklat; a room works its runs on
// /ruang-operasi/{id}/diklat, each alert marked as a drill's.

func (p *pages) drillRoutes() {
	p.handle("GET /ruang-operasi/diklat", p.drillsPage)
	p.handle("POST /ruang-operasi/diklat", p.drillCompose)
	p.handle("POST /ruang-operasi/diklat/{drill}/jadwalkan", p.drillSchedule)
	p.handle("POST /ruang-operasi/diklat/putaran/{run}/selesai", p.drillFinish)
	p.handle("GET /ruang-operasi/{id}/diklat", p.roomDrillsPage)
	p.handle("POST /ruang-operasi/{id}/diklat/{run}/terima/{alert}", p.drillAck)
	p.handle("POST /ruang-operasi/{id}/diklat/{run}/eskalasi", p.drillEscalate)
	p.handle("POST /ruang-operasi/{id}/diklat/{run}/laporan", p.drillReport)
	p.handle("POST /ruang-operasi/{id}/diklat/{run}/insiden/{alert}", p.drillPromote)
}

type drillRow struct {
	drill.Drill
	Runs []drill.Run
}

type drillsView struct {
	Drills  []drillRow
	Classes []string
	Error   string
	Done    string
}

func (p *pages) drillsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderDrills(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderDrills(w http.ResponseWriter, r *http.Request, rq *req, status int, msg string) error {
	list, err := drill.List(r.Context(), p.s.DB, *rq.P)
	if err != nil {
		return err
	}
	v := drillsView{Classes: simulate.Classes(), Error: msg, Done: r.URL.Query().Get("selesai")}
	for _, d := range list {
		runs, err := drill.Runs(r.Context(), p.s.DB, *rq.P, d.ID)
		if err != nil {
			return err
		}
		v.Drills = append(v.Drills, drillRow{Drill: d, Runs: runs})
	}
	p.render(w, r, status, "drills.html", page{req: rq, Title: rq.T("drill.title"), Active: "nav.oprooms", Data: v})
	return nil
}

func (p *pages) drillCompose(w http.ResponseWriter, r *http.Request, rq *req) error {
	f := r.PostForm
	_, err := drill.Compose(r.Context(), p.s.DB, *rq.P, drill.NewDrill{Name: f.Get("name"), Classes: f["class"], Log: f.Get("log"),
		LogFormat: f.Get("log_format"), ExpectLevel: f.Get("expect_level")})
	if err != nil {
		if problem.Is(err, problem.Forbidden) {
			return err
		}
		msg, err := formProblem(rq, err)
		if err != nil {
			return err
		}
		return p.renderDrills(w, r, rq, http.StatusBadRequest, msg)
	}
	http.Redirect(w, r, "/ruang-operasi/diklat?selesai=susun", http.StatusSeeOther)
	return nil
}

// drillSchedule schedules a drill into the rooms named by region codes
// ("32, 33"; "semua" for every provincial room) at a WIB time (empty: now).
func (p *pages) drillSchedule(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("drill"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no drill %q", r.PathValue("drill"))
	}
	if !drill.MayRun(r.Context(), p.s.DB, *rq.P) {
		return problem.New(problem.Forbidden, "drills are scheduled by BSSN's coordinators")
	}
	rooms, err := room.List(r.Context(), p.s.DB, *rq.P, room.Filter{Limit: 1000})
	if err != nil {
		return err
	}
	byRegion := map[string]room.Room{}
	for _, rm := range rooms {
		byRegion[rm.Region] = rm
	}
	var ids []int64
	var bad []string
	for _, code := range strings.FieldsFunc(r.PostForm.Get("rooms"), func(c rune) bool { return c == ',' || c == ' ' }) {
		if code == "semua" || code == "all" {
			for _, rm := range rooms {
				if rm.Level == room.Province {
					ids = append(ids, rm.ID)
				}
			}
			continue
		}
		if rm, ok := byRegion[code]; ok {
			ids = append(ids, rm.ID)
		} else {
			bad = append(bad, code)
		}
	}
	var at time.Time
	if v := r.PostForm.Get("at"); v != "" {
		if at, err = time.ParseInLocation("2006-01-02T15:04", v, wib); err != nil {
			bad = append(bad, v)
		}
	}
	speed := 1 // the traffic's own pace unless the form says otherwise
	if v := r.PostForm.Get("speed"); v != "" {
		if speed, err = strconv.Atoi(v); err != nil {
			bad = append(bad, v)
		}
	}
	if len(bad) > 0 || len(ids) == 0 {
		return p.renderDrills(w, r, rq, http.StatusBadRequest, rq.T("drill.bad_rooms", strings.Join(bad, ", ")))
	}
	if _, err := drill.Schedule(r.Context(), p.s.DB, *rq.P, id, ids, at, speed); err != nil {
		msg, ferr := formProblem(rq, err)
		if ferr != nil {
			return ferr
		}
		return p.renderDrills(w, r, rq, http.StatusBadRequest, msg)
	}
	http.Redirect(w, r, "/ruang-operasi/diklat?selesai=jadwal", http.StatusSeeOther)
	return nil
}

func (p *pages) drillFinish(w http.ResponseWriter, r *http.Request, rq *req) error {
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no drill run %q", r.PathValue("run"))
	}
	if _, err := drill.Finish(r.Context(), p.s.DB, *rq.P, id, store.Now()); err != nil {
		return err
	}
	http.Redirect(w, r, "/ruang-operasi/diklat?selesai=selesai", http.StatusSeeOther)
	return nil
}

type roomRunView struct {
	drill.Run
	Alerts    []drillAlertRow
	Incidents []drill.RunIncident
}

type drillAlertRow struct {
	drill.Alert
	Name string // the scenario as the queue names it
}

type roomDrillsView struct {
	Room  room.Room
	Runs  []roomRunView
	Works bool // may acknowledge, escalate, report
	Error string
	// Live is the room's drill stream (to its internals' readers), which
	// garda.js follows from EventID (the read's moment, Unix ms).
	Live    string
	EventID int64
}

func (p *pages) roomDrillsPage(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.renderRoomDrills(w, r, rq, http.StatusOK, "")
}

func (p *pages) renderRoomDrills(w http.ResponseWriter, r *http.Request, rq *req, status int, msg string) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	runs, err := drill.ForRoom(r.Context(), p.s.DB, *rq.P, rm.ID)
	if err != nil {
		return err
	}
	v := roomDrillsView{Room: rm, Works: rm.Internals && rq.Can("shift_log"), Error: msg, EventID: store.Now().UnixMilli()}
	if rm.Internals {
		v.Live = "/api/v1/rooms/" + strconv.FormatInt(rm.ID, 10) + "/drills/stream"
	}
	for _, run := range runs {
		rv := roomRunView{Run: run}
		if run.Status != drill.Scheduled {
			alerts, err := drill.Alerts(r.Context(), p.s.DB, *rq.P, run.ID, store.Now())
			if err != nil {
				return err
			}
			for _, a := range alerts {
				rv.Alerts = append(rv.Alerts, drillAlertRow{Alert: a, Name: rq.ScenarioTitle(a.Scenario, a.Title)})
			}
			if rv.Incidents, err = drill.Incidents(r.Context(), p.s.DB, *rq.P, run.ID); err != nil {
				return err
			}
		}
		v.Runs = append(v.Runs, rv)
	}
	p.render(w, r, status, "room_drills.html", page{req: rq, Title: rq.T("drill.room_title", rm.Name), Active: "nav.oprooms", Data: v})
	return nil
}

// drillAction runs a room's action on a run and goes back to the room's
// drills, or shows why it was refused.
func (p *pages) drillAction(w http.ResponseWriter, r *http.Request, rq *req, act func(roomID, runID int64) error) error {
	return p.drillActionTo(w, r, rq, func(roomID, runID int64) (string, error) { return "", act(roomID, runID) })
}

// drillActionTo is drillAction whose action may name where to go next.
func (p *pages) drillActionTo(w http.ResponseWriter, r *http.Request, rq *req, act func(roomID, runID int64) (string, error)) error {
	rm, err := p.pathRoom(r, rq)
	if err != nil {
		return err
	}
	runID, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil || runID <= 0 {
		return problem.New(problem.NotFound, "no drill run %q", r.PathValue("run"))
	}
	run, err := drill.Get(r.Context(), p.s.DB, *rq.P, runID)
	if err != nil {
		return err
	}
	if run.RoomID != rm.ID {
		return problem.New(problem.NotFound, "no drill run %d in room %d", runID, rm.ID)
	}
	next, err := act(rm.ID, runID)
	if err != nil {
		if problem.Is(err, problem.NotFound) || problem.Is(err, problem.Forbidden) {
			return err
		}
		msg, ferr := formProblem(rq, err)
		if ferr != nil {
			return ferr
		}
		return p.renderRoomDrills(w, r, rq, http.StatusBadRequest, msg)
	}
	if next == "" {
		next = fmt.Sprintf("/ruang-operasi/%d/diklat#putaran-%d", rm.ID, runID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (p *pages) drillAck(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.drillAction(w, r, rq, func(_, runID int64) error {
		aid, err := strconv.ParseInt(r.PathValue("alert"), 10, 64)
		if err != nil || aid <= 0 {
			return problem.New(problem.NotFound, "no drill alert %q", r.PathValue("alert"))
		}
		return drill.Acknowledge(r.Context(), p.s.DB, *rq.P, runID, aid, store.Now())
	})
}

// drillPromote opens a drill incident from one of the run's alerts and
// goes to it on the incident desk, where the room works it as a real one.
func (p *pages) drillPromote(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.drillActionTo(w, r, rq, func(_, runID int64) (string, error) {
		aid, err := strconv.ParseInt(r.PathValue("alert"), 10, 64)
		if err != nil || aid <= 0 {
			return "", problem.New(problem.NotFound, "no drill alert %q", r.PathValue("alert"))
		}
		tree, err := p.s.Orgs.Tree(r.Context())
		if err != nil {
			return "", err
		}
		inc, err := drill.Promote(r.Context(), p.s.DB, *rq.P, tree, runID, []int64{aid}, store.Now())
		if err != nil {
			return "", err
		}
		return "/insiden/" + inc.HumanID, nil
	})
}

func (p *pages) drillEscalate(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.drillAction(w, r, rq, func(_, runID int64) error {
		return drill.Escalate(r.Context(), p.s.DB, *rq.P, runID, r.PostForm.Get("level"), store.Now())
	})
}

func (p *pages) drillReport(w http.ResponseWriter, r *http.Request, rq *req) error {
	return p.drillAction(w, r, rq, func(_, runID int64) error {
		return drill.Report(r.Context(), p.s.DB, *rq.P, runID, r.PostForm.Get("report"), store.Now())
	})
}
