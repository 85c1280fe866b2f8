package history

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// connectTimeout bounds reaching a Postgres server that does not answer,
// unless the DSN sets connect_timeout itself.
const connectTimeout = 10 * time.Second

// maxOpenConns is the most connections one store holds to Postgres: a
// drill process writes one run at a time, and fifty shards of a nightly
// run must not exhaust the server's max_connections (100 by default).
const maxOpenConns = 4

// openPostgres opens a Postgres history through pgx's database/sql
// driver, so the queries, transactions and scans are the SQLite store's.
func openPostgres(ctx context.Context, d DSN, migs []migration) (*Store, error) {
	name := d.String()
	cfg, err := pgx.ParseConfig(d.Target)
	if err != nil {
		// pgx's message quotes the URL, password and all
		return nil, fmt.Errorf("history: %s: not a Postgres connection URL", name)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	db.SetConnMaxIdleTime(time.Minute)
	s := &Store{db: db, path: name, dialect: postgresDialect, now: time.Now}
	if err := s.migrate(ctx, migs); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", name, err)
	}
	return s, nil
}
