package finding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// NationalDesk is the organisation that takes part in every finding: BSSN,
// which tests KPU's sites jointly with it.
const NationalDesk = "bssn"

// Observation is one thing a scan saw (package scan makes them from its
// Results): the key (CheckKey, Location) and what to show.
type Observation struct {
	CheckKey   string
	TemplateID string
	Location   string
	Title      string
	Severity   string
	Evidence   Evidence
}

// Sweep is what one finished scan of one asset tells the findings.
type Sweep struct {
	ScanID  int64
	AssetID int64
	At      time.Time
	// Mode is the scan's authorisation mode: a passive scan cannot verify
	// the fix of what an active check saw.
	Mode string
	// Complete: the scan ran every check on every target to the end. Only a
	// complete scan closes findings it no longer sees; an incomplete one
	// opens and updates but never mitigates (a host that timed out has not
	// been fixed).
	Complete bool
	// Checks are the ids of the checks that ran (template ids, "garda-..."),
	// nil when unknown: a finding whose check did not run is not verified.
	Checks []string
	// Covers reports whether a location lies inside the scan's authorised
	// scope; nil covers everything. A finding outside it was not looked at.
	Covers       func(location string) bool
	Observations []Observation
	Deadlines    Deadlines // nil: DefaultDeadlines
	// Files keeps each observation's request/response pair as the
	// finding's evidence (files.go); no Dir: not kept.
	Files evidence.Store
}

// Summary counts what a sweep changed.
type Summary struct {
	Opened    int `json:"opened"`
	Reopened  int `json:"reopened"`
	Seen      int `json:"seen"` // already open (or decided), seen again
	Mitigated int `json:"mitigated"`
}

// scanActor is who the audit chain and the history name for what a scan
// changes: Garda itself, verifying.
var scanActor = audit.Actor{Username: "garda-scan"}

// assetAccess is what a finding takes from its asset.
type assetAccess struct {
	owner  int64
	region string
	tlp    policy.TLP
	users  []int64 // the asset's named users, for a RED asset
}

func loadAsset(ctx context.Context, q store.Querier, id int64) (assetAccess, error) {
	var a assetAccess
	var tlp string
	err := q.QueryRow(ctx, `SELECT owner_org_id, region, tlp FROM assets WHERE id = ?`, id).Scan(&a.owner, &a.region, &tlp)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("no asset %d", id)
	} else if err != nil {
		return a, err
	}
	// A finding tells how to break into the asset: never more open than
	// AMBER, never more open than the asset.
	a.tlp = policy.Amber
	if t := policy.TLP(tlp); t.Stricter(a.tlp) {
		a.tlp = t
	}
	if a.tlp == policy.Red {
		set, err := participant.Load(ctx, q, "asset", id)
		if err != nil {
			return a, err
		}
		a.users = set.Users
	}
	return a, nil
}

// participants are BSSN and the province's operation room (its
// Diskominfo), which take part in every finding of the province.
func participants(ctx context.Context, q store.Querier, a assetAccess) (participant.Set, error) {
	slugs := []string{NationalDesk}
	if a.region != "" {
		slugs = append(slugs, org.DiskominfoSlug(region.Province(a.region)))
	}
	args := make([]any, len(slugs))
	for i, s := range slugs {
		args[i] = s
	}
	rows, err := q.Query(ctx, `SELECT id FROM orgs WHERE slug IN (`+store.In(len(slugs))+`) ORDER BY id`, args...)
	if err != nil {
		return participant.Set{}, err
	}
	ids, err := store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	return participant.Set{Orgs: ids, Users: a.users}, err
}

// Apply runs the lifecycle for one finished scan, inside its transaction:
// each observation opens a finding, updates the open one, or reopens a
// mitigated one (keeping its first_seen and so its deadline); a complete
// scan then mitigates every open finding of the asset it covered and no
// longer saw, naming itself as the verification. False positives and risk
// acceptances stay as decided (their last_seen moves).
func Apply(ctx context.Context, tx *store.Tx, s Sweep) (Summary, error) {
	var sum Summary
	at := s.At.UTC().Truncate(time.Microsecond)
	if at.IsZero() {
		at = store.Now()
	}
	a, err := loadAsset(ctx, tx, s.AssetID)
	if err != nil {
		return sum, err
	}
	// One observation per key: the most severe, the last one's evidence.
	type key struct{ check, loc string }
	obs := map[key]Observation{}
	var order []key
	for _, o := range s.Observations {
		if o.CheckKey == "" || o.Location == "" {
			continue
		}
		if severityRank(o.Severity) < 0 {
			o.Severity = "unknown"
		}
		k := key{o.CheckKey, o.Location}
		prev, ok := obs[k]
		if !ok {
			order = append(order, k)
		} else if severityRank(prev.Severity) > severityRank(o.Severity) {
			o.Severity = prev.Severity
		}
		obs[k] = o
	}
	// One order for every scan, so that two finishing at once take the
	// rows' locks in the same order (no deadlock on PostgreSQL).
	slices.SortFunc(order, func(x, y key) int {
		if c := strings.Compare(x.check, y.check); c != 0 {
			return c
		}
		return strings.Compare(x.loc, y.loc)
	})
	seen := map[int64]bool{}
	for _, k := range order {
		o := obs[k]
		id, change, err := observe(ctx, tx, s, a, at, o)
		if err != nil {
			return sum, fmt.Errorf("finding %s at %s: %w", o.CheckKey, o.Location, err)
		}
		seen[id] = true
		if err := keepExchange(ctx, tx, s, at, id, o); err != nil {
			return sum, fmt.Errorf("finding %s at %s: %w", o.CheckKey, o.Location, err)
		}
		switch change {
		case EventOpened:
			sum.Opened++
		case EventReopened:
			sum.Reopened++
		default:
			sum.Seen++
		}
	}
	if !s.Complete {
		return sum, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, template_id, location, mode FROM findings WHERE asset_id = ? AND status = ? ORDER BY id`, s.AssetID, string(Open))
	if err != nil {
		return sum, err
	}
	type openOne struct {
		id               int64
		template, loc, m string
	}
	open, err := store.Collect(rows, func(r store.Scanner) (openOne, error) {
		var o openOne
		return o, r.Scan(&o.id, &o.template, &o.loc, &o.m)
	})
	if err != nil {
		return sum, err
	}
	for _, o := range open {
		if seen[o.id] || (o.m == "active" && s.Mode != "active") ||
			(s.Checks != nil && !slices.Contains(s.Checks, o.template)) || (s.Covers != nil && !s.Covers(o.loc)) {
			continue // not the same scope: not verified either way
		}
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = ?, mitigated_at = ?, mitigated_scan_id = ?, updated_at = ? WHERE id = ?`,
			string(Mitigated), at, s.ScanID, at, o.id); err != nil {
			return sum, err
		}
		if err := addEvent(ctx, tx, o.id, at, scanActor.Username, "", EventMitigated, s.ScanID, "", nil); err != nil {
			return sum, err
		}
		if err := audit.Record(ctx, tx, scanActor, "finding.mitigate", RecordKind, o.id, map[string]any{"scan_id": s.ScanID}); err != nil {
			return sum, err
		}
		sum.Mitigated++
	}
	return sum, nil
}

// observe records one observation and says what it did: EventOpened,
// EventReopened, EventSeverity or "" (seen again).
func observe(ctx context.Context, tx *store.Tx, s Sweep, a assetAccess, at time.Time, o Observation) (int64, string, error) {
	ev, err := json.Marshal(o.Evidence.bounded())
	if err != nil {
		return 0, "", err
	}
	title := truncate(strings.TrimSpace(o.Title), 300)
	if title == "" {
		title = o.CheckKey
	}
	var id int64
	var status, severity string
	var firstSeen time.Time
	lookup := func() error {
		return tx.QueryRow(ctx, `SELECT id, status, severity, first_seen FROM findings WHERE asset_id = ? AND check_key = ? AND location = ?`,
			s.AssetID, o.CheckKey, o.Location).Scan(&id, &status, &severity, &firstSeen)
	}
	err = lookup()
	if errors.Is(err, store.ErrNotFound) {
		due := s.Deadlines.Due(o.Severity, at)
		// Two scans of one asset may finish at once: the second insert
		// does nothing (after waiting for the first) and updates instead.
		err = tx.QueryRow(ctx, `INSERT INTO findings (asset_id, check_key, template_id, location, title, severity, mode, status, tlp, region, owner_org_id,
			evidence, first_seen, last_seen, first_scan_id, last_scan_id, due_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (asset_id, check_key, location) DO NOTHING RETURNING id`,
			s.AssetID, o.CheckKey, o.TemplateID, o.Location, title, o.Severity, s.Mode, string(Open), string(a.tlp), a.region, a.owner,
			string(ev), at, at, s.ScanID, s.ScanID, due, at, at).Scan(&id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := lookup(); err != nil {
				return 0, "", err
			}
		case err != nil:
			return 0, "", err
		default:
			set, err := participants(ctx, tx, a)
			if err != nil {
				return 0, "", err
			}
			if err := participant.Add(ctx, tx, RecordKind, id, set); err != nil {
				return 0, "", err
			}
			detail := map[string]any{"asset_id": s.AssetID, "check_key": o.CheckKey, "location": o.Location, "severity": o.Severity, "due_at": due}
			if err := addEvent(ctx, tx, id, at, scanActor.Username, "", EventOpened, s.ScanID, "", detail); err != nil {
				return 0, "", err
			}
			return id, EventOpened, audit.Record(ctx, tx, scanActor, "finding.open", RecordKind, id, detail)
		}
	} else if err != nil {
		return 0, "", err
	}

	change := ""
	due := s.Deadlines.Due(o.Severity, firstSeen) // always from the original first_seen
	sets := `last_seen = ?, last_scan_id = ?, evidence = ?, title = ?, severity = ?, due_at = ?, updated_at = ?`
	args := []any{at, s.ScanID, string(ev), title, o.Severity, due, at}
	if Status(status) == Mitigated {
		change = EventReopened
		sets += `, status = ?, mitigated_at = NULL, mitigated_scan_id = NULL, reopened = reopened + 1`
		args = append(args, string(Open))
	} else if severity != o.Severity {
		change = EventSeverity
	}
	if _, err := tx.Exec(ctx, `UPDATE findings SET `+sets+` WHERE id = ?`, append(args, id)...); err != nil {
		return 0, "", err
	}
	if change == "" {
		return id, "", nil
	}
	detail := map[string]any{"severity": map[string]string{"from": severity, "to": o.Severity}, "due_at": due, "first_seen": firstSeen}
	if err := addEvent(ctx, tx, id, at, scanActor.Username, "", change, s.ScanID, "", detail); err != nil {
		return 0, "", err
	}
	action := "finding.reopen"
	if change == EventSeverity {
		action = "finding.severity"
	}
	return id, change, audit.Record(ctx, tx, scanActor, action, RecordKind, id, detail)
}

// ExpireAcceptances reopens every risk acceptance that ran out by now and
// returns how many. The notifier's clock pass runs it (several instances
// may: the status test in the UPDATE decides who reopens each).
func ExpireAcceptances(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	rows, err := db.Query(ctx, `SELECT id FROM findings WHERE status = ? AND accepted_until IS NOT NULL AND accepted_until <= ? ORDER BY id`,
		string(RiskAccepted), now)
	if err != nil {
		return 0, fmt.Errorf("expired risk acceptances: %w", err)
	}
	ids, err := store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE findings SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND accepted_until <= ?`,
				string(Open), now, id, string(RiskAccepted), now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			if err := addEvent(ctx, tx, id, now, audit.System.Username, "", EventRiskExpired, 0, "", nil); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.System, "finding.risk_expired", RecordKind, id, map[string]any{"at": now})
		})
		if err != nil {
			return n, fmt.Errorf("reopen finding %d: %w", id, err)
		}
	}
	return n, nil
}
