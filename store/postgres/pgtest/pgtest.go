// Package pgtest gives a test a PostgreSQL database of its own, on the
// server CAREDESK_TEST_POSTGRES names, dropped when the test ends; without
// that variable the test is skipped with how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the PostgreSQL server the tests create their databases on.
const Env = "CAREDESK_TEST_POSTGRES"

// Server returns the URL of the test server, or skips tb when none is set.
func Server(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(Env)
	if u == "" {
		tb.Skip("set " + Env + "=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run the tests that need PostgreSQL")
	}
	return u
}

// Admin runs a statement on the test server's own database, outside any
// database a test created.
func Admin(tb testing.TB, stmt string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, Server(tb))
	if err != nil {
		tb.Fatalf("connect to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}

// Database creates an empty database, dropped when the test ends, and
// returns its name and URL.
func Database(tb testing.TB) (name, dbURL string) {
	tb.Helper()
	u, err := url.Parse(Server(tb))
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}
	name = "caredesk_test_" + strings.ToLower(rand.Text())
	Admin(tb, "CREATE DATABASE "+name)
	// FORCE: a test that failed may have left connections open.
	tb.Cleanup(func() { Admin(tb, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return name, u.String()
}
