package repo

import (
	"context"
	"database/sql"
	"fmt"
	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// row is a node as stored, with its current version.
type row struct {
	id, parent          int64
	name                string
	dir                 bool
	mtime, created, upd int64
	updBy               string
	deleted             sql.NullInt64
	verID               sql.NullInt64
	verNum              sql.NullInt64
	hash, mime          sql.NullString
	size                sql.NullInt64
	restricted          bool
	via                 string
	treeSeq             int64
}

const rowCols = `n.id, COALESCE(n.parent_id, 0), n.name, n.kind = 'dir', n.mtime, n.created_at, n.updated_at,
	COALESCE(u.login, ''), n.deleted_at, v.id, v.number, v.blob, v.mime, v.size, n.restricted <> 0, n.updated_via, n.tree_seq`

const rowJoins = ` LEFT JOIN versions v ON v.id = n.current_version_id LEFT JOIN users u ON u.id = n.updated_by `

const rowFrom = ` FROM nodes n` + rowJoins

// ancCols name rowCols in a walk up the tree (chainByID, chainsByID),
// whose rows carry them as it climbs, each node read by its primary key.
// Joining the walk's ids to nodes afterwards instead let PostgreSQL, which
// cannot tell how many rows a recursive query yields, answer with a scan
// of every node, on every stat by id.
const ancCols = `id, parent, name, dir, mtime, created, upd, upd_by, deleted, ver_id, ver_num, blob, mime, size, restricted, via, tree_seq`

// ancUp is the recursive part of such a walk: the parent of each row.
const ancUp = ` FROM anc JOIN nodes n ON n.id = anc.parent` + rowJoins

func scanRow(sc interface{ Scan(...any) error }) (row, error) {
	var r row
	err := sc.Scan(&r.id, &r.parent, &r.name, &r.dir, &r.mtime, &r.created, &r.upd, &r.updBy, &r.deleted,
		&r.verID, &r.verNum, &r.hash, &r.mime, &r.size, &r.restricted, &r.via, &r.treeSeq)
	return r, err
}

// readRows reads every row of rows (rowCols, in that order) and closes it.
func readRows(rows *sql.Rows) ([]row, error) {
	defer rows.Close()
	var out []row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (r row) node(path string, role acl.Role) Node {
	n := Node{
		ID: r.id, ParentID: r.parent, Name: r.name, Path: path, Dir: r.dir,
		Size: r.size.Int64, Mime: r.mime.String, Hash: r.hash.String,
		Version: int(r.verNum.Int64), VersionID: r.verID.Int64,
		ModTime: meta.Time(r.mtime), CreatedAt: meta.Time(r.created), UpdatedAt: meta.Time(r.upd),
		UpdatedBy: r.updBy, TreeSeq: r.treeSeq, DeletedAt: meta.NullTime(r.deleted), Role: role,
		Restricted: r.restricted,
	}
	n.DroppedBy, n.Dropped = DropSender(r.via)
	n.MailFrom = MailSender(r.via)
	return n
}

// chain is a node and its ancestors, root first.
type chain []row

func (c chain) last() row { return c[len(c)-1] }

func (c chain) path() string {
	names := make([]string, 0, len(c))
	for _, r := range c[1:] {
		names = append(names, r.name)
	}
	return JoinPath(names)
}

func (c chain) ids() []int64 {
	ids := make([]int64, len(c))
	for i, r := range c {
		ids[i] = r.id
	}
	return ids
}

// restrictedFlags says, node by node, which are restricted.
func (c chain) restrictedFlags() []bool {
	out := make([]bool, len(c))
	for i, r := range c {
		out[i] = r.restricted
	}
	return out
}

// reach is the part of c whose grants apply to its last node: from the
// deepest restricted node down (the whole chain when none is).
func (c chain) reach() chain { return c[acl.ReachFrom(c.restrictedFlags()):] }

// live reports whether no node of the chain is in the trash.
func (c chain) live() bool {
	for _, r := range c {
		if r.deleted.Valid {
			return false
		}
	}
	return true
}

func namesOf(c chain) []string {
	var out []string
	for _, r := range c[1:] {
		out = append(out, r.name)
	}
	return out
}

const chainByIDQuery = `WITH RECURSIVE anc(depth, ` + ancCols + `) AS (
		SELECT 0, ` + rowCols + rowFrom + ` WHERE n.id = ?
		UNION ALL SELECT anc.depth + 1, ` + rowCols + ancUp + `
	) SELECT ` + ancCols + ` FROM anc ORDER BY depth DESC`

// chainByID loads a node and its ancestors, root first, trashed or not.
func (s *core) chainByID(ctx context.Context, q querier, id int64) (chain, error) {
	rows, err := s.query(ctx, q, chainByIDQuery, id)
	if err != nil {
		return nil, fmt.Errorf("load node %d: %w", id, err)
	}
	rs, err := readRows(rows)
	if err != nil {
		return nil, fmt.Errorf("load node %d: %w", id, err)
	}
	c := chain(rs)
	if len(c) == 0 || c[0].id != RootID {
		return nil, fmt.Errorf("node %d: %w", id, ErrNotFound)
	}
	return c, nil
}
