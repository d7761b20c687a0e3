package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Lock is a WebDAV lock as stored. The WebDAV rules (what conflicts with
// what, what a token covers) live in internal/dav; the repository keeps
// locks durable across restarts and checks who may take and drop them.
type Lock struct {
	Token    string
	NodeID   int64
	Root     string // the locked path
	Infinite bool   // depth infinity: covers the whole subtree
	Shared   bool
	OwnerXML string // the client's <owner> element content, verbatim
	UserID   int64
	Created  time.Time
	Expires  time.Time
}

// Locks returns the locks in force: not expired, and taken on a node that
// is still live at the locked path (a lock does not follow a move, and dies
// with a delete, whoever made it).
func (s *DAV) Locks(ctx context.Context, p acl.Principal) ([]Lock, error) {
	if p.Anonymous() {
		return nil, fmt.Errorf("locks: %w", ErrForbidden)
	}
	return s.locksIn(ctx, s.db.R)
}

func (s *core) locksIn(ctx context.Context, q querier) ([]Lock, error) {
	rows, err := q.QueryContext(ctx, `SELECT token, node_id, root, depth, shared, owner_xml, user_id, created_at, expires_at
		FROM dav_locks WHERE expires_at > ?`, s.now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("load locks: %w", err)
	}
	var all []Lock
	for rows.Next() {
		var l Lock
		var depth int
		var created, expires int64
		if err := rows.Scan(&l.Token, &l.NodeID, &l.Root, &depth, &l.Shared, &l.OwnerXML, &l.UserID, &created, &expires); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load locks: %w", err)
		}
		l.Infinite, l.Created, l.Expires = depth != 0, meta.Time(created), meta.Time(expires)
		all = append(all, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load locks: %w", err)
	}
	out := all[:0]
	for _, l := range all {
		c, err := s.chainByID(ctx, q, l.NodeID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.live() && c.path() == l.Root {
			out = append(out, l)
		}
	}
	return out, nil
}

// CreateLock records a lock on the existing node at path for p, who must be
// able to edit it. check sees the locks in force inside the same
// transaction and refuses conflicting ones, so two clients can never both
// obtain an exclusive lock.
func (s *DAV) CreateLock(ctx context.Context, p acl.Principal, path string, l Lock, check func(held []Lock) error) (Lock, error) {
	if p.Anonymous() {
		return Lock{}, fmt.Errorf("lock %s: %w", path, ErrForbidden)
	}
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		held, err := s.locksIn(ctx, tx)
		if err != nil {
			return err
		}
		if err := check(held); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM dav_locks WHERE expires_at <= ?`, now.UnixNano()); err != nil {
			return fmt.Errorf("drop expired locks: %w", err)
		}
		depth := 0
		if l.Infinite {
			depth = -1
		}
		l.NodeID, l.Root, l.UserID, l.Created = c.last().id, c.path(), p.UserID, now
		_, err = tx.ExecContext(ctx, `INSERT INTO dav_locks (token, node_id, root, depth, shared, owner_xml, user_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.Token, l.NodeID, l.Root, depth, l.Shared, l.OwnerXML, l.UserID,
			now.UnixNano(), l.Expires.UnixNano())
		return err
	})
	if err != nil {
		return Lock{}, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, nil
}

// RefreshLock moves the expiry of p's lock. ErrNotFound if the lock is no
// longer in force, ErrForbidden if it is someone else's.
func (s *DAV) RefreshLock(ctx context.Context, p acl.Principal, token string, expires time.Time) (Lock, error) {
	var out Lock
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		l, err := s.heldLock(ctx, tx, p, token, false)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dav_locks SET expires_at = ? WHERE token = ?`, expires.UnixNano(), token); err != nil {
			return err
		}
		l.Expires, out = expires, l
		return nil
	})
	if err != nil {
		return Lock{}, fmt.Errorf("refresh lock %s: %w", token, err)
	}
	return out, nil
}

// Unlock drops a lock: its holder's, or anyone's for an administrator or
// a manager of the locked node (to unstick a file left locked by a crashed
// client or by someone away). Breaking someone else's lock is journalled.
func (s *DAV) Unlock(ctx context.Context, p acl.Principal, token string) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		l, err := s.heldLock(ctx, tx, p, token, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dav_locks WHERE token = ?`, token); err != nil {
			return err
		}
		if l.UserID == p.UserID && !p.System {
			return nil
		}
		return s.journal(ctx, tx, p, l.NodeID, "lock_break", map[string]any{"path": l.Root, "holder": l.UserID})
	})
	if err != nil {
		return fmt.Errorf("unlock %s: %w", token, err)
	}
	s.notify()
	return nil
}

// heldLock finds a lock in force that p holds (or, with breaking, that p
// may break: administrators, and managers of the locked node).
func (s *core) heldLock(ctx context.Context, tx meta.Tx, p acl.Principal, token string, breaking bool) (Lock, error) {
	held, err := s.locksIn(ctx, tx)
	if err != nil {
		return Lock{}, err
	}
	for _, l := range held {
		if l.Token != token {
			continue
		}
		if p.UserID != 0 && l.UserID == p.UserID {
			return l, nil
		}
		if breaking {
			ok, err := s.mayBreak(ctx, tx, p, l)
			if err != nil {
				return Lock{}, err
			}
			if ok {
				return l, nil
			}
		}
		return Lock{}, fmt.Errorf("the lock belongs to someone else: %w", ErrForbidden)
	}
	return Lock{}, fmt.Errorf("no such lock: %w", ErrNotFound)
}

// mayBreak reports whether p may drop l though it is someone else's.
func (s *core) mayBreak(ctx context.Context, q querier, p acl.Principal, l Lock) (bool, error) {
	if p.IsAdmin() {
		return true, nil
	}
	if p.Anonymous() || p.Share != nil {
		return false, nil
	}
	c, err := s.chainByID(ctx, q, l.NodeID)
	if err != nil {
		return false, err
	}
	role, err := s.roleOn(ctx, q, p, c)
	return role >= acl.Manager, err
}

// LockInfo is a lock as the web page of a locked document shows it.
type LockInfo struct {
	Lock
	Holder   string // display name, or login
	Mine     bool   // p holds it
	CanBreak bool   // p may remove it (its holder, a manager, an administrator)
}

// LocksOn returns the locks in force that protect the node at path (taken
// on it, or on a folder above with depth infinity), for someone who may
// read it.
func (s *DAV) LocksOn(ctx context.Context, p acl.Principal, path string) ([]LockInfo, error) {
	n, err := s.svc.Tree.Stat(ctx, p, path)
	if err != nil {
		return nil, err
	}
	if n.Role < acl.Viewer {
		return nil, nil
	}
	locks, err := s.locksIn(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	var out []LockInfo
	for _, l := range locks {
		if !l.Covers(n.Path) {
			continue
		}
		li := LockInfo{Lock: l, Holder: s.displayName(ctx, s.db.R, l.UserID), Mine: p.UserID != 0 && l.UserID == p.UserID}
		if li.CanBreak = li.Mine; !li.CanBreak {
			if li.CanBreak, err = s.mayBreak(ctx, s.db.R, p, l); err != nil {
				return nil, err
			}
		}
		out = append(out, li)
	}
	return out, nil
}
