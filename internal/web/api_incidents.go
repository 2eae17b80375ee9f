package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
)

// incidentRoutes registers incident response: intake (and promotion of
// alerts), reads, work, comments, the timeline, escalation, participants.
func (s *Server) incidentRoutes() {
	s.api("GET /api/v1/incidents", signedIn, s.apiIncidents)
	s.api("GET /api/v1/incidents/stream", signedIn, s.apiIncidentStream)
	s.api("POST /api/v1/incidents", signedIn, s.apiCreateIncident)
	s.api("GET /api/v1/incidents/{id}", signedIn, s.apiIncident)
	s.api("PATCH /api/v1/incidents/{id}", signedIn, s.apiUpdateIncident)
	s.api("POST /api/v1/incidents/{id}/comments", signedIn, s.apiCommentIncident)
	s.api("GET /api/v1/incidents/{id}/timeline", signedIn, s.apiIncidentTimeline)
	s.api("POST /api/v1/incidents/{id}/escalate", signedIn, s.apiEscalateIncident)
	s.api("POST /api/v1/incidents/{id}/participants", signedIn, s.apiIncidentParticipants)
	s.api("DELETE /api/v1/incidents/{id}/participants", signedIn, s.apiRemoveIncidentParticipants)
	s.api("POST /api/v1/incidents/{id}/escalation-request", signedIn, s.apiRequestEscalation)
	s.incidentWorkRoutes()
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	f := incident.Filter{Severity: q.Get("severity"), Region: q.Get("region"), Category: q.Get("category"),
		Assignee: q.Get("assignee"), Text: q.Get("q")}
	if st := q.Get("status"); st != "" {
		for _, v := range strings.Split(st, ",") {
			f.Status = append(f.Status, incident.Status(strings.TrimSpace(v)))
		}
	}
	return httpapi.ListByID(w, r, func(i incident.Incident) int64 { return i.ID }, func(before int64, limit int) ([]incident.Incident, error) {
		f.Before, f.Limit = before, limit
		return incident.List(r.Context(), s.DB, *p, f)
	})
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	i, err := incident.Get(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

// incidentAction is an incident write through the API: the body (at most
// limit bytes, 0 the default) decoded into In, do run with the
// organisations, the incident's people told of kind (ref: the incident do
// names), and what do returned answered with status.
func incidentAction[In, Out any](s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal, limit int64, status int, kind string,
	do func(ctx context.Context, tree *org.Tree, in In) (out Out, ref string, err error)) error {
	var in In
	if err := httpapi.Decode(w, r, &in, limit); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	out, ref, err := do(r.Context(), tree, in)
	if err != nil {
		return err
	}
	s.notifyIncident(r, p, kind, ref, "")
	httpapi.Write(w, status, out)
	return nil
}

func (s *Server) apiCreateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 0, http.StatusCreated, notify.IncidentCreated, func(ctx context.Context, tree *org.Tree, in incident.Input) (incident.Incident, string, error) {
		i, err := incident.Create(ctx, s.DB, *p, tree, in)
		if err == nil {
			w.Header().Set("Location", "/api/v1/incidents/"+i.HumanID)
		}
		return i, i.HumanID, err
	})
}

func (s *Server) apiUpdateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 0, http.StatusOK, notify.IncidentUpdated, func(ctx context.Context, _ *org.Tree, up incident.Update) (incident.Incident, string, error) {
		i, err := incident.Edit(ctx, s.DB, *p, r.PathValue("id"), up)
		return i, i.HumanID, err
	})
}

func (s *Server) apiCommentIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	e, err := incident.Comment(r.Context(), s.DB, *p, r.PathValue("id"), in.Body)
	if err != nil {
		return err
	}
	unreached := s.notifyIncident(r, p, notify.IncidentComment, r.PathValue("id"), in.Body)
	if unreached == nil {
		unreached = []notify.Unreached{}
	}
	httpapi.Write(w, http.StatusCreated, struct {
		incident.Entry
		NotNotified []notify.Unreached `json:"not_notified"` // @mentions not told, and why
	}{e, unreached})
	return nil
}

func (s *Server) apiIncidentTimeline(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.Timeline(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// reasonBody is the body of an escalation and of a request for one.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiEscalateIncident(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 4096, http.StatusOK, notify.IncidentEscalated, func(ctx context.Context, tree *org.Tree, in reasonBody) (incident.Incident, string, error) {
		i, err := incident.Escalate(ctx, s.DB, *p, tree, r.PathValue("id"), in.Reason)
		return i, i.HumanID, err
	})
}

func (s *Server) apiIncidentParticipants(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 0, http.StatusOK, notify.IncidentParticipants, func(ctx context.Context, tree *org.Tree, in incident.Participants) (incident.Incident, string, error) {
		i, err := incident.AddParticipants(ctx, s.DB, *p, tree, r.PathValue("id"), in)
		return i, i.HumanID, err
	})
}

// incidentWorkRoutes registers the work on an incident: tasks, observables,
// evidence files and their chain of custody. Every one reads the incident
// through its visibility first: a hidden incident's sub-resources are not found.
func (s *Server) incidentWorkRoutes() {
	s.api("GET /api/v1/incidents/{id}/tasks", signedIn, s.apiIncidentTasks)
	s.api("POST /api/v1/incidents/{id}/tasks", signedIn, s.apiCreateIncidentTask)
	s.api("PATCH /api/v1/incidents/{id}/tasks/{task}", signedIn, s.apiUpdateIncidentTask)
	s.api("GET /api/v1/incidents/{id}/observables", signedIn, s.apiIncidentObservables)
	s.api("POST /api/v1/incidents/{id}/observables", signedIn, s.apiAddIncidentObservable)
	s.api("GET /api/v1/incidents/{id}/evidence", signedIn, s.apiIncidentEvidence)
	s.api("POST /api/v1/incidents/{id}/evidence", signedIn, s.apiUploadEvidence)
	s.api("GET /api/v1/incidents/{id}/evidence/{eid}", signedIn, s.apiDownloadEvidence)
	s.api("GET /api/v1/incidents/{id}/evidence/{eid}/custody", signedIn, s.apiEvidenceCustody)
}

func (s *Server) apiIncidentTasks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.Tasks(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiCreateIncidentTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 0, http.StatusCreated, notify.IncidentTask, func(ctx context.Context, tree *org.Tree, in incident.TaskInput) (incident.Task, string, error) {
		t, err := incident.CreateTask(ctx, s.DB, *p, tree, r.PathValue("id"), in)
		return t, r.PathValue("id"), err
	})
}

func (s *Server) apiUpdateIncidentTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var up incident.TaskUpdate
	if err := httpapi.Decode(w, r, &up, 4096); err != nil {
		return err
	}
	t, err := incident.SetTaskStatus(r.Context(), s.DB, *p, r.PathValue("id"), r.PathValue("task"), up)
	if err != nil {
		return err
	}
	s.incidentLive(r.Context(), p, r.PathValue("id"))
	httpapi.Write(w, http.StatusOK, t)
	return nil
}

func (s *Server) apiIncidentObservables(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.Observables(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiAddIncidentObservable(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in incident.ObservableInput
	if err := httpapi.Decode(w, r, &in, 16384); err != nil {
		return err
	}
	o, created, err := incident.AddObservable(r.Context(), s.DB, *p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	status := http.StatusOK // already recorded: the existing observable
	if created {
		status = http.StatusCreated
	}
	s.incidentLive(r.Context(), p, r.PathValue("id"))
	httpapi.Write(w, status, o)
	return nil
}

// evidence is the store of evidence files, under the platform's data directory.
func (s *Server) evidence() incident.EvidenceStore {
	return incident.EvidenceStore{Dir: s.DataDir, MaxBytes: s.EvidenceMaxBytes}
}

func (s *Server) apiIncidentEvidence(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.EvidenceList(r.Context(), s.DB, *p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// multipartOverhead is room for the multipart framing around the file.
const multipartOverhead = 1 << 20

func tooLargeUpload(limit int64) error {
	return problem.New(problem.BodyTooLarge, "the upload is larger than the evidence limit of %d bytes (%d MiB)", limit, limit>>20)
}

func uploadError(err error, limit int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLargeUpload(limit)
	}
	return problem.New(problem.BadRequest, "malformed multipart/form-data body: %v", err)
}

// filePart finds the multipart field "file" for the evidence store.
func filePart(mr *multipart.Reader, limit int64) func() (string, io.Reader, error) {
	return func() (string, io.Reader, error) {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return "", nil, problem.Field("file", "no file: send it in the multipart field \"file\"")
			} else if err != nil {
				return "", nil, uploadError(err, limit)
			}
			if part.FormName() != "file" {
				continue // NextPart skips the rest of this part
			}
			// The raw name, not part.FileName(), which drops directories
			// and so would hide a path trick instead of refusing it.
			_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			if err != nil {
				return "", nil, problem.Field("file", "malformed Content-Disposition of the file part")
			}
			return params["filename"], part, nil
		}
	}
}

func (s *Server) apiUploadEvidence(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "multipart/form-data" {
		return problem.New(problem.UnsupportedMedia, "send the file as multipart/form-data in the field \"file\" (got Content-Type %q)", ct)
	}
	ev := s.evidence()
	limit := ev.Limit()
	if r.ContentLength > limit+multipartOverhead {
		return tooLargeUpload(limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return uploadError(err, limit)
	}
	e, err := ev.Save(r.Context(), s.DB, *p, r.PathValue("id"), clientAddr(r), filePart(mr, limit))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/incidents/%s/evidence/%d", r.PathValue("id"), e.ID))
	s.incidentLive(r.Context(), p, r.PathValue("id"))
	httpapi.Write(w, http.StatusCreated, e)
	return nil
}

func (s *Server) apiDownloadEvidence(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	e, f, err := s.evidence().Open(r.Context(), s.DB, *p, r.PathValue("id"), r.PathValue("eid"), clientAddr(r))
	if err != nil {
		return err
	}
	defer f.Close()
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": e.Name})
	if disp == "" {
		disp = "attachment"
	}
	h := w.Header()
	// Always bytes to save, never something the browser renders in our origin.
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Evidence-SHA256", e.SHA256)
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.Log.WarnContext(r.Context(), "evidence download broke off", "evidence", e.ID, "err", err)
	}
	return nil
}

func (s *Server) apiEvidenceCustody(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := incident.CustodyOf(r.Context(), s.DB, *p, r.PathValue("id"), r.PathValue("eid"))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// apiIncidentStream sends, as Server-Sent Events, each incident created or
// changed from now on that the principal may read.
func (s *Server) apiIncidentStream(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.serveChanges(w, r, p, incident.RecordKind, func(id int64) ([]byte, bool) {
		i, err := incident.Get(r.Context(), s.DB, *p, strconv.FormatInt(id, 10))
		if err != nil {
			return nil, false
		}
		b, err := json.Marshal(i)
		return b, err == nil
	})
}

func (s *Server) apiRemoveIncidentParticipants(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in incident.Participants
	if err := httpapi.Decode(w, r, &in, 0); err != nil {
		return err
	}
	tree, err := s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	removed, err := incident.RemoveParticipants(r.Context(), s.DB, *p, tree, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	s.incidentLiveID(r.Context(), removed.ID)
	i, err := incident.Get(r.Context(), s.DB, *p, removed.HumanID)
	if problem.Is(err, problem.NotFound) { // the caller took their own organisation out
		w.WriteHeader(http.StatusNoContent)
		return nil
	} else if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, i)
	return nil
}

func (s *Server) apiRequestEscalation(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return incidentAction(s, w, r, p, 4096, http.StatusCreated, notify.IncidentEscalationRequested, func(ctx context.Context, _ *org.Tree, in reasonBody) (incident.Entry, string, error) {
		e, err := incident.RequestEscalation(ctx, s.DB, *p, r.PathValue("id"), in.Reason)
		return e, r.PathValue("id"), err
	})
}
