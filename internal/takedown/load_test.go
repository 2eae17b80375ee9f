package takedown

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestTakedownLoad measures the queue and a platform's figures over
// 20,000 requests with 100,000 URLs across 30 platforms, as a national
// coordinator, a province's analyst and a platform's liaison see them.
// Figures only (logged); no wall-clock assertion.
//
//	GARDA_LOAD=1 GARDA_TEST_POSTGRES=... go test ./internal/takedown -run TestTakedownLoad -v
func TestTakedownLoad(t *testing.T) {
	if os.Getenv("GARDA_LOAD") == "" {
		t.Skip("GARDA_LOAD not set: skipping the 20,000-request load measurement")
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who, reg := loadWorld(t, db)
		start := time.Now()
		seedLoad(t, db, reg.All(), who, 20000, 5)
		t.Logf("%s: seeded 20,000 requests, 100,000 URLs, 30 platforms in %v", db.Dialect(), time.Since(start).Round(time.Millisecond))
		fb, _ := reg.BySlug("meta-facebook")
		now := store.Now()
		open := []string{Draft, Approved, Sent, Acknowledged}
		measure := func(name string, fn func() (int, error)) {
			var took []time.Duration
			n := 0
			cpu0 := processCPU()
			for i := 0; i < 100; i++ {
				s := time.Now()
				k, err := fn()
				took = append(took, time.Since(s))
				if err != nil {
					t.Fatal(err)
				}
				n = k
			}
			cpu := (processCPU() - cpu0) / 100
			slices.Sort(took)
			// CPU is this process's time per read: all of the work on
			// SQLite, the client's share on PostgreSQL. It moves far less
			// than wall time with the machine's load.
			t.Logf("%s: %-40s p50 %6.1f ms  p99 %6.1f ms  cpu %5.1f ms/read  (%d rows)", db.Dialect(), name,
				float64(took[49].Microseconds())/1000, float64(took[98].Microseconds())/1000, float64(cpu.Microseconds())/1000, n)
		}
		if os.Getenv("GARDA_LOAD_EXPLAIN") != "" {
			// The plans of the pages' queries, as the engine runs them.
			for _, u := range []string{"koord", "liaison.fb"} {
				eq := &explainQuerier{Querier: db}
				if _, err := List(ctx, eq, who[u], Filter{Status: open, ByDeadline: true, Limit: 50, Now: now}); err != nil {
					t.Fatal(err)
				}
				if _, err := PlatformStats(ctx, eq, who[u], fb.ID, now); err != nil {
					t.Fatal(err)
				}
				if _, err := PlatformCompliance(ctx, eq, who[u], fb.ID, now); err != nil {
					t.Fatal(err)
				}
				if _, err := List(ctx, eq, who[u], Filter{Platform: fb.Slug, Now: now, Limit: 50}); err != nil {
					t.Fatal(err)
				}
				eq.explain(t, ctx, db, u)
			}
		}
		for _, u := range []string{"koord", "jabar", "liaison.fb"} {
			p := who[u]
			measure("queue by deadline, "+u, func() (int, error) {
				l, err := List(ctx, db, p, Filter{Status: open, ByDeadline: true, Limit: 50, Now: now})
				return len(l), err
			})
			measure("platform figures (Facebook), "+u, func() (int, error) {
				st, err := PlatformStats(ctx, db, p, fb.ID, now)
				return st.TakenDown, err
			})
			measure("compliance by week and category (Facebook), "+u, func() (int, error) {
				c, err := PlatformCompliance(ctx, db, p, fb.ID, now)
				return c.Overall.TakenDown, err
			})
			// The platform page reads all three.
			measure("platform page (Facebook), "+u, func() (int, error) {
				if _, err := PlatformStats(ctx, db, p, fb.ID, now); err != nil {
					return 0, err
				}
				c, err := PlatformCompliance(ctx, db, p, fb.ID, now)
				if err != nil {
					return 0, err
				}
				l, err := List(ctx, db, p, Filter{Platform: fb.Slug, Now: now, Limit: 50})
				return c.Overall.URLs + len(l), err
			})
		}
	})
}

// seedLoad writes requests straight into the tables, in one transaction,
// spread over the platforms, owners and statuses the desk would hold.
func seedLoad(t *testing.T, db *store.DB, platforms []Platform, who map[string]auth.Principal, requests, urls int) {
	t.Helper()
	ctx := context.Background()
	owners := []auth.Principal{who["koord"], who["koord"], who["koord"], who["jabar"]}
	statuses := []string{Draft, Approved, Sent, Sent, Acknowledged, Closed, Closed, Closed, Closed, Closed}
	outcomes := []string{Removed, Removed, Removed, Restricted, Refused, NoAnswer}
	base := store.Now().Add(-60 * 24 * time.Hour)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		const batch = 200
		for from := 0; from < requests; from += batch {
			var rq, ru, ro []string
			var aq, au, ao []any
			for i := from; i < from+batch && i < requests; i++ {
				id := int64(i + 1)
				p := platforms[i%len(platforms)]
				own := owners[(i/7)%len(owners)]
				st := statuses[(i/len(platforms))%len(statuses)]
				created := base.Add(time.Duration(i) * 4 * time.Minute)
				var sent, due, closed any
				if st != Draft && st != Approved {
					s := created.Add(30 * time.Minute)
					sent, due = s, s.Add(24*time.Hour)
					if st == Closed {
						closed = s.Add(time.Duration(i%40) * time.Hour)
					}
				}
				rq = append(rq, "(?, ?, ?, 'hoaks', '[\"uu_ite_28_3\"]', 'normal', ?, 'muat', '', 'AMBER', ?, ?, ?, ?, ?, ?, ?, ?)")
				aq = append(aq, id, fmt.Sprintf("PK-L-%06d", id), p.ID, st, own.User.Scope, own.Viewer.OrgID, own.User.ID, sent, due, closed, created, created)
				ro = append(ro, "('takedown', ?, ?)")
				ao = append(ao, id, own.Viewer.OrgID)
				if sent != nil && p.OrgID > 0 {
					ro = append(ro, "('takedown', ?, ?)")
					ao = append(ao, id, p.OrgID)
				}
				for k := 0; k < urls; k++ {
					outcome, answered, gone := Pending, any(nil), any(nil)
					if st == Closed {
						outcome = outcomes[(i+k)%len(outcomes)]
						answered = closed
						if outcome == Removed {
							gone = closed // Garda's check saw it down
						}
					}
					ru = append(ru, "(?, ?, ?, ?, ?)")
					au = append(au, id, fmt.Sprintf("https://%s/p/%d/%d", p.Domains[0].Domain, id, k), outcome, answered, gone)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO takedowns (id, number, platform_id, category, legal_basis, urgency, status, summary, notes, tlp, region,
				owner_org_id, author_id, sent_at, due_at, closed_at, created_at, updated_at) VALUES `+strings.Join(rq, ", "), aq...); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES `+strings.Join(ro, ", "), ao...); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO takedown_urls (takedown_id, url, outcome, answered_at, gone_at) VALUES `+strings.Join(ru, ", "), au...); err != nil {
				return err
			}
		}
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('takedowns', 'id'), (SELECT MAX(id) FROM takedowns))`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// As autovacuum would have by then: statistics, and on PostgreSQL the
	// visibility map that lets the covering indexes answer alone.
	stats := `ANALYZE`
	if db.Dialect() == store.Postgres {
		stats = `VACUUM ANALYZE`
	}
	if _, err := db.Exec(ctx, stats); err != nil {
		t.Fatal(err)
	}
}

// loadWorld is the load test's world without requests: the standard
// organisations, 30 platforms (the demo's eight and forums), a national
// coordinator (koord), a province's analyst (jabar) and Facebook's
// liaison (liaison.fb).
func loadWorld(t *testing.T, db *store.DB) (map[string]auth.Principal, *Registry) {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := SeedPlatforms(ctx, db); err != nil {
		t.Fatal(err)
	}
	for i := len(demoPlatforms); i < 30; i++ {
		slug := fmt.Sprintf("forum-%02d", i)
		if _, err := org.Create(ctx, db, audit.System, "", org.New{Slug: OrgSlug(slug), Name: slug, Kind: org.KindOther}); err != nil {
			t.Fatal(err)
		}
		if _, err := createPlatform(ctx, db, audit.System, NewPlatform{Slug: slug, Name: slug, Kind: "forum", Org: OrgSlug(slug),
			Email: "abuse@" + slug + ".example.id", Domains: []Domain{{Domain: slug + ".example.id"}}}); err != nil {
			t.Fatal(err)
		}
	}
	who := map[string]auth.Principal{}
	for _, n := range []auth.NewUser{
		{Username: "koord", Org: "komdigi", Role: "coordinator"},
		{Username: "jabar", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "liaison.fb", Org: OrgSlug("meta-facebook"), Role: "liaison"},
	} {
		n.Password = "pw-" + n.Username + "-long-enough"
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"koord", "jabar", "liaison.fb"} {
		u, err := auth.UserByName(ctx, db, name)
		if err != nil {
			t.Fatal(err)
		}
		if who[name], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := LoadRegistry(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return who, reg
}

// explainQuerier records the queries run through it, to show their plans.
type explainQuerier struct {
	store.Querier
	queries []string
	args    [][]any
}

func (e *explainQuerier) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	e.queries, e.args = append(e.queries, q), append(e.args, slices.Clone(args))
	return e.Querier.Query(ctx, q, args...)
}

func (e *explainQuerier) QueryRow(ctx context.Context, q string, args ...any) *store.Row {
	e.queries, e.args = append(e.queries, q), append(e.args, slices.Clone(args))
	return e.Querier.QueryRow(ctx, q, args...)
}

// explain logs each recorded query's plan: SQLite's query plan, or
// PostgreSQL's plan as it ran (EXPLAIN ANALYZE).
func (e *explainQuerier) explain(t *testing.T, ctx context.Context, db *store.DB, who string) {
	t.Helper()
	for i, q := range e.queries {
		ex := "EXPLAIN QUERY PLAN "
		if db.Dialect() == store.Postgres {
			ex = "EXPLAIN (ANALYZE, COSTS OFF) "
		}
		rows, err := db.Query(ctx, ex+q, e.args[i]...)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for k := range vals {
				ptrs[k] = &vals[k]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		short := strings.Join(strings.Fields(q), " ")
		if len(short) > 160 {
			short = short[:160] + "..."
		}
		t.Logf("%s, %s: %s\n  %s", db.Dialect(), who, short, strings.Join(plan, "\n  "))
	}
}

// processCPU is the CPU time this process used so far (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
