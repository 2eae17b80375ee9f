// Package participant keeps the participant organisations and named users of
// shared records (incidents, alerts, assets, ...) in the two tables every
// record kind uses, so that policy.ReadFilter can judge any of them. It
// stores and loads; it never decides who may read.
package participant

import (
	"context"
	"fmt"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// Set is a record's participants.
type Set struct {
	Orgs  []int64
	Users []int64
}

// Add makes orgs and users participants of a record (idempotent).
func Add(ctx context.Context, q store.Querier, kind string, id int64, s Set) error {
	for _, o := range s.Orgs {
		if _, err := q.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, kind, id, o); err != nil {
			return fmt.Errorf("add participant organisation: %w", err)
		}
	}
	for _, u := range s.Users {
		if _, err := q.Exec(ctx, `INSERT INTO record_users (kind, record_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, kind, id, u); err != nil {
			return fmt.Errorf("add named user: %w", err)
		}
	}
	return nil
}

// Load reads the participants of one record.
func Load(ctx context.Context, q store.Querier, kind string, id int64) (Set, error) {
	var s Set
	for _, part := range []struct {
		query string
		into  *[]int64
	}{
		{`SELECT org_id FROM record_orgs WHERE kind = ? AND record_id = ? ORDER BY org_id`, &s.Orgs},
		{`SELECT user_id FROM record_users WHERE kind = ? AND record_id = ? ORDER BY user_id`, &s.Users},
	} {
		rows, err := q.Query(ctx, part.query, kind, id)
		if err != nil {
			return s, fmt.Errorf("load participants: %w", err)
		}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return s, err
			}
			*part.into = append(*part.into, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Remove takes orgs and users out of a record's participants (absent ones
// are ignored).
func Remove(ctx context.Context, q store.Querier, kind string, id int64, s Set) error {
	for _, o := range s.Orgs {
		if _, err := q.Exec(ctx, `DELETE FROM record_orgs WHERE kind = ? AND record_id = ? AND org_id = ?`, kind, id, o); err != nil {
			return fmt.Errorf("remove participant organisation: %w", err)
		}
	}
	for _, u := range s.Users {
		if _, err := q.Exec(ctx, `DELETE FROM record_users WHERE kind = ? AND record_id = ? AND user_id = ?`, kind, id, u); err != nil {
			return fmt.Errorf("remove named user: %w", err)
		}
	}
	return nil
}

// Record is a shared record as policy judges it: its owner, region and
// TLP, with its participants loaded.
func Record(ctx context.Context, q store.Querier, kind string, id, owner int64, region string, tlp policy.TLP) (policy.Record, error) {
	set, err := Load(ctx, q, kind, id)
	if err != nil {
		return policy.Record{}, err
	}
	return policy.Record{OwnerOrg: owner, Region: region, TLP: tlp, Orgs: set.Orgs, Users: set.Users}, nil
}
