package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The runner's calls, in order, for one asset (each on *Store):
//
//	id, az, err := st.Begin(ctx, assetID, TriggerSchedule, "")
//	// err is a *Refusal (recorded as a refused scan, id set): do not retry until
//	// something changes; az's Scope, Mode, RatePerSecond, Concurrency bind the run.
//	st.SetChecks(ctx, id, checkIDs)            // optional: which checks run
//	st.Progress(ctx, id, done, total, requests) // as targets finish
//	st.Finish(ctx, id, StatusDone, results, nil) // StatusFailed with the error otherwise
//
// Finish is where findings open, update, reopen and (on a complete scan)
// are mitigated, in the scan's own transaction.

// Scan statuses.
const (
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDone    = "done"   // every target ran to the end
	StatusFailed  = "failed" // no target could be tested, or the scan was stopped
	// StatusPartial: some targets could not be scanned (the error says
	// which and why); the others' results stand, but silence about the
	// failed targets proves nothing, so no finding is closed by it.
	StatusPartial = "partial"
	StatusRefused = "refused" // no valid authorisation: nothing was sent
)

// What started a scan.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// ScanRecord is one scan of one asset as the store keeps it.
type ScanRecord struct {
	ID              int64      `json:"id"`
	AssetID         int64      `json:"asset_id"`
	AuthorizationID int64      `json:"authorization_id,omitempty"`
	Status          string     `json:"status"`
	Trigger         string     `json:"trigger"`
	RequestedBy     string     `json:"requested_by,omitempty"`
	Mode            Mode       `json:"mode,omitempty"`
	Checks          []string   `json:"checks,omitempty"`
	TargetsTotal    int        `json:"targets_total"`
	TargetsDone     int        `json:"targets_done"`
	Requests        int        `json:"requests"`
	Results         int        `json:"results"`
	Error           string     `json:"error,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
}

// The runner's audit actor: scans are the platform's own work.
var scanner = audit.Actor{Username: "garda-scan"}

// Begin starts a scan of an asset under its valid authorisation, which it
// returns for the runner to obey (scope, mode, rate, concurrency). Without
// a valid one the scan is recorded as refused, audited, and its id is
// returned with a *Refusal saying why: never silently narrowed. trigger is
// TriggerSchedule or TriggerManual; requestedBy the username who asked ("" for the schedule).
func (s *Store) Begin(ctx context.Context, assetID int64, trigger, requestedBy string) (int64, Authorization, error) {
	if trigger != TriggerSchedule && trigger != TriggerManual {
		return 0, Authorization{}, problem.Field("trigger", "must be schedule or manual")
	}
	var id int64
	var az Authorization
	var refusal error
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM assets WHERE id = ?`, assetID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return problem.New(problem.NotFound, "no asset %d", assetID)
		}
		now := s.now()
		var err error
		az, err = valid(ctx, tx, assetID, now)
		var r *Refusal
		if errors.As(err, &r) {
			refusal = err
			if err := tx.QueryRow(ctx, `INSERT INTO scans (asset_id, status, trigger_kind, requested_by, error, created_at, finished_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, assetID, StatusRefused, trigger, requestedBy, r.Reason, now, now).Scan(&id); err != nil {
				return err
			}
			return audit.Record(ctx, tx, scanner, "scan.refuse", ScanKind, id, map[string]any{"asset_id": assetID, "trigger": trigger, "requested_by": requestedBy, "reason": r.Reason})
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO scans (asset_id, authorization_id, status, trigger_kind, requested_by, mode, created_at, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, assetID, az.ID, StatusRunning, trigger, requestedBy, string(az.Mode), now, now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, scanner, "scan.begin", ScanKind, id, map[string]any{"asset_id": assetID, "authorization_id": az.ID, "trigger": trigger, "requested_by": requestedBy})
	})
	if err != nil {
		return 0, Authorization{}, fmt.Errorf("begin scan of asset %d: %w", assetID, err)
	}
	if refusal != nil {
		return id, Authorization{}, refusal
	}
	return id, az, nil
}

// SetChecks records which checks a running scan runs (template ids and
// built-in ids). Optional: with it, Finish verifies a fix only for a
// finding whose check ran; without it, every check of the scan's mode
// counts as run.
func (s *Store) SetChecks(ctx context.Context, scanID int64, checkIDs []string) error {
	b, _ := json.Marshal(checkIDs)
	res, err := s.DB.Exec(ctx, `UPDATE scans SET checks = ? WHERE id = ? AND status = ?`, string(b), scanID, StatusRunning)
	if err != nil {
		return fmt.Errorf("scan %d checks: %w", scanID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return problem.New(problem.Conflict, "scan %d is not running", scanID)
	}
	return nil
}

// Progress records how far a running scan is. It is not audited: it is the
// runner's heartbeat, many times a scan; Begin and Finish are.
func (s *Store) Progress(ctx context.Context, scanID int64, done, total, requests int) error {
	if done < 0 || total < 0 || requests < 0 || done > total {
		return problem.Field("targets_done", "progress %d of %d (%d requests) is not a count", done, total, requests)
	}
	res, err := s.DB.Exec(ctx, `UPDATE scans SET targets_done = ?, targets_total = ?, requests = ? WHERE id = ? AND status = ?`,
		done, total, requests, scanID, StatusRunning)
	if err != nil {
		return fmt.Errorf("scan %d progress: %w", scanID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return problem.New(problem.Conflict, "scan %d is not running", scanID)
	}
	return nil
}

// Finish ends a running scan as StatusDone or StatusFailed, with its
// results and the error that stopped it (nil if none), and applies the
// findings lifecycle in the same transaction (finding.Apply). Results
// outside the authorisation's scope are dropped and counted in the error
// text: they should never happen. A scan mitigates findings only when it
// is complete: status done, no error, every target done (as last told by
// Progress; a scan that never told its targets counts as complete).
func (s *Store) Finish(ctx context.Context, scanID int64, status string, results []Result, runErr error) error {
	if status != StatusDone && status != StatusPartial && status != StatusFailed {
		return problem.Field("status", "a scan finishes done, partial or failed")
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		sc, err := getScan(ctx, tx, scanID)
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no scan %d", scanID)
		} else if err != nil {
			return err
		}
		if sc.Status != StatusRunning {
			return problem.New(problem.Conflict, "scan %d is %s, not running", scanID, sc.Status)
		}
		az, err := getAuthorization(ctx, tx, sc.AuthorizationID)
		if err != nil {
			return fmt.Errorf("authorisation of scan %d: %w", scanID, err)
		}
		now := s.now()
		msg := ""
		if runErr != nil {
			msg = runErr.Error()
		}
		var obs []finding.Observation
		outside := 0
		for _, r := range results {
			if !az.Covers(r.Location()) && !az.Covers(r.Host) {
				outside++
				continue
			}
			obs = append(obs, observation(r))
		}
		if outside > 0 {
			msg = strings.TrimSpace(msg + fmt.Sprintf(" (%d results outside the authorised scope were dropped)", outside))
		}
		complete := status == StatusDone && runErr == nil && outside == 0 && sc.TargetsDone >= sc.TargetsTotal
		sweep := finding.Sweep{ScanID: scanID, AssetID: sc.AssetID, At: now, Mode: string(sc.Mode), Complete: complete,
			Checks: sc.Checks, Covers: az.Covers, Observations: obs, Deadlines: s.Deadlines, Files: s.Files}
		sum, err := finding.Apply(ctx, tx, sweep)
		if err != nil {
			return fmt.Errorf("findings of scan %d: %w", scanID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE scans SET status = ?, results = ?, error = ?, finished_at = ? WHERE id = ?`,
			status, len(results), truncateText(msg, 4000), now, scanID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, scanner, "scan.finish", ScanKind, scanID, map[string]any{
			"status": status, "results": len(results), "error": msg, "complete": complete, "findings": sum})
	})
	if err != nil {
		return fmt.Errorf("finish scan %d: %w", scanID, err)
	}
	return nil
}

// observation turns a Result into what the findings keep.
func observation(r Result) finding.Observation {
	ev := finding.Evidence{Type: r.Type, Host: r.Host, IP: r.IP, MatchedAt: r.MatchedAt, Matcher: r.MatcherName,
		ExtractedResults: append([]string(nil), r.ExtractedResults...), Description: r.Info.Description, Remediation: r.Info.Remediation,
		Reference: r.Info.Reference, Request: r.Request, Response: r.Response}
	if c := r.Info.Classification; c != nil {
		ev.CVE, ev.CWE = c.CVEID, c.CWEID
	}
	title := r.Info.Name
	if r.MatcherName != "" {
		title += " (" + r.MatcherName + ")"
	}
	return finding.Observation{CheckKey: r.CheckKey(), TemplateID: r.TemplateID, Location: r.Location(), Title: title,
		Severity: string(r.Info.Severity), Evidence: ev}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

const scanColumns = `s.id, s.asset_id, COALESCE(s.authorization_id, 0), s.status, s.trigger_kind, s.requested_by, s.mode, s.checks,
	s.targets_total, s.targets_done, s.requests, s.results, s.error, s.created_at, s.started_at, s.finished_at`

func scanScan(r store.Scanner) (ScanRecord, error) {
	var sc ScanRecord
	var mode, checks string
	if err := r.Scan(&sc.ID, &sc.AssetID, &sc.AuthorizationID, &sc.Status, &sc.Trigger, &sc.RequestedBy, &mode, &checks,
		&sc.TargetsTotal, &sc.TargetsDone, &sc.Requests, &sc.Results, &sc.Error, &sc.CreatedAt, &sc.StartedAt, &sc.FinishedAt); err != nil {
		return sc, err
	}
	sc.Mode = Mode(mode)
	if checks != "" {
		if err := json.Unmarshal([]byte(checks), &sc.Checks); err != nil {
			return sc, fmt.Errorf("scan %d: stored checks are corrupt: %w", sc.ID, err)
		}
		if sc.Checks == nil {
			sc.Checks = []string{}
		}
	}
	return sc, nil
}

func getScan(ctx context.Context, q store.Querier, id int64) (ScanRecord, error) {
	return scanScan(q.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans s WHERE s.id = ?`, id))
}

// ReadFilter is the SQL condition under which a viewer reads the scans
// (table alias alias, joined to its asset as "a"): who may read the asset,
// and who may read a finding of the asset, since a finding names the scans
// that opened, saw and verified it (BSSN and the province's operation room
// take part in every finding without being the asset's participants).
func ReadFilter(v policy.Viewer, alias string) (string, []any) {
	avis, args := policy.ReadFilter(v, asset.RecordKind, "a")
	fvis, fargs := policy.ReadFilter(v, finding.RecordKind, "sf")
	return "(" + avis + " OR EXISTS (SELECT 1 FROM findings sf WHERE sf.asset_id = " + alias + ".asset_id AND " + fvis + "))",
		append(args, fargs...)
}

// GetScan reads one scan; a scan the principal may not read (ReadFilter)
// is not found.
func (s *Store) GetScan(ctx context.Context, who auth.Principal, id int64) (ScanRecord, error) {
	vis, args := ReadFilter(who.Viewer, "s")
	sc, err := scanScan(s.DB.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans s JOIN assets a ON a.id = s.asset_id WHERE s.id = ? AND `+vis,
		append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return ScanRecord{}, problem.New(problem.NotFound, "no scan %d", id)
	}
	return sc, err
}

// ScanFilter narrows a list of scans.
type ScanFilter struct {
	AssetID int64
	Status  string
	Before  int64 // cursor: ids below this
	Limit   int   // default 50, at most 500
}

// Scans lists the scans of assets the principal may read, newest first, up
// to Limit+1 (the extra one says there is more). Visibility is the asset's,
// decided in the query.
func (s *Store) Scans(ctx context.Context, who auth.Principal, f ScanFilter) ([]ScanRecord, error) {
	vis, args := ReadFilter(who.Viewer, "s")
	where := []string{vis}
	if f.AssetID > 0 {
		where, args = append(where, "s.asset_id = ?"), append(args, f.AssetID)
	}
	if f.Status != "" {
		switch f.Status {
		case StatusQueued, StatusRunning, StatusDone, StatusPartial, StatusFailed, StatusRefused:
		default:
			return nil, problem.Field("status", "must be queued, running, done, partial, failed or refused")
		}
		where, args = append(where, "s.status = ?"), append(args, f.Status)
	}
	if f.Before > 0 {
		where, args = append(where, "s.id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := s.DB.Query(ctx, `SELECT `+scanColumns+` FROM scans s JOIN assets a ON a.id = s.asset_id WHERE `+strings.Join(where, " AND ")+
		` ORDER BY s.id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return store.Collect(rows, scanScan)
}
