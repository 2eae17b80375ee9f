package takedown

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// Stats are a platform's figures over the requests a reader may see: how
// many requests stand where, how its URLs were answered, and how many
// were taken down (removed or restricted) within the deadline.
type Stats struct {
	Requests       map[string]int `json:"requests"` // by status
	URLs           map[string]int `json:"urls"`     // by outcome
	TakenDown      int            `json:"taken_down"`
	WithinDeadline int            `json:"within_deadline"`
	// ShareWithinDeadline is WithinDeadline over the URLs of sent
	// requests whose deadline has passed or that were answered (0-1).
	ShareWithinDeadline float64 `json:"share_within_deadline"`
}

// PlatformStats counts a platform's requests and URLs that who may read.
// The counting runs in the query, under the same visibility as List.
func PlatformStats(ctx context.Context, q store.Querier, who auth.Principal, platformID int64, now time.Time) (Stats, error) {
	st := Stats{Requests: map[string]int{}, URLs: map[string]int{}}
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return st, err
	}
	rows, err := q.Query(ctx, `SELECT t.status, COUNT(*) FROM takedowns t WHERE t.platform_id = ? AND `+vis+` GROUP BY t.status`,
		append([]any{platformID}, args...)...)
	if err != nil {
		return st, fmt.Errorf("count platform requests: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Requests[s] = n
	}
	rows.Close()
	// Per outcome, and whether the answer came by the deadline.
	rows, err = q.Query(ctx, `SELECT tu.outcome, CASE WHEN tu.answered_at IS NOT NULL AND tu.answered_at <= t.due_at THEN 1 ELSE 0 END,
		CASE WHEN t.due_at IS NOT NULL AND (t.due_at < ? OR tu.outcome <> ?) THEN 1 ELSE 0 END, COUNT(*)
		FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id WHERE t.platform_id = ? AND `+vis+` GROUP BY 1, 2, 3`,
		append([]any{now, Pending, platformID}, args...)...)
	if err != nil {
		return st, fmt.Errorf("count platform URLs: %w", err)
	}
	defer rows.Close()
	judged := 0
	for rows.Next() {
		var outcome string
		var inTime, due, n int
		if err := rows.Scan(&outcome, &inTime, &due, &n); err != nil {
			return st, err
		}
		st.URLs[outcome] += n
		if due == 1 {
			judged += n
		}
		if outcome == Removed || outcome == Restricted {
			st.TakenDown += n
			if inTime == 1 {
				st.WithinDeadline += n
			}
		}
	}
	if judged > 0 {
		st.ShareWithinDeadline = float64(st.WithinDeadline) / float64(judged)
	}
	return st, rows.Err()
}

// ComplianceRow is a platform's compliance over one slice of its URLs (a
// week, a category, or all), as Komdigi publishes it.
type ComplianceRow struct {
	Key            string `json:"key"` // ISO week (2026-W49) by the sending date in WIB, or category
	Requests       int    `json:"requests"`
	URLs           int    `json:"urls"`
	TakenDown      int    `json:"taken_down"`      // answered removed or restricted, or seen down by Garda
	WithinDeadline int    `json:"within_deadline"` // taken down by the deadline
	Judged         int    `json:"judged"`          // URLs whose deadline passed or that were taken down
	// Share is WithinDeadline over Judged (0-1).
	Share float64 `json:"share_within_deadline"`
	// MedianHours is the median time from sending to Garda's first check
	// that saw the URL down, in hours (0 when none was seen down).
	MedianHours float64 `json:"median_hours_to_takedown"`
	Measured    int     `json:"measured"` // URLs the median is over
	Refused     int     `json:"refused"`
	Objected    int     `json:"objected"`     // objections raised (sanggah), decided or not
	StillOnline int     `json:"still_online"` // answered removed, still seen online by Garda
}

// Compliance is a platform's compliance overall, by week and by category.
type Compliance struct {
	Overall    ComplianceRow   `json:"overall"`
	ByWeek     []ComplianceRow `json:"by_week"`     // newest week first
	ByCategory []ComplianceRow `json:"by_category"` // in Categories' order
}

// PlatformCompliance computes a platform's compliance over the sent
// requests who may read. The time to takedown is Garda's own measure: from
// the sending to the first check that saw the URL gone, 404/410 or on the
// platform's removal page; a platform's "removed" that Garda still sees
// online does not count as taken down.
func PlatformCompliance(ctx context.Context, q store.Querier, who auth.Principal, platformID int64, now time.Time) (Compliance, error) {
	var c Compliance
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return c, err
	}
	rows, err := q.Query(ctx, `SELECT t.id, t.category, t.sent_at, t.due_at, tu.outcome, tu.answered_at, tu.gone_at, tu.still_online, tu.decision
		FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id
		WHERE t.platform_id = ? AND t.sent_at IS NOT NULL AND `+vis+` ORDER BY t.id`, append([]any{platformID}, args...)...)
	if err != nil {
		return c, fmt.Errorf("platform compliance: %w", err)
	}
	defer rows.Close()
	type acc struct {
		row      ComplianceRow
		requests map[int64]bool
		hours    []float64
	}
	all := &acc{requests: map[int64]bool{}}
	weeks, cats := map[string]*acc{}, map[string]*acc{}
	wib := time.FixedZone("WIB", 7*3600)
	for rows.Next() {
		var id int64
		var cat, outcome, decision string
		var sent, due time.Time
		var answered, gone *time.Time
		var still int
		if err := rows.Scan(&id, &cat, &sent, &due, &outcome, &answered, &gone, &still, &decision); err != nil {
			return c, err
		}
		y, wk := sent.In(wib).ISOWeek()
		week := fmt.Sprintf("%d-W%02d", y, wk)
		for _, key := range []struct {
			m   map[string]*acc
			key string
		}{{nil, ""}, {weeks, week}, {cats, cat}} {
			a := all
			if key.m != nil {
				if a = key.m[key.key]; a == nil {
					a = &acc{row: ComplianceRow{Key: key.key}, requests: map[int64]bool{}}
					key.m[key.key] = a
				}
			}
			r := &a.row
			a.requests[id] = true
			r.URLs++
			answeredDown := (outcome == Removed || outcome == Restricted) && still == 0
			takenDown := gone != nil || answeredDown
			var at *time.Time
			switch {
			case gone != nil:
				at = gone
			case answeredDown:
				at = answered
			}
			if takenDown {
				r.TakenDown++
				if at != nil && !at.After(due) {
					r.WithinDeadline++
				}
			}
			if takenDown || !now.Before(due) {
				r.Judged++
			}
			if gone != nil {
				a.hours = append(a.hours, gone.Sub(sent).Hours())
			}
			switch {
			case outcome == Refused:
				r.Refused++
			case outcome == Objected || decision != "":
				r.Objected++
			}
			if still == 1 {
				r.StillOnline++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	finish := func(a *acc) ComplianceRow {
		r := a.row
		r.Requests = len(a.requests)
		if r.Judged > 0 {
			r.Share = float64(r.WithinDeadline) / float64(r.Judged)
		}
		r.Measured = len(a.hours)
		r.MedianHours = median(a.hours)
		return r
	}
	c.Overall = finish(all)
	c.ByWeek, c.ByCategory = []ComplianceRow{}, []ComplianceRow{}
	for _, a := range weeks {
		c.ByWeek = append(c.ByWeek, finish(a))
	}
	sort.Slice(c.ByWeek, func(i, j int) bool { return c.ByWeek[i].Key > c.ByWeek[j].Key })
	for _, cat := range Categories {
		if a := cats[cat]; a != nil {
			c.ByCategory = append(c.ByCategory, finish(a))
		}
	}
	return c, nil
}

// median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Summary is the takedown pillar's day for the daily report, over the
// requests a reader may read in a region.
type Summary struct {
	Filed     int // requests created in the day
	Sent      int // requests sent in the day
	Open      int // sent, not closed, now
	Overdue   int // open past their deadline now
	TakenDown int // URLs taken down in the day (seen down by Garda, or answered removed/restricted)
	// Platforms by slug: name, requests sent in the day, open now.
	Platforms map[string]PlatformDay
	TLPs      map[policy.TLP]bool // the labels of the requests counted
}

// PlatformDay is one platform's line of the day.
type PlatformDay struct {
	Name       string
	Sent, Open int
}

// Summarise counts the day [from, to) of the requests who may read in
// region reg ("" for all of who's scope), as at now.
func Summarise(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to, now time.Time) (Summary, error) {
	s := Summary{Platforms: map[string]PlatformDay{}, TLPs: map[policy.TLP]bool{}}
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return s, err
	}
	if reg != "" {
		if cond, cargs := policy.InRegion(who.Viewer, "t", reg); cond != "" {
			vis, args = vis+" AND "+cond, append(args, cargs...)
		}
	}
	rows, err := q.Query(ctx, `SELECT p.slug, p.name, t.tlp,
		SUM(CASE WHEN t.created_at >= ? AND t.created_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.sent_at >= ? AND t.sent_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.status IN (?, ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.status IN (?, ?) AND t.due_at < ? THEN 1 ELSE 0 END)
		FROM takedowns t JOIN takedown_platforms p ON p.id = t.platform_id
		WHERE `+vis+` AND (t.created_at < ? AND (t.closed_at IS NULL OR t.closed_at >= ?)) GROUP BY p.slug, p.name, t.tlp`,
		append(append([]any{from, to, from, to, Sent, Acknowledged, Sent, Acknowledged, now}, args...), to, from)...)
	if err != nil {
		return s, fmt.Errorf("takedown summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slug, name string
		var tlp policy.TLP
		var filed, sent, open, overdue int
		if err := rows.Scan(&slug, &name, &tlp, &filed, &sent, &open, &overdue); err != nil {
			return s, err
		}
		if filed+sent+open+overdue == 0 {
			continue
		}
		s.Filed, s.Sent, s.Open, s.Overdue = s.Filed+filed, s.Sent+sent, s.Open+open, s.Overdue+overdue
		d := s.Platforms[slug]
		d.Name, d.Sent, d.Open = name, d.Sent+sent, d.Open+open
		s.Platforms[slug] = d
		s.TLPs[tlp] = true
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	err = q.QueryRow(ctx, `SELECT COUNT(*) FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id WHERE `+vis+`
		AND ((tu.gone_at >= ? AND tu.gone_at < ?) OR (tu.gone_at IS NULL AND tu.outcome IN (?, ?) AND tu.still_online = 0 AND tu.answered_at >= ? AND tu.answered_at < ?))`,
		append(args, from, to, Removed, Restricted, from, to)...).Scan(&s.TakenDown)
	return s, err
}
