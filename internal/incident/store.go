package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Input is what a person sends to open an incident (nil = default).
type Input struct {
	Title        *string       `json:"title"`
	Description  *string       `json:"description"`
	Category     *string       `json:"category"`
	Type         *string       `json:"type"`
	Severity     *string       `json:"severity"`
	TLP          *string       `json:"tlp"`
	PAP          *string       `json:"pap"`
	Region       *string       `json:"region"`
	Owner        *string       `json:"owner"`
	Assignee     *string       `json:"assignee"`
	DetectedAt   *time.Time    `json:"detected_at"`
	AssetIDs     []int64       `json:"asset_ids"`
	AlertIDs     []int64       `json:"alert_ids"`
	Participants *Participants `json:"participants"`
}

// clockSkew is how far in the future a given detection time may lie.
const clockSkew = 5 * time.Minute

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// validateText checks the fields every write shares.
func (in *Incident) validate() error {
	if in.Title == "" || len(in.Title) > 200 {
		return problem.Field("title", "is required (at most 200 characters)")
	}
	if len(in.Description) > 20000 {
		return problem.Field("description", "at most 20000 characters")
	}
	if err := oneOf("category", in.Category, Categories); err != nil {
		return err
	}
	if len(in.Type) > 100 {
		return problem.Field("type", "at most 100 characters")
	}
	if err := oneOf("severity", in.Severity, Severities); err != nil {
		return err
	}
	if !in.TLP.Valid() {
		return problem.Field("tlp", "use CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	}
	if err := oneOf("pap", in.PAP, PAPs); err != nil {
		return err
	}
	if !in.Status.Valid() {
		return problem.Field("status", "must be one of %s", statusNames())
	}
	if in.Resolution != "" {
		if err := oneOf("resolution", in.Resolution, Resolutions); err != nil {
			return err
		}
	}
	if in.Status.Done() && in.Resolution == "" {
		return problem.Field("resolution", "is required to resolve or close: one of %s", strings.Join(Resolutions, ", "))
	}
	return nil
}

func parseTLP(s string) (policy.TLP, error) {
	t, err := policy.ParseTLP(s)
	if err != nil {
		return "", problem.Field("tlp", "unknown TLP %q: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED", s)
	}
	return t, nil
}

// userByName finds an enabled account for an assignee or named user.
func userByName(ctx context.Context, q store.Querier, field, name string) (auth.User, error) {
	u, err := auth.UserByName(ctx, q, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return auth.User{}, problem.Field(field, "no user %q", name)
	}
	return u, err
}

// resolveParticipants turns slugs and usernames into ids.
func resolveParticipants(ctx context.Context, q store.Querier, tree *org.Tree, p *Participants) (participant.Set, error) {
	var set participant.Set
	if p == nil {
		return set, nil
	}
	if len(p.Orgs) > 100 || len(p.Users) > 100 {
		return set, problem.Field("participants", "at most 100 organisations and 100 users at a time")
	}
	for _, slug := range p.Orgs {
		o, ok := tree.BySlug(slug)
		if !ok {
			return set, problem.Field("participants", "no organisation %q", slug)
		}
		set.Orgs = append(set.Orgs, o.ID)
	}
	for _, name := range p.Users {
		u, err := userByName(ctx, q, "participants", name)
		if err != nil {
			return set, err
		}
		set.Users = append(set.Users, u.ID)
	}
	return set, nil
}

// Create opens an incident, or promotes alerts into one (AlertIDs). The
// creator becomes a named user and its organisation a participant. Promoted
// alerts are marked promoted in the same transaction.
func Create(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, in Input) (Incident, error) {
	return create(ctx, db, who, tree, in, 0, nil)
}

// create is Create, for a drill run's incident when drillRun is set (see
// CreateDrill); then runs last in the transaction.
func create(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, in Input, drillRun int64, then func(*store.Tx, Incident) error) (Incident, error) {
	if !who.Can(policy.Report) && !who.Can(policy.Triage) {
		return Incident{}, problem.New(problem.Forbidden, "your role (%s) may not report incidents", who.User.Role)
	}
	if len(in.AlertIDs) > 0 && !who.Can(policy.Triage) {
		return Incident{}, problem.New(problem.Forbidden, "promoting alerts is triage (your role: %s)", who.User.Role)
	}
	if len(in.AlertIDs) > 100 || len(in.AssetIDs) > 100 {
		return Incident{}, problem.Field("alert_ids", "at most 100 alerts and 100 assets")
	}
	now := store.Now()
	inc := Incident{
		Title: trimmed(in.Title), Description: trimmed(in.Description), Category: "other", Type: trimmed(in.Type),
		Severity: "medium", TLP: policy.Amber, PAP: "AMBER", Owner: who.Org.Slug, OwnerID: who.Org.ID,
		Status: New, DetectedAt: now, ReportedAt: now, CreatedBy: who.User.Username, CreatedAt: now, UpdatedAt: now,
	}
	if in.Category != nil {
		inc.Category = *in.Category
	}
	if in.Severity != nil {
		inc.Severity = *in.Severity
	}
	if in.PAP != nil {
		inc.PAP = strings.ToUpper(strings.TrimSpace(*in.PAP))
	}
	if in.TLP != nil {
		t, err := parseTLP(*in.TLP)
		if err != nil {
			return Incident{}, err
		}
		inc.TLP = t
	}
	if in.DetectedAt != nil {
		inc.DetectedAt = in.DetectedAt.UTC().Truncate(time.Microsecond)
		if inc.DetectedAt.After(now.Add(clockSkew)) {
			return Incident{}, problem.Field("detected_at", "lies in the future")
		}
		if inc.DetectedAt.After(now) {
			inc.DetectedAt = now
		}
	}
	if in.Owner != nil {
		o, ok := tree.BySlug(*in.Owner)
		if !ok {
			return Incident{}, problem.Field("owner", "no organisation %q", *in.Owner)
		}
		if !slices.Contains(who.Viewer.Lineage, o.ID) {
			return Incident{}, problem.Field("owner", "%q is neither your organisation nor one below it", *in.Owner)
		}
		inc.Owner, inc.OwnerID = o.Slug, o.ID
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if drillRun != 0 {
			ok, err := mayReadDrill(ctx, tx, who, drillRun)
			if err != nil {
				return err
			}
			if !ok {
				return problem.New(problem.NotFound, "no drill run %d", drillRun)
			}
		}
		alerts, err := readAlerts(ctx, tx, who, in.AlertIDs)
		if err != nil {
			return err
		}
		promoted := FromAlerts(alerts)
		if in.Region != nil {
			inc.Region = strings.TrimSpace(*in.Region)
		} else if len(alerts) > 0 {
			inc.Region = promoted.Region
		} else {
			inc.Region = who.User.Scope
		}
		if !region.Valid(inc.Region) {
			return problem.Field("region", "unknown region code %q", inc.Region)
		}
		if !region.Contains(who.User.Scope, inc.Region) {
			return problem.Field("region", "%q lies outside your scope", inc.Region)
		}
		if len(alerts) > 0 {
			if in.Title == nil {
				inc.Title = promoted.Title
			}
			if in.Category == nil {
				inc.Category = promoted.Category
			}
			if in.Severity == nil {
				inc.Severity = promoted.Severity
			}
			if in.DetectedAt == nil && promoted.DetectedAt.Before(inc.DetectedAt) {
				inc.DetectedAt = promoted.DetectedAt
			}
		}
		if err := inc.validate(); err != nil {
			return err
		}
		var assets []int64
		for _, id := range in.AssetIDs {
			if slices.Contains(assets, id) {
				continue
			}
			if _, err := asset.Get(ctx, tx, who, id); problem.Is(err, problem.NotFound) {
				return problem.Field("asset_ids", "no asset %d", id)
			} else if err != nil {
				return err
			}
			assets = append(assets, id)
		}
		set, err := resolveParticipants(ctx, tx, tree, in.Participants)
		if err != nil {
			return err
		}
		set.Users, set.Orgs = append(set.Users, who.User.ID), append(set.Orgs, who.Org.ID)
		var assignee any
		if a := trimmed(in.Assignee); a != "" {
			u, err := userByName(ctx, tx, "assignee", a)
			if err != nil {
				return err
			}
			rec := policy.Record{OwnerOrg: inc.OwnerID, Region: inc.Region, TLP: inc.TLP, Orgs: set.Orgs, Users: set.Users}
			if err := mayAssign(who, tree, rec, u); err != nil {
				return err
			}
			inc.Assignee, inc.AssigneeID, assignee = u.Username, u.ID, u.ID
			set.Users, set.Orgs = append(set.Users, u.ID), append(set.Orgs, u.OrgID)
		}

		year := now.Year()
		seqYear := year
		if drillRun != 0 {
			seqYear = drillSeqYear(year)
		}
		var n int64
		if err := tx.QueryRow(ctx, `INSERT INTO incident_seq (year, last) VALUES (?, 1)
			ON CONFLICT (year) DO UPDATE SET last = incident_seq.last + 1 RETURNING last`, seqYear).Scan(&n); err != nil {
			return fmt.Errorf("allocate incident number: %w", err)
		}
		inc.HumanID, inc.DrillRunID, inc.Drill = HumanID(year, n), drillRun, drillRun != 0
		var run any
		seq := n
		if drillRun != 0 {
			inc.HumanID, run, seq = DrillHumanID(year, n), drillRun, -n
		}
		err = tx.QueryRow(ctx, `INSERT INTO incidents (human_id, year, seq, title, description, category, type, severity, tlp, pap, region,
			owner_org_id, assignee_id, status, resolution, detected_at, reported_at, created_by, created_at, updated_at, drill_run_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			inc.HumanID, year, seq, inc.Title, inc.Description, inc.Category, inc.Type, inc.Severity, string(inc.TLP), inc.PAP, inc.Region,
			inc.OwnerID, assignee, string(inc.Status), inc.Resolution, inc.DetectedAt, inc.ReportedAt, who.User.ID, now, now, run).Scan(&inc.ID)
		if err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		for _, id := range assets {
			if _, err := tx.Exec(ctx, `INSERT INTO incident_assets (incident_id, asset_id) VALUES (?, ?)`, inc.ID, id); err != nil {
				return err
			}
		}
		if err := linkAlerts(ctx, tx, who, &inc, alerts); err != nil {
			return err
		}
		inc.AssetIDs = assets
		if err := index(ctx, tx, inc.ID); err != nil {
			return err
		}
		if err := participant.Add(ctx, tx, RecordKind, inc.ID, set); err != nil {
			return err
		}
		detail := map[string]any{"human_id": inc.HumanID, "title": inc.Title, "category": inc.Category, "severity": inc.Severity,
			"tlp": inc.TLP, "pap": inc.PAP, "region": inc.Region, "owner": inc.Owner, "assignee": inc.Assignee,
			"asset_ids": inc.AssetIDs, "alert_ids": inc.AlertIDs, "participants": in.Participants}
		if drillRun != 0 {
			detail["drill_run_id"] = drillRun
		}
		if err := addEntry(ctx, tx, who, inc.ID, "created", "", detail); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "incident.create", RecordKind, inc.ID, detail); err != nil {
			return err
		}
		if then != nil {
			return then(tx, inc)
		}
		return nil
	})
	if err != nil {
		return Incident{}, fmt.Errorf("create incident: %w", err)
	}
	return Get(ctx, db, who, strconv.FormatInt(inc.ID, 10))
}

// addEntry writes a timeline entry, in the change's transaction. Every
// change has one, so this is also where the incident's updated_at moves:
// the queue's "last change" and the page's "changed by someone else"
// notice see every kind of change alike.
func addEntry(ctx context.Context, tx *store.Tx, who auth.Principal, id int64, kind, body string, changes any) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	if changes == nil {
		b = []byte("{}")
	}
	now := store.Now()
	_, err = tx.Exec(ctx, `INSERT INTO incident_timeline (incident_id, at, actor_id, actor, actor_org, kind, body, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, now, who.User.ID, who.User.Username, who.Org.Slug, kind, body, string(b))
	if err != nil {
		return fmt.Errorf("incident %d timeline: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ? AND updated_at < ?`, now, id, now); err != nil {
		return fmt.Errorf("incident %d: %w", id, err)
	}
	return nil
}

const columns = `i.id, i.human_id, i.title, i.description, i.category, i.type, i.severity, i.tlp, i.pap, i.region, o.slug, i.owner_org_id,
	COALESCE(u.username, ''), COALESCE(i.assignee_id, 0), i.status, i.resolution, i.escalation, i.detected_at, i.reported_at,
	i.first_response_at, i.contained_at, i.resolved_at, i.closed_at, COALESCE(c.username, ''), i.created_at, i.updated_at,
	COALESCE(i.drill_run_id, 0)`

const from = ` FROM incidents i` + joins

// joins are the tables columns reads beside the incident's.
const joins = ` JOIN orgs o ON o.id = i.owner_org_id LEFT JOIN users u ON u.id = i.assignee_id LEFT JOIN users c ON c.id = i.created_by`

func scan(row store.Scanner) (Incident, error) {
	var i Incident
	var tlp, status string
	if err := row.Scan(&i.ID, &i.HumanID, &i.Title, &i.Description, &i.Category, &i.Type, &i.Severity, &tlp, &i.PAP, &i.Region, &i.Owner, &i.OwnerID,
		&i.Assignee, &i.AssigneeID, &status, &i.Resolution, &i.Escalation, &i.DetectedAt, &i.ReportedAt,
		&i.FirstResponseAt, &i.ContainedAt, &i.ResolvedAt, &i.ClosedAt, &i.CreatedBy, &i.CreatedAt, &i.UpdatedAt, &i.DrillRunID); err != nil {
		return Incident{}, err
	}
	i.TLP, i.Status, i.Drill = policy.TLP(tlp), Status(status), i.DrillRunID != 0
	return i, nil
}

// refWhere turns a path reference, a numeric id or a human id, into a condition.
func refWhere(ref string) (string, any, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return "i.id = ?", id, nil
	}
	if up := strings.ToUpper(ref); (strings.HasPrefix(up, "INC-") || strings.HasPrefix(up, "LAT-")) && len(up) <= 20 {
		return "i.human_id = ?", up, nil
	}
	return "", nil, problem.New(problem.NotFound, "no incident %q", ref)
}

// Get reads one incident, by numeric or human id, with its assets, alerts
// and participants; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, ref string) (Incident, error) {
	i, err := get(ctx, q, who, ref)
	if err != nil {
		return Incident{}, err
	}
	return i, loadLinks(ctx, q, &i)
}

func get(ctx context.Context, q store.Querier, who auth.Principal, ref string) (Incident, error) {
	cond, arg, err := refWhere(ref)
	if err != nil {
		return Incident{}, err
	}
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	i, err := scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE `+cond+` AND `+vis, append([]any{arg}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		// BSSN's trainers read a drill's incident before it reaches them.
		if ok, terr := trainer(ctx, q, who); terr != nil {
			return Incident{}, terr
		} else if ok {
			i, err = scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE `+cond+` AND i.drill_run_id IS NOT NULL`, arg))
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return Incident{}, problem.New(problem.NotFound, "no incident %q", ref)
	} else if err != nil {
		return Incident{}, err
	}
	if i.DrillRunID != 0 {
		// A drill's incident: only for those who read the drill's room.
		if ok, err := mayReadDrill(ctx, q, who, i.DrillRunID); err != nil {
			return Incident{}, err
		} else if !ok {
			return Incident{}, problem.New(problem.NotFound, "no incident %q", ref)
		}
	}
	if err := withAccess(ctx, q, &i); err != nil {
		return Incident{}, err
	}
	return i, nil
}

// withAccess fills i's record as policy judges it, participants included.
func withAccess(ctx context.Context, q store.Querier, i *Incident) error {
	var err error
	i.access, err = participant.Record(ctx, q, RecordKind, i.ID, i.OwnerID, i.Region, i.TLP)
	return err
}

func loadLinks(ctx context.Context, q store.Querier, i *Incident) error {
	ints := func(query string) ([]int64, error) {
		rows, err := q.Query(ctx, query, i.ID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []int64{}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
	strs := func(query string) ([]string, error) {
		rows, err := q.Query(ctx, query, RecordKind, i.ID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []string{}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
	var err error
	if i.AssetIDs, err = ints(`SELECT asset_id FROM incident_assets WHERE incident_id = ? ORDER BY asset_id`); err != nil {
		return err
	}
	if i.AlertIDs, err = ints(`SELECT alert_id FROM incident_alerts WHERE incident_id = ? ORDER BY alert_id`); err != nil {
		return err
	}
	p := &Participants{}
	if p.Orgs, err = strs(`SELECT o.slug FROM record_orgs r JOIN orgs o ON o.id = r.org_id WHERE r.kind = ? AND r.record_id = ? ORDER BY o.slug`); err != nil {
		return err
	}
	if p.Users, err = strs(`SELECT u.username FROM record_users r JOIN users u ON u.id = r.user_id WHERE r.kind = ? AND r.record_id = ? ORDER BY u.username`); err != nil {
		return err
	}
	i.Participants = p
	return nil
}

// Filter narrows a list.
type Filter struct {
	Status   []Status
	Severity string
	Region   string // this region and inside it
	National bool   // national records only (region ""), which no province holds
	Category string
	Assignee string // username
	Text     string // words that must each appear in the id, title, description, an observable or a comment
	ID       int64  // this incident only: whether it matches the other filters
	Before   int64  // cursor: ids below this
	Limit    int
	// DrillRun lists that drill run's incidents (for those who read its
	// room) instead of the real ones; a list without it never holds one.
	DrillRun int64
}

// List returns incidents the principal may read, newest first, up to Limit+1.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Incident, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := []string{vis}
	if f.DrillRun > 0 {
		ok, err := mayReadDrill(ctx, q, who, f.DrillRun)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, problem.New(problem.NotFound, "no drill run %d", f.DrillRun)
		}
		if t, err := trainer(ctx, q, who); err != nil {
			return nil, err
		} else if t {
			where, args = nil, nil // BSSN's trainers read all of a drill's incidents
		}
		where, args = append(where, "i.drill_run_id = ?"), append(args, f.DrillRun)
	} else {
		where = append(where, "i.drill_run_id IS NULL")
	}
	if len(f.Status) > 0 {
		for _, s := range f.Status {
			if !s.Valid() {
				return nil, problem.Field("status", "must be one of %s", statusNames())
			}
		}
		// A broad filter (the open ones: five of seven) is written as the
		// statuses it leaves out, so the database reads newest first along
		// the id and stops at a page; as an IN list it would gather every
		// open incident from the status index and sort them.
		in, op := f.Status, "IN"
		if rest := slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return slices.Contains(f.Status, s) }); len(rest) < len(in) {
			in, op = rest, "NOT IN"
		}
		if len(in) > 0 {
			for _, s := range in {
				args = append(args, string(s))
			}
			where = append(where, "i.status "+op+" ("+store.In(len(in))+")")
		}
	}
	if f.Severity != "" {
		if err := oneOf("severity", f.Severity, Severities); err != nil {
			return nil, err
		}
		where, args = append(where, "i.severity = ?"), append(args, f.Severity)
	}
	if f.Category != "" {
		if err := oneOf("category", f.Category, Categories); err != nil {
			return nil, err
		}
		where, args = append(where, "i.category = ?"), append(args, f.Category)
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "i", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.National {
		where = append(where, "i.region = ''")
	}
	if f.Assignee != "" {
		where, args = append(where, "u.username = ?"), append(args, f.Assignee)
	}
	// A search may read the incidents from its index (table, and the id
	// column to order and page by). Planned for its values every time: the
	// visibility test's best plan depends on who reads, and the generic
	// plan PostgreSQL turns to after five runs, made without the reader's
	// ids, answered the named-user test by reading every record_users row
	// (16-68 ms at 100,000 incidents for a page that takes 1 when planned
	// for the reader).
	table, id, plan := from, "i.id", []any{store.PlanEach}
	if f.Text != "" {
		s, err := textMatch(q.Dialect(), f.Text)
		if err != nil {
			return nil, err
		}
		if s.cond != "" {
			where, args = append(where, s.cond), append(args, s.args...)
			// Whether to read the newest incidents or the index first
			// depends on the words too.
			if s.from != "" {
				table, id = s.from, s.id
			}
		}
	}
	if f.ID > 0 {
		where, args = append(where, id+" = ?"), append(args, f.ID)
	}
	if f.Before > 0 {
		where, args = append(where, id+" < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+table+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+id+` DESC LIMIT `+strconv.Itoa(f.Limit+1), append(plan, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return store.Collect(rows, scan)
}

// Update is a change to an incident (nil = unchanged).
type Update struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Severity    *string `json:"severity"`
	Category    *string `json:"category"`
	Type        *string `json:"type"`
	Status      *string `json:"status"`
	Resolution  *string `json:"resolution"`
	Assignee    *string `json:"assignee"` // "" unassigns
	TLP         *string `json:"tlp"`
	PAP         *string `json:"pap"`
}

// Edit applies an update: work fields are triage, labels and closing (or
// reopening a closed incident) decisions (policy.CanCase). Status
// transitions set the response times.
func Edit(ctx context.Context, db *store.DB, who auth.Principal, ref string, up Update) (Incident, error) {
	var inc Incident
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = get(ctx, tx, who, ref); err != nil {
			return err
		}
		// One who may neither steer nor label the incident changes nothing
		// of it; each kind of change is checked again below.
		if !policy.CanCase(who.Viewer, inc.access, policy.CaseTriage) && !policy.CanCase(who.Viewer, inc.access, policy.CaseLabel) {
			return allow(who, inc, policy.CaseTriage, "changing the incident")
		}
		before := inc
		changes := map[string]Change{}
		set := func(field string, from, to any) {
			if from != to {
				changes[field] = Change{From: from, To: to}
			}
		}
		if up.Title != nil {
			inc.Title = strings.TrimSpace(*up.Title)
		}
		if up.Description != nil {
			inc.Description = strings.TrimSpace(*up.Description)
		}
		if up.Severity != nil {
			inc.Severity = *up.Severity
		}
		if up.Category != nil {
			inc.Category = *up.Category
		}
		if up.Type != nil {
			inc.Type = strings.TrimSpace(*up.Type)
		}
		if up.Resolution != nil {
			inc.Resolution = *up.Resolution
		}
		if up.Status != nil {
			inc.Status = Status(*up.Status)
		}
		if up.PAP != nil {
			inc.PAP = strings.ToUpper(strings.TrimSpace(*up.PAP))
		}
		if up.TLP != nil {
			if inc.TLP, err = parseTLP(*up.TLP); err != nil {
				return err
			}
		}
		var named []int64
		if up.Assignee != nil {
			if a := strings.TrimSpace(*up.Assignee); a == "" {
				inc.Assignee, inc.AssigneeID = "", 0
			} else {
				u, err := userByName(ctx, tx, "assignee", a)
				if err != nil {
					return err
				}
				if u.ID != before.AssigneeID {
					tree, err := org.Load(ctx, tx)
					if err != nil {
						return err
					}
					rec := before.access
					rec.TLP = inc.TLP
					if err := mayAssign(who, tree, rec, u); err != nil {
						return err
					}
				}
				inc.Assignee, inc.AssigneeID = u.Username, u.ID
				named = []int64{u.ID, u.OrgID}
			}
		}
		if !inc.Status.Done() && before.Status.Done() && up.Resolution == nil {
			inc.Resolution = "" // reopened: the old verdict no longer holds
		}
		if err := inc.validate(); err != nil {
			return err
		}
		set("title", before.Title, inc.Title)
		set("description", before.Description, inc.Description)
		set("severity", before.Severity, inc.Severity)
		set("category", before.Category, inc.Category)
		set("type", before.Type, inc.Type)
		set("status", string(before.Status), string(inc.Status))
		set("resolution", before.Resolution, inc.Resolution)
		set("assignee", before.Assignee, inc.Assignee)
		set("tlp", string(before.TLP), string(inc.TLP))
		set("pap", before.PAP, inc.PAP)
		if len(changes) == 0 {
			return nil
		}
		work := false
		for f := range changes {
			if f != "tlp" && f != "pap" {
				work = true
			}
		}
		if work {
			if err := allow(who, before, policy.CaseTriage, "changing the incident's status, assignee or description"); err != nil {
				return err
			}
		}
		if changes["tlp"] != (Change{}) || changes["pap"] != (Change{}) {
			if err := allow(who, before, policy.CaseLabel, "changing the TLP or PAP (a coordinator's decision)"); err != nil {
				return err
			}
		}
		if (inc.Status == Closed || before.Status == Closed) && inc.Status != before.Status {
			if err := allow(who, before, policy.CaseClose, "closing or reopening the incident (a coordinator's decision)"); err != nil {
				return err
			}
		}
		now := store.Now()
		if inc.Status != before.Status {
			r := inc.Status.rank()
			if inc.FirstResponseAt == nil && r > New.rank() {
				inc.FirstResponseAt = &now
			}
			if inc.ContainedAt == nil && r > Containment.rank() {
				inc.ContainedAt = &now
			}
			if inc.Status.Done() && inc.ResolvedAt == nil {
				inc.ResolvedAt = &now
			}
			if inc.Status == Closed {
				inc.ClosedAt = &now
			}
			if !inc.Status.Done() {
				inc.ResolvedAt, inc.ClosedAt = nil, nil
			} else if inc.Status == Resolved {
				inc.ClosedAt = nil
			}
		}
		inc.UpdatedAt = now
		var assignee any
		if inc.AssigneeID != 0 {
			assignee = inc.AssigneeID
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET title = ?, description = ?, severity = ?, category = ?, type = ?, status = ?, resolution = ?,
			assignee_id = ?, tlp = ?, pap = ?, first_response_at = ?, contained_at = ?, resolved_at = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
			inc.Title, inc.Description, inc.Severity, inc.Category, inc.Type, string(inc.Status), inc.Resolution, assignee, string(inc.TLP), inc.PAP,
			inc.FirstResponseAt, inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt, now, inc.ID); err != nil {
			return fmt.Errorf("update incident %d: %w", inc.ID, err)
		}
		if changes["title"] != (Change{}) || changes["description"] != (Change{}) {
			if err := index(ctx, tx, inc.ID); err != nil {
				return err
			}
		}
		// Participation is granted, never caught by touching the incident: a
		// new assignee is handed the incident and joins it. The one who labels
		// it RED is named, so the change does not lock them out; a name reads
		// nothing at AMBER, so it outlasts no later tightening.
		var ps participant.Set
		if named != nil {
			ps.Users, ps.Orgs = append(ps.Users, named[0]), append(ps.Orgs, named[1])
		}
		if inc.TLP == policy.Red && before.TLP != policy.Red {
			ps.Users = append(ps.Users, who.User.ID)
		}
		if err := participant.Add(ctx, tx, RecordKind, inc.ID, ps); err != nil {
			return err
		}
		if err := addEntry(ctx, tx, who, inc.ID, "updated", "", changes); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.update", RecordKind, inc.ID, changes)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("update incident %s: %w", ref, err)
	}
	return Get(ctx, db, who, strconv.FormatInt(inc.ID, 10))
}

// Comment adds a comment to the timeline of an incident the principal may read.
func Comment(ctx context.Context, db *store.DB, who auth.Principal, ref, body string) (Entry, error) {
	body = strings.TrimSpace(body)
	if body == "" || len(body) > 20000 {
		return Entry{}, problem.Field("body", "is required (at most 20000 characters)")
	}
	var e Entry
	err := db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseComment, "commenting"); err != nil {
			return err
		}
		if err := addEntry(ctx, tx, who, inc.ID, "comment", body, nil); err != nil {
			return err
		}
		if err := index(ctx, tx, inc.ID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT MAX(id) FROM incident_timeline WHERE incident_id = ?`, inc.ID).Scan(&e.ID); err != nil {
			return err
		}
		e.At, e.Actor, e.ActorOrg, e.Kind, e.Body = store.Now(), who.User.Username, who.Org.Slug, "comment", body
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, store.Now(), inc.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.comment", RecordKind, inc.ID, map[string]string{"body": body})
	})
	if err != nil {
		return Entry{}, fmt.Errorf("comment on incident %s: %w", ref, err)
	}
	return e, nil
}

// Timeline returns an incident's entries, oldest first.
func Timeline(ctx context.Context, q store.Querier, who auth.Principal, ref string) ([]Entry, error) {
	inc, err := get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor, actor_org, kind, body, changes FROM incident_timeline WHERE incident_id = ? ORDER BY id`, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("incident timeline: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var changes string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.ActorOrg, &e.Kind, &e.Body, &changes); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("incident timeline entry %d is corrupt: %w", e.ID, err)
		}
		if len(e.Changes) == 0 {
			e.Changes = nil
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, hideUnreadableLinks(ctx, q, who, out)
}

// linkTargets names, per timeline kind, the change that holds the other
// incident of a link or a merge.
var linkTargets = map[string]string{"linked": "incident", "merged": "merged_into"}

// hideUnreadableLinks takes out of link and merge entries the other
// incident's id and the reason given, when who may not read that incident:
// a link says nothing of what lies behind it.
func hideUnreadableLinks(ctx context.Context, q store.Querier, who auth.Principal, entries []Entry) error {
	readable := map[string]bool{}
	for i, e := range entries {
		key, ok := linkTargets[e.Kind]
		if !ok {
			continue
		}
		ref, _ := e.Changes[key].(string)
		seen, known := readable[ref]
		if !known {
			cond, arg, err := refWhere(ref)
			if err == nil {
				vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
				var one int
				err = q.QueryRow(ctx, `SELECT 1 FROM incidents i WHERE `+cond+` AND `+vis, append([]any{arg}, args...)...).Scan(&one)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("incident timeline link: %w", err)
				}
				seen = err == nil
			}
			readable[ref] = seen
		}
		if !seen {
			delete(entries[i].Changes, key)
			entries[i].Changes["hidden"] = true
			entries[i].Body = ""
		}
	}
	return nil
}

// Escalate takes an incident one level up, keeping its region: a regency's
// incident gains the province's KPU and Diskominfo as participants, a
// province's the national desk (BSSN). The reason is required.
func Escalate(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref, reason string) (Incident, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 2000 {
		return Incident{}, problem.Field("reason", "say why the incident is escalated (at most 2000 characters)")
	}
	var inc Incident
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = get(ctx, tx, who, ref); err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseEscalate, "escalating (a coordinator's decision; ask for it instead)"); err != nil {
			return err
		}
		slugs, to, err := nextLevel(inc)
		if err != nil {
			return err
		}
		var set participant.Set
		for _, s := range slugs {
			o, ok := tree.BySlug(s)
			if !ok {
				return fmt.Errorf("escalate incident %d: organisation %s missing", inc.ID, s)
			}
			set.Orgs = append(set.Orgs, o.ID)
		}
		if err := participant.Add(ctx, tx, RecordKind, inc.ID, set); err != nil {
			return err
		}
		from := inc.Escalation
		inc.Escalation, inc.UpdatedAt = to, store.Now()
		if _, err := tx.Exec(ctx, `UPDATE incidents SET escalation = ?, updated_at = ? WHERE id = ?`, to, inc.UpdatedAt, inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"escalation": Change{From: from, To: to}, "added_orgs": slugs, "reason": reason}
		if err := addEntry(ctx, tx, who, inc.ID, "escalated", reason, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.escalate", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("escalate incident %s: %w", ref, err)
	}
	return Get(ctx, db, who, strconv.FormatInt(inc.ID, 10))
}

// AddParticipants adds organisations and named users to an incident.
func AddParticipants(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref string, p Participants) (Incident, error) {
	return changeParticipants(ctx, db, who, tree, ref, p, false)
}

// nextLevel is where an escalation of inc goes, keeping its region: a
// regency's incident to its province's KPU and Diskominfo, a province's to
// the national desk (BSSN).
func nextLevel(inc Incident) (slugs []string, to string, err error) {
	level := inc.Region
	switch inc.Escalation {
	case EscalatedProvince:
		level = region.Province(inc.Region)
	case EscalatedNational:
		level = ""
	}
	switch {
	case level == "":
		return nil, "", problem.New(problem.Conflict, "incident %s is already with the national desk", inc.HumanID)
	case region.Parent(level) == "": // a province
		return []string{NationalDesk}, EscalatedNational, nil
	default: // a regency (or below): its province's operation room
		return org.ProvinceDesks(region.Province(level)), EscalatedProvince, nil
	}
}

// RequestEscalation asks the coordinators for an escalation one level up:
// the working people of an incident (its operators above all) see that it
// outgrows them; escalating, which shares the incident with the next
// level, stays a coordinator's decision. The request is a timeline entry
// (and an audit entry); the notifier tells those who may escalate.
func RequestEscalation(ctx context.Context, db *store.DB, who auth.Principal, ref, reason string) (Entry, error) {
	reason, err := needReason(reason, "to be escalated")
	if err != nil {
		return Entry{}, err
	}
	var e Entry
	err = db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseRequestEscalation, "asking for escalation"); err != nil {
			return err
		}
		slugs, to, err := nextLevel(inc)
		if err != nil {
			return err
		}
		detail := map[string]any{"escalation": Change{From: inc.Escalation, To: to}, "orgs": slugs, "reason": reason}
		if err := addEntry(ctx, tx, who, inc.ID, "escalation_requested", reason, detail); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT MAX(id) FROM incident_timeline WHERE incident_id = ?`, inc.ID).Scan(&e.ID); err != nil {
			return err
		}
		e.At, e.Actor, e.ActorOrg, e.Kind, e.Body = store.Now(), who.User.Username, who.Org.Slug, "escalation_requested", reason
		return audit.Record(ctx, tx, who.Actor(), "incident.escalation_request", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("request escalation of incident %s: %w", ref, err)
	}
	return e, nil
}

// RemoveParticipants takes organisations and named users out of an
// incident: participation is granted by coordinators, and taken back by
// them. The owner organisation cannot be removed. The remover may lose
// sight of the incident by removing their own organisation; what they did
// is returned all the same.
func RemoveParticipants(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref string, p Participants) (Incident, error) {
	return changeParticipants(ctx, db, who, tree, ref, p, true)
}

// changeParticipants adds or removes an incident's participants: a
// coordinator's decision either way, on the timeline and in the audit
// trail. Only what may be removed is checked for removal (the owner stays,
// and only present participants leave).
func changeParticipants(ctx context.Context, db *store.DB, who auth.Principal, tree *org.Tree, ref string, p Participants, remove bool) (Incident, error) {
	what, kind, change := "adding participants", "participants", participant.Add
	action := "incident.participants"
	if remove {
		what, kind, change = "removing participants", "participants_removed", participant.Remove
		action = "incident.participants.remove"
	}
	if len(p.Orgs)+len(p.Users) == 0 {
		return Incident{}, problem.Field("participants", "name at least one organisation or user")
	}
	var inc Incident
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = get(ctx, tx, who, ref); err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseParticipants, what+" (a coordinator's decision)"); err != nil {
			return err
		}
		set, err := resolveParticipants(ctx, tx, tree, &p)
		if err != nil {
			return err
		}
		if remove {
			if err := mayRemove(inc, set, p); err != nil {
				return err
			}
		}
		if err := change(ctx, tx, RecordKind, inc.ID, set); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, store.Now(), inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"orgs": p.Orgs, "users": p.Users}
		if err := addEntry(ctx, tx, who, inc.ID, kind, "", detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), action, RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("%s of incident %s: %w", what, ref, err)
	}
	// Read without the actor's eyes: a remover may have lost sight of it.
	if inc, err = System(ctx, db, inc.ID); err != nil {
		return Incident{}, err
	}
	if err := loadLinks(ctx, db, &inc); err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// mayRemove refuses to remove the owner organisation or anyone who does
// not take part (set is p resolved, in p's order).
func mayRemove(inc Incident, set participant.Set, p Participants) error {
	for i, o := range set.Orgs {
		if o == inc.OwnerID {
			return problem.Field("participants", "%s owns the incident and cannot be removed", p.Orgs[i])
		}
		if !slices.Contains(inc.access.Orgs, o) {
			return problem.Field("participants", "%s does not take part in %s", p.Orgs[i], inc.HumanID)
		}
	}
	for i, u := range set.Users {
		if !slices.Contains(inc.access.Users, u) {
			return problem.Field("participants", "%s is not a named user of %s", p.Users[i], inc.HumanID)
		}
	}
	return nil
}
