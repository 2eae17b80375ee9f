package incident

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Task statuses.
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Task is a piece of work on an incident handed to one organisation.
type Task struct {
	ID          int64      `json:"id"`
	IncidentID  int64      `json:"incident_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Owner       string     `json:"owner"` // organisation slug
	OwnerID     int64      `json:"-"`
	Assignee    string     `json:"assignee,omitempty"` // username
	DueAt       *time.Time `json:"due_at,omitempty"`
	Status      string     `json:"status"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	DoneBy      string     `json:"done_by,omitempty"`
	CreatedBy   string     `json:"created_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Overdue     bool       `json:"overdue"` // open and past its due time
}

// TaskInput is what a person sends to create a task.
type TaskInput struct {
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Owner       string     `json:"owner"`    // organisation slug
	Assignee    string     `json:"assignee"` // username, of the owner organisation
	DueAt       *time.Time `json:"due_at"`
}

// TaskUpdate changes a task's status (done, or open again).
type TaskUpdate struct {
	Status string `json:"status"`
}

// CreateTask adds a task to an incident the principal may read and work.
// The owner organisation (and the assignee) join the incident.
func CreateTask(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref string, in TaskInput) (Task, error) {
	t := Task{Title: strings.TrimSpace(in.Title), Description: strings.TrimSpace(in.Description), Status: TaskOpen}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseHandOutTask, "handing out tasks"); err != nil {
			return err
		}
		if t.Title == "" || len(t.Title) > 200 {
			return problem.Field("title", "is required (at most 200 characters)")
		}
		if len(t.Description) > 20000 {
			return problem.Field("description", "at most 20000 characters")
		}
		o, ok := tree.BySlug(strings.TrimSpace(in.Owner))
		if !ok {
			return problem.Field("owner", "no organisation %q", in.Owner)
		}
		t.Owner, t.OwnerID = o.Slug, o.ID
		// The task hands the incident to its organisation (and assignee).
		set := participant.Set{Orgs: []int64{o.ID}}
		var assignee any
		if a := strings.TrimSpace(in.Assignee); a != "" {
			u, err := userByName(ctx, tx, "assignee", a)
			if err != nil {
				return err
			}
			if u.OrgID != o.ID {
				return problem.Field("assignee", "%q is not a user of %s, the task's owner", a, o.Slug)
			}
			t.Assignee, assignee = u.Username, u.ID
			set.Users = append(set.Users, u.ID)
		}
		now := store.Now()
		if in.DueAt != nil {
			d := in.DueAt.UTC().Truncate(time.Microsecond)
			t.DueAt = &d
		}
		t.IncidentID, t.CreatedBy, t.CreatedAt, t.UpdatedAt = inc.ID, who.User.Username, now, now
		if err := tx.QueryRow(ctx, `INSERT INTO incident_tasks (incident_id, title, description, owner_org_id, assignee_id, due_at, status,
			created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			inc.ID, t.Title, t.Description, t.OwnerID, assignee, t.DueAt, t.Status, who.User.ID, now, now).Scan(&t.ID); err != nil {
			return fmt.Errorf("insert task: %w", err)
		}
		if err := participant.Add(ctx, tx, RecordKind, inc.ID, set); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, now, inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"task_id": t.ID, "title": t.Title, "owner": t.Owner, "assignee": t.Assignee, "due_at": t.DueAt}
		if err := addEntry(ctx, tx, who, inc.ID, "task", t.Title, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.task.create", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Task{}, fmt.Errorf("create task on incident %s: %w", ref, err)
	}
	t.Overdue = t.overdue(store.Now())
	return t, nil
}

func (t Task) overdue(now time.Time) bool {
	return t.Status == TaskOpen && t.DueAt != nil && now.After(*t.DueAt)
}

const taskColumns = `t.id, t.incident_id, t.title, t.description, o.slug, t.owner_org_id, COALESCE(a.username, ''), t.due_at, t.status,
	t.done_at, COALESCE(d.username, ''), COALESCE(c.username, ''), t.created_at, t.updated_at`

const taskFrom = ` FROM incident_tasks t JOIN orgs o ON o.id = t.owner_org_id LEFT JOIN users a ON a.id = t.assignee_id
	LEFT JOIN users d ON d.id = t.done_by LEFT JOIN users c ON c.id = t.created_by`

func scanTask(row store.Scanner, now time.Time) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.IncidentID, &t.Title, &t.Description, &t.Owner, &t.OwnerID, &t.Assignee, &t.DueAt, &t.Status,
		&t.DoneAt, &t.DoneBy, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt)
	t.Overdue = t.overdue(now)
	return t, err
}

// Tasks lists an incident's tasks, oldest first, with the overdue flag.
func Tasks(ctx context.Context, q store.Querier, who auth.Principal, ref string) ([]Task, error) {
	inc, err := get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+taskColumns+taskFrom+` WHERE t.incident_id = ? ORDER BY t.id`, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("incident tasks: %w", err)
	}
	now := store.Now()
	return store.Collect(rows, func(r store.Scanner) (Task, error) { return scanTask(r, now) })
}

func taskID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.NotFound, "no task %q", s)
	}
	return id, nil
}

// SetTaskStatus marks a task done (or open again): the people of the task's
// organisation who work the incident, and its coordinators
// (policy.CanWorkTask).
func SetTaskStatus(ctx context.Context, db *store.DB, who auth.Principal, ref, task string, up TaskUpdate) (Task, error) {
	id, err := taskID(task)
	if err != nil {
		return Task{}, err
	}
	if up.Status != TaskOpen && up.Status != TaskDone {
		return Task{}, problem.Field("status", "must be one of %s, %s", TaskOpen, TaskDone)
	}
	var t Task
	err = db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		t, err = scanTask(tx.QueryRow(ctx, `SELECT `+taskColumns+taskFrom+` WHERE t.id = ? AND t.incident_id = ?`, id, inc.ID), store.Now())
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no task %q on incident %s", task, inc.HumanID)
		} else if err != nil {
			return err
		}
		if !policy.CanWorkTask(who.Viewer, inc.access, t.OwnerID) {
			return problem.New(problem.Forbidden, "only the people of %s who work this incident, or its coordinators, may change this task", t.Owner)
		}
		if t.Status == up.Status {
			return nil
		}
		now := store.Now()
		from := t.Status
		t.Status, t.UpdatedAt = up.Status, now
		var doneBy any
		if up.Status == TaskDone {
			t.DoneAt, t.DoneBy, doneBy = &now, who.User.Username, who.User.ID
		} else {
			t.DoneAt, t.DoneBy = nil, ""
		}
		if _, err := tx.Exec(ctx, `UPDATE incident_tasks SET status = ?, done_at = ?, done_by = ?, updated_at = ? WHERE id = ?`,
			t.Status, t.DoneAt, doneBy, now, t.ID); err != nil {
			return fmt.Errorf("update task %d: %w", t.ID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, now, inc.ID); err != nil {
			return err
		}
		kind := "task_done"
		if up.Status == TaskOpen {
			kind = "task_reopened"
		}
		detail := map[string]any{"task_id": t.ID, "title": t.Title, "status": Change{From: from, To: t.Status}}
		if err := addEntry(ctx, tx, who, inc.ID, kind, t.Title, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.task.update", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Task{}, fmt.Errorf("update task %s of incident %s: %w", task, ref, err)
	}
	t.Overdue = t.overdue(store.Now())
	return t, nil
}
