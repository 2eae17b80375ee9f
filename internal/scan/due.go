package scan

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/store"
)

// DueAssets lists the assets due for a scan at now: those with an
// authorisation valid now (window included, so that a round outside the
// window records no refusal every few minutes) whose last scan is older
// than the cadence CadenceOf decides: daily, 12 hours with an open
// critical or high finding, the posture's cadence while the asset matters
// in a phase of the election calendar running now in its region's zone
// (its name, phase tags or systems named by the phase). Refused scans do not count as scans. They come in the order a
// round should start them: the slowest last time first (never scanned
// counts as slowest), so that a slow site is not left to start last and
// stretch the round past its bar.
func (s *Store) DueAssets(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT asset_id FROM scan_authorizations WHERE revoked_at IS NULL AND expires_at > ? ORDER BY asset_id`, now)
	if err != nil {
		return nil, fmt.Errorf("due assets: %w", err)
	}
	candidates, err := store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	rows, err = s.DB.Query(ctx, `SELECT asset_id, created_at, started_at, finished_at FROM scans WHERE id IN
		(SELECT MAX(id) FROM scans WHERE status <> ? GROUP BY asset_id)`, StatusRefused)
	if err != nil {
		return nil, fmt.Errorf("due assets: last scans: %w", err)
	}
	type lastScan struct {
		asset             int64
		at                time.Time
		started, finished *time.Time
	}
	lasts, err := store.Collect(rows, func(r store.Scanner) (lastScan, error) {
		var l lastScan
		return l, r.Scan(&l.asset, &l.at, &l.started, &l.finished)
	})
	if err != nil {
		return nil, err
	}
	last := make(map[int64]time.Time, len(lasts))
	took := make(map[int64]time.Duration, len(lasts))
	for _, l := range lasts {
		last[l.asset] = l.at
		took[l.asset] = -1 // unknown: first
		if l.started != nil && l.finished != nil {
			took[l.asset] = l.finished.Sub(*l.started)
		}
	}
	urgentIDs, err := finding.AssetsWithOpen(ctx, s.DB, "high")
	if err != nil {
		return nil, err
	}
	urgent := make(map[int64]bool, len(urgentIDs))
	for _, id := range urgentIDs {
		urgent[id] = true
	}
	phase, err := s.phaseCadence(ctx, candidates, now)
	if err != nil {
		return nil, err
	}
	var due []int64
	for _, id := range candidates {
		if !IsDueEvery(last[id], CadenceOf(urgent[id], phase[id]), now) {
			continue
		}
		if _, err := valid(ctx, s.DB, id, now); err != nil {
			var refusal *Refusal
			if errors.As(err, &refusal) {
				continue // outside its window now: a later round takes it
			}
			return nil, err
		}
		due = append(due, id)
	}
	slowestFirst(due, took)
	return due, nil
}

// phaseCadence gives each of ids that matters in a phase of the calendar
// (shipped and entered) running at now in its region's zone the scan
// cadence of that phase's posture.
func (s *Store) phaseCadence(ctx context.Context, ids []int64, now time.Time) (map[int64]time.Duration, error) {
	cal, err := calendar.Load(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.DB.Query(ctx, `SELECT id, name, region, phases, systems FROM assets WHERE id IN (`+store.In(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("due assets: phase cadence: %w", err)
	}
	type tagged struct {
		id                            int64
		name, region, phases, systems string
	}
	list, err := store.Collect(rows, func(r store.Scanner) (tagged, error) {
		var a tagged
		return a, r.Scan(&a.id, &a.name, &a.region, &a.phases, &a.systems)
	})
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Duration{}
	for _, a := range list {
		var ph, sy []string
		if err := json.Unmarshal([]byte(a.phases), &ph); err != nil {
			return nil, fmt.Errorf("asset %d: phases: %w", a.id, err)
		}
		if err := json.Unmarshal([]byte(a.systems), &sy); err != nil {
			return nil, fmt.Errorf("asset %d: systems: %w", a.id, err)
		}
		if p, _, ok := cal.Critical(now, calendar.ZoneOf(a.region), a.name, append(ph, sy...)); ok {
			out[a.id] = calendar.RuleOf(p.Posture).ScanEvery
		}
	}
	return out, nil
}

// slowestFirst orders ids by how long their last scan took, longest
// first; an id without a known duration (absent or negative) before all.
func slowestFirst(ids []int64, took map[int64]time.Duration) {
	key := func(id int64) time.Duration {
		if d, ok := took[id]; ok && d >= 0 {
			return d
		}
		return time.Duration(1<<63 - 1)
	}
	slices.SortStableFunc(ids, func(a, b int64) int { return cmp.Compare(key(b), key(a)) })
}

var _ DueAssets = (*Store)(nil).DueAssets
