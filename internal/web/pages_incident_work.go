package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// The incident page's work forms: tasks, observables and evidence files.
// Each goes through the same incident functions as the API, so the rules
// (who may, what is valid, what is audited) are decided in one place.

// taskRow is a task with whether the reader may mark it done or open.
type taskRow struct {
	incident.Task
	CanSet bool
}

// taskRows says, per task, whether the reader may change it: users of the
// owner organisation who work tasks, and coordinators (incident.SetTaskStatus
// decides again).
func taskRows(rq *req, tasks []incident.Task) []taskRow {
	out := make([]taskRow, len(tasks))
	for i, t := range tasks {
		owner := rq.P.Org.ID == t.OwnerID && rq.P.Can(policy.WorkTask)
		out[i] = taskRow{Task: t, CanSet: owner || policy.Role(rq.P.User.Role) == policy.RoleCoordinator}
	}
	return out
}

// workValues is what the work forms held when one failed.
type workValues struct {
	TaskTitle, TaskOwner, TaskDue, TaskDescription string
	ObsType, ObsValue, ObsNote                     string
}

func (p *pages) incidentTask(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	v.Work.TaskTitle, v.Work.TaskOwner, v.Work.TaskDue, v.Work.TaskDescription = f.Get("title"), strings.TrimSpace(f.Get("owner")), f.Get("due_at"), f.Get("description")
	in := incident.TaskInput{Title: v.Work.TaskTitle, Owner: v.Work.TaskOwner, Description: v.Work.TaskDescription}
	if s := strings.TrimSpace(v.Work.TaskDue); s != "" {
		due, perr := time.ParseInLocation(datetimeLocal, s, wib)
		if perr != nil {
			return p.incidentChanged(w, r, rq, &v, problem.Field("due_at", "use a date and time such as 2024-02-14T17:00"), "task", &v.TaskForm, taskFields...)
		}
		in.DueAt = &due
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	_, err = incident.CreateTask(r.Context(), p.s.DB, *rq.P, tree, v.HumanID, in)
	return p.incidentChanged(w, r, rq, &v, err, "task", &v.TaskForm, taskFields...)
}

// taskFields are the task form's fields; an error about another (the
// API's description or assignee) is shown above the form.
var taskFields = []string{"title", "owner", "due_at"}

func (p *pages) incidentTaskStatus(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	_, err = incident.SetTaskStatus(r.Context(), p.s.DB, *rq.P, v.HumanID, r.PathValue("task"), incident.TaskUpdate{Status: r.PostForm.Get("status")})
	return p.incidentChanged(w, r, rq, &v, err, "task_status", &v.TaskForm)
}

func (p *pages) incidentObservable(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	f := r.PostForm
	v.Work.ObsType, v.Work.ObsValue, v.Work.ObsNote = f.Get("type"), f.Get("value"), f.Get("note")
	v.ObservableTypes = enumOptions(rq, "iobs", incident.ObservableTypes, v.Work.ObsType)
	_, _, err = incident.AddObservable(r.Context(), p.s.DB, *rq.P, v.HumanID, incident.ObservableInput{Type: v.Work.ObsType, Value: v.Work.ObsValue, Note: v.Work.ObsNote})
	return p.incidentChanged(w, r, rq, &v, err, "observable", &v.ObservableForm, "type", "value", "note")
}

func (p *pages) incidentEvidence(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	mr, err := uploadOf(r)
	if err != nil {
		return err
	}
	ev := p.s.evidence()
	_, err = ev.Save(r.Context(), p.s.DB, *rq.P, v.HumanID, clientAddr(r), filePart(mr, ev.Limit()))
	if pe := problem.As(err); pe != nil && pe.Code == problem.BodyTooLarge {
		err = problem.Field("file", "%s", pe.Message) // said next to the form, not on an error page
	}
	return p.incidentChanged(w, r, rq, &v, err, "evidence", &v.EvidenceForm, "file")
}
