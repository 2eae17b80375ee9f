// Package storetest runs a test against every store backend: SQLite always,
// PostgreSQL when GARDA_TEST_POSTGRES names a database. Each run gets a
// fresh, migrated database (a private schema on PostgreSQL), so the same
// suite proves both engines.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/garda-id/garda/internal/store"
)

// Backends runs fn once per available backend as a subtest named after it.
func Backends(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns a URL to a fresh schema in GARDA_TEST_POSTGRES's
// database, dropped when the test ends; it skips the test when unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("GARDA_TEST_POSTGRES")
	if base == "" {
		t.Skip("GARDA_TEST_POSTGRES not set (a postgres:// URL): skipping the PostgreSQL run")
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, base, "")
	if err != nil {
		t.Fatalf("GARDA_TEST_POSTGRES: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "garda_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a fresh migrated PostgreSQL schema, or skips.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, PostgresURL(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
