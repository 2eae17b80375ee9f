package web

import (
	"net/http"
	"strconv"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/shift"
	"github.com/garda-id/garda/internal/store"
)

// shiftRoutes registers the operation rooms' shifts, handovers, checklists
// and reports upward (package shift). {shift} is "now", "next", "prev" or
// a shift's name, "2024-02-05-pagi".
func (s *Server) shiftRoutes() {
	s.api("GET /api/v1/rooms/{id}/shift-times", signedIn, s.apiShiftTimes)
	s.api("PUT /api/v1/rooms/{id}/shift-times", signedIn, s.apiSetShiftTimes)
	s.api("GET /api/v1/rooms/{id}/shifts/{shift}", signedIn, s.apiShift)
	s.api("PUT /api/v1/rooms/{id}/shifts/{shift}/roster", signedIn, s.apiShiftRoster)
	s.api("PUT /api/v1/rooms/{id}/shifts/{shift}/notes", signedIn, s.apiShiftNotes)
	s.api("POST /api/v1/rooms/{id}/check-in", signedIn, s.apiShiftCheckIn)
	s.api("POST /api/v1/rooms/{id}/check-out", signedIn, s.apiShiftCheckOut)
	s.api("GET /api/v1/rooms/{id}/shifts/{shift}/handover", signedIn, s.apiHandover)
	s.api("POST /api/v1/rooms/{id}/shifts/{shift}/handover/sign-off", signedIn, s.apiHandoverSign)
	s.api("GET /api/v1/rooms/{id}/shifts/{shift}/checklist", signedIn, s.apiShiftChecklist)
	s.api("POST /api/v1/rooms/{id}/checklist/{item}", signedIn, s.apiShiftTick)
	s.api("GET /api/v1/rooms/{id}/shifts/{shift}/report", signedIn, s.apiShiftReport)
	s.api("POST /api/v1/rooms/{id}/shifts/{shift}/report/draft", signedIn, s.apiShiftReportDraft)
	s.api("POST /api/v1/rooms/{id}/shifts/{shift}/report/send", signedIn, s.apiShiftReportSend)
	s.api("GET /api/v1/rooms/{id}/reports", signedIn, s.apiShiftReports)
	s.api("GET /api/v1/rooms/{id}/rollup", signedIn, s.apiRollup)
}

// shiftTeller is the notifier rooms are told through (nil: nobody is told).
func (s *Server) shiftTeller() shift.Teller {
	if s.Notify == nil {
		return nil
	}
	return s.Notify
}

func (s *Server) apiShiftTimes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	if _, err := shift.Get(r.Context(), s.DB, *p, id, "now", store.Now()); err != nil {
		return err
	}
	t, err := shift.LoadTimes(r.Context(), s.DB, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiSetShiftTimes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in shift.Times
	if err := httpapi.Decode(w, r, &in, 1024); err != nil {
		return err
	}
	if err := shift.SetTimes(r.Context(), s.DB, *p, id, in); err != nil {
		return err
	}
	return s.apiShiftTimes(w, r, p)
}

func (s *Server) apiShift(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	sh, err := shift.Get(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiShiftRoster(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in shift.RosterInput
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	sh, err := shift.SetRoster(r.Context(), s.DB, *p, id, r.PathValue("shift"), in, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiShiftNotes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in struct {
		Notes string `json:"notes"`
	}
	if err := httpapi.Decode(w, r, &in, 32768); err != nil {
		return err
	}
	sh, err := shift.SetNotes(r.Context(), s.DB, *p, id, r.PathValue("shift"), in.Notes, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiShiftCheckIn(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	sh, err := shift.CheckIn(r.Context(), s.DB, *p, id, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiShiftCheckOut(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	sh, err := shift.CheckOut(r.Context(), s.DB, *p, id, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, sh)
	return nil
}

func (s *Server) apiHandover(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	h, err := shift.GetHandover(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, h)
	return nil
}

func (s *Server) apiHandoverSign(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	h, err := shift.SignOff(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, h)
	return nil
}

func (s *Server) apiShiftChecklist(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	v, err := shift.GetChecklist(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiShiftTick(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := httpapi.Decode(w, r, &in, 4096); err != nil {
			return err
		}
	}
	v, err := shift.Tick(r.Context(), s.DB, *p, id, r.PathValue("item"), in.Note, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiShiftReport(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	rp, err := shift.GetReport(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, rp)
	return nil
}

func (s *Server) apiShiftReportDraft(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	rp, err := shift.DraftReport(r.Context(), s.DB, *p, id, r.PathValue("shift"), store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, rp)
	return nil
}

func (s *Server) apiShiftReportSend(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in struct {
		Summary string `json:"summary"`
	}
	if err := httpapi.Decode(w, r, &in, 32768); err != nil {
		return err
	}
	rp, err := shift.SendReport(r.Context(), s.DB, *p, id, r.PathValue("shift"), in.Summary, store.Now(), s.shiftTeller())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, rp)
	return nil
}

func (s *Server) apiShiftReports(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := shift.ReportFilter{Limit: page.Limit, FromBelow: q.Get("from") == "below", LateOnly: q.Get("late") == "1" || q.Get("late") == "true"}
	if from := q.Get("from"); from != "" && from != "below" && from != "own" {
		return problem.Field("from", "must be own or below")
	}
	if page.Cursor != "" {
		if f.Before, err = strconv.ParseInt(page.Cursor, 10, 64); err != nil || f.Before <= 0 {
			return problem.New(problem.BadRequest, "cursor is not one this server gave out")
		}
	}
	list, err := shift.ListReports(r.Context(), s.DB, *p, id, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(rp shift.Report) string { return httpapi.IDPos(rp.ID) }))
	return nil
}

func (s *Server) apiRollup(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	up, err := shift.GetRollup(r.Context(), s.DB, *p, id, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, up)
	return nil
}
