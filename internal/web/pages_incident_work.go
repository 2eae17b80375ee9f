package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
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

// taskRows says, per task, whether the reader may change it, as
// incident.SetTaskStatus will decide (policy.CanWorkTask).
func taskRows(rq *req, inc incident.Incident, tasks []incident.Task) []taskRow {
	out := make([]taskRow, len(tasks))
	for i, t := range tasks {
		out[i] = taskRow{Task: t, CanSet: policy.CanWorkTask(rq.P.Viewer, inc.Record(), t.OwnerID)}
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

// incidentAskEscalation asks the incident's coordinators for an escalation
// one level up (incident.RequestEscalation); they are told in their inbox.
func (p *pages) incidentAskEscalation(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	v.AskReason = r.PostForm.Get("reason")
	_, err = incident.RequestEscalation(r.Context(), p.s.DB, *rq.P, v.HumanID, v.AskReason)
	return p.incidentChanged(w, r, rq, &v, err, "escalation_requested", &v.AskForm, "reason")
}

// incidentRemoveParticipant takes one organisation (org=) or named user
// (user=) out of the incident.
func (p *pages) incidentRemoveParticipant(w http.ResponseWriter, r *http.Request, rq *req) error {
	v, err := p.loadIncident(r, rq)
	if err != nil {
		return err
	}
	tree, err := p.s.Orgs.Tree(r.Context())
	if err != nil {
		return err
	}
	var out incident.Participants
	if o := strings.TrimSpace(r.PostForm.Get("org")); o != "" {
		out.Orgs = []string{o}
	}
	if u := strings.TrimSpace(r.PostForm.Get("user")); u != "" {
		out.Users = []string{u}
	}
	_, err = incident.RemoveParticipants(r.Context(), p.s.DB, *rq.P, tree, v.HumanID, out)
	if err == nil {
		// Removing one's own organisation may end one's sight of it.
		if _, gerr := incident.Get(r.Context(), p.s.DB, *rq.P, v.HumanID); problem.Is(gerr, problem.NotFound) {
			p.s.incidentLiveID(r.Context(), v.ID)
			http.Redirect(w, r, "/insiden?keluar="+url.QueryEscape(v.HumanID), http.StatusSeeOther)
			return nil
		}
	}
	return p.incidentChanged(w, r, rq, &v, err, "participants_removed", &v.RemoveForm)
}

// unreachedParam carries, after a comment, the @mentions that were not
// told as "username:reason" (notify.Unreached), so the page can say so.
const unreachedParam = "tak"

// unreachedSentence says whom a comment's @mentions did not reach and why.
// Only well-formed names and known reasons are said: the values come back
// in the page's address, where anyone could write anything.
func unreachedSentence(rq *req, vals []string) string {
	var parts []string
	for _, v := range vals {
		name, reason, _ := strings.Cut(v, ":")
		known := hasMessage("mention.not." + reason)
		if m := notify.Mentions("@" + name); !known || len(m) != 1 || m[0] != name || len(parts) >= 20 {
			continue
		}
		parts = append(parts, rq.T("mention.not."+reason, name))
	}
	if len(parts) == 0 {
		return ""
	}
	return rq.T("mention.not_told", strings.Join(parts, "; "))
}
