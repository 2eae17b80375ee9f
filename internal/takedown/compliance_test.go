package takedown

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestComplianceInSQL keeps the compliance counted in the database equal,
// figure for figure (medians to the last bit), to the per-URL computation
// in Go it replaced, on a generated world: sending times over two months
// across a year's end (ISO week 53), every outcome, objections decided
// either way, "removed" URLs still seen online, takedowns before and after
// the deadline, deadlines still running, microsecond times. And it reads
// only grouped rows: far fewer than the platform's URLs.
func TestComplianceInSQL(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who, reg := loadWorld(t, db)
		now := time.Date(2027, 1, 20, 9, 30, 0, 123456000, time.UTC)
		seedVaried(t, db, reg.All(), who, now, 1500)
		fb, _ := reg.BySlug("meta-facebook")
		var urls int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM takedown_urls tu JOIN takedowns t ON t.id = tu.takedown_id WHERE t.platform_id = ?`, fb.ID).Scan(&urls); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"koord", "jabar", "liaison.fb"} {
			for _, at := range []time.Time{now, now.Add(-30 * 24 * time.Hour)} {
				want, err := complianceInGo(ctx, db, who[name], fb.ID, at)
				if err != nil {
					t.Fatal(err)
				}
				cq := &countingQuerier{Querier: db}
				got, err := PlatformCompliance(ctx, cq, who[name], fb.ID, at)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s at %s: SQL\n%+v\nGo\n%+v", name, at, got, want)
				}
				if want.Overall.URLs == 0 || want.Overall.Measured == 0 || want.Overall.Objected == 0 || want.Overall.StillOnline == 0 || len(want.ByWeek) < 6 {
					t.Fatalf("%s: the generated world does not exercise the figures: %+v", name, want.Overall)
				}
				if cq.rows*10 > urls {
					t.Errorf("%s: read %d rows for %d URLs: the counting is not in the database", name, cq.rows, urls)
				}
			}
		}
		weeks := map[string]bool{}
		c, _ := PlatformCompliance(ctx, db, who["koord"], fb.ID, now)
		for _, w := range c.ByWeek {
			weeks[w.Key] = true
		}
		if !weeks["2026-W53"] || !weeks["2027-W01"] {
			t.Errorf("weeks across the year's end: %v", weeks)
		}
	})
}

// countingQuerier counts the rows a query hands to Go, by asking the
// database to count them first.
type countingQuerier struct {
	store.Querier
	rows int
}

func (c *countingQuerier) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if strings.HasPrefix(strings.TrimSpace(q), "SELECT") || strings.HasPrefix(strings.TrimSpace(q), "WITH") {
		var n int
		if err := c.Querier.QueryRow(ctx, `SELECT COUNT(*) FROM (`+q+`) counted`, slices.Clone(args)...).Scan(&n); err != nil {
			return nil, err
		}
		c.rows += n
	}
	return c.Querier.Query(ctx, q, args...)
}

// seedVaried writes n requests to the 30 platforms with varied outcomes
// and times, straight into the tables.
func seedVaried(t *testing.T, db *store.DB, platforms []Platform, who map[string]auth.Principal, now time.Time, n int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 49))
	owners := []auth.Principal{who["koord"], who["koord"], who["jabar"]}
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	micro := func() time.Duration { return time.Duration(rng.IntN(1_000_000)) * time.Microsecond }
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			p := platforms[i%len(platforms)]
			if i%3 == 0 {
				p = platforms[0] // Facebook gets more
			}
			own := owners[rng.IntN(len(owners))]
			created := base.Add(time.Duration(rng.IntN(50*24*60)) * time.Minute).Add(micro())
			status := []string{Draft, Approved, Sent, Sent, Acknowledged, Closed, Closed}[rng.IntN(7)]
			var sent, due, closed *time.Time
			if status != Draft && status != Approved {
				s := created.Add(time.Duration(rng.IntN(120)) * time.Minute).Add(micro())
				d := s.Add([]time.Duration{4 * time.Hour, 24 * time.Hour}[rng.IntN(2)])
				sent, due = &s, &d
				if status == Closed {
					c := s.Add(time.Duration(rng.IntN(72)) * time.Hour)
					closed = &c
				}
			}
			cat := Categories[rng.IntN(len(Categories))]
			if _, err := tx.Exec(ctx, `INSERT INTO takedowns (id, number, platform_id, category, legal_basis, urgency, status, summary, notes, tlp, region,
				owner_org_id, author_id, sent_at, due_at, closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, '["uu_ite_28_3"]', 'normal', ?, 'uji', '', 'AMBER', ?, ?, ?, ?, ?, ?, ?, ?)`,
				i, fmt.Sprintf("PK-V-%06d", i), p.ID, cat, status, own.User.Scope, own.Viewer.OrgID, own.User.ID, sent, due, closed, created, created); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES ('takedown', ?, ?)`, i, own.Viewer.OrgID); err != nil {
				return err
			}
			if sent != nil && p.OrgID > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES ('takedown', ?, ?)`, i, p.OrgID); err != nil {
					return err
				}
			}
			for k := 0; k < 1+rng.IntN(8); k++ {
				outcome, decision := Pending, ""
				var answered, gone *time.Time
				still := 0
				if sent != nil {
					outcome = Outcomes[rng.IntN(len(Outcomes))]
					if outcome == Withdrawn || (outcome == Pending && rng.IntN(4) == 0) {
						decision = map[bool]string{true: Withdrawn, false: Maintained}[outcome == Withdrawn]
					}
					if outcome != Pending {
						a := sent.Add(time.Duration(rng.IntN(40*60)) * time.Minute).Add(micro())
						answered = &a
					}
					if rng.IntN(3) > 0 && outcome != Refused {
						g := sent.Add(time.Duration(rng.IntN(48*60)) * time.Minute).Add(micro())
						if g.Before(now) {
							gone = &g
						}
					}
					if outcome == Removed && gone == nil && rng.IntN(3) == 0 {
						still = 1
					}
				}
				if _, err := tx.Exec(ctx, `INSERT INTO takedown_urls (takedown_id, url, outcome, answered_at, gone_at, still_online, decision) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					i, fmt.Sprintf("https://%s/v/%d/%d", p.Domains[0].Domain, i, k), outcome, answered, gone, still, decision); err != nil {
					return err
				}
			}
		}
		if tx.Dialect() == store.Postgres {
			_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('takedowns', 'id'), (SELECT MAX(id) FROM takedowns))`)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// complianceInGo is the compliance as it was computed before it moved
// into the database: every URL read, counted in Go. The reference the
// SQL is held to.
func complianceInGo(ctx context.Context, q store.Querier, who auth.Principal, platformID int64, now time.Time) (Compliance, error) {
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

// TestQueueByDeadline: the queue, read in two index-ordered parts, is the
// order of one sort by (no deadline last, deadline, newest), for each
// reader, the open requests or all, whatever the page size.
func TestQueueByDeadline(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who, reg := loadWorld(t, db)
		now := time.Date(2027, 1, 20, 9, 30, 0, 0, time.UTC)
		seedVaried(t, db, reg.All(), who, now, 400)
		for _, name := range []string{"koord", "jabar", "liaison.fb"} {
			for _, status := range [][]string{{Draft, Approved, Sent, Acknowledged}, nil, {Sent, Closed}} {
				for _, limit := range []int{5, 50, 500} {
					vis, args, _, err := visibility(ctx, db, who[name].Viewer)
					if err != nil {
						t.Fatal(err)
					}
					where := vis
					if len(status) > 0 {
						where += " AND t.status IN (" + store.In(len(status)) + ")"
						for _, s := range status {
							args = append(args, s)
						}
					}
					rows, err := db.Query(ctx, `SELECT t.id FROM takedowns t WHERE `+where+
						` ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.id DESC LIMIT ?`, append(args, limit+1)...)
					if err != nil {
						t.Fatal(err)
					}
					want, err := store.Collect(rows, func(s store.Scanner) (int64, error) {
						var id int64
						return id, s.Scan(&id)
					})
					if err != nil {
						t.Fatal(err)
					}
					list, err := List(ctx, db, who[name], Filter{Status: status, ByDeadline: true, Limit: limit, Now: now})
					if err != nil {
						t.Fatal(err)
					}
					var got []int64
					for _, r := range list {
						got = append(got, r.ID)
					}
					if !slices.Equal(got, want) || len(want) == 0 {
						t.Errorf("%s %v limit %d: got %v, want %v", name, status, limit, got, want)
					}
				}
			}
		}
	})
}
