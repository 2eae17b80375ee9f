// Package storetest runs a test against every store backend: SQLite always,
// PostgreSQL when GARDA_TEST_POSTGRES names a database. Each run gets a
// fresh, migrated database, so the same suite proves both engines.
//
// Migrating costs about a second of CPU under the race detector (SQLite is
// Go code here, every statement instrumented), and most tests want a fresh
// database: so each test process migrates once per engine and every test
// gets a copy of that: the SQLite file's bytes written to its own data dir,
// or a PostgreSQL database created from a template database.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
	img, err := sqliteImage()
	if err != nil {
		t.Fatalf("migrate the SQLite template: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.SQLiteFile), img, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The process's migrated SQLite database, as the bytes of its file.
var sqliteTemplate struct {
	once sync.Once
	img  []byte
	err  error
}

func sqliteImage() ([]byte, error) {
	s := &sqliteTemplate
	s.once.Do(func() { s.img, s.err = migrateSQLite() })
	return s.img, s.err
}

func migrateSQLite() ([]byte, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "garda-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	// Everything into the main file: the copy is that file alone.
	if _, err := db.Exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, store.SQLiteFile))
}

// PostgresURL returns a URL to a fresh schema in GARDA_TEST_POSTGRES's
// database, dropped when the test ends; it skips the test when unset. The
// schema is empty: the caller migrates it (or tests what an empty one does).
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

// Postgres opens a fresh migrated PostgreSQL database, or skips. It is a
// database of its own, created from the process's migrated template and
// dropped when the test ends.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := os.Getenv("GARDA_TEST_POSTGRES")
	if base == "" {
		t.Skip("GARDA_TEST_POSTGRES not set (a postgres:// URL): skipping the PostgreSQL run")
	}
	ctx := context.Background()
	tp, err := pgTemplateOf(base)
	if err != nil {
		t.Fatalf("GARDA_TEST_POSTGRES: migrate the template database: %v", err)
	}
	name := tp.name + "_" + randomHex()
	// The template's migration connections may still be ending on a busy
	// machine (the server then refuses the copy, 55006 "being accessed by
	// other users", after waiting 5 s): try again for a while.
	for try := 1; ; try++ {
		err := tp.exec(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tp.name)
		if err == nil {
			break
		}
		if try == 12 || !strings.Contains(err.Error(), "55006") {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	t.Cleanup(func() { tp.drop(context.Background(), name) })
	db, err := store.Open(ctx, databaseURL(base, name), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgTemplate is the process's migrated PostgreSQL database. Its connection
// stays open for the life of the process, holding an advisory lock named
// after the template: a process that finds a template (or a copy of one)
// whose lock is free knows its owner is gone, and drops it.
type pgTemplate struct {
	mu   sync.Mutex // one statement at a time on conn
	conn *pgx.Conn
	name string // gt_ and 12 hex digits; its copies add _ and 12 more
}

var pgTemplates struct {
	once sync.Once
	tp   *pgTemplate
	err  error
}

func pgTemplateOf(base string) (*pgTemplate, error) {
	s := &pgTemplates
	s.once.Do(func() { s.tp, s.err = newPGTemplate(base) })
	return s.tp, s.err
}

// lockKey is the advisory lock (classid, objid) a template's owner holds.
const lockClass = 727002

var ourDatabase = regexp.MustCompile(`^(gt_[0-9a-f]{12})(_[0-9a-f]{12})?$`)

func newPGTemplate(base string) (*pgTemplate, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, err
	}
	tp := &pgTemplate{conn: conn, name: "gt_" + randomHex()}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockClass, tp.name); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	tp.sweep(ctx)
	if err := tp.exec(ctx, `CREATE DATABASE `+tp.name); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	db, err := store.Open(ctx, databaseURL(base, tp.name), "")
	if err == nil {
		_, err = db.Migrate(ctx)
		// A template must have no other session when it is copied:
		// the pool's connections go now (the server waits a few seconds
		// for their backends to end).
		db.Close()
	}
	if err != nil {
		tp.drop(ctx, tp.name)
		conn.Close(ctx)
		return nil, err
	}
	return tp, nil
}

// sweep drops the databases of test processes that ended without dropping
// theirs (killed, or a template outliving its process).
func (tp *pgTemplate) sweep(ctx context.Context) {
	rows, err := tp.conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'gt\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		m := ourDatabase.FindStringSubmatch(n)
		if m == nil || m[1] == tp.name {
			continue
		}
		var free bool
		if tp.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockClass, m[1]).Scan(&free) != nil || !free {
			continue
		}
		tp.drop(ctx, n)
		tp.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockClass, m[1])
	}
}

func (tp *pgTemplate) exec(ctx context.Context, sql string) error {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	_, err := tp.conn.Exec(ctx, sql)
	return err
}

// drop drops a database, ending the sessions still on it.
func (tp *pgTemplate) drop(ctx context.Context, name string) error {
	err := tp.exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	if err != nil {
		err = errors.Join(err, tp.exec(ctx, `DROP DATABASE IF EXISTS `+name)) // before PostgreSQL 13
	}
	return err
}

func databaseURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(fmt.Sprintf("GARDA_TEST_POSTGRES: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
