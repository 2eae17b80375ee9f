// Package store is Garda's one door to its relational database: SQLite by
// default (a file in the data dir, WAL, busy timeout) and PostgreSQL when the
// platform grows. It owns the connection, the dialect differences, the
// embedded migrations and the transaction helper.
//
// Queries are written once, with `?` placeholders, in SQL both engines speak;
// the store rewrites placeholders and time values for the engine in use. It
// must never hold domain logic: the domain packages own their queries.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/secret"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Errors the domain packages map to API errors.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflicts with an existing record")
	// ErrFull: the database's disk is full. The statement or transaction
	// wrote nothing; the engine rolled it back. It comes wrapped with
	// errFull, which users see as 503 unavailable.
	ErrFull = errors.New("the database's disk is full")
)

// errFull is what a user is told when the database's disk is full.
var errFull = problem.New(problem.Unavailable, "the database's disk is full: nothing was saved; an administrator must free space on the database server, then retry")

// DB is an open database. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	where   string // a description for logs, never a password

	// The key that seals partners' secrets (package secret), loaded on
	// first use from GARDA_SECRET_KEY or the data dir.
	secretDir  string
	secretOnce sync.Once
	secretKey  *secret.Key
	secretErr  error
}

// Secrets is the key that seals the secrets kept in the database
// (GARDA_SECRET_KEY, else secret.KeyFile in the data dir, created 0600 on
// first use).
func (db *DB) Secrets() (*secret.Key, error) {
	db.secretOnce.Do(func() { db.secretKey, db.secretErr = secret.Load(db.secretDir) })
	return db.secretKey, db.secretErr
}

// SQLiteFile is the SQLite database's file name in a data dir.
const SQLiteFile = "garda.db"

// Open connects to the database named by dsn. An empty dsn opens (creating it
// if needed) the SQLite file SQLiteFile in dataDir; a postgres:// or
// postgresql:// URL opens PostgreSQL.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgresql: %w", err)
		}
		// JIT off unless the URL asks for it: compiling a plan took
		// 90-150 ms (busy machine) on a list of 50 incidents whose
		// estimated cost passed jit_above_cost, for a query that then ran
		// in 5-20. Garda's queries read pages and indexed counts, never
		// the long scans JIT pays for.
		if _, set := cfg.RuntimeParams["jit"]; !set {
			cfg.RuntimeParams["jit"] = "off"
		}
		pool := stdlib.OpenDB(*cfg)
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(10)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{sql: pool, dialect: Postgres, where: redactURL(dsn)}
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:") || strings.HasPrefix(dsn, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
		if path == "" {
			if dataDir == "" {
				return nil, errors.New("open sqlite: no data dir given")
			}
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return nil, fmt.Errorf("create data dir: %w", err)
			}
			path = filepath.Join(dataDir, SQLiteFile)
		}
		// _txlock=immediate takes the write lock at BEGIN, so two writers
		// queue on the busy timeout instead of failing on lock upgrade.
		pool, err := sql.Open("sqlite", "file:"+path+
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"+
			"&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		pool.SetMaxOpenConns(8)
		db = &DB{sql: pool, dialect: SQLite, where: path}
	default:
		return nil, fmt.Errorf("unsupported database %q: want a postgres:// URL or empty for SQLite in the data dir", redactURL(dsn))
	}
	db.secretDir = dataDir
	if db.secretDir == "" && db.dialect == SQLite {
		db.secretDir = filepath.Dir(db.where)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", db.dialect, db.where, err)
	}
	return db, nil
}

func redactURL(dsn string) string {
	if at := strings.LastIndex(dsn, "@"); at >= 0 {
		if scheme := strings.Index(dsn, "://"); scheme >= 0 && scheme < at {
			return dsn[:scheme+3] + "…" + dsn[at:]
		}
	}
	return dsn
}

// Dialect tells which engine this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// String describes the database for logs (no secrets).
func (db *DB) String() string { return string(db.dialect) + " " + db.where }

// Ping checks the connection (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Querier is what both DB and Tx offer; domain queries take a Querier so
// they run inside or outside a transaction alike.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
	Dialect() Dialect
}

// Scanner is a row to read into variables: a *Row, or the current row of
// *sql.Rows. An alias, so the domains' scan functions, written against the
// bare interface, fit Collect as they are.
type Scanner = interface{ Scan(dest ...any) error }

// Collect reads every row of a query with scan and closes rows. No rows is
// an empty slice, not nil: lists answer [] in JSON.
func Collect[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Row is one row's result; its Scan reports a missing row as ErrNotFound
// and a unique violation (of INSERT ... RETURNING) as ErrConflict.
type Row struct{ row *sql.Row }

func (r *Row) Scan(dest ...any) error { return classify(r.row.Scan(dest...)) }

func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := db.sql.ExecContext(ctx, db.dialect.rebind(q), db.dialect.args(args)...)
	return r, classify(err)
}

func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := db.sql.QueryContext(ctx, db.dialect.rebind(q), db.dialect.args(args)...)
	return r, classify(err)
}

func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *Row {
	return &Row{db.sql.QueryRowContext(ctx, db.dialect.rebind(q), db.dialect.args(args)...)}
}

// Tx is a transaction in progress.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

func (tx *Tx) Dialect() Dialect { return tx.dialect }

func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := tx.tx.ExecContext(ctx, tx.dialect.rebind(q), tx.dialect.args(args)...)
	return r, classify(err)
}

func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := tx.tx.QueryContext(ctx, tx.dialect.rebind(q), tx.dialect.args(args)...)
	return r, classify(err)
}

func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *Row {
	return &Row{tx.tx.QueryRowContext(ctx, tx.dialect.rebind(q), tx.dialect.args(args)...)}
}

// InTx runs fn in a transaction: committed when fn returns nil, rolled back
// otherwise (and on panic). Every write with an audit entry goes through it,
// so the write and its audit entry land together or not at all.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", classify(err))
	}
	tx := &Tx{tx: sqlTx, dialect: db.dialect}
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", classify(err))
	}
	return nil
}

// rebind turns `?` placeholders into PostgreSQL's `$n`, leaving quoted text alone.
func (d Dialect) rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// timeLayout is fixed-width so that SQLite's text comparison orders times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// PlanEach, given as a query's first argument, has PostgreSQL plan the
// query for its arguments every time it runs. A prepared statement is
// otherwise planned for its values five times, then once for any values
// (a generic plan) when that looks no dearer: wrong for a query whose best
// plan depends on the values, such as a search word found in every row or
// in none. SQLite plans every statement as it runs anyway.
var PlanEach = planEach{}

type planEach struct{}

// args normalises times: UTC, microseconds (PostgreSQL's precision), and for
// SQLite a fixed-width text form that sorts correctly; and turns PlanEach
// into what the driver understands.
func (d Dialect) args(args []any) []any {
	if len(args) > 0 && args[0] == PlanEach {
		if d == Postgres {
			// The unnamed statement, parsed and planned with every call.
			args[0] = pgx.QueryExecModeExec
		} else {
			args = args[1:]
		}
	}
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = d.time(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = d.time(*v)
			}
		}
	}
	return args
}

func (d Dialect) time(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == SQLite {
		return t.Format(timeLayout)
	}
	return t
}

// Now is the store's notion of the current time, at the precision it keeps.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// classify maps engine errors to the store's sentinel errors.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pg.Message)
		case "53100": // disk_full
			return fmt.Errorf("%w: %w: %s", ErrFull, errFull, pg.Message)
		}
		return err
	}
	msg := err.Error()
	// SQLite says SQLITE_FULL (13) when a write finds no space, and the
	// transaction is rolled back.
	if strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "SQLITE_FULL") || errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w: %s", ErrFull, errFull, msg)
	}
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed") {
		return fmt.Errorf("%w: %s", ErrConflict, msg)
	}
	return err
}

// In returns "?, ?, ?" for n values, for IN lists.
func In(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.Repeat("?, ", n-1) + "?"
}
