package web

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIncidentLoad seeds 100,000 incidents with timelines across the 38
// provinces and measures the incident queue and the national map for a
// national coordinator and a provincial operator. It is long: it runs only
// with GARDA_LOAD=1 (and on PostgreSQL too when GARDA_TEST_POSTGRES is set).
//
//	GARDA_LOAD=1 go test -run TestIncidentLoad -v ./internal/web/
func TestIncidentLoad(t *testing.T) {
	if os.Getenv("GARDA_LOAD") == "" {
		t.Skip("GARDA_LOAD not set: skipping the 100,000-incident load measurement")
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAPIWorld(t, db)
		for _, n := range []auth.NewUser{
			{Username: "coord.national", Org: "bssn", Role: "coordinator", Scope: ""},
			{Username: "op.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		} {
			n.Password = "pw-" + n.Username + "-long"
			if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
				t.Fatal(err)
			}
			var login struct {
				Token string `json:"token"`
			}
			w.call("", "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, n.Username, n.Password), 200, &login)
			w.tokens[n.Username] = login.Token
		}
		start := time.Now()
		seedIncidents(t, db, 100000)
		t.Logf("seeded 100,000 incidents in %v", time.Since(start).Round(time.Millisecond))
		// The seed writes the tables directly, as the incidents before
		// migration 0020 were written: indexed at start, as those are.
		start = time.Now()
		if n, err := incident.IndexMissing(ctx, db); err != nil || n != 100000 {
			t.Fatalf("indexed %d incidents for search: %v", n, err)
		}
		t.Logf("indexed 100,000 incidents for search in %v", time.Since(start).Round(time.Millisecond))
		for _, stmt := range analyze(db) {
			if _, err := db.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		for _, user := range []string{"coord.national", "op.jabar"} {
			u, err := auth.UserByName(ctx, db, user)
			if err != nil {
				t.Fatal(err)
			}
			cookie, _, err := auth.CreateSession(ctx, db, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The API with the user's token, and the pages a person opens
			// (the national map, the queue) with a browser session.
			// Searches: a word in every title (the newest 50 matches), a
			// word in one incident in 10,000 (the reader sees some), none.
			for _, path := range []string{"/api/v1/incidents?limit=50", "/api/v1/incidents?limit=50&severity=high&status=new,triage,containment",
				"/api/v1/incidents?limit=50&q=beban", "/api/v1/incidents?limit=50&q=sérangan", "/api/v1/incidents?limit=50&q=phishing",
				"/api/v1/overview", "/", "/insiden"} {
				var took []time.Duration
				for range 200 {
					req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
					if strings.HasPrefix(path, "/api/") {
						req.Header.Set("Authorization", "Bearer "+w.tokens[user])
					} else {
						req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
					}
					st := time.Now()
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					took = append(took, time.Since(st))
					if res.StatusCode != 200 {
						t.Fatalf("%s %s: %d", user, path, res.StatusCode)
					}
				}
				slices.Sort(took)
				t.Logf("%-15s %-70s p50 %6.1f ms  p99 %6.1f ms", user, path, ms(took[len(took)/2]), ms(took[len(took)*99/100]))
			}
		}
	})
}

// title is the i-th seeded incident's: every one says "beban", one in
// 10,000 "Serangan" (searched for as "sérangan").
func title(i int) string {
	if i%10000 == 0 {
		return fmt.Sprintf("Serangan beban %d", i)
	}
	return fmt.Sprintf("Insiden beban %d", i)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// seedIncidents writes incidents straight into the tables, as the incident
// package would (owner as participant, creator named, a few timeline
// entries), in one transaction per 5,000.
func seedIncidents(t *testing.T, db *store.DB, n int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	provs := region.Provinces()
	orgOf := map[string]int64{}
	rows, err := db.Query(ctx, `SELECT slug, id FROM orgs`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		var id int64
		rows.Scan(&s, &id)
		orgOf[s] = id
	}
	rows.Close()
	var creator int64
	db.QueryRow(ctx, `SELECT id FROM users ORDER BY id LIMIT 1`).Scan(&creator)
	sev := []string{"low", "medium", "medium", "high", "critical"}
	status := []string{"new", "triage", "containment", "eradication", "recovery", "resolved", "closed", "closed"}
	tlp := []string{"GREEN", "AMBER", "AMBER", "AMBER", "AMBER+STRICT", "RED"}
	now := store.Now()
	for base := 0; base < n; base += 5000 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := base; i < min(base+5000, n); i++ {
				p := provs[r.IntN(len(provs))]
				reg, owner := p.Code, "kpu-"+p.Code
				if regs := region.Regencies(p.Code); len(regs) > 0 && r.IntN(2) == 0 {
					rg := regs[r.IntN(len(regs))]
					reg, owner = rg.Code, "kpu-"+rg.Code
				}
				at := now.Add(-time.Duration(r.IntN(30*24)) * time.Hour)
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO incidents (human_id, year, seq, title, category, severity, tlp, pap, region, owner_org_id,
					status, detected_at, reported_at, created_by, created_at, updated_at)
					VALUES (?, 2026, ?, ?, 'intrusions', ?, ?, 'AMBER', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
					fmt.Sprintf("INC-2026-%06d", 900000+i%100000), 900000+i, title(i), sev[r.IntN(len(sev))],
					tlp[r.IntN(len(tlp))], reg, orgOf[owner], status[r.IntN(len(status))], at, at, creator, at, at).Scan(&id); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES ('incident', ?, ?)`, id, orgOf[owner]); err != nil {
					return err
				}
				if r.IntN(5) == 0 { // escalated: the province's room takes part
					if _, err := tx.Exec(ctx, `INSERT INTO record_orgs (kind, record_id, org_id) VALUES ('incident', ?, ?)`, id, orgOf["diskominfo-"+p.Code]); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, `INSERT INTO record_users (kind, record_id, user_id) VALUES ('incident', ?, ?)`, id, creator); err != nil {
					return err
				}
				for k := range 1 + r.IntN(3) {
					if _, err := tx.Exec(ctx, `INSERT INTO incident_timeline (incident_id, at, actor_id, actor, kind, body) VALUES (?, ?, ?, 'load', ?, '')`,
						id, at.Add(time.Duration(k)*time.Minute), creator, []string{"created", "comment", "updated"}[k]); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// analyze is what PostgreSQL's autovacuum does after a bulk load like the
// seed (since PostgreSQL 13 inserts alone trigger it): statistics for the
// planner, and a vacuum of the seeded tables, whose visibility map lets
// the map's counts be answered from indexes alone. Done at once rather
// than measure what a server with autovacuum off (the test server's) never
// catches up on. (SQLite plans these queries the same without them.)
func analyze(db *store.DB) []string {
	if db.Dialect() == store.Postgres {
		return []string{`ANALYZE`, `VACUUM incidents, record_orgs, record_users, incident_timeline, incident_search`}
	}
	return nil
}
