package takedown

import (
	"context"
	"fmt"
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
		FROM `+platformURLs(q.Dialect())+` WHERE t.platform_id = ? AND `+vis+` GROUP BY 1, 2, 3`,
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
//
// The counting runs in the database, in one statement: a GROUP BY over
// (week, category) gives every count (a request has one week and one
// category, so its cells add up to the week's, the category's and the
// whole), and a window over the same rows gives the medians' middle
// values, so no URL is read into Go.
func PlatformCompliance(ctx context.Context, q store.Querier, who auth.Principal, platformID int64, now time.Time) (Compliance, error) {
	c := Compliance{ByWeek: []ComplianceRow{}, ByCategory: []ComplianceRow{}}
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return c, err
	}
	week, micros := sqlWeekWIB(q.Dialect(), "t.sent_at"), sqlMicrosBetween(q.Dialect(), "rq.sent_at", "tu.gone_at")
	// Taken down: seen down by Garda, or answered removed/restricted and
	// not seen online since; dated by Garda's check, else by the answer.
	down := `(tu.gone_at IS NOT NULL OR (tu.outcome IN (?, ?) AND tu.still_online = 0))`
	// The URLs of each visible request, read through the covering index;
	// on PostgreSQL per request (left to itself its planner scanned all
	// 100,000 URLs and hashed them; OFFSET 0 keeps the subquery whole).
	urls := `rq JOIN takedown_urls tu ON tu.takedown_id = rq.id`
	if q.Dialect() == store.Postgres {
		urls = `rq CROSS JOIN LATERAL (SELECT u.outcome, u.decision, u.still_online, u.gone_at, u.answered_at
			FROM takedown_urls u WHERE u.takedown_id = rq.id OFFSET 0) tu`
	}
	// One statement: the platform's visible sent requests (rq, their week
	// computed once each), their URLs (x); part 0 is the counts by (week,
	// category); parts 1-3 the one or two middle times to takedown of all,
	// of each week and of each category, ranked in the database.
	rows, err := q.Query(ctx, `WITH rq AS MATERIALIZED (SELECT t.id, t.category, `+week+` AS week, t.sent_at, t.due_at
			FROM takedowns t WHERE t.platform_id = ? AND t.sent_at IS NOT NULL AND `+vis+`),
		x AS MATERIALIZED (SELECT rq.id, rq.category, rq.week, rq.due_at, tu.outcome, tu.decision, tu.still_online,
			CASE WHEN `+down+` THEN 1 ELSE 0 END AS down,
			CASE WHEN tu.gone_at IS NOT NULL THEN tu.gone_at WHEN `+down+` THEN tu.answered_at END AS down_at,
			CASE WHEN tu.gone_at IS NOT NULL THEN `+micros+` END AS us
			FROM `+urls+`),
		g AS (SELECT 0 AS dim, '' AS k, us FROM x WHERE us IS NOT NULL UNION ALL SELECT 1, week, us FROM x WHERE us IS NOT NULL
			UNION ALL SELECT 2, category, us FROM x WHERE us IS NOT NULL),
		r AS (SELECT dim, k, us, ROW_NUMBER() OVER (PARTITION BY dim, k ORDER BY us) AS rn, COUNT(*) OVER (PARTITION BY dim, k) AS n FROM g)
		SELECT 0 AS part, week, category, COUNT(DISTINCT id), COUNT(*), SUM(down),
			SUM(CASE WHEN down = 1 AND down_at <= due_at THEN 1 ELSE 0 END),
			SUM(CASE WHEN down = 1 OR due_at <= ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN outcome = ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN outcome <> ? AND (outcome = ? OR decision <> '') THEN 1 ELSE 0 END),
			SUM(still_online)
		FROM x GROUP BY week, category
		UNION ALL
		SELECT 1 + dim, k, '', n, 0, MIN(us), MAX(us), 0, 0, 0, 0 FROM r WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY dim, k, n
		ORDER BY 1`,
		append(append([]any{platformID}, args...), Removed, Restricted, Removed, Restricted, now, Refused, Refused, Objected)...)
	if err != nil {
		return c, fmt.Errorf("platform compliance: %w", err)
	}
	defer rows.Close()
	weeks, cats := map[string]*ComplianceRow{}, map[string]*ComplianceRow{}
	add := func(m map[string]*ComplianceRow, key string, cell ComplianceRow) {
		r := &c.Overall
		if m != nil {
			if r = m[key]; r == nil {
				r = &ComplianceRow{Key: key}
				m[key] = r
			}
		}
		r.Requests += cell.Requests
		r.URLs += cell.URLs
		r.TakenDown += cell.TakenDown
		r.WithinDeadline += cell.WithinDeadline
		r.Judged += cell.Judged
		r.Refused += cell.Refused
		r.Objected += cell.Objected
		r.StillOnline += cell.StillOnline
	}
	for rows.Next() {
		var part int
		var k1, k2 string
		var x ComplianceRow
		var lo, hi int64
		if err := rows.Scan(&part, &k1, &k2, &x.Requests, &x.URLs, &lo, &hi, &x.Judged, &x.Refused, &x.Objected, &x.StillOnline); err != nil {
			return c, err
		}
		if part == 0 {
			// Counts come first (ORDER BY 1); in their rows lo and hi are
			// the URLs taken down and those taken down within the deadline.
			x.TakenDown, x.WithinDeadline = int(lo), int(hi)
			add(nil, "", x)
			add(weeks, k1, x)
			add(cats, k2, x)
			continue
		}
		r := &c.Overall
		switch part {
		case 2:
			r = weeks[k1]
		case 3:
			r = cats[k1]
		}
		if r == nil {
			continue
		}
		n := x.Requests // a median's row: the count of times, then its middle ones
		r.Measured = n
		r.MedianHours = medianOf(n, lo, hi)
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	share := func(r *ComplianceRow) {
		if r.Judged > 0 {
			r.Share = float64(r.WithinDeadline) / float64(r.Judged)
		}
	}
	share(&c.Overall)
	for _, r := range weeks {
		share(r)
		c.ByWeek = append(c.ByWeek, *r)
	}
	sort.Slice(c.ByWeek, func(i, j int) bool { return c.ByWeek[i].Key > c.ByWeek[j].Key })
	for _, cat := range Categories {
		if r := cats[cat]; r != nil {
			share(r)
			c.ByCategory = append(c.ByCategory, *r)
		}
	}
	return c, nil
}

// medianOf is the median, in hours, of n times whose middle one (n odd)
// or two (n even) are lo and hi microseconds: computed as median does over
// the same float hours, so the figure is the same to the last bit.
func medianOf(n int, lo, hi int64) float64 {
	h := func(us int64) float64 { return (time.Duration(us) * time.Microsecond).Hours() }
	if n%2 == 1 {
		return h(lo)
	}
	return (h(lo) + h(hi)) / 2
}

// platformURLs joins one platform's requests (t) to their URLs (tu). On
// PostgreSQL the URLs are read per request through the index
// (takedown_urls_outcomes): a platform holds a few hundred requests, and
// left to itself the planner scanned all 100,000 URLs and hashed them
// (OFFSET 0 keeps the subquery from being flattened back into that join).
// PlatformCompliance joins the same way from its own read of the requests.
func platformURLs(d store.Dialect) string {
	if d == store.Postgres {
		return `takedowns t CROSS JOIN LATERAL (SELECT u.outcome, u.decision, u.still_online, u.gone_at, u.answered_at
			FROM takedown_urls u WHERE u.takedown_id = t.id OFFSET 0) tu`
	}
	return `takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id`
}

// sqlWeekWIB is the ISO week (2026-W49) of a time column in WIB (UTC+7,
// no daylight saving), in the dialect's SQL. SQLite keeps times as
// fixed-width UTC text, which its date functions read.
func sqlWeekWIB(d store.Dialect, col string) string {
	if d == store.Postgres {
		return `to_char((` + col + ` AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'IYYY-"W"IW')`
	}
	return `strftime('%G-W%V', ` + col + `, '+7 hours')`
}

// sqlMicrosBetween is b - a in whole microseconds (the store's precision),
// exact: SQLite's own date arithmetic keeps only milliseconds, so the
// seconds and the fraction of its text form are read apart.
func sqlMicrosBetween(d store.Dialect, a, b string) string {
	if d == store.Postgres {
		return `CAST((EXTRACT(EPOCH FROM ` + b + `) - EXTRACT(EPOCH FROM ` + a + `)) * 1000000 AS BIGINT)`
	}
	us := func(c string) string {
		return `(unixepoch(substr(` + c + `, 1, 19)) * 1000000 + CAST(substr(` + c + `, 21, 6) AS INTEGER))`
	}
	return `(` + us(b) + ` - ` + us(a) + `)`
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
	// Categories by key (Categories): requests sent in the day, open now.
	Categories map[string]PlatformDay
	TLPs       map[policy.TLP]bool // the labels of the requests counted
}

// PlatformDay is one platform's (or category's) line of the day.
type PlatformDay struct {
	Name       string
	Sent, Open int
}

// Summarise counts the day [from, to) of the requests who may read in
// region reg ("" for all of who's scope), as at now.
func Summarise(ctx context.Context, q store.Querier, who auth.Principal, reg string, from, to, now time.Time) (Summary, error) {
	s := Summary{Platforms: map[string]PlatformDay{}, Categories: map[string]PlatformDay{}, TLPs: map[policy.TLP]bool{}}
	vis, args, _, err := visibility(ctx, q, who.Viewer)
	if err != nil {
		return s, err
	}
	if reg != "" {
		if cond, cargs := policy.InRegion(who.Viewer, "t", reg); cond != "" {
			vis, args = vis+" AND "+cond, append(args, cargs...)
		}
	}
	rows, err := q.Query(ctx, `SELECT p.slug, p.name, t.category, t.tlp,
		SUM(CASE WHEN t.created_at >= ? AND t.created_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.sent_at >= ? AND t.sent_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.status IN (?, ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.status IN (?, ?) AND t.due_at < ? THEN 1 ELSE 0 END)
		FROM takedowns t JOIN takedown_platforms p ON p.id = t.platform_id
		WHERE `+vis+` AND (t.created_at < ? AND (t.closed_at IS NULL OR t.closed_at >= ?)) GROUP BY p.slug, p.name, t.category, t.tlp`,
		append(append([]any{from, to, from, to, Sent, Acknowledged, Sent, Acknowledged, now}, args...), to, from)...)
	if err != nil {
		return s, fmt.Errorf("takedown summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slug, name, cat string
		var tlp policy.TLP
		var filed, sent, open, overdue int
		if err := rows.Scan(&slug, &name, &cat, &tlp, &filed, &sent, &open, &overdue); err != nil {
			return s, err
		}
		if filed+sent+open+overdue == 0 {
			continue
		}
		s.Filed, s.Sent, s.Open, s.Overdue = s.Filed+filed, s.Sent+sent, s.Open+open, s.Overdue+overdue
		d := s.Platforms[slug]
		d.Name, d.Sent, d.Open = name, d.Sent+sent, d.Open+open
		s.Platforms[slug] = d
		c := s.Categories[cat]
		c.Name, c.Sent, c.Open = CategoryLabel(cat), c.Sent+sent, c.Open+open
		s.Categories[cat] = c
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
