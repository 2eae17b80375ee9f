package shift

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/room"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Kinds of items a shift hands over.
const (
	ItemAlert    = "alert"    // not yet acknowledged
	ItemIncident = "incident" // open, with its clocks
	ItemFinding  = "finding"  // open past its remediation deadline
	ItemTakedown = "takedown" // past its platform's deadline, unanswered
	ItemPatrol   = "patrol"   // captured, not yet labelled
)

// ItemKinds are the handover's sections in order.
var ItemKinds = []string{ItemAlert, ItemIncident, ItemFinding, ItemTakedown, ItemPatrol}

// Item is one thing the next shift takes over, linked to its page.
type Item struct {
	Kind     string           `json:"kind"`
	ID       int64            `json:"id"`
	Ref      string           `json:"ref"` // what people call it: INC-2024-0001, #42
	Title    string           `json:"title"`
	Severity string           `json:"severity,omitempty"` // low, medium, high, critical
	Scenario string           `json:"scenario,omitempty"` // an alert's detection scenario
	Region   string           `json:"region"`
	TLP      policy.TLP       `json:"tlp"`
	At       time.Time        `json:"at"` // since when it waits
	Link     string           `json:"link"`
	Clocks   []incident.Clock `json:"clocks,omitempty"`
}

// Section is one kind of items: the first few and how many there are.
type Section struct {
	Kind  string `json:"kind"`
	Total int    `json:"total"`
	Items []Item `json:"items"`
}

// sectionLimit is how many items of a kind a handover lists; the total
// counts them all.
const sectionLimit = 50

// Pending returns what waits in region (the room's region; "" every
// region) as who sees it at now: one section per kind, oldest first.
func Pending(ctx context.Context, q store.Querier, who auth.Principal, region string, now time.Time) ([]Section, error) {
	var out []Section
	for _, k := range ItemKinds {
		s, err := pendingOf(ctx, q, who, k, region, now)
		if err != nil {
			return nil, fmt.Errorf("pending %s: %w", k, err)
		}
		out = append(out, s)
	}
	return out, nil
}

type kindQuery struct {
	kind, table, alias, cond, cols, order string
}

func (k kindQuery) with(now time.Time) []any {
	switch k.kind {
	case ItemFinding, ItemTakedown:
		return []any{now}
	}
	return nil
}

var kindQueries = map[string]kindQuery{
	ItemAlert: {alert.RecordKind, "alerts", "a", "a.status = 'new'",
		"a.id, '', a.title, a.severity, a.region, a.tlp, a.first_seen, a.scenario", "a.first_seen, a.id"},
	ItemIncident: {incident.RecordKind, "incidents", "i", "i.status NOT IN ('resolved', 'closed') AND i.drill_run_id IS NULL",
		"i.id, i.human_id, i.title, i.severity, i.region, i.tlp, i.detected_at, ''", "i.detected_at, i.id"},
	ItemFinding: {finding.RecordKind, "findings", "f", "f.status = 'open' AND f.due_at < ?",
		"f.id, '', f.title, f.severity, f.region, f.tlp, f.due_at, ''", "f.due_at, f.id"},
	ItemTakedown: {takedown.RecordKind, "takedowns", "t", "t.status = 'sent' AND t.due_at < ?",
		"t.id, COALESCE(t.number, ''), t.summary, '', t.region, t.tlp, t.due_at, ''", "t.due_at, t.id"},
	ItemPatrol: {patrol.RecordKind, "patrol_items", "p", "p.label = ''",
		"p.id, '', p.title, '', p.region, p.tlp, p.first_seen, ''", "p.first_seen, p.id"},
}

// regionWhere is the room's region filter on alias ("" for the nation).
func regionWhere(alias, region string) (string, []any) {
	if region == "" {
		return "", nil
	}
	return ` AND (` + alias + `.region = ? OR ` + alias + `.region LIKE ?)`, []any{region, region + ".%"}
}

func pendingOf(ctx context.Context, q store.Querier, who auth.Principal, kind, region string, now time.Time) (Section, error) {
	kq := kindQueries[kind]
	s := Section{Kind: kind, Items: []Item{}}
	vis, vargs := policy.ReadFilter(who.Viewer, kq.kind, kq.alias)
	rw, rargs := regionWhere(kq.alias, region)
	where := ` WHERE ` + kq.cond + rw + ` AND ` + vis
	args := append(append(kq.with(now), rargs...), vargs...)
	from := ` FROM ` + kq.table + ` ` + kq.alias
	if err := q.QueryRow(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&s.Total); err != nil {
		return s, err
	}
	if s.Total == 0 {
		return s, nil
	}
	rows, err := q.Query(ctx, `SELECT `+kq.cols+from+where+` ORDER BY `+kq.order+` LIMIT `+strconv.Itoa(sectionLimit), args...)
	if err != nil {
		return s, err
	}
	s.Items, err = store.Collect(rows, func(sc store.Scanner) (Item, error) {
		it := Item{Kind: kind}
		var at *time.Time
		err := sc.Scan(&it.ID, &it.Ref, &it.Title, &it.Severity, &it.Region, &it.TLP, &at, &it.Scenario)
		if at != nil {
			it.At = *at
		}
		it.Severity = severity(it.Severity)
		return it, err
	})
	if err != nil {
		return s, err
	}
	var targets incident.Timing
	for i := range s.Items {
		it := &s.Items[i]
		it.Link = link(kind, it.ID, it.Ref)
		if it.Ref == "" {
			it.Ref = "#" + strconv.FormatInt(it.ID, 10)
		}
		if kind == ItemIncident {
			if targets.Targets == nil {
				if targets, err = incident.LoadTiming(ctx, q); err != nil {
					return s, err
				}
			}
			inc, err := incidentForClocks(ctx, q, it.ID)
			if err != nil {
				return s, err
			}
			if it.Clocks, err = incident.ClocksFor(ctx, q, inc, targets, now); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

// severity keeps the four severities every record shares ("" for the
// scanner's info and unknown).
func severity(s string) string {
	switch s {
	case "low", "medium", "high", "critical":
		return s
	}
	return ""
}

// incidentForClocks reads what an incident's clocks need; the caller has
// already read it under its reader's visibility.
func incidentForClocks(ctx context.Context, q store.Querier, id int64) (incident.Incident, error) {
	i := incident.Incident{ID: id}
	err := q.QueryRow(ctx, `SELECT i.severity, i.region, o.slug, i.detected_at, i.reported_at, i.first_response_at, i.contained_at
		FROM incidents i JOIN orgs o ON o.id = i.owner_org_id WHERE i.id = ?`, id).
		Scan(&i.Severity, &i.Region, &i.Owner, &i.DetectedAt, &i.ReportedAt, &i.FirstResponseAt, &i.ContainedAt)
	return i, err
}

// link is an item's page.
func link(kind string, id int64, ref string) string {
	n := strconv.FormatInt(id, 10)
	switch kind {
	case ItemAlert:
		return "/pemantauan/peringatan/" + n
	case ItemIncident:
		return "/insiden/" + ref
	case ItemFinding:
		return "/uji-penetrasi/temuan/" + n
	case ItemTakedown:
		return "/penurunan-konten/" + n
	case ItemPatrol:
		return "/patroli/item/" + n
	}
	return ""
}

// Handover is what a shift hands to the next: the items waiting, as the
// reader sees them now, and the outgoing shift's notes; once signed, the
// items as they were at the sign-off.
type Handover struct {
	Room     room.Room  `json:"room"`
	From     Shift      `json:"from"`
	To       Shift      `json:"to"`
	Sections []Section  `json:"sections"`
	Notes    string     `json:"notes"`
	Signed   bool       `json:"signed"`
	SignedBy string     `json:"signed_by,omitempty"`
	SignedAt *time.Time `json:"signed_at,omitempty"`
	// TakenOver are the items' references recorded at the sign-off.
	TakenOver []ItemRef `json:"taken_over,omitempty"`
}

// ItemRef names a handed-over item in the signed record.
type ItemRef struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	Ref  string `json:"ref"`
}

// GetHandover returns the handover from the shift named (ParseKey; "now"
// the running one) to the next.
func GetHandover(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, name string, now time.Time) (Handover, error) {
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return Handover{}, err
	}
	t, err := LoadTimes(ctx, db, roomID)
	if err != nil {
		return Handover{}, err
	}
	w, err := ParseKey(name, t, Zone(r), now)
	if err != nil {
		return Handover{}, err
	}
	h := Handover{Room: r}
	if h.From, err = load(ctx, db, r, w, now); err != nil {
		return h, err
	}
	if h.To, err = load(ctx, db, r, t.Next(w, Zone(r)), now); err != nil {
		return h, err
	}
	h.Notes, h.SignedBy, h.SignedAt, h.Signed = h.From.Notes, h.From.SignedBy, h.From.SignedAt, h.From.SignedAt != nil
	if h.Signed {
		var items string
		if err := db.QueryRow(ctx, `SELECT handover_items FROM shifts WHERE id = ?`, h.From.ID).Scan(&items); err != nil {
			return h, err
		}
		if items != "" {
			if err := json.Unmarshal([]byte(items), &h.TakenOver); err != nil {
				return h, fmt.Errorf("shift %d: handover items: %w", h.From.ID, err)
			}
		}
	}
	if h.Sections, err = Pending(ctx, db, who, r.Region, now); err != nil {
		return h, err
	}
	return h, nil
}

// SignOff records that the incoming shift took over from the shift named:
// who must be on the incoming shift (rostered or checked in) and the
// handover not yet signed. The items waiting as who sees them are kept
// with the signature; audited.
func SignOff(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, name string, now time.Time) (Handover, error) {
	if _, err := writable(ctx, db, who, roomID); err != nil {
		return Handover{}, err
	}
	h, err := GetHandover(ctx, db, who, roomID, name, now)
	if err != nil {
		return h, err
	}
	if h.Signed {
		return h, problem.New(problem.Conflict, "shift %s was handed over already, signed by %s", h.From.Name, h.SignedBy)
	}
	if !slices.ContainsFunc(h.To.Staff, func(p Person) bool { return p.UserID == who.User.ID }) {
		return h, problem.New(problem.Forbidden, "only someone on the incoming shift (%s) signs the handover", h.To.Name)
	}
	refs := []ItemRef{}
	for _, s := range h.Sections {
		for _, it := range s.Items {
			refs = append(refs, ItemRef{Kind: it.Kind, ID: it.ID, Ref: it.Ref})
		}
	}
	body, _ := json.Marshal(refs)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, h.From.Window)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE shifts SET signed_by = ?, signed_at = ?, handover_items = ? WHERE id = ? AND signed_at IS NULL`,
			who.User.ID, now, string(body), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "shift %s was handed over already", h.From.Name)
		}
		counts := map[string]int{}
		for _, s := range h.Sections {
			counts[s.Kind] = s.Total
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.handover", RecordKind, id,
			map[string]any{"room_id": roomID, "from": h.From.Name, "to": h.To.Name, "items": counts})
	})
	if err != nil {
		return h, err
	}
	return GetHandover(ctx, db, who, roomID, h.From.Name, now)
}
