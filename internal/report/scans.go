package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/store"
)

// Scans is the day's penetration tests, as CISA's Cyber Hygiene report
// sums them up: the sites scanned, the findings new and fixed that day,
// and what is open and overdue now, by severity and (national reports) by
// province. Findings and scans count under the reader's visibility.
type Scans struct {
	SitesScanned int   `json:"sites_scanned"` // distinct assets with a scan done or partial that day
	Scans        int   `json:"scans"`         // such scans
	New          int   `json:"new"`           // findings first seen that day
	Fixed        int   `json:"fixed"`         // mitigated (verified by a rescan) that day
	Open         int   `json:"open"`          // open now
	Overdue      int   `json:"overdue"`       // open now and past the remediation deadline
	BySeverity   []Row `json:"by_severity"`   // Day: new that day; Open: open now
	ByProvince   []Row `json:"by_province,omitempty"`
}

// findingSeverities are the severities the report lists, most severe first.
func findingSeverities() []string {
	out := make([]string, 0, len(finding.Severities))
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		out = append(out, finding.Severities[i])
	}
	return out
}

func (r *Report) addScans(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to, asOf time.Time) error {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	sevs, provs := counter{}, counter{}
	for before := int64(0); ; {
		list, err := finding.List(ctx, q, who, finding.Filter{Region: reg, Before: before, Limit: pageSize})
		if err != nil {
			return err
		}
		more := len(list) > pageSize
		if more {
			list = list[:pageSize]
		}
		for _, f := range list {
			isNew := in(f.FirstSeen)
			open := f.Status == finding.Open
			if isNew || open {
				r.count(f.TLP)
			}
			if isNew {
				r.Scans.New++
			}
			if f.MitigatedAt != nil && in(*f.MitigatedAt) {
				r.Scans.Fixed++
				r.count(f.TLP)
			}
			if open {
				r.Scans.Open++
				if f.DueAt != nil && f.DueAt.Before(asOf) {
					r.Scans.Overdue++
				}
			}
			sevs.add(f.Severity, isNew, open)
			if reg == "" {
				prov := f.Region
				if i := strings.IndexByte(prov, '.'); i >= 0 {
					prov = prov[:i]
				}
				provs.add(prov, isNew, open)
			}
		}
		if !more {
			break
		}
		before = list[len(list)-1].ID
	}
	r.Scans.BySeverity = sevs.rows(findingSeverities(), r.label("fsev"), false)
	if reg == "" {
		r.Scans.ByProvince = provs.rows(provs.keys(), RegionName, false)
	}

	vis, args := scan.ReadFilter(who.Viewer, "s")
	where := []string{vis, "s.created_at >= ?", "s.created_at < ?", "s.status IN ('done', 'partial')"}
	args = append(args, from, to)
	if reg != "" {
		if cond, cargs := policy.InRegion(who.Viewer, "a", reg); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if err := q.QueryRow(ctx, `SELECT COUNT(DISTINCT s.asset_id), COUNT(*) FROM scans s JOIN assets a ON a.id = s.asset_id WHERE `+
		strings.Join(where, " AND "), args...).Scan(&r.Scans.SitesScanned, &r.Scans.Scans); err != nil {
		return fmt.Errorf("report: the day's scans: %w", err)
	}
	return nil
}
