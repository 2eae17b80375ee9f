package alert

import (
	"context"
	"fmt"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// Shared is an alert read once for many readers (the live stream's, on an
// instance): the alert as an asset's reader sees it, without evidence, and
// what decides who may read it, so that each reader's share is decided in
// memory by policy.CanRead, the rule that Get's SQL (policy.ReadFilter)
// applies (policy's TestReadFilterAgreesWithCanRead holds the two to
// each other). Reading the alert once per reader instead cost two queries
// for each reader of each change: 1,000 readers on 3 instances fell far
// behind a few alerts a second.
type Shared struct {
	alert  Alert
	access policy.Record // the alert's
	asset  policy.Record // its asset's, which decides whether its name is shown
}

// ID is the alert's id.
func (s Shared) ID() int64 { return s.alert.ID }

// For returns the alert as v may read it, as Get gives it without
// evidence (the asset's name only to the asset's readers), or false when
// v may not read it.
func (s Shared) For(v policy.Viewer) (Alert, bool) {
	if !policy.CanRead(v, s.access) {
		return Alert{}, false
	}
	a := s.alert
	if a.AssetID != 0 && !policy.CanRead(v, s.asset) {
		a.Asset = ""
	}
	return a, true
}

// ReadShared reads alerts by id for views many readers share, with their
// access records and their assets': four queries for any number of ids.
// Ids of no alert are left out. Callers must hand each reader only what
// For gives it.
func ReadShared(ctx context.Context, q store.Querier, ids []int64) ([]Shared, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT `+columns+`, a.owner_org_id, COALESCE(s.owner_org_id, 0), COALESCE(s.region, ''), COALESCE(s.tlp, '')`+from+
		` WHERE a.id IN (`+store.In(len(ids))+`) ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	var out []Shared
	for rows.Next() {
		var sh Shared
		var assetTLP string
		a, err := scanWith(rows, &sh.access.OwnerOrg, &sh.asset.OwnerOrg, &sh.asset.Region, &assetTLP)
		if err != nil {
			rows.Close()
			return nil, err
		}
		sh.alert = a
		sh.access.Region, sh.access.TLP = a.Region, a.TLP
		sh.asset.TLP = policy.TLP(assetTLP)
		out = append(out, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The participants of the alerts and of their assets, in two queries.
	var alertIDs, assetIDs []any
	for _, sh := range out {
		alertIDs = append(alertIDs, sh.alert.ID)
		if sh.alert.AssetID != 0 {
			assetIDs = append(assetIDs, sh.alert.AssetID)
		}
	}
	type key struct {
		kind string
		id   int64
	}
	orgs, users := map[key][]int64{}, map[key][]int64{}
	for _, part := range []struct {
		table, column string
		into          map[key][]int64
	}{{"record_orgs", "org_id", orgs}, {"record_users", "user_id", users}} {
		where := `(kind = ? AND record_id IN (` + store.In(len(alertIDs)) + `))`
		qargs := append([]any{RecordKind}, alertIDs...)
		if len(assetIDs) > 0 {
			where += ` OR (kind = 'asset' AND record_id IN (` + store.In(len(assetIDs)) + `))`
			qargs = append(qargs, assetIDs...)
		}
		rows, err := q.Query(ctx, `SELECT kind, record_id, `+part.column+` FROM `+part.table+` WHERE `+where+` ORDER BY 3`, qargs...)
		if err != nil {
			return nil, fmt.Errorf("read alerts' participants: %w", err)
		}
		for rows.Next() {
			var k key
			var v int64
			if err := rows.Scan(&k.kind, &k.id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			part.into[k] = append(part.into[k], v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for i := range out {
		sh := &out[i]
		ak, sk := key{RecordKind, sh.alert.ID}, key{"asset", sh.alert.AssetID}
		sh.access.Orgs, sh.access.Users = orgs[ak], users[ak]
		sh.asset.Orgs, sh.asset.Users = orgs[sk], users[sk]
	}
	return out, nil
}
