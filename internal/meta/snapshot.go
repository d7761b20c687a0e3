package meta

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"slices"
)

// SnapshotSQLite writes a consistent copy of the metadata to a new SQLite
// file at path, the form a backup keeps whatever the database: so one
// restore serves both, and a snapshot taken on PostgreSQL restores into a
// plain installation (then `notreasso db migrate` if wanted).
//
// On SQLite it is VACUUM INTO. On PostgreSQL the file is created and
// migrated to this binary's schema, then every table is copied into it
// with the copier of `notreasso db migrate` (CopyTo), the other way round,
// inside one read-only REPEATABLE READ transaction: every table is read
// as of one instant while the servers go on writing, so the copy is a
// state the database really was in. Each table's row count is checked
// against that same instant.
func (db *DB) SnapshotSQLite(ctx context.Context, path string) (CopyReport, error) {
	if db.dialect == SQLite {
		if _, err := db.R.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
			return CopyReport{}, fmt.Errorf("snapshot the database: %w", err)
		}
		return CopyReport{}, nil
	}
	if _, err := os.Stat(path); err == nil {
		return CopyReport{}, fmt.Errorf("snapshot the database: %s exists already", path)
	}
	rep, err := db.snapshotPostgres(ctx, path)
	if err != nil {
		os.Remove(path)
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		return rep, fmt.Errorf("snapshot the database: %w", err)
	}
	return rep, nil
}

func (db *DB) snapshotPostgres(ctx context.Context, path string) (rep CopyReport, err error) {
	src, err := db.R.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return rep, err
	}
	defer src.Rollback() // read-only: nothing to commit
	var srcSchema int64
	if err := src.QueryRowContext(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version`).Scan(&srcSchema); err != nil {
		return rep, fmt.Errorf("read the schema version: %w", err)
	}
	dst, err := openSQLite(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		return rep, err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	var dstSchema int64
	if err := dst.R.QueryRowContext(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version`).Scan(&dstSchema); err != nil {
		return rep, err
	}
	if srcSchema != dstSchema {
		// A server of another version migrated the database: its tables
		// are not this binary's.
		return rep, fmt.Errorf("the database is at schema %d, this program's is %d: back up with the servers' version", srcSchema, dstSchema)
	}
	// Both schemas come from the same ordered migrations: the SQLite
	// file's tables, in foreign-key order, are the ones to copy.
	tables, err := dst.copyOrder(ctx)
	if err != nil {
		return rep, err
	}
	// What the first migration seeds (the root folder, its grant) comes
	// from the source instead.
	err = dst.Tx(ctx, func(tx Tx) error {
		for _, t := range slices.Backward(tables) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
				return fmt.Errorf("empty %s: %w", t.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, t := range tables {
		n, err := copyRows(ctx, src, dst, t)
		if err != nil {
			return rep, fmt.Errorf("copy %s: %w", t.name, err)
		}
		var want int64
		if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&want); err != nil {
			return rep, fmt.Errorf("count %s: %w", t.name, err)
		}
		if n != want {
			return rep, fmt.Errorf("copy %s: %d rows in the database, %d copied", t.name, want, n)
		}
		rep.Tables = append(rep.Tables, TableCount{t.name, n})
	}
	// One self-contained file, as VACUUM INTO writes: leaving WAL mode
	// needs the other connections closed.
	dst.R.SetMaxIdleConns(0)
	if _, err := dst.W.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return rep, fmt.Errorf("close the snapshot's log: %w", err)
	}
	return rep, nil
}
