// Package sqlstore implements spidergo.Store on SQLite (modernc.org/sqlite,
// the embedded mode) and PostgreSQL (pgx, the scaled-out mode).
//
// Both databases run the same SQL: queries are written with ? placeholders
// and rebound to $n for PostgreSQL, ids are text and times are Unix
// milliseconds, so one schema and one set of queries serve both. The few
// places where the dialects must differ ask DB.postgres.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/spidergo/spidergo"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a spidergo.Store over database/sql.
type DB struct {
	// db serves reads. On PostgreSQL it serves writes too; on SQLite writes
	// go to write, a pool of one connection: SQLite has one writer at a
	// time, and writers queueing in Go wait in order, where writers racing
	// for the file lock sleep in SQLite's busy handler (1, 2, 5 … 100 ms).
	// Measured on the crawl benchmark, one writer made page saves 2–6 times
	// faster at the 99th percentile and links-only crawls 35–45 % faster.
	db       *sql.DB
	write    *sql.DB
	postgres bool
	now      func() time.Time

	stmtMu sync.Mutex
	stmts  map[stmtKey]*sql.Stmt

	sweepMu   sync.Mutex
	lastSweep time.Time // of the shared limits' expired rows
}

// readConns is the size of SQLite's read pool, and how many of its
// connections stay open when idle. database/sql keeps only 2 idle
// connections unless told otherwise: under concurrent requests the pool
// then opened and closed SQLite connections all the time, each open
// running the DSN's pragmas and each first query re-reading the schema.
// Keeping all eight open took that off the /v1 gate's profile
// (docs/benchmarks.md).
const readConns = 8

// stmtKey names a prepared statement: its pool and its text.
type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns query prepared on pool, preparing it on first use.
// database/sql keeps one prepared copy per connection of the pool. Only the
// gate's statements, run on every /v1 request, are prepared: on SQLite,
// parsing and planning them was a third of the gate's database time at 64
// concurrent connections. PostgreSQL's driver caches its statements
// itself, so there the query is run as it is.
func (d *DB) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	k := stmtKey{pool, query}
	d.stmtMu.Lock()
	st, ok := d.stmts[k]
	d.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	// Prepared without the lock: preparing waits for a connection of the
	// pool, which a transaction looking up its statements (txStmt) may hold.
	st, err := pool.PrepareContext(ctx, d.rebind(query))
	if err != nil {
		return nil, err
	}
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	if had, ok := d.stmts[k]; ok {
		st.Close()
		return had, nil
	}
	if d.stmts == nil {
		d.stmts = map[stmtKey]*sql.Stmt{}
	}
	d.stmts[k] = st
	return st, nil
}

// hotRow runs a one-row statement of the gate: prepared once on SQLite,
// as it is on PostgreSQL. q is the pool the statement belongs to (the
// read pool or the writer) or a transaction, which never uses a prepared
// statement.
func (d *DB) hotRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	pool, ok := d.route(q, query).(*sql.DB)
	if !ok || d.postgres {
		return d.queryRow(ctx, q, query, args...)
	}
	st, err := d.prepared(ctx, pool, query)
	if err != nil {
		return d.queryRow(ctx, q, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// prepareWrites prepares queries on SQLite's writer connection, once, for
// txStmt to hand to transactions. It must run outside a transaction: the
// writer is one connection, which a transaction holds.
func (d *DB) prepareWrites(ctx context.Context, queries ...string) {
	if d.postgres {
		return
	}
	for _, q := range queries {
		d.prepared(ctx, d.write, q) // on failure, txStmt finds nothing and the query runs as it is
	}
}

// txStmt returns query ready to run in tx, a transaction on the writer,
// when prepareWrites prepared it: database/sql hands the transaction the
// copy already prepared on its connection (or prepares it again on that
// connection if the pool replaced it), so the crawl's per-page statements
// are not parsed and planned again for every page. On PostgreSQL it
// returns nil and the statement runs as it is: pgx prepares and caches
// statements per connection by itself.
func (d *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if d.postgres {
		return nil
	}
	d.stmtMu.Lock()
	st := d.stmts[stmtKey{d.write, query}]
	d.stmtMu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// txExec runs a write statement in tx, prepared once where that helps
// (txStmt).
func (d *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := d.txStmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.exec(ctx, tx, query, args...)
}

// txRow runs a one-row statement in tx, prepared once where that helps
// (txStmt).
func (d *DB) txRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := d.txStmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.queryRow(ctx, tx, query, args...)
}

var _ spidergo.Store = (*DB)(nil)

// Open connects to databaseURL ("sqlite:PATH" or "postgres://…") and
// applies every pending migration.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	d, err := Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// SetMaxConnections bounds the connections the store opens to PostgreSQL
// (SQLite keeps its one writer and its readers).
func (d *DB) SetMaxConnections(n int) {
	if d.postgres && n > 0 {
		d.db.SetMaxOpenConns(n)
		d.db.SetMaxIdleConns(n)
	}
}

// Connect opens the database without migrating it.
func Connect(ctx context.Context, databaseURL string) (*DB, error) {
	d := &DB{now: time.Now}
	var err error
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" {
			return nil, errors.New("sqlite: empty path")
		}
		// WAL lets readers run beside the one writer; IMMEDIATE transactions
		// take the write lock up front so a writer never deadlocks on an
		// upgrade; busy_timeout covers other processes using the file.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
		if d.write, err = sql.Open("sqlite", dsn+"&_txlock=immediate"); err != nil {
			return nil, err
		}
		d.write.SetMaxOpenConns(1)
		// Readers refuse writes, so a write routed to them by mistake fails
		// loudly instead of racing the writer.
		d.db, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
		if err == nil {
			d.db.SetMaxOpenConns(readConns)
			d.db.SetMaxIdleConns(readConns)
		}
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		d.postgres = true
		d.db, err = sql.Open("pgx", databaseURL)
		if err == nil {
			d.db.SetMaxOpenConns(32)
			d.db.SetMaxIdleConns(32)
			d.write = d.db
		}
	default:
		return nil, fmt.Errorf("unsupported database URL %q: want sqlite:PATH or postgres://…", redact(databaseURL))
	}
	if err != nil {
		if d.write != nil {
			d.write.Close()
		}
		return nil, err
	}
	d.db.SetConnMaxIdleTime(5 * time.Minute)
	d.write.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.write.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return d, nil
}

// SetClock replaces the clock; tests use it to move through days.
func (d *DB) SetClock(now func() time.Time) { d.now = now }

// Postgres reports whether d is a PostgreSQL database.
func (d *DB) Postgres() bool { return d.postgres }

// SQL exposes the pool for the few components (job queues) that need it.
func (d *DB) SQL() *sql.DB { return d.db }

// Migrate applies every pending migration.
func (d *DB) Migrate(ctx context.Context) error {
	dialect := goose.DialectSQLite3
	if d.postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.write, migrationsFS())
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if d.postgres {
		// River's own tables (river_job, river_leader …), at the version
		// of River this binary is built with.
		m, err := rivermigrate.New(riverdatabasesql.New(d.write), nil)
		if err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("migrate river: %w", err)
		}
	}
	return nil
}

// Ping implements spidergo.Store.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Close implements spidergo.Store.
func (d *DB) Close() error {
	d.stmtMu.Lock()
	for _, st := range d.stmts {
		st.Close()
	}
	d.stmts = nil
	d.stmtMu.Unlock()
	err := d.db.Close()
	if d.write != d.db {
		if werr := d.write.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// rebind turns ? placeholders into $1, $2 … for PostgreSQL. Queries in this
// package never contain a literal question mark.
func (d *DB) rebind(q string) string {
	if !d.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// route sends a statement given the read pool to the writer unless it is a
// plain SELECT. Statements inside a transaction stay on it.
func (d *DB) route(q querier, query string) querier {
	if db, ok := q.(*sql.DB); ok && db == d.db && d.write != d.db && !isRead(query) {
		return d.write
	}
	return q
}

func isRead(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

func (d *DB) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return d.route(q, query).ExecContext(ctx, d.rebind(query), args...)
}

func (d *DB) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return d.route(q, query).QueryContext(ctx, d.rebind(query), args...)
}

func (d *DB) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return d.route(q, query).QueryRowContext(ctx, d.rebind(query), args...)
}

// scanner is a row being read: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs a read and scans every row with scan. Lists are never nil,
// so they encode as [] rather than null.
func queryAll[T any](ctx context.Context, d *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := d.query(ctx, d.db, query, args...)
	if err != nil {
		return nil, err
	}
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

// tx runs fn in a transaction, committing when it returns nil.
func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// millis and fromMillis convert between time.Time and the stored form.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// isUniqueViolation reports whether err is a unique-constraint failure in
// either database, by the drivers' error codes: message texts change
// between versions and languages, codes do not.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return spidergo.ErrNotFound
	}
	return err
}

// redact hides a password in a database URL before it reaches an error.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return u[:i+3] + "***@" + rest[at+1:]
		}
	}
	return u
}
