package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/drill"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// drillRoutes registers the drills (diklat, package drill): BSSN composes
// and schedules; a room works its runs; scores and training records.
func (s *Server) drillRoutes() {
	s.api("POST /api/v1/drills", signedIn, s.apiComposeDrill)
	s.api("POST /api/v1/drills/{id}/runs", signedIn, s.apiScheduleDrill)
	s.api("GET /api/v1/drills/{id}/runs", signedIn, s.apiDrillRuns)
	s.api("GET /api/v1/rooms/{id}/drills", signedIn, s.apiRoomDrills)
	s.api("GET /api/v1/rooms/{id}/drills/stream", signedIn, s.apiDrillStream)
	s.api("GET /api/v1/drill-runs/{id}", signedIn, s.apiDrillRun)
	s.api("POST /api/v1/drill-runs/{id}/alerts/{alert}/acknowledge", signedIn, s.apiDrillAck)
	s.api("POST /api/v1/drill-runs/{id}/escalate", signedIn, s.apiDrillEscalate)
	s.api("POST /api/v1/drill-runs/{id}/report", signedIn, s.apiDrillReport)
	s.api("GET /api/v1/drill-runs/{id}/incidents", signedIn, s.apiDrillIncidents)
	s.api("POST /api/v1/drill-runs/{id}/incidents", signedIn, s.apiPromoteDrill)
	s.api("POST /api/v1/drill-runs/{id}/finish", signedIn, s.apiDrillFinish)
	s.api("GET /api/v1/users/{username}/training", signedIn, s.apiTraining)
	s.api("POST /api/v1/users/{username}/training", signedIn, s.apiRecordTraining)
}

func (s *Server) apiComposeDrill(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in drill.NewDrill
	if err := httpapi.Decode(w, r, &in, 9<<20); err != nil {
		return err
	}
	d, err := drill.Compose(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiScheduleDrill(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill")
	if err != nil {
		return err
	}
	var in struct {
		Rooms []int64   `json:"rooms"`
		At    time.Time `json:"at"`
		Speed *int      `json:"speed"` // default 1: the traffic's own pace
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	speed := 1
	if in.Speed != nil {
		speed = *in.Speed
	}
	ids, err := drill.Schedule(r.Context(), s.DB, *p, id, in.Rooms, in.At, speed)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, map[string]any{"runs": ids})
	return nil
}

func (s *Server) apiDrillRuns(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill")
	if err != nil {
		return err
	}
	list, err := drill.Runs(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiRoomDrills(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "room")
	if err != nil {
		return err
	}
	list, err := drill.ForRoom(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiDrillRun(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	run, err := drill.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	alerts, err := drill.Alerts(r.Context(), s.DB, *p, id, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		drill.Run
		Alerts []drill.Alert `json:"alerts"`
	}{run, alerts})
	return nil
}

func (s *Server) apiDrillAck(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	aid, err := strconv.ParseInt(r.PathValue("alert"), 10, 64)
	if err != nil || aid <= 0 {
		return problem.New(problem.NotFound, "no drill alert %q", r.PathValue("alert"))
	}
	if err := drill.Acknowledge(r.Context(), s.DB, *p, id, aid, store.Now()); err != nil {
		return err
	}
	return s.apiDrillRun(w, r, p)
}

func (s *Server) apiDrillEscalate(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	var in struct {
		Level string `json:"level"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	if err := drill.Escalate(r.Context(), s.DB, *p, id, in.Level, store.Now()); err != nil {
		return err
	}
	return s.apiDrillRun(w, r, p)
}

func (s *Server) apiDrillReport(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	var in struct {
		Report string `json:"report"`
	}
	if err := httpapi.Decode(w, r, &in, 64<<10); err != nil {
		return err
	}
	if err := drill.Report(r.Context(), s.DB, *p, id, in.Report, store.Now()); err != nil {
		return err
	}
	return s.apiDrillRun(w, r, p)
}

// apiPromoteDrill opens a drill incident from some of the run's alerts
// ({"alert_ids": [...]}); the incident is then worked on the incident
// desk's own API (/api/v1/incidents/LAT-...).
func (s *Server) apiPromoteDrill(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	var in struct {
		AlertIDs []int64 `json:"alert_ids"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	inc, err := drill.Promote(r.Context(), s.DB, *p, tree, id, in.AlertIDs, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, inc)
	return nil
}

func (s *Server) apiDrillIncidents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	list, err := drill.Incidents(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiDrillFinish(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "drill run")
	if err != nil {
		return err
	}
	run, err := drill.Finish(r.Context(), s.DB, *p, id, store.Now())
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, run)
	return nil
}

func (s *Server) apiTraining(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := drill.TrainingOf(r.Context(), s.DB, *p, r.PathValue("username"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiRecordTraining(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Title string    `json:"title"`
		At    time.Time `json:"at"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	if in.At.IsZero() {
		in.At = store.Now()
	}
	t, err := drill.RecordCourse(r.Context(), s.DB, *p, r.PathValue("username"), in.Title, in.At)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, t)
	return nil
}
