package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Execer is a transaction or a database handle.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// JournalEntry is one line of the journal: who did what, to which node,
// when. The journal is append-only; activity pages, feeds, digests, the
// search indexer and the consistency check all read it, so every writer —
// the repository's changes, account and group changes, the sweep, repairs
// — appends through AppendJournal and nowhere else.
type JournalEntry struct {
	At      time.Time
	Actor   int64 // account id; 0 for the system, a share link or the command line
	NodeID  int64 // 0 when the entry is about no node (accounts, the sweep)
	Action  string
	Details any // marshalled as JSON; nil is {}
}

// AppendJournal writes e in the caller's transaction (or on the write
// handle for entries that stand alone).
func AppendJournal(ctx context.Context, x Execer, e JournalEntry) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("journal %s: %w", e.Action, err)
	}
	var actor, node any
	if e.Actor != 0 {
		actor = e.Actor
	}
	if e.NodeID != 0 {
		node = e.NodeID
	}
	if _, err := x.ExecContext(ctx, `INSERT INTO journal (at, actor, node_id, action, details) VALUES (?, ?, ?, ?, ?)`,
		e.At.UnixNano(), actor, node, e.Action, string(b)); err != nil {
		return fmt.Errorf("journal %s: %w", e.Action, err)
	}
	return nil
}

// DropGrantsTo removes every grant to a principal that is going away (a
// group, a role), in the caller's transaction, and says how many went.
// Grants name their principal by kind and id, which no foreign key can
// follow; this is the cascade such a key would be, so that a principal
// created later with the same id never inherits them.
func DropGrantsTo(ctx context.Context, x Execer, kind string, id int64) (int64, error) {
	res, err := x.ExecContext(ctx, `DELETE FROM grants WHERE principal_kind = ? AND principal_id = ?`, kind, id)
	if err != nil {
		return 0, fmt.Errorf("drop grants to %s %d: %w", kind, id, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
