package finding

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// ProvinceState is what the map shows of a province's findings.
type ProvinceState struct {
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	// Highest is the highest severity among the open findings.
	Highest string `json:"highest,omitempty"`
}

// ByProvince counts the open findings the principal may read per province
// ("" for national assets), how many are overdue at now, and their highest
// severity: the map coloured by overdue findings. Visibility is decided in
// the query, one part per way a finding may be visible (policy.CountByTLP).
func ByProvince(ctx context.Context, q store.Querier, who auth.Principal, now time.Time) (map[string]ProvinceState, error) {
	query, args := policy.CountByTLP(who.Viewer, RecordKind, "f", `SELECT SUBSTR(f.region, 1, 2), f.severity,
		SUM(CASE WHEN f.due_at IS NOT NULL AND f.due_at < ? THEN 1 ELSE 0 END), COUNT(*) FROM findings f
		WHERE f.status = 'open' AND %s GROUP BY SUBSTR(f.region, 1, 2), f.severity`, now)
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count open findings: %w", err)
	}
	defer rows.Close()
	out := map[string]ProvinceState{}
	for rows.Next() {
		var prov, sev string
		var overdue, n int
		if err := rows.Scan(&prov, &sev, &overdue, &n); err != nil {
			return nil, err
		}
		st := out[prov]
		st.Open += n
		st.Overdue += overdue
		if severityRank(sev) > severityRank(st.Highest) {
			st.Highest = sev
		}
		out[prov] = st
	}
	return out, rows.Err()
}

// AssetsWithOpen lists the assets that have an open finding of at least
// the given severity (e.g. "high": high or critical), for the schedule
// (such an asset is scanned every 12 hours). It reads for the platform,
// under no person's visibility.
func AssetsWithOpen(ctx context.Context, q store.Querier, minSeverity string) ([]int64, error) {
	r := severityRank(minSeverity)
	if r < 0 {
		return nil, fmt.Errorf("unknown severity %q", minSeverity)
	}
	sevs := Severities[r:]
	args := []any{string(Open)}
	for _, s := range sevs {
		args = append(args, s)
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT asset_id FROM findings WHERE status = ? AND severity IN (`+store.In(len(sevs))+`) ORDER BY asset_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("assets with open findings: %w", err)
	}
	return store.Collect(rows, func(r store.Scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// ParseDeadlines reads remediation times as a flag gives them,
// "critical=15d,high=30d,medium=90d,low=180d" (days, or any Go duration);
// a severity left out keeps its default, "0" removes its deadline.
func ParseDeadlines(s string) (Deadlines, error) {
	d := Deadlines{}
	for k, v := range DefaultDeadlines {
		d[k] = v
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sev, val, ok := strings.Cut(part, "=")
		sev = strings.TrimSpace(sev)
		if !ok || severityRank(sev) < severityRank("low") {
			return nil, fmt.Errorf("remediation deadline %q: want severity=days for low, medium, high or critical", part)
		}
		val = strings.TrimSpace(val)
		var span time.Duration
		if days, found := strings.CutSuffix(val, "d"); found {
			n, err := strconv.Atoi(days)
			if err != nil || n < 0 || n > 3650 {
				return nil, fmt.Errorf("remediation deadline %q: days must be 0 to 3650", part)
			}
			span = time.Duration(n) * day
		} else if val == "0" {
			span = 0
		} else {
			var err error
			if span, err = time.ParseDuration(val); err != nil || span < 0 {
				return nil, fmt.Errorf("remediation deadline %q: want days (30d) or a duration", part)
			}
		}
		if span == 0 {
			delete(d, sev)
		} else {
			d[sev] = span
		}
	}
	return d, nil
}
