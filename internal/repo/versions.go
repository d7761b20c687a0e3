package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Version is one saved state of a file.
type Version struct {
	ID        int64
	NodeID    int64
	Number    int
	Hash      string
	Size      int64
	Mime      string
	Author    string
	DroppedBy string // the name a drop-box visitor gave (see Node.DroppedBy)
	Dropped   bool
	MailFrom  string // the sender, for content from the mail intake
	CreatedAt time.Time
	ModTime   time.Time
	Label     string
	Pinned    bool
	Current   bool
}

// File is an opened file version: permission was checked by Open, so
// holding a File is the right to read that version's bytes.
type File struct {
	Node    Node
	Version Version
	s       *core
}

// Open checks that the caller may read the file at path and returns a handle
// on its current version (number 0) or on the given version.
func (s *History) Open(ctx context.Context, p acl.Principal, path string, number int) (*File, error) {
	n, err := s.svc.Tree.Stat(ctx, p, path)
	if err != nil {
		return nil, err
	}
	return s.openNode(ctx, n, number)
}

// OpenID is Open by node id.
func (s *History) OpenID(ctx context.Context, p acl.Principal, id int64, number int) (*File, error) {
	n, err := s.svc.Tree.StatID(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.openNode(ctx, n, number)
}

func (s *core) openNode(ctx context.Context, n Node, number int) (*File, error) {
	if n.Role < acl.Viewer {
		return nil, fmt.Errorf("%s: %w", n.Path, ErrNotFound)
	}
	if n.Dir {
		return nil, fmt.Errorf("%s: %w", n.Path, ErrIsDir)
	}
	vs, err := s.versions(ctx, n, number)
	if err != nil {
		return nil, err
	}
	return &File{Node: n, Version: vs[0], s: s}, nil
}

// Versions lists a file's versions, newest first.
func (s *History) Versions(ctx context.Context, p acl.Principal, path string) (Node, []Version, error) {
	n, err := s.svc.Tree.Stat(ctx, p, path)
	if err != nil {
		return Node{}, nil, err
	}
	if n.Role < acl.Viewer {
		return Node{}, nil, fmt.Errorf("%s: %w", n.Path, ErrNotFound)
	}
	if n.Dir {
		return Node{}, nil, fmt.Errorf("%s: %w", n.Path, ErrIsDir)
	}
	all, err := s.versions(ctx, n, -1)
	return n, all, err
}

// versions loads the current version (number 0), one version (number > 0)
// or all of them (number < 0), newest first.
func (s *core) versions(ctx context.Context, n Node, number int) ([]Version, error) {
	q := `SELECT v.id, v.node_id, v.number, v.blob, v.size, v.mime, COALESCE(u.login, ''), v.created_at, v.mtime, v.label, v.pinned, v.author_via
		FROM versions v LEFT JOIN users u ON u.id = v.author WHERE v.node_id = ?`
	args := []any{n.ID}
	switch {
	case number == 0:
		q += ` AND v.id = ?`
		args = append(args, n.VersionID)
	case number > 0:
		q += ` AND v.number = ?`
		args = append(args, number)
	}
	rows, err := s.db.R.QueryContext(ctx, q+` ORDER BY v.number DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", n.Path, err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var created, mtime int64
		var via string
		if err := rows.Scan(&v.ID, &v.NodeID, &v.Number, &v.Hash, &v.Size, &v.Mime, &v.Author, &created, &mtime, &v.Label, &v.Pinned, &via); err != nil {
			return nil, fmt.Errorf("versions of %s: %w", n.Path, err)
		}
		v.CreatedAt, v.ModTime = meta.Time(created), meta.Time(mtime)
		v.DroppedBy, v.Dropped = DropSender(via)
		v.MailFrom = MailSender(via)
		v.Current = v.ID == n.VersionID
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s version %d: %w", n.Path, number, ErrNotFound)
	}
	return out, nil
}

// RestoreVersion makes an old version current again by adding it as a new
// version, so the history keeps what was current before.
func (s *History) RestoreVersion(ctx context.Context, p acl.Principal, path string, number int) (Node, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		if c.last().dir {
			return fmt.Errorf("%s: %w", c.path(), ErrIsDir)
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: c.path()}); err != nil {
			return err
		}
		id = c.last().id
		var blob string
		if err := tx.QueryRowContext(ctx, `SELECT blob FROM versions WHERE node_id = ? AND number = ?`, id, number).Scan(&blob); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%s version %d: %w", c.path(), number, ErrNotFound)
			}
			return err
		}
		now := s.now().UnixNano()
		var vid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO versions (node_id, number, blob, size, mime, author, created_at, mtime)
			SELECT node_id, (SELECT MAX(number) + 1 FROM versions WHERE node_id = ?), blob, size, mime, ?, ?, ?
			FROM versions WHERE node_id = ? AND number = ? RETURNING id`, id, actorArg(p), now, now, id, number).Scan(&vid); err != nil {
			return fmt.Errorf("restore version %d of %s: %w", number, c.path(), err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET current_version_id = ?, mtime = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			vid, now, now, actorArg(p), id); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, p, c[:len(c)-1]); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, id, "restore_version", map[string]any{"path": c.path(), "version": number, "blob": blob})
	})
	if err != nil {
		return Node{}, fmt.Errorf("restore %s version %d: %w", path, number, err)
	}
	s.notify()
	return s.svc.Tree.StatID(ctx, p, id)
}

// LabelVersion sets a version's label and pin (pinned versions are never
// purged by retention).
func (s *History) LabelVersion(ctx context.Context, p acl.Principal, path string, number int, label string, pinned bool) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE versions SET label = ?, pinned = ? WHERE node_id = ? AND number = ?`, label, pinned, c.last().id, number)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s version %d: %w", c.path(), number, ErrNotFound)
		}
		return s.journal(ctx, tx, p, c.last().id, "label_version", map[string]any{"path": c.path(), "version": number, "label": label, "pinned": pinned})
	})
	if err != nil {
		return fmt.Errorf("label %s version %d: %w", path, number, err)
	}
	s.notify()
	return nil
}
