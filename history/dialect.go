package history

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Backend is where a history is kept.
type Backend string

// The backends a DSN can name.
const (
	SQLite   Backend = "sqlite"   // an embedded file (modernc.org/sqlite)
	Postgres Backend = "postgres" // a shared server (pgx, through database/sql)
)

// DSN is a parsed --history value.
type DSN struct {
	Backend Backend
	// Target is the file of an SQLite history, or the connection URL of
	// a Postgres one (as given, password included: never print it; see
	// String).
	Target string
}

// MaxDSN is the longest --history value accepted, in bytes.
const MaxDSN = 4096

// ParseDSN reads a --history value: a file path or sqlite://PATH is the
// embedded SQLite file (sqlite:///abs/path for an absolute one);
// postgres://... or postgresql://... is a Postgres database, in the URL
// form pgx reads (user, password, host, port, database, and parameters
// such as sslmode). Any other scheme:// is refused rather than taken for
// a file name.
func ParseDSN(s string) (DSN, error) {
	switch {
	case s == "":
		return DSN{}, errors.New("history: empty DSN: want a file path, sqlite://PATH or postgres://USER@HOST/DATABASE")
	case len(s) > MaxDSN:
		return DSN{}, fmt.Errorf("history: DSN of %d bytes: at most %d", len(s), MaxDSN)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || strings.ContainsAny(scheme, `/\.`) {
		return DSN{Backend: SQLite, Target: s}, nil // a plain path
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		if rest == "" {
			return DSN{}, fmt.Errorf("history: %q: no file after %s://", s, scheme)
		}
		return DSN{Backend: SQLite, Target: rest}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(s)
		if err != nil {
			return DSN{}, fmt.Errorf("history: %s: not a postgres URL: %v", redact(s), errors.Unwrap(err))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return DSN{}, fmt.Errorf("history: %s: no host: want postgres://USER:PASSWORD@HOST:PORT/DATABASE", redact(s))
		}
		return DSN{Backend: Postgres, Target: s}, nil
	default:
		return DSN{}, fmt.Errorf("history: %q: unknown scheme %q: want a file path, sqlite://PATH or postgres://USER@HOST/DATABASE", redact(s), scheme)
	}
}

// IsRemote reports whether the --history value s names a server rather
// than a file (a server is reached over the network, from outside the
// drill world's network namespace).
func IsRemote(s string) bool {
	d, err := ParseDSN(s)
	return err == nil && d.Backend != SQLite
}

// String is the DSN as it may be printed: a file's path, or the URL
// with its password replaced by xxxxx.
func (d DSN) String() string {
	if d.Backend == SQLite {
		return d.Target
	}
	return redact(d.Target)
}

// redact hides a URL's password (and a password= parameter).
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "xxxxx" + s[i:]
			}
		}
		return s
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// dialect is what differs between the backends: the driver, placeholders,
// the migrations table and how migrators are serialised. The queries and
// the store are one.
type dialect struct {
	backend Backend
	// migrationsTable creates schema_migrations if it is not there.
	migrationsTable string
	// lock, when set, is run first in the migration transaction and
	// holds until it ends: concurrent migrators wait for each other.
	lock string
}

var (
	sqliteDialect = dialect{
		backend: SQLite,
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`,
		// the transaction is BEGIN IMMEDIATE (see open): it holds the
		// file's write lock from its start
	}
	postgresDialect = dialect{
		backend: Postgres,
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`,
		// one key for drill's schema in this database; the lock is
		// released when the transaction commits or rolls back
		lock: `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(advisoryKey, 10) + `)`,
	}
)

// advisoryKey is the pg_advisory_xact_lock key drill's migrators take:
// "drillhst" read as a big-endian int64.
const advisoryKey int64 = 0x6472696c6c687374

// rebind turns the ? placeholders of q into $1, $2, ... for Postgres
// (outside quoted strings and identifiers); SQLite takes q as it is.
func (d dialect) rebind(q string) string {
	if d.backend != Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// migrationSQL is m's text for this backend.
func (d dialect) migrationSQL(m migration) string {
	if d.backend == Postgres && m.postgres != "" {
		return m.postgres
	}
	return m.sql
}
