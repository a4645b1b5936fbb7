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
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/spidergo/spidergo"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a spidergo.Store over database/sql.
type DB struct {
	db       *sql.DB
	postgres bool
	now      func() time.Time
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
		// take the write lock up front so two writers never deadlock on an
		// upgrade; busy_timeout makes a writer wait instead of failing.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		d.db, err = sql.Open("sqlite", dsn)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		d.postgres = true
		d.db, err = sql.Open("pgx", databaseURL)
	default:
		return nil, fmt.Errorf("unsupported database URL %q: want sqlite:PATH or postgres://…", redact(databaseURL))
	}
	if err != nil {
		return nil, err
	}
	if !d.postgres {
		// One SQLite file has one writer; a small pool keeps readers busy
		// without piling writers onto the busy timeout.
		d.db.SetMaxOpenConns(8)
	} else {
		d.db.SetMaxOpenConns(32)
	}
	d.db.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.db.PingContext(ctx); err != nil {
		d.db.Close()
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
	p, err := goose.NewProvider(dialect, d.db, migrationsFS())
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping implements spidergo.Store.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Close implements spidergo.Store.
func (d *DB) Close() error { return d.db.Close() }

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

func (d *DB) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, d.rebind(query), args...)
}

func (d *DB) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, d.rebind(query), args...)
}

func (d *DB) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, d.rebind(query), args...)
}

// tx runs fn in a transaction, committing when it returns nil.
func (d *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
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
// either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
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
