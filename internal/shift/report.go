package shift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/schedule"
	"github.com/garda-id/garda/internal/store"
)

// ReportGrace is how long after its shift ends a report may still come
// before it is late.
const ReportGrace = time.Hour

// Report statuses.
const (
	Draft = "draft"
	Sent  = "sent"
)

// Inbox events of reports.
const (
	EventReport = "shift.report"      // a report arrived from the room below
	EventLate   = "shift.report.late" // a room below is late with its report
	// EventLateNational: a regency's late report is still missing, and
	// goes on from its province to the national room.
	EventLateNational = "shift.report.late.national"
)

// Teller tells a room's members (package notify's Notifier).
type Teller = room.Teller

// Counts are a shift's figures in its room's region.
type Counts struct {
	Posture          calendar.Posture `json:"posture"`
	OnDuty           int              `json:"on_duty"`
	MinStaff         int              `json:"min_staff"`
	NewAlerts        int              `json:"new_alerts"`        // raised during the shift
	AlertsWaiting    int              `json:"alerts_waiting"`    // not acknowledged at drafting
	NewIncidents     int              `json:"new_incidents"`     // detected during the shift
	OpenIncidents    int              `json:"open_incidents"`    // at drafting
	OpenHigh         int              `json:"open_high"`         // of those, high or critical
	OverdueFindings  int              `json:"overdue_findings"`  // open past their deadline
	OverdueTakedowns int              `json:"overdue_takedowns"` // unanswered past their deadline
	PatrolWaiting    int              `json:"patrol_waiting"`    // captured, unlabelled
	ChecklistDone    int              `json:"checklist_done"`
	ChecklistTotal   int              `json:"checklist_total"`
	// Consolidated, for a province or the national room, merges the
	// figures of the reports the rooms below sent for the same hours into
	// this room's own (see consolidate).
	Consolidated *Counts `json:"consolidated,omitempty"`
	RoomsBelow   int     `json:"rooms_below,omitempty"`   // rooms reporting to this one
	ReportsBelow int     `json:"reports_below,omitempty"` // of them, sent for these hours
}

// Below is a report of a room below, as the consolidating room saw it.
type Below struct {
	RoomID int64      `json:"room_id"`
	Name   string     `json:"name"`
	Region string     `json:"region"`
	Shift  string     `json:"shift,omitempty"`
	Status string     `json:"status"` // sent, draft, missing
	SentAt *time.Time `json:"sent_at,omitempty"`
	Late   bool       `json:"late"`
	Counts *Counts    `json:"counts,omitempty"` // a sent report's figures, as its room counted them
}

// Report is a shift's situation report to the room above.
type Report struct {
	ID        int64      `json:"id"`
	RoomID    int64      `json:"room_id"`
	RoomName  string     `json:"room_name"`
	Region    string     `json:"region"`
	Level     string     `json:"level"`
	ParentID  *int64     `json:"parent_room_id,omitempty"`
	Shift     string     `json:"shift"`
	Start     time.Time  `json:"starts_at"`
	End       time.Time  `json:"ends_at"`
	Status    string     `json:"status"`
	Due       time.Time  `json:"due_at"`
	Late      bool       `json:"late"`
	LateFlag  *time.Time `json:"late_flagged_at,omitempty"`
	Counts    Counts     `json:"counts"`
	Notable   []Item     `json:"notable"`
	Below     []Below    `json:"below"`
	Summary   string     `json:"summary"`
	DraftedAt time.Time  `json:"drafted_at"`
	SentBy    string     `json:"sent_by,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	Link      string     `json:"link"`
}

// parentOf returns the room a room reports to (0 for the national room,
// or when the room above does not exist).
func parentOf(ctx context.Context, q store.Querier, r room.Room) (int64, error) {
	var up string
	switch r.Level {
	case room.National:
		return 0, nil
	case room.Province:
		up = ""
	default:
		up = region.Province(r.Region)
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM rooms WHERE region = ?`, up).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

const selectReport = `SELECT sr.id, sr.room_id, r.name, r.region, r.level, sr.parent_room_id, s.day, s.slot, s.starts_at, s.ends_at,
	sr.status, sr.due_at, sr.late_flagged_at, sr.counts, sr.notable, sr.below, sr.summary, sr.drafted_at, COALESCE(u.username, ''), sr.sent_at
	FROM shift_reports sr JOIN shifts s ON s.id = sr.shift_id JOIN rooms r ON r.id = sr.room_id LEFT JOIN users u ON u.id = sr.sent_by`

func scanReport(sc store.Scanner) (Report, error) {
	var rp Report
	var k Key
	var counts, notable, below string
	err := sc.Scan(&rp.ID, &rp.RoomID, &rp.RoomName, &rp.Region, &rp.Level, &rp.ParentID, &k.Day, &k.Slot, &rp.Start, &rp.End,
		&rp.Status, &rp.Due, &rp.LateFlag, &counts, &notable, &below, &rp.Summary, &rp.DraftedAt, &rp.SentBy, &rp.SentAt)
	if err != nil {
		return rp, err
	}
	rp.Shift = k.ID()
	rp.Start, rp.End, rp.Due = rp.Start.UTC(), rp.End.UTC(), rp.Due.UTC()
	for _, x := range []struct {
		s string
		v any
	}{{counts, &rp.Counts}, {notable, &rp.Notable}, {below, &rp.Below}} {
		if err := json.Unmarshal([]byte(x.s), x.v); err != nil {
			return rp, fmt.Errorf("report %d: %w", rp.ID, err)
		}
	}
	if rp.Notable == nil {
		rp.Notable = []Item{}
	}
	if rp.Below == nil {
		rp.Below = []Below{}
	}
	rp.Late = rp.LateFlag != nil || (rp.SentAt != nil && rp.SentAt.After(rp.Due))
	rp.Link = "/ruang-operasi/" + strconv.FormatInt(rp.RoomID, 10) + "/laporan/" + rp.Shift
	return rp, nil
}

// GetReport returns the report of the shift named; a shift not drafted
// yet is not found.
func GetReport(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, name string, now time.Time) (Report, error) {
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return Report{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Report{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Report{}, err
	}
	rp, err := scanReport(db.QueryRow(ctx, selectReport+` WHERE s.room_id = ? AND s.day = ? AND s.slot = ?`, roomID, w.Day, w.Slot))
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, problem.New(problem.NotFound, "no report of shift %s yet", w.ID())
	}
	return rp, err
}

// ReportFilter picks a room's reports.
type ReportFilter struct {
	FromBelow bool  // the reports the rooms below sent to this one, not its own
	LateOnly  bool  // only late ones
	Before    int64 // reports with a smaller id (the cursor)
	Limit     int
}

// ListReports returns a room's own reports, or those it received from
// the rooms below, newest first; who must read the room's internals.
func ListReports(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, f ReportFilter) ([]Report, error) {
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return nil, err
	}
	return ListReportsOf(ctx, db, r, f)
}

// ListReportsOf is ListReports for a room its caller has read (room.Get)
// for its reader: one whose internals the reader does not read is refused.
func ListReportsOf(ctx context.Context, db store.Querier, r room.Room, f ReportFilter) ([]Report, error) {
	if !r.Internals {
		return nil, problem.New(problem.Forbidden, "you may not read room %d's reports", r.ID)
	}
	roomID := r.ID
	where, args := ` WHERE sr.room_id = ?`, []any{roomID}
	if f.FromBelow {
		where = ` WHERE sr.parent_room_id = ?`
		if f.LateOnly {
			where += ` AND sr.late_flagged_at IS NOT NULL`
		}
	} else if f.LateOnly {
		where += ` AND sr.late_flagged_at IS NOT NULL`
	}
	if f.Before > 0 {
		where += ` AND sr.id < ?`
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	// The page's ids first, from one table and its index alone: joined,
	// the planners (both of them) sometimes walked every report instead.
	rows, err := db.Query(ctx, `SELECT sr.id FROM shift_reports sr`+where+` ORDER BY sr.id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	ids, err := store.Collect(rows, func(sc store.Scanner) (any, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	if err != nil || len(ids) == 0 {
		return []Report{}, err
	}
	rows, err = db.Query(ctx, selectReport+` WHERE sr.id IN (`+store.In(len(ids))+`) ORDER BY sr.id DESC`, ids...)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return store.Collect(rows, scanReport)
}

// DraftReport drafts (or redrafts, until it is sent) the report of the
// shift named from the data, as who sees it: the counts in the room's
// region during the shift, the notable items (high and critical alerts and
// incidents of the shift, never a RED or AMBER+STRICT one: the report
// goes to another organisation's room), and for a province or the
// national room the reports of the rooms below for the same hours.
func DraftReport(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, name string, now time.Time) (Report, error) {
	r, err := writable(ctx, db, who, roomID)
	if err != nil {
		return Report{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Report{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Report{}, err
	}
	if now.Before(w.Start) {
		return Report{}, problem.New(problem.Conflict, "shift %s has not begun", w.ID())
	}
	s, err := load(ctx, db, r, w, now)
	if err != nil {
		return Report{}, err
	}
	c, notable, err := figures(ctx, db, who, r, w, now)
	if err != nil {
		return Report{}, err
	}
	c.OnDuty, c.MinStaff, c.Posture = s.OnDuty, s.MinStaff, r.Posture
	if !s.Running { // a shift over: who came at all
		c.OnDuty = countIn(s.Staff)
	}
	cl, err := GetChecklist(ctx, db, who, roomID, w.ID(), now)
	if err != nil {
		return Report{}, err
	}
	c.ChecklistDone, c.ChecklistTotal = cl.Done, cl.Total
	below, err := belowReports(ctx, db, who, r, w)
	if err != nil {
		return Report{}, err
	}
	consolidate(&c, below)
	parent, err := parentOf(ctx, db, r)
	if err != nil {
		return Report{}, err
	}
	var parentID any
	if parent != 0 {
		parentID = parent
	}
	cj, _ := json.Marshal(c)
	nj, _ := json.Marshal(notable)
	bj, _ := json.Marshal(below)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, w)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO shift_reports (shift_id, room_id, parent_room_id, status, due_at, counts, notable, below, drafted_at)
			VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?)
			ON CONFLICT (shift_id) DO UPDATE SET counts = excluded.counts, notable = excluded.notable, below = excluded.below, drafted_at = excluded.drafted_at
			WHERE shift_reports.status = 'draft'`, id, roomID, parentID, w.End.Add(ReportGrace), string(cj), string(nj), string(bj), now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "the report of shift %s was sent already", w.ID())
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.report.draft", RecordKind, id, map[string]any{"room_id": roomID, "shift": w.ID()})
	})
	if err != nil {
		return Report{}, err
	}
	return GetReport(ctx, db, who, roomID, w.ID(), now)
}

func countIn(staff []Person) int {
	n := 0
	for _, p := range staff {
		if p.CheckedIn != nil {
			n++
		}
	}
	return n
}

// figures counts a shift's figures and picks its notable items.
func figures(ctx context.Context, q store.Querier, who auth.Principal, r room.Room, w Window, now time.Time) (Counts, []Item, error) {
	var c Counts
	end := w.End
	if now.Before(end) {
		end = now
	}
	type count struct {
		dst                      *int
		kind, table, alias, cond string
		args                     []any
	}
	counts := []count{
		{&c.NewAlerts, ItemAlert, "alerts", "a", "a.first_seen >= ? AND a.first_seen < ?", []any{w.Start, end}},
		{&c.AlertsWaiting, ItemAlert, "alerts", "a", "a.status = 'new'", nil},
		// A drill's incidents (package incident's drill_run_id) are never counted.
		{&c.NewIncidents, ItemIncident, "incidents", "i", "i.detected_at >= ? AND i.detected_at < ? AND i.drill_run_id IS NULL", []any{w.Start, end}},
		{&c.OpenIncidents, ItemIncident, "incidents", "i", "i.status NOT IN ('resolved', 'closed') AND i.drill_run_id IS NULL", nil},
		{&c.OpenHigh, ItemIncident, "incidents", "i", "i.status NOT IN ('resolved', 'closed') AND i.severity IN ('high', 'critical') AND i.drill_run_id IS NULL", nil},
		{&c.OverdueFindings, ItemFinding, "findings", "f", "f.status = 'open' AND f.due_at < ?", []any{now}},
		{&c.OverdueTakedowns, ItemTakedown, "takedowns", "t", "t.status = 'sent' AND t.due_at < ?", []any{now}},
		{&c.PatrolWaiting, ItemPatrol, "patrol_items", "p", "p.label = ''", nil},
	}
	for _, x := range counts {
		kq := kindQueries[x.kind]
		vis, vargs := policy.ReadFilter(who.Viewer, kq.kind, x.alias)
		rw, rargs := regionWhere(x.alias, r.Region)
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM `+x.table+` `+x.alias+` WHERE `+x.cond+rw+` AND `+vis,
			append(append(x.args, rargs...), vargs...)...).Scan(x.dst); err != nil {
			return c, nil, fmt.Errorf("count %s: %w", x.table, err)
		}
	}
	notable := []Item{}
	for _, x := range []struct{ kind, table, alias, at, real string }{
		{ItemIncident, "incidents", "i", "detected_at", " AND i.drill_run_id IS NULL"}, {ItemAlert, "alerts", "a", "first_seen", ""},
	} {
		kq := kindQueries[x.kind]
		vis, vargs := policy.ReadFilter(who.Viewer, kq.kind, x.alias)
		rw, rargs := regionWhere(x.alias, r.Region)
		a := x.alias + "."
		rows, err := q.Query(ctx, `SELECT `+kq.cols+` FROM `+x.table+` `+x.alias+` WHERE `+a+x.at+` >= ? AND `+a+x.at+` < ?
			AND `+a+`severity IN ('high', 'critical') AND `+a+`tlp NOT IN (?, ?)`+x.real+rw+` AND `+vis+` ORDER BY `+a+x.at+`, `+a+`id LIMIT 10`,
			append(append([]any{w.Start, end, string(policy.Red), string(policy.AmberStrict)}, rargs...), vargs...)...)
		if err != nil {
			return c, nil, fmt.Errorf("notable %s: %w", x.table, err)
		}
		items, err := store.Collect(rows, func(sc store.Scanner) (Item, error) {
			it := Item{Kind: x.kind}
			return it, sc.Scan(&it.ID, &it.Ref, &it.Title, &it.Severity, &it.Region, &it.TLP, &it.At, &it.Scenario)
		})
		if err != nil {
			return c, nil, err
		}
		for _, it := range items {
			it.Link = link(it.Kind, it.ID, it.Ref)
			if it.Ref == "" {
				it.Ref = "#" + strconv.FormatInt(it.ID, 10)
			}
			notable = append(notable, it)
		}
	}
	return c, notable, nil
}

// children lists the rooms that report to r, as who sees them.
func children(ctx context.Context, q store.Querier, who auth.Principal, r room.Room) ([]room.Room, error) {
	f := room.Filter{Limit: 600}
	switch r.Level {
	case room.National:
		f.Level = room.Province
	case room.Province:
		f.Level, f.Region = room.Regency, r.Region
	default:
		return nil, nil
	}
	list, err := room.List(ctx, q, who, f)
	if len(list) > f.Limit {
		list = list[:f.Limit]
	}
	return list, err
}

// belowReports is what the rooms below reported for the hours of w.
func belowReports(ctx context.Context, q store.Querier, who auth.Principal, r room.Room, w Window) ([]Below, error) {
	kids, err := children(ctx, q, who, r)
	if err != nil || len(kids) == 0 {
		return []Below{}, err
	}
	rows, err := q.Query(ctx, `SELECT sr.room_id, s.day, s.slot, sr.status, sr.sent_at, sr.late_flagged_at, sr.due_at, sr.counts
		FROM shift_reports sr JOIN shifts s ON s.id = sr.shift_id
		WHERE sr.parent_room_id = ? AND s.starts_at < ? AND s.ends_at > ? ORDER BY s.starts_at`, r.ID, w.End, w.Start)
	if err != nil {
		return nil, err
	}
	got := map[int64]Below{}
	defer rows.Close()
	for rows.Next() {
		var b Below
		var k Key
		var flagged *time.Time
		var due time.Time
		var counts string
		if err := rows.Scan(&b.RoomID, &k.Day, &k.Slot, &b.Status, &b.SentAt, &flagged, &due, &counts); err != nil {
			return nil, err
		}
		if b.Status == Sent {
			b.Counts = &Counts{}
			if err := json.Unmarshal([]byte(counts), b.Counts); err != nil {
				return nil, fmt.Errorf("report of room %d shift %s: counts: %w", b.RoomID, k.ID(), err)
			}
			b.Counts.Consolidated = nil // a regency's own figures; a province's merged ones are in its own line
		}
		b.Shift, b.Late = k.ID(), flagged != nil || (b.SentAt != nil && b.SentAt.After(due))
		if prev, ok := got[b.RoomID]; !ok || prev.Status != Sent || b.Status == Sent {
			got[b.RoomID] = b
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Below{}
	for _, k := range kids {
		b, ok := got[k.ID]
		if !ok {
			b = Below{RoomID: k.ID, Status: "missing"}
		}
		b.Name, b.Region = k.Name, k.Region
		out = append(out, b)
	}
	return out, nil
}

// consolidate merges into c the figures of the reports sent from below.
// Staffing and the checklists are each room's own, so they add up: the
// people on duty across the province, and its minimum. The region's
// figures (alerts, incidents, findings, takedowns, patrol items) of a room
// below lie inside this room's region, already in its own count as far as
// its reader may read them: adding would count them twice. So each takes
// the larger of this room's own count and the sum of the reports below (a
// regency counts records of its own organisations the province may not
// read). A room with nothing below has no consolidated figures.
func consolidate(c *Counts, below []Below) {
	c.Consolidated, c.RoomsBelow, c.ReportsBelow = nil, len(below), 0
	if len(below) == 0 {
		return
	}
	sum := Counts{}
	for _, b := range below {
		if b.Counts == nil {
			continue
		}
		c.ReportsBelow++
		x := b.Counts
		if x.Consolidated != nil { // a province's report in the national room's: its merged figures
			x = x.Consolidated
		}
		sum.OnDuty, sum.MinStaff = sum.OnDuty+x.OnDuty, sum.MinStaff+x.MinStaff
		sum.ChecklistDone, sum.ChecklistTotal = sum.ChecklistDone+x.ChecklistDone, sum.ChecklistTotal+x.ChecklistTotal
		sum.NewAlerts += x.NewAlerts
		sum.AlertsWaiting += x.AlertsWaiting
		sum.NewIncidents += x.NewIncidents
		sum.OpenIncidents += x.OpenIncidents
		sum.OpenHigh += x.OpenHigh
		sum.OverdueFindings += x.OverdueFindings
		sum.OverdueTakedowns += x.OverdueTakedowns
		sum.PatrolWaiting += x.PatrolWaiting
	}
	m := Counts{Posture: c.Posture,
		OnDuty: c.OnDuty + sum.OnDuty, MinStaff: c.MinStaff + sum.MinStaff,
		ChecklistDone: c.ChecklistDone + sum.ChecklistDone, ChecklistTotal: c.ChecklistTotal + sum.ChecklistTotal,
		NewAlerts: max(c.NewAlerts, sum.NewAlerts), AlertsWaiting: max(c.AlertsWaiting, sum.AlertsWaiting),
		NewIncidents: max(c.NewIncidents, sum.NewIncidents), OpenIncidents: max(c.OpenIncidents, sum.OpenIncidents),
		OpenHigh: max(c.OpenHigh, sum.OpenHigh), OverdueFindings: max(c.OverdueFindings, sum.OverdueFindings),
		OverdueTakedowns: max(c.OverdueTakedowns, sum.OverdueTakedowns), PatrolWaiting: max(c.PatrolWaiting, sum.PatrolWaiting),
	}
	c.Consolidated = &m
}

// SendReport completes the report of the shift named with the lead's
// summary and sends it to the room above: by the shift's lead (the one
// rostered as lead or, when none was, a lead of the room's staff who was
// on the shift) or a coordinator who works the room, drafting it first if
// needed. The room
// above's members are told; audited.
func SendReport(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, name, summary string, now time.Time, tell Teller) (Report, error) {
	r, err := writable(ctx, db, who, roomID)
	if err != nil {
		return Report{}, err
	}
	if len(summary) > 20000 {
		return Report{}, problem.Field("summary", "at most 20,000 characters")
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Report{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Report{}, err
	}
	s, err := load(ctx, db, r, w, now)
	if err != nil {
		return Report{}, err
	}
	lead := slices.ContainsFunc(s.Staff, func(p Person) bool { return p.UserID == who.User.ID && p.Duty == "lead" })
	if !lead && !slices.ContainsFunc(s.Staff, func(p Person) bool { return p.Duty == "lead" }) {
		// No lead was rostered: one of the room's leads who was on the
		// shift leads it.
		lead = slices.ContainsFunc(s.Staff, func(p Person) bool { return p.UserID == who.User.ID }) &&
			slices.ContainsFunc(r.Members, func(m room.Member) bool { return m.UserID == who.User.ID && m.Duty == "lead" })
	}
	if !lead && policy.Role(who.User.Role) != policy.RoleCoordinator {
		return Report{}, problem.New(problem.Forbidden, "only the lead of shift %s sends its report", w.ID())
	}
	rp, err := GetReport(ctx, db, who, roomID, w.ID(), now)
	if problem.Is(err, problem.NotFound) || (err == nil && rp.Counts.ChecklistTotal == 0 && rp.Status == Draft) {
		rp, err = DraftReport(ctx, db, who, roomID, w.ID(), now)
	}
	if err != nil {
		return Report{}, err
	}
	if rp.Status == Sent {
		return rp, problem.New(problem.Conflict, "the report of shift %s was sent already", w.ID())
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE shift_reports SET status = 'sent', summary = ?, sent_by = ?, sent_at = ? WHERE id = ? AND status = 'draft'`,
			summary, who.User.ID, now, rp.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "the report of shift %s was sent already", w.ID())
		}
		if _, err := tx.Exec(ctx, `UPDATE rooms SET last_report_at = ? WHERE id = ? AND (last_report_at IS NULL OR last_report_at < ?)`, now, roomID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.report.send", RecordKind, rp.ID, map[string]any{"room_id": roomID, "shift": w.ID(), "parent_room_id": rp.ParentID})
	})
	if err != nil {
		return Report{}, err
	}
	if tell != nil && rp.ParentID != nil {
		if err := tellRoom(ctx, db, tell, *rp.ParentID, EventReport, r.Name); err != nil {
			return Report{}, err
		}
	}
	return GetReport(ctx, db, who, roomID, w.ID(), now)
}

func tellRoom(ctx context.Context, db store.Querier, tell Teller, roomID int64, event, actor string) error {
	ids, err := room.MemberIDs(ctx, db, roomID)
	if err != nil || len(ids) == 0 {
		return err
	}
	return tell.TellRoom(ctx, roomID, ids, event, actor)
}

// Late is a report flagged late to the room above.
type Late struct {
	RoomID   int64  `json:"room_id"`
	ParentID int64  `json:"parent_room_id"`
	Shift    string `json:"shift"`
}

// LateLookback is how far back FlagLate looks for shifts without a report.
const LateLookback = 24 * time.Hour

// FlagLate flags to the room above every report not sent by its due time
// (the shift's end and ReportGrace), for shifts that ended in the last
// LateLookback and after the room opened: once each, as the system,
// audited, and the room above's members are told. Two instances running it
// at once flag a report once.
func FlagLate(ctx context.Context, db *store.DB, now time.Time, tell Teller) ([]Late, error) {
	type rm struct {
		id            int64
		level, region string
		created       time.Time
	}
	rows, err := db.Query(ctx, `SELECT id, level, region, created_at FROM rooms ORDER BY id`)
	if err != nil {
		return nil, err
	}
	rooms, err := store.Collect(rows, func(sc store.Scanner) (rm, error) {
		var x rm
		return x, sc.Scan(&x.id, &x.level, &x.region, &x.created)
	})
	if err != nil {
		return nil, err
	}
	byRegion := map[string]int64{}
	for _, x := range rooms {
		byRegion[x.region] = x.id
	}
	times, err := allTimes(ctx, db)
	if err != nil {
		return nil, err
	}
	type key struct {
		room int64
		k    Key
	}
	done := map[key]bool{}
	rows, err = db.Query(ctx, `SELECT sr.room_id, s.day, s.slot FROM shift_reports sr JOIN shifts s ON s.id = sr.shift_id
		WHERE sr.due_at > ? AND sr.due_at <= ? AND (sr.status = 'sent' OR sr.late_flagged_at IS NOT NULL)`, now.Add(-LateLookback-ReportGrace), now)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.room, &k.k.Day, &k.k.Slot); err != nil {
			rows.Close()
			return nil, err
		}
		done[k] = true
	}
	rows.Close()
	var out []Late
	for _, x := range rooms {
		var parent int64
		switch x.level {
		case room.National:
			continue
		case room.Province:
			parent = byRegion[""]
		default:
			parent = byRegion[region.Province(x.region)]
		}
		if parent == 0 {
			continue
		}
		t, zone := timesOf(times, x.id), calendar.ZoneOf(x.region)
		for w := t.Prev(t.At(now.Add(-ReportGrace), zone), zone); w.End.Add(ReportGrace).After(now.Add(-LateLookback)) && w.End.After(x.created); w = t.Prev(w, zone) {
			if done[key{x.id, w.Key}] {
				continue
			}
			flagged := false
			err := db.InTx(ctx, func(tx *store.Tx) error {
				id, err := ensure(ctx, tx, x.id, w)
				if err != nil {
					return err
				}
				res, err := tx.Exec(ctx, `INSERT INTO shift_reports (shift_id, room_id, parent_room_id, status, due_at, drafted_at, late_flagged_at)
					VALUES (?, ?, ?, 'draft', ?, ?, ?)
					ON CONFLICT (shift_id) DO UPDATE SET late_flagged_at = excluded.late_flagged_at
					WHERE shift_reports.late_flagged_at IS NULL AND shift_reports.status = 'draft'`, id, x.id, parent, w.End.Add(ReportGrace), now, now)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				flagged = true
				return audit.Record(ctx, tx, audit.System, "shift.report.late", RecordKind, id, map[string]any{"room_id": x.id, "shift": w.ID(), "parent_room_id": parent})
			})
			if err != nil {
				return out, fmt.Errorf("flag room %d shift %s: %w", x.id, w.ID(), err)
			}
			if !flagged {
				continue
			}
			out = append(out, Late{RoomID: x.id, ParentID: parent, Shift: w.ID()})
			if tell != nil {
				if err := tellRoom(ctx, db, tell, parent, EventLate, strconv.FormatInt(x.id, 10)+"/"+w.ID()); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// EscalateAfter is how long after a regency's report was flagged late to
// its province, still missing, it goes on to the national room, unless the
// job is given another delay.
const EscalateAfter = 2 * time.Hour

// EscalateLate takes on to the national room every regency report still
// not sent `after` (EscalateAfter when 0) since it was flagged late to its
// province: once each (a conditional update; two instances at once
// escalate it once), audited as the system, and the national room's
// members are told. A province's report, flagged to the national room
// already, has nowhere further to go.
func EscalateLate(ctx context.Context, db *store.DB, now time.Time, after time.Duration, tell Teller) ([]Late, error) {
	if after <= 0 {
		after = EscalateAfter
	}
	var national int64
	if err := db.QueryRow(ctx, `SELECT id FROM rooms WHERE level = ?`, room.National).Scan(&national); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	type due struct {
		id, room  int64
		day, slot string
	}
	rows, err := db.Query(ctx, `SELECT sr.id, sr.room_id, s.day, s.slot FROM shift_reports sr JOIN shifts s ON s.id = sr.shift_id
		WHERE sr.status = 'draft' AND sr.late_flagged_at IS NOT NULL AND sr.late_flagged_at <= ? AND sr.late_escalated_at IS NULL
		AND sr.parent_room_id IS NOT NULL AND sr.parent_room_id <> ? ORDER BY sr.id`, now.Add(-after), national)
	if err != nil {
		return nil, err
	}
	list, err := store.Collect(rows, func(sc store.Scanner) (due, error) {
		var d due
		return d, sc.Scan(&d.id, &d.room, &d.day, &d.slot)
	})
	if err != nil {
		return nil, err
	}
	var out []Late
	for _, d := range list {
		shiftID := d.day + "-" + d.slot
		escalated := false
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE shift_reports SET late_escalated_at = ? WHERE id = ? AND late_escalated_at IS NULL AND status = 'draft'`, now, d.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // sent meanwhile, or another instance did it
			}
			escalated = true
			return audit.Record(ctx, tx, audit.System, "shift.report.late.national", RecordKind, d.id,
				map[string]any{"room_id": d.room, "shift": shiftID, "national_room_id": national})
		})
		if err != nil {
			return out, fmt.Errorf("escalate room %d shift %s: %w", d.room, shiftID, err)
		}
		if !escalated {
			continue
		}
		out = append(out, Late{RoomID: d.room, ParentID: national, Shift: shiftID})
		if tell != nil {
			if err := tellRoom(ctx, db, tell, national, EventLateNational, strconv.FormatInt(d.room, 10)+"/"+shiftID); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// LateJob is the scheduled job that flags late reports, every five
// minutes on one instance, and takes a regency's report still missing
// escalateAfter (EscalateAfter when 0) later on to the national room.
func LateJob(db *store.DB, tell Teller, now func() time.Time, log *slog.Logger, escalateAfter time.Duration) schedule.Job {
	if now == nil {
		now = time.Now
	}
	return schedule.Job{
		Name:  "shift-report-late",
		Every: 5 * time.Minute,
		Run: func(ctx context.Context) error {
			at := now().UTC()
			late, err := FlagLate(ctx, db, at, tell)
			if len(late) > 0 && log != nil {
				log.Info("late shift reports flagged", "reports", len(late))
			}
			if err != nil {
				return err
			}
			up, err := EscalateLate(ctx, db, at, escalateAfter, tell)
			if len(up) > 0 && log != nil {
				log.Info("late shift reports escalated to the national room", "reports", len(up))
			}
			return err
		},
	}
}
