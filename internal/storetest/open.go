package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// SQLite returns a migrated store in a fresh temporary file.
func SQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	d, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Stores opens n stores on the database at url, each its own small
// connection pool (the test server is shared): n processes sharing one
// database.
func Stores(t testing.TB, url string, n int) []*sqlstore.DB {
	t.Helper()
	var dbs []*sqlstore.DB
	for range n {
		d, err := sqlstore.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		d.SetMaxConnections(4)
		t.Cleanup(func() { d.Close() })
		dbs = append(dbs, d)
	}
	return dbs
}

// PostgresURL returns SPIDERGO_TEST_DATABASE_URL, skipping the test when it
// is unset. CI always sets it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SPIDERGO_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("SPIDERGO_TEST_DATABASE_URL is not set")
	}
	return base
}

// Postgres returns a migrated store in a fresh database on the server named
// by SPIDERGO_TEST_DATABASE_URL; the database is dropped after the test.
func Postgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	d, err := sqlstore.Open(context.Background(), PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// PostgresDatabase creates a fresh, migrated database on the server named
// by SPIDERGO_TEST_DATABASE_URL and returns its URL, for tests that start
// processes of their own on it. The database is dropped after the test.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "spidergo_t_" + strings.ToLower(spidergo.NewID()[:16])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	d, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	return u.String()
}

// Each returns a constructor per backend: SQLite always, PostgreSQL when
// configured. Tests of anything built on a store range over it so that both
// backends are exercised.
func Each() map[string]func(t testing.TB) *sqlstore.DB {
	return map[string]func(t testing.TB) *sqlstore.DB{"sqlite": SQLite, "postgres": Postgres}
}
