package alert

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
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// Record stores a batch of signals: it merges them in memory first, then
// joins each group to its open alert in the store or raises a new one. It
// returns the ids of the alerts it created and of those it updated. Signals
// of an unknown asset are refused: live alerts always have an owner.
func Record(ctx context.Context, db *store.DB, signals []Signal) (created, updated []int64, err error) {
	return RecordWith(ctx, db, signals, nil)
}

// RecordWith is Record with after run last in the same transaction (when
// there are signals), told the alerts created and updated: an error from
// it stores nothing. The live pipeline marks the bus message done there,
// so that the alerts and the mark are stored together or not at all.
func RecordWith(ctx context.Context, db *store.DB, signals []Signal, after func(ctx context.Context, tx *store.Tx, created, updated []int64) error) (created, updated []int64, err error) {
	if len(signals) == 0 {
		return nil, nil, nil
	}
	g := NewAggregator()
	for _, s := range signals {
		if s.AssetID == 0 {
			return nil, nil, fmt.Errorf("record alerts: signal for scenario %s has no asset", s.Scenario)
		}
		g.Add(s)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		created, updated = nil, nil
		var csirt int64
		if err := tx.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, NationalCSIRT).Scan(&csirt); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		owners := map[int64]assetOwner{}
		var cal *calendar.Calendar // loaded with the first new alert
		for _, a := range g.Alerts() {
			key := Signal{Scenario: a.Scenario, SourceIP: a.SourceIP, UserName: a.UserName, AssetID: a.AssetID}.Key()
			var id, count int64
			err := tx.QueryRow(ctx, `SELECT id, event_count FROM alerts WHERE dedup_key = ? AND status IN ('new', 'acknowledged') AND last_seen >= ?
				ORDER BY id DESC LIMIT 1`, key, a.FirstSeen.Add(-AggregationWindow)).Scan(&id, &count)
			switch {
			case err == nil:
				if err := joinAlert(ctx, tx, id, a); err != nil {
					return err
				}
				updated = append(updated, id)
				continue
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			own, ok := owners[a.AssetID]
			if !ok {
				var phases, systems string
				if err := tx.QueryRow(ctx, `SELECT owner_org_id, region, tlp, name, phases, systems FROM assets WHERE id = ?`, a.AssetID).
					Scan(&own.org, &own.region, &own.tlp, &own.name, &phases, &systems); err != nil {
					return fmt.Errorf("asset %d of an alert: %w", a.AssetID, err)
				}
				var ph, sy []string
				json.Unmarshal([]byte(phases), &ph)
				json.Unmarshal([]byte(systems), &sy)
				own.tags = append(ph, sy...)
				owners[a.AssetID] = own
			}
			// An alert tells what happened to its asset, so it is never
			// less restricted than the asset: a RED asset's alerts are RED
			// and go to the asset's named users only.
			redAsset := false
			if policy.TLP(own.tlp).Stricter(a.TLP) {
				a.TLP = policy.TLP(own.tlp)
				redAsset = a.TLP == policy.Red
			}
			if a.Region == "" {
				a.Region = own.region
			}
			if cal == nil {
				var err error
				if cal, err = calendar.Load(ctx, tx); err != nil {
					return err
				}
			}
			a.Priority, a.PriorityReason = PhasePriority(cal, a.Severity, a.FirstSeen, a.Region, own.name, own.tags)
			now := store.Now()
			rules, _ := json.Marshal(a.RuleIDs)
			err = tx.QueryRow(ctx, `INSERT INTO alerts (scenario, title, severity, technique, source_ip, user_name, asset_id, region, owner_org_id,
				tlp, status, rule_ids, event_count, first_seen, last_seen, dedup_key, created_at, updated_at, priority, priority_reason)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				a.Scenario, a.Title, a.Severity, a.Technique, a.SourceIP, a.UserName, a.AssetID, a.Region, own.org,
				string(a.TLP), string(New), string(rules), a.Count, a.FirstSeen, a.LastSeen, key, now, now, a.Priority, a.PriorityReason).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert alert: %w", err)
			}
			// The national CSIRT and the province's operation room
			// (its Diskominfo) work every alert of the province.
			orgs := []int64{own.org}
			if csirt != 0 && csirt != own.org && !redAsset {
				orgs = append(orgs, csirt)
			}
			if redAsset {
				set, err := participant.Load(ctx, tx, "asset", a.AssetID)
				if err != nil {
					return err
				}
				if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Users: set.Users}); err != nil {
					return err
				}
			} else if prov := region.Province(a.Region); prov != "" {
				var room int64
				err := tx.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, org.DiskominfoSlug(prov)).Scan(&room)
				if err == nil {
					orgs = append(orgs, room)
				} else if !errors.Is(err, store.ErrNotFound) { // a province without a room is fine; a failing store is not
					return err
				}
			}
			if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Orgs: orgs}); err != nil {
				return err
			}
			if err := addEvidence(ctx, tx, id, 0, a.Evidence); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, Detector, "alert.raise", RecordKind, id, map[string]any{
				"scenario": a.Scenario, "source_ip": a.SourceIP, "asset_id": a.AssetID, "severity": a.Severity,
				"priority": a.Priority, "priority_reason": a.PriorityReason}); err != nil {
				return err
			}
			created = append(created, id)
		}
		if after != nil {
			return after(ctx, tx, created, updated)
		}
		return nil
	})
	return created, updated, err
}

type assetOwner struct {
	org    int64
	region string
	tlp    string
	name   string
	tags   []string // phase tags and systems, which the calendar names
}

// PhasePriority is the priority of an alert of this severity on an asset
// (name, phase tags and systems) in region, raised at t: one step above
// its severity (critical stays critical) when the asset matters in a phase
// of cal running then in the region's time zone, with the reason in
// Bahasa Indonesia; the severity itself and "" otherwise.
func PhasePriority(cal *calendar.Calendar, severity string, t time.Time, region, name string, tags []string) (priority, reason string) {
	ph, entry, ok := cal.Critical(t, calendar.ZoneOf(region), name, tags)
	if !ok {
		return severity, ""
	}
	rank := SeverityRank(severity)
	priority = Severities[min(max(rank, 1), len(Severities)-1)] // rank r is Severities[r-1]: one step up
	who := entry
	if slices.Contains(asset.Phases, entry) { // a phase tag, not a system: name the asset
		who = name
	}
	return priority, fmt.Sprintf("fase %s (%s): %s kritis", ph.Name, ph.Posture, who)
}

// joinAlert adds an in-memory alert's events to a stored one. Counts are
// derived from the event stream, so they are not audited one by one.
func joinAlert(ctx context.Context, tx *store.Tx, id int64, a *Alert) error {
	var rulesText string
	var have int
	if err := tx.QueryRow(ctx, `SELECT rule_ids, (SELECT COUNT(*) FROM alert_evidence WHERE alert_id = ?) FROM alerts WHERE id = ?`, id, id).
		Scan(&rulesText, &have); err != nil {
		return err
	}
	var rules []string
	json.Unmarshal([]byte(rulesText), &rules)
	for _, r := range a.RuleIDs {
		if !slices.Contains(rules, r) && len(rules) < 50 {
			rules = append(rules, r)
		}
	}
	b, _ := json.Marshal(rules)
	if _, err := tx.Exec(ctx, `UPDATE alerts SET event_count = event_count + ?, rule_ids = ?,
		last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END, updated_at = ? WHERE id = ?`,
		a.Count, string(b), a.LastSeen, a.LastSeen, store.Now(), id); err != nil {
		return fmt.Errorf("update alert %d: %w", id, err)
	}
	return addEvidence(ctx, tx, id, have, a.Evidence)
}

func addEvidence(ctx context.Context, tx *store.Tx, id int64, have int, evs []Evidence) error {
	for _, e := range evs {
		if have >= MaxEvidence {
			return nil
		}
		have++
		fields, _ := json.Marshal(e.Fields)
		if _, err := tx.Exec(ctx, `INSERT INTO alert_evidence (alert_id, seq, at, line, fields) VALUES (?, ?, ?, ?, ?)`,
			id, have, e.At, e.Line, string(fields)); err != nil {
			return fmt.Errorf("alert %d evidence: %w", id, err)
		}
	}
	return nil
}

const columns = `a.id, a.scenario, a.title, a.severity, a.technique, a.source_ip, a.user_name, COALESCE(a.asset_id, 0), COALESCE(s.name, ''),
	a.region, o.slug, a.tlp, a.status, a.status_reason, a.rule_ids, a.event_count, a.first_seen, a.last_seen, a.created_at, a.updated_at,
	a.priority, a.priority_reason`

// from joins the asset's name only when the reader may read the asset
// (assetJoin's fragment); the platform's own reads (Brief) join it freely.
const from = ` FROM alerts a JOIN orgs o ON o.id = a.owner_org_id LEFT JOIN assets s ON s.id = a.asset_id`

// fromFor is from for a principal: the asset joins only if visible.
func fromFor(who auth.Principal) (string, []any) {
	vis, args := policy.ReadFilter(who.Viewer, "asset", "s")
	return ` FROM alerts a JOIN orgs o ON o.id = a.owner_org_id LEFT JOIN assets s ON s.id = a.asset_id AND ` + vis, args
}

func scan(row store.Scanner) (Alert, error) { return scanWith(row) }

// scanWith scans columns, then extra columns into extra.
func scanWith(row store.Scanner, extra ...any) (Alert, error) {
	var a Alert
	var tlp, status, rules string
	if err := row.Scan(append([]any{&a.ID, &a.Scenario, &a.Title, &a.Severity, &a.Technique, &a.SourceIP, &a.UserName, &a.AssetID, &a.Asset,
		&a.Region, &a.Owner, &tlp, &status, &a.StatusReason, &rules, &a.Count, &a.FirstSeen, &a.LastSeen, &a.CreatedAt, &a.UpdatedAt,
		&a.Priority, &a.PriorityReason}, extra...)...); err != nil {
		return Alert{}, err
	}
	if a.Priority == "" { // raised before priorities were kept
		a.Priority = a.Severity
	}
	a.TLP, a.Status = policy.TLP(tlp), Status(status)
	if err := json.Unmarshal([]byte(rules), &a.RuleIDs); err != nil {
		return Alert{}, fmt.Errorf("alert %d: stored rule ids are corrupt: %w", a.ID, err)
	}
	return a, nil
}

// Get reads one alert with its evidence; one the principal may not read is
// not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Alert, error) {
	join, jargs := fromFor(who)
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "a")
	a, err := scan(q.QueryRow(ctx, `SELECT `+columns+join+` WHERE a.id = ? AND `+vis, append(append(jargs, id), args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Alert{}, problem.New(problem.NotFound, "no alert %d", id)
	} else if err != nil {
		return Alert{}, err
	}
	rows, err := q.Query(ctx, `SELECT seq, at, line, fields FROM alert_evidence WHERE alert_id = ? ORDER BY seq`, id)
	if err != nil {
		return Alert{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Evidence
		var fields string
		if err := rows.Scan(&e.Seq, &e.At, &e.Line, &fields); err != nil {
			return Alert{}, err
		}
		json.Unmarshal([]byte(fields), &e.Fields)
		a.Evidence = append(a.Evidence, e)
	}
	return a, rows.Err()
}

// Filter narrows a list.
type Filter struct {
	Status   []Status
	Scenario string
	Severity string // this severity and above
	Region   string // this region and inside it
	National bool   // national alerts only (region ""), which no province holds
	AssetID  int64
	SourceIP string
	Group    *GroupKey // one group's alerts only
	Priority bool      // only alerts whose priority a calendar phase raised
	Since    time.Time
	Before   int64 // cursor: ids below this
	Limit    int
}

// List returns alerts the principal may read, newest first, up to Limit+1.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Alert, error) {
	join, args := fromFor(who)
	where, wargs, err := f.conditions(who)
	if err != nil {
		return nil, err
	}
	args = append(args, wargs...)
	if f.Before > 0 {
		where, args = append(where, "a.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+columns+join+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY a.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return store.Collect(rows, scan)
}

// conditions are the filter's WHERE conditions on alerts a, the
// visibility rule first (the cursor is the caller's: alerts and groups
// page differently).
func (f Filter) conditions(who auth.Principal) ([]string, []any, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "a")
	where := []string{vis}
	if len(f.Status) > 0 {
		where = append(where, "a.status IN ("+store.In(len(f.Status))+")")
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	}
	if f.Scenario != "" {
		where, args = append(where, "a.scenario = ?"), append(args, f.Scenario)
	}
	if f.Severity != "" {
		rank := SeverityRank(f.Severity)
		if rank == 0 {
			return nil, nil, problem.Field("severity", "must be low, medium, high or critical")
		}
		where = append(where, "a.severity IN ("+store.In(len(Severities)-rank+1)+")")
		for _, s := range Severities[rank-1:] {
			args = append(args, s)
		}
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "a", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.National {
		where = append(where, "a.region = ''")
	}
	if f.AssetID > 0 {
		where, args = append(where, "a.asset_id = ?"), append(args, f.AssetID)
	}
	if f.SourceIP != "" {
		where, args = append(where, "a.source_ip = ?"), append(args, f.SourceIP)
	}
	if f.Priority {
		where = append(where, "a.priority_reason <> ''")
	}
	if f.Group != nil {
		cond, gargs := f.Group.condition()
		where, args = append(where, cond), append(args, gargs...)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "a.last_seen >= ?"), append(args, f.Since)
	}
	return where, args, nil
}

// SetStatus acknowledges, dismisses (with a reason) or marks an alert promoted.
func SetStatus(ctx context.Context, db *store.DB, who auth.Principal, id int64, to Status, reason string) (Alert, error) {
	var a Alert
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = SetStatusIn(ctx, tx, who, id, to, reason)
		return err
	})
	return a, err
}

// SetStatusIn is SetStatus inside a caller's transaction (an incident
// promoting its alerts changes them with itself, or not at all).
func SetStatusIn(ctx context.Context, tx *store.Tx, who auth.Principal, id int64, to Status, reason string) (Alert, error) {
	reason = strings.TrimSpace(reason)
	switch to {
	case Acknowledged, Promoted, New:
	case Dismissed:
		if reason == "" {
			return Alert{}, problem.Field("reason", "say why the alert is dismissed (false positive, expected scan, ...)")
		}
	default:
		return Alert{}, problem.Field("status", "must be new, acknowledged, dismissed or promoted")
	}
	if len(reason) > 2000 {
		return Alert{}, problem.Field("reason", "at most 2000 characters")
	}
	a, err := Get(ctx, tx, who, id)
	if err != nil {
		return Alert{}, err
	}
	if !who.Can(policy.Triage) {
		return Alert{}, problem.New(problem.Forbidden, "your role (%s) may not triage alerts", who.User.Role)
	}
	if a.Status == Promoted && to != Promoted {
		return Alert{}, problem.New(problem.Conflict, "alert %d was promoted to an incident; work it there", id)
	}
	from := a.Status
	a.Status, a.StatusReason, a.UpdatedAt = to, reason, store.Now()
	if _, err := tx.Exec(ctx, `UPDATE alerts SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?`, string(to), reason, a.UpdatedAt, id); err != nil {
		return Alert{}, err
	}
	if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}}); err != nil {
		return Alert{}, err
	}
	if err := audit.Record(ctx, tx, who.Actor(), "alert.status", RecordKind, id, map[string]string{"from": string(from), "to": string(to), "reason": reason}); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// ProvinceState is the open alerts of one province a principal may see.
type ProvinceState struct {
	Open    int
	Highest string // the highest severity among them
}

// OpenByProvince counts the open alerts the principal may read per
// province ("" for national ones), with their highest severity.
func OpenByProvince(ctx context.Context, q store.Querier, who auth.Principal) (map[string]ProvinceState, error) {
	// The WHERE clause is word for word that of the alerts_open index.
	query, args := policy.CountByTLP(who.Viewer, RecordKind, "a", `SELECT SUBSTR(a.region, 1, 2), a.severity, COUNT(*) FROM alerts a
		WHERE a.status IN ('new', 'acknowledged') AND %s GROUP BY SUBSTR(a.region, 1, 2), a.severity`)
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count open alerts: %w", err)
	}
	defer rows.Close()
	out := map[string]ProvinceState{}
	for rows.Next() {
		var prov, sev string
		var n int
		if err := rows.Scan(&prov, &sev, &n); err != nil {
			return nil, err
		}
		st := out[prov]
		st.Open += n
		if SeverityRank(sev) > SeverityRank(st.Highest) {
			st.Highest = sev
		}
		out[prov] = st
	}
	return out, rows.Err()
}

// Brief reads alerts by id for the platform itself (no visibility rule:
// callers are detection and decision making, never a person's request).
func Brief(ctx context.Context, q store.Querier, ids []int64) ([]Alert, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE a.id IN (`+store.In(len(ids))+`) ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	return store.Collect(rows, scan)
}
