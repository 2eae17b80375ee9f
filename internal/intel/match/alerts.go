package match

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/store"
)

// SightAlerts records, in the transaction that stores a batch's alerts
// (pipeline.Detector.Sightings), each hit of the batch as a sighting of its
// indicator at the alert it joined: one sighting row per indicator, region,
// asset and alert, counted by the hits, sighted by the organisation that
// owns the alert. Stored with the alerts, the sightings are counted once
// even when the batch is delivered again (its alerts are not stored twice
// either), and each names its alert.
func SightAlerts(ctx context.Context, tx *store.Tx, sigs []alert.Signal, alerts []int64) error {
	type group struct {
		indicator int64
		seen      intel.Seen
	}
	groups := map[string]*group{}
	var order []string
	for _, s := range sigs {
		rest, ok := strings.CutPrefix(s.Scenario, ScenarioPrefix)
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		k := s.Key()
		g, ok := groups[k]
		if !ok {
			g = &group{indicator: id, seen: intel.Seen{FirstSeen: s.Time, LastSeen: s.Time, Region: s.Region, AssetID: s.AssetID, Note: "deteksi"}}
			groups[k] = g
			order = append(order, k)
		}
		g.seen.Count += int64(max(s.Count, 1))
		if s.Time.Before(g.seen.FirstSeen) {
			g.seen.FirstSeen = s.Time
		}
		if s.Time.After(g.seen.LastSeen) {
			g.seen.LastSeen = s.Time
		}
	}
	if len(groups) == 0 || len(alerts) == 0 {
		return nil
	}
	args := make([]any, len(alerts))
	for i, id := range alerts {
		args[i] = id
	}
	rows, err := tx.Query(ctx, `SELECT a.id, a.dedup_key, a.owner_org_id, a.region FROM alerts a WHERE a.id IN (`+store.In(len(alerts))+`)`, args...)
	if err != nil {
		return fmt.Errorf("sightings of alerts: %w", err)
	}
	type stored struct {
		id, org int64
		region  string
	}
	byKey := map[string]stored{}
	list, err := store.Collect(rows, func(r store.Scanner) (struct {
		key string
		a   stored
	}, error) {
		var x struct {
			key string
			a   stored
		}
		return x, r.Scan(&x.a.id, &x.key, &x.a.org, &x.a.region)
	})
	if err != nil {
		return fmt.Errorf("sightings of alerts: %w", err)
	}
	for _, x := range list {
		byKey[x.key] = x.a
	}
	// An indicator deleted since the set was compiled is not sighted (its
	// row is gone): the alert is stored all the same.
	ids := make([]any, 0, len(groups))
	for _, k := range order {
		ids = append(ids, groups[k].indicator)
	}
	rows, err = tx.Query(ctx, `SELECT id FROM indicators WHERE id IN (`+store.In(len(ids))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("sightings of alerts: %w", err)
	}
	known, err := store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("sightings of alerts: %w", err)
	}
	exists := map[int64]bool{}
	for _, id := range known {
		exists[id] = true
	}
	for _, k := range order {
		g := groups[k]
		a, ok := byKey[k]
		if !ok || !exists[g.indicator] {
			continue
		}
		// The alert's region (the asset's when the line had none), so the
		// sighting and its alert say the same place.
		g.seen.AlertID, g.seen.OrgID, g.seen.Region = a.id, a.org, a.region
		if err := intel.AddDetected(ctx, tx, g.indicator, g.seen); err != nil {
			return err
		}
	}
	return nil
}
