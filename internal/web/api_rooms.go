package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
)

// roomRoutes registers the operation rooms and the election calendar.
func (s *Server) roomRoutes() {
	s.api("GET /api/v1/rooms", signedIn, s.apiRooms)
	s.api("GET /api/v1/rooms/{id}", signedIn, s.apiRoom)
	s.api("PUT /api/v1/rooms/{id}/readiness", signedIn, s.apiRoomReadiness)
	s.api("POST /api/v1/rooms/{id}/members", signedIn, s.apiRoomStaff)
	s.api("DELETE /api/v1/rooms/{id}/members/{username}", signedIn, s.apiRoomUnstaff)
	s.api("POST /api/v1/rooms/{id}/contacts", signedIn, s.apiRoomContact)
	s.api("DELETE /api/v1/rooms/{id}/contacts/{contact}", signedIn, s.apiRoomRemoveContact)
	s.api("GET /api/v1/calendar", signedIn, s.apiCalendar)
	s.api("POST /api/v1/elections", signedIn, s.apiCreateElection)
	s.api("POST /api/v1/elections/{slug}/phases", signedIn, s.apiAddPhase)
}

// roomFilter reads the rooms list's filters.
func roomFilter(r *http.Request) (room.Filter, error) {
	q := r.URL.Query()
	f := room.Filter{Level: q.Get("level"), Region: q.Get("region")}
	return f, f.Validate()
}

func (s *Server) apiRooms(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	f, err := roomFilter(r)
	if err != nil {
		return err
	}
	if page.Cursor != "" {
		if f.After, err = strconv.ParseInt(page.Cursor, 10, 64); err != nil || f.After <= 0 {
			return problem.New(problem.BadRequest, "cursor is not one this server gave out")
		}
	}
	f.Limit = page.Limit
	list, err := room.List(r.Context(), s.DB, *p, f)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(rm room.Room) string { return httpapi.IDPos(rm.ID) }))
	return nil
}

func (s *Server) apiRoom(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	rm, err := room.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, rm)
	return nil
}

// calendarView is the calendar as the API answers it: the elections, and
// the posture now in each zone with the phases running.
type calendarView struct {
	Elections []calendar.Election                `json:"elections"`
	Now       time.Time                          `json:"now"`
	Postures  map[string]calendar.Posture        `json:"postures"` // per zone: WIB, WITA, WIT
	Rules     map[calendar.Posture]calendar.Rule `json:"rules"`
	Critical  []string                           `json:"critical_assets"` // in WIB
	// rooms5: the patrol's focus words now and the scan cadence of the
	// critical assets (WIB's posture); each room reads its own zone's.
	Focus     []string `json:"focus"`
	ScanEvery string   `json:"scan_every"`
}

func (s *Server) calendarNow(r *http.Request) (calendarView, error) {
	cal, err := calendar.Load(r.Context(), s.DB)
	if err != nil {
		return calendarView{}, err
	}
	now := store.Now()
	v := calendarView{Elections: cal.Elections, Now: now, Postures: map[string]calendar.Posture{}, Rules: calendar.Rules,
		Critical: cal.CriticalAt(now, calendar.WIB)}
	for _, z := range calendar.Zones {
		v.Postures[z.String()], _ = cal.PostureAt(now, z)
	}
	if v.Critical == nil {
		v.Critical = []string{}
	}
	v.Focus = append([]string{}, cal.FocusAt(now, calendar.WIB)...)
	v.ScanEvery = calendar.RuleOf(v.Postures["WIB"]).ScanHint
	return v, nil
}

func (s *Server) apiCalendar(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	v, err := s.calendarNow(r)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiCreateElection(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in calendar.NewElection
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	e, err := calendar.CreateElection(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiAddPhase(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in calendar.Phase
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	ph, err := calendar.AddPhase(r.Context(), s.DB, *p, r.PathValue("slug"), in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, ph)
	return nil
}

func (s *Server) apiRoomReadiness(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in room.Readiness
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	if err := room.UpdateReadiness(r.Context(), s.DB, *p, id, in); err != nil {
		return err
	}
	return s.apiRoom(w, r, p)
}

func (s *Server) apiRoomStaff(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in room.StaffInput
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	if err := room.Staff(r.Context(), s.DB, *p, id, in); err != nil {
		return err
	}
	return s.apiRoom(w, r, p)
}

// roomedit: a room's staff and contacts removed, contacts added; the
// rights are package room's. Each answers the room.

func (s *Server) apiRoomUnstaff(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	if err := room.RemoveMember(r.Context(), s.DB, *p, id, r.PathValue("username")); err != nil {
		return err
	}
	return s.apiRoom(w, r, p)
}

func (s *Server) apiRoomContact(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	var in room.ContactInput
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	if _, err := room.NewContact(r.Context(), s.DB, *p, id, in); err != nil {
		return err
	}
	return s.apiRoom(w, r, p)
}

func (s *Server) apiRoomRemoveContact(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	cid, err := strconv.ParseInt(r.PathValue("contact"), 10, 64)
	if err != nil || cid <= 0 {
		return problem.New(problem.NotFound, "no contact %q", r.PathValue("contact"))
	}
	if err := room.RemoveContact(r.Context(), s.DB, *p, id, cid); err != nil {
		return err
	}
	return s.apiRoom(w, r, p)
}
