package repo

import (
	"context"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// DeadProp is a WebDAV property a client set with PROPPATCH. Its value is
// kept as XML, returned byte for byte, and follows the node when it moves.
type DeadProp struct {
	Space string // XML namespace; empty for none
	Local string
	Lang  string // xml:lang, if any
	XML   []byte // inner XML, self-contained (it declares the namespaces it uses)
}

// PropOp is one step of a PROPPATCH: set or remove a property.
type PropOp struct {
	Remove bool
	Prop   DeadProp // for Remove, only Space and Local matter
}

// PropPatch is a whole PROPPATCH, applied atomically: the operations in
// order, and the modification time some of them stand for (Windows'
// Win32LastModifiedTime, rclone's lastmodified); zero leaves it alone.
type PropPatch struct {
	Ops     []PropOp
	ModTime time.Time
}

// DeadProps returns the node at path and its dead properties.
func (s *DAV) DeadProps(ctx context.Context, p acl.Principal, path string) (Node, []DeadProp, error) {
	n, err := s.svc.Tree.Stat(ctx, p, path)
	if err != nil {
		return Node{}, nil, err
	}
	if n.Role < acl.Viewer {
		return n, nil, nil // a folder seen only on the way to a grant: name only
	}
	props, err := s.propsWhere(ctx, `node_id = ?`, n.ID)
	if err != nil {
		return Node{}, nil, fmt.Errorf("properties of %s: %w", n.Path, err)
	}
	return n, props[n.ID], nil
}

// propsWhere loads dead properties selected by a condition on node_id.
func (s *core) propsWhere(ctx context.Context, where string, args ...any) (map[int64][]DeadProp, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT node_id, space, local, lang, xml FROM dav_props WHERE `+where+
		` ORDER BY node_id, space, local`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]DeadProp{}
	for rows.Next() {
		var id int64
		var d DeadProp
		var x string
		if err := rows.Scan(&id, &d.Space, &d.Local, &d.Lang, &x); err != nil {
			return nil, err
		}
		d.XML = []byte(x)
		out[id] = append(out[id], d)
	}
	return out, rows.Err()
}

// PatchProps applies a PROPPATCH to the node at path: editors only, all or
// nothing, journalled. A modification time is applied to the node and its
// current version, so the web UI, GET and PROPFIND all show it.
func (s *DAV) PatchProps(ctx context.Context, p acl.Principal, path string, pp PropPatch) (Node, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: c.path()}); err != nil {
			return err
		}
		id = c.last().id
		var set, removed []string
		for _, op := range pp.Ops {
			name := "{" + op.Prop.Space + "}" + op.Prop.Local
			if op.Remove {
				if _, err := tx.ExecContext(ctx, `DELETE FROM dav_props WHERE node_id = ? AND space = ? AND local = ?`,
					id, op.Prop.Space, op.Prop.Local); err != nil {
					return fmt.Errorf("remove property %s: %w", name, err)
				}
				removed = append(removed, name)
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO dav_props (node_id, space, local, lang, xml) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (node_id, space, local) DO UPDATE SET lang = excluded.lang, xml = excluded.xml`,
				id, op.Prop.Space, op.Prop.Local, op.Prop.Lang, string(op.Prop.XML)); err != nil {
				return fmt.Errorf("set property %s: %w", name, err)
			}
			set = append(set, name)
		}
		details := map[string]any{"path": c.path(), "set": set, "removed": removed}
		if !pp.ModTime.IsZero() {
			mt := pp.ModTime.UnixNano()
			if _, err := tx.ExecContext(ctx, `UPDATE nodes SET mtime = ? WHERE id = ?`, mt, id); err != nil {
				return fmt.Errorf("set modification time: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE versions SET mtime = ? WHERE id = (SELECT current_version_id FROM nodes WHERE id = ?)`, mt, id); err != nil {
				return fmt.Errorf("set modification time: %w", err)
			}
			details["mtime"] = pp.ModTime.UTC().Format(time.RFC3339Nano)
		}
		return s.journal(ctx, tx, p, id, "set_props", details)
	})
	if err != nil {
		return Node{}, fmt.Errorf("set properties of %s: %w", path, err)
	}
	s.notify()
	return s.svc.Tree.StatID(ctx, p, id)
}
