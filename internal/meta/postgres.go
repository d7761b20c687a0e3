package meta

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// WriteLockKey is the PostgreSQL advisory lock every write transaction
// takes first (Tx), on every node. The repository checks then writes
// (a free name, the next version number, a lock not held) inside one
// transaction, as SQLite's single writer lets it; on PostgreSQL this lock
// gives the same guarantee across all the servers sharing the database.
// The journal's trigger takes it too (migrations/postgres/00001_init.sql).
const WriteLockKey int64 = 7460189351260214631

// IsPostgres reports whether a database setting names a PostgreSQL
// database (a postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openPostgres connects both pools to the PostgreSQL database at url
// through the rebinding driver, then migrates it.
func openPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	conn := &pgConnector{inner: stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(boolAsInteger))}
	w := sql.OpenDB(conn)
	w.SetMaxOpenConns(8)
	r := sql.OpenDB(conn)
	r.SetMaxOpenConns(16)
	r.SetMaxIdleConns(8)
	db := &DB{W: w, R: r, path: redact(cfg), dialect: Postgres, pgcfg: cfg}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.path, err)
	}
	return db, nil
}

// redact names a database for logs and errors without its password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// pgConnector hands database/sql connections that rebind each statement
// (rebind.go).
type pgConnector struct {
	inner driver.Connector
	sql   rebound
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn), sql: &c.sql}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.inner.Driver() }

type pgConn struct {
	*stdlib.Conn
	sql *rebound
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(c.sql.get(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, c.sql.get(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, c.sql.get(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, c.sql.get(query), args)
}

// boolAsInteger lets a Go bool be passed where PostgreSQL expects an
// integer: flags are integer columns (0 or 1) on both databases, and the
// SQL passes Go booleans as SQLite accepts them.
func boolAsInteger(ctx context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.RegisterType(&pgtype.Type{Name: "int8", OID: pgtype.Int8OID, Codec: intCodec{pgtype.Int8Codec{}, 8}})
	m.RegisterType(&pgtype.Type{Name: "int4", OID: pgtype.Int4OID, Codec: intCodec{pgtype.Int4Codec{}, 4}})
	return nil
}

type intCodec struct {
	pgtype.Codec
	size int
}

func (c intCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if reflect.ValueOf(value).Kind() == reflect.Bool {
		return boolEncoder{format, c.size}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

type boolEncoder struct {
	format int16
	size   int
}

func (e boolEncoder) Encode(value any, buf []byte) ([]byte, error) {
	var n byte
	if reflect.ValueOf(value).Bool() {
		n = 1
	}
	if e.format == pgtype.TextFormatCode {
		return append(buf, '0'+n), nil
	}
	for range e.size - 1 {
		buf = append(buf, 0)
	}
	return append(buf, n), nil
}

// SyncIDs moves every id sequence past the highest id in its table, after
// rows were written with their ids given (a copy from another database, a
// test's fixture): SQLite takes the next id from the table itself,
// PostgreSQL from a sequence that such inserts do not advance.
func (db *DB) SyncIDs(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	rows, err := db.R.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("list id sequences: %w", err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("list id sequences: %w", err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list id sequences: %w", err)
	}
	for _, tc := range cols {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'), COALESCE(max(%[2]s), 0) + 1, false) FROM %[1]s`, tc[0], tc[1])
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("move the id sequence of %s: %w", tc[0], err)
		}
	}
	return nil
}
