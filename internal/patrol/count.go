package patrol

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// WeekCount is one week's counts on one platform, as Kominfo publishes
// them: issues (distinct claims the items were linked to) and content
// items (URLs and posts).
type WeekCount struct {
	Platform string `json:"platform"`
	Items    int    `json:"items"`
	Issues   int    `json:"issues"`
	Labelled int    `json:"labelled"` // labelled as a violation (not "bukan pelanggaran")
}

// Week is one week (Monday 00:00 WIB on) of counts.
type Week struct {
	Start     time.Time   `json:"start"`
	Platforms []WeekCount `json:"platforms"`
	Items     int         `json:"items"`
	Issues    int         `json:"issues"`
}

// WeekStart is the Monday 00:00 WIB that begins t's week.
func WeekStart(t time.Time) time.Time {
	w := t.In(region.WIB)
	d := (int(w.Weekday()) + 6) % 7
	y, m, day := w.AddDate(0, 0, -d).Date()
	return time.Date(y, m, day, 0, 0, 0, 0, region.WIB)
}

// Weekly counts the items the principal may read in the last n weeks
// (this one included), newest week first.
func Weekly(ctx context.Context, q store.Querier, who auth.Principal, now time.Time, n int) ([]Week, error) {
	if n <= 0 || n > 52 {
		n = 8
	}
	vis, vargs := policy.ReadFilter(who.Viewer, RecordKind, "i")
	start := WeekStart(now)
	var out []Week
	for k := 0; k < n; k++ {
		from := start.AddDate(0, 0, -7*k)
		to := from.AddDate(0, 0, 7)
		rows, err := q.Query(ctx, `SELECT i.platform, COUNT(*), COUNT(DISTINCT CASE WHEN i.claim_id <> '' THEN i.claim_id END),
			SUM(CASE WHEN i.label <> '' AND i.label <> ? THEN 1 ELSE 0 END)
			FROM patrol_items i WHERE i.first_seen >= ? AND i.first_seen < ? AND `+vis+` GROUP BY i.platform`,
			append([]any{string(NotViolation), from.UTC(), to.UTC()}, vargs...)...)
		if err != nil {
			return nil, fmt.Errorf("patrol weekly counts: %w", err)
		}
		list, err := store.Collect(rows, func(r store.Scanner) (WeekCount, error) {
			var c WeekCount
			return c, r.Scan(&c.Platform, &c.Items, &c.Issues, &c.Labelled)
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(list, func(i, j int) bool {
			return list[i].Items > list[j].Items || list[i].Items == list[j].Items && list[i].Platform < list[j].Platform
		})
		w := Week{Start: from, Platforms: list}
		for _, c := range list {
			w.Items += c.Items
		}
		// Issues across platforms: one claim on two platforms is one issue.
		if err := q.QueryRow(ctx, `SELECT COUNT(DISTINCT i.claim_id) FROM patrol_items i WHERE i.claim_id <> '' AND i.first_seen >= ? AND i.first_seen < ? AND `+vis,
			append([]any{from.UTC(), to.UTC()}, vargs...)...).Scan(&w.Issues); err != nil {
			return nil, fmt.Errorf("patrol weekly issues: %w", err)
		}
		out = append(out, w)
	}
	return out, nil
}

// Summary is the patrol's part of a day (the daily report's section).
type Summary struct {
	Items      int                    `json:"items"`
	Issues     int                    `json:"issues"`
	WithPII    int                    `json:"with_pii"`
	NIKs       int                    `json:"niks"` // a count of numbers, never the numbers
	Violations int                    `json:"violations"`
	Labels     map[string]int         `json:"labels"`
	Platforms  map[string]PlatformDay `json:"platforms"`
	TLPs       map[policy.TLP]bool    `json:"-"` // the labels of the items counted
}

// PlatformDay is one platform's items of a day and those labelled as a
// violation.
type PlatformDay struct {
	Items      int `json:"items"`
	Violations int `json:"violations"`
}

// Summarise counts the items first seen in [from, to), in reg ("" all),
// that the principal may read.
func Summarise(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to time.Time) (Summary, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := "i.first_seen >= ? AND i.first_seen < ? AND " + vis
	args = append([]any{from.UTC(), to.UTC()}, args...)
	if reg != "" {
		if cond, cargs := policy.InRegion(who.Viewer, "i", reg); cond != "" {
			where, args = where+" AND "+cond, append(args, cargs...)
		}
	}
	s := Summary{Labels: map[string]int{}, Platforms: map[string]PlatformDay{}, TLPs: map[policy.TLP]bool{}}
	rows, err := q.Query(ctx, `SELECT i.platform, i.label, i.tlp, COUNT(*), SUM(CASE WHEN i.pii_nik + i.pii_kk + i.pii_npwp + i.pii_phone > 0 THEN 1 ELSE 0 END), SUM(i.pii_nik)
		FROM patrol_items i WHERE `+where+` GROUP BY i.platform, i.label, i.tlp`, args...)
	if err != nil {
		return s, fmt.Errorf("patrol summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var platform, label, tlp string
		var n, pii, niks int
		if err := rows.Scan(&platform, &label, &tlp, &n, &pii, &niks); err != nil {
			return s, err
		}
		s.Items += n
		s.WithPII += pii
		s.NIKs += niks
		s.TLPs[policy.TLP(tlp)] = true
		pd := s.Platforms[platform]
		pd.Items += n
		if label != "" {
			s.Labels[label] += n
			if Label(label) != NotViolation {
				pd.Violations += n
				s.Violations += n
			}
		}
		s.Platforms[platform] = pd
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	err = q.QueryRow(ctx, `SELECT COUNT(DISTINCT i.claim_id) FROM patrol_items i WHERE i.claim_id <> '' AND `+where, args...).Scan(&s.Issues)
	return s, err
}
