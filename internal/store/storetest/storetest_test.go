package storetest

import (
	"context"
	"testing"

	"github.com/garda-id/garda/internal/store"
)

// TestCopiesAreMigratedAndApart: every database a test gets is fully
// migrated (as a fresh Migrate would leave it: nothing left to apply) and
// its own: a row written in one is not in the next.
func TestCopiesAreMigratedAndApart(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]bool{}
	for _, m := range ms {
		versions[m.Version] = true
	}
	Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 2 {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(versions) {
				t.Fatalf("%d migrations recorded (%v), want %d", n, err, len(versions))
			}
			if applied, err := db.Migrate(ctx); err != nil || len(applied) != 0 {
				t.Fatalf("migrating a copy applied %v: %v", applied, err)
			}
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = 'storetest'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("copy %d holds another copy's row (%d, %v)", i, n, err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ('storetest', ?)`, store.Now()); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if db.Dialect() == store.SQLite {
					db = SQLite(t)
				} else {
					db = Postgres(t)
				}
			}
		}
	})
}
