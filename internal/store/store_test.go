package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestStoreSuite is the compliance suite every backend must pass.
func TestStoreSuite(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()

		t.Run("migrate is idempotent", func(t *testing.T) {
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != 0 {
				t.Fatalf("second migrate applied %v, want nothing", applied)
			}
		})

		var orgID int64
		t.Run("insert returning and times round-trip in order", func(t *testing.T) {
			base := time.Date(2024, 2, 14, 7, 0, 0, 123456789, time.FixedZone("WIB", 7*3600))
			err := db.QueryRow(ctx, `INSERT INTO orgs (slug, name, kind, region, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
				"kpu", "KPU RI", "kpu", "", base).Scan(&orgID)
			if err != nil || orgID <= 0 {
				t.Fatalf("insert: id %d, %v", orgID, err)
			}
			// A later time with fewer fractional digits must still sort after.
			if _, err := db.Exec(ctx, `INSERT INTO orgs (slug, name, kind, region, created_at) VALUES (?, ?, ?, ?, ?)`,
				"bssn", "BSSN", "agency", "", base.Add(500*time.Millisecond).Truncate(100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			var got time.Time
			if err := db.QueryRow(ctx, `SELECT created_at FROM orgs WHERE id = ?`, orgID).Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := base.UTC().Truncate(time.Microsecond)
			if !got.Equal(want) {
				t.Fatalf("time round-trip: got %v, want %v", got, want)
			}
			var first string
			if err := db.QueryRow(ctx, `SELECT slug FROM orgs WHERE created_at > ? ORDER BY created_at DESC LIMIT 1`, base.Add(-time.Hour)).Scan(&first); err != nil {
				t.Fatal(err)
			}
			if first != "bssn" {
				t.Fatalf("time order: latest is %q, want bssn", first)
			}
		})

		t.Run("PlanEach is taken by both engines and is no argument", func(t *testing.T) {
			var slug string
			if err := db.QueryRow(ctx, `SELECT slug FROM orgs WHERE id = ? AND slug LIKE ?`, store.PlanEach, orgID, "kp%").Scan(&slug); err != nil || slug != "kpu" {
				t.Fatalf("got %q, %v; want kpu", slug, err)
			}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				rows, err := tx.Query(ctx, `SELECT slug FROM orgs WHERE slug = ?`, store.PlanEach, "bssn")
				if err != nil {
					return err
				}
				slugs, err := store.Collect(rows, func(r store.Scanner) (s string, err error) { return s, r.Scan(&s) })
				if err == nil && len(slugs) != 1 {
					err = errors.New("bssn not found")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})

		t.Run("unique violation is ErrConflict", func(t *testing.T) {
			_, err := db.Exec(ctx, `INSERT INTO orgs (slug, name, kind, region, created_at) VALUES (?, ?, ?, ?, ?)`,
				"kpu", "again", "kpu", "", store.Now())
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
		})

		t.Run("missing row is ErrNotFound", func(t *testing.T) {
			var s string
			err := db.QueryRow(ctx, `SELECT slug FROM orgs WHERE id = ?`, -1).Scan(&s)
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})

		t.Run("question marks inside quotes are text", func(t *testing.T) {
			var s string
			if err := db.QueryRow(ctx, `SELECT 'why?' || ? FROM orgs WHERE id = ?`, "!", orgID).Scan(&s); err != nil {
				t.Fatal(err)
			}
			if s != "why?!" {
				t.Fatalf("got %q", s)
			}
		})

		t.Run("failed transaction leaves nothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO orgs (slug, name, kind, region, created_at) VALUES (?, ?, ?, ?, ?)`,
					"polri", "Polri", "agency", "", store.Now()); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("got %v", err)
			}
			var n int
			db.QueryRow(ctx, `SELECT COUNT(*) FROM orgs WHERE slug = 'polri'`).Scan(&n)
			if n != 0 {
				t.Fatalf("rolled-back insert is visible")
			}
		})

		t.Run("concurrent writers all land", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- db.InTx(ctx, func(tx *store.Tx) error {
						var n int
						if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
							return err
						}
						_, err := tx.Exec(ctx, `INSERT INTO orgs (slug, name, kind, region, created_at) VALUES (?, ?, ?, ?, ?)`,
							"org-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "Org", "agency", "", store.Now())
						return err
					})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			db.QueryRow(ctx, `SELECT COUNT(*) FROM orgs WHERE slug LIKE 'org-%'`).Scan(&n)
			if n != 40 {
				t.Fatalf("%d of 40 concurrent inserts landed", n)
			}
		})
	})
}

func TestOpenRejectsUnknownDatabase(t *testing.T) {
	_, err := store.Open(context.Background(), "mysql://x", t.TempDir())
	if err == nil {
		t.Fatal("mysql URL accepted")
	}
}

// TestMigrationsPerEngine: a step written per engine comes as a pair, one
// file for each engine the store speaks, under one version.
func TestMigrationsPerEngine(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string][]store.Dialect{}
	for _, m := range ms {
		if m.Dialect != "" {
			engines[m.Version] = append(engines[m.Version], m.Dialect)
		}
	}
	if len(engines["0020_incident_search"]) != 2 {
		t.Errorf("0020_incident_search: engines %v, want sqlite and postgres", engines["0020_incident_search"])
	}
	for v, es := range engines {
		if !slices.Contains(es, store.SQLite) || !slices.Contains(es, store.Postgres) || len(es) != 2 {
			t.Errorf("migration %s is written for %v: want one file for sqlite and one for postgres", v, es)
		}
	}
}

// TestPostgresJITOff: Garda's connections run without JIT (its compile
// time dwarfed a page of incidents), unless the URL asks for it.
func TestPostgresJITOff(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	for _, c := range []struct{ url, want string }{{url, "off"}, {url + "&jit=on", "on"}} {
		db, err := store.Open(ctx, c.url, "")
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := db.QueryRow(ctx, `SHOW jit`).Scan(&jit); err != nil || jit != c.want {
			t.Errorf("SHOW jit = %q, %v; want %q", jit, err, c.want)
		}
		db.Close()
	}
}
