package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"notreasso/internal/meta"
	"notreasso/internal/pwhash"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"notreasso/internal/acl"
)

// This file is what a share-link holder can do. ShareAccess turns a token
// into a principal whose only right is the link's scope (acl.ShareScope);
// every operation below then goes through the same checks as everyone
// else's, with paths relative to the linked node so that nothing above it
// is ever named.

// ShareAccess validates a token, and the link's password unless the
// caller already proved it (unlocked reports that, by link id; nil for
// none), and returns the principal the link holder acts as. Unknown tokens
// are ErrNotFound; revoked, expired or used-up links ErrExpired; a missing
// or wrong password ErrNeedPassword.
func (s *Shares) ShareAccess(ctx context.Context, token, password string, unlocked func(linkID int64) bool) (acl.Principal, Share, error) {
	if !ValidShareToken(token) {
		return acl.Principal{}, Share{}, fmt.Errorf("share link: %w", ErrNotFound)
	}
	var id int64
	if err := s.db.R.QueryRowContext(ctx, `SELECT id FROM share_links WHERE token_hash = ?`, hashToken(token)).Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return acl.Principal{}, Share{}, fmt.Errorf("share link: %w", ErrNotFound)
		}
		return acl.Principal{}, Share{}, fmt.Errorf("share link: %w", err)
	}
	sh, err := s.shareByID(ctx, s.db.R, id)
	if err != nil {
		return acl.Principal{}, Share{}, err
	}
	if !sh.Open(s.now()) {
		return acl.Principal{}, Share{}, fmt.Errorf("share link: %w", ErrExpired)
	}
	p := acl.Principal{Share: &acl.ShareScope{LinkID: sh.ID, NodeID: sh.NodeID, DropBox: sh.Kind == ShareDropBox}}
	if sh.HasPassword && (unlocked == nil || !unlocked(sh.ID)) {
		if password == "" {
			return acl.Principal{}, sh, fmt.Errorf("share link: %w", ErrNeedPassword)
		}
		ok, err := pwhash.Check(ctx, sh.passwordHash, password)
		if errors.Is(err, pwhash.ErrBusy) {
			return acl.Principal{}, sh, err // not a wrong password: come back later
		}
		if err != nil || !ok {
			s.shareUse(ctx, p, "share_denied", map[string]any{"reason": "wrong password"})
			return acl.Principal{}, sh, fmt.Errorf("share link: wrong password: %w", ErrNeedPassword)
		}
	}
	return p, sh, nil
}

// shareUse journals a use of a link, best effort: a failed journal write
// must not turn a download into an error.
func (s *core) shareUse(ctx context.Context, p acl.Principal, action string, details map[string]any) {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE share_links SET last_used_at = ? WHERE id = ?`, s.now().UnixNano(), p.Share.LinkID); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, p.Share.NodeID, action, details)
	})
	if err != nil {
		s.log.Warn("journal share link use", "link", p.Share.LinkID, "action", action, "err", err)
	}
}

// shareRoot is the linked node's chain, which must be live.
func (s *core) shareRoot(ctx context.Context, q querier, p acl.Principal) (chain, error) {
	if p.Share == nil {
		return nil, fmt.Errorf("not a share link: %w", ErrForbidden)
	}
	c, err := s.chainByID(ctx, q, p.Share.NodeID)
	if err != nil || !c.live() {
		return nil, fmt.Errorf("share link: %w", ErrExpired)
	}
	return c, nil
}

// ShareName is the linked node's name, for page titles: the one name a
// link holder may know, drop boxes included.
func (s *Shares) ShareName(ctx context.Context, p acl.Principal) (string, error) {
	root, err := s.shareRoot(ctx, s.db.R, p)
	if err != nil {
		return "", err
	}
	if root.last().name == "" {
		return "Notre Asso", nil
	}
	return root.last().name, nil
}

// ShareRelPath joins a path inside a link to the linked node's path. rel
// is cleaned like any path: it can name nothing outside the link.
func ShareRelPath(root, rel string) (string, error) {
	base, err := SplitPath(root)
	if err != nil {
		return "", err
	}
	sub, err := SplitPath(rel)
	if err != nil {
		return "", err
	}
	return JoinPath(append(base, sub...)), nil
}

// relative rewrites a node's path as seen from inside the link.
func relative(root chain, n Node) Node {
	n.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(n.Path, root.path()), "/")
	if n.ID == root.last().id {
		n.Path = "/"
	}
	return n
}

// ShareStat returns the node at rel inside the link.
func (s *Shares) ShareStat(ctx context.Context, p acl.Principal, rel string) (Node, error) {
	root, err := s.shareRoot(ctx, s.db.R, p)
	if err != nil {
		return Node{}, err
	}
	abs, err := ShareRelPath(root.path(), rel)
	if err != nil {
		return Node{}, err
	}
	n, err := s.svc.Tree.Stat(ctx, p, abs)
	if err != nil {
		return Node{}, hideAbove(err, rel)
	}
	return relative(root, n), nil
}

// hideAbove restates a not-found error with the link-relative path, since
// the repository's message names the absolute one.
func hideAbove(err error, rel string) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("%s: %w", rel, ErrNotFound)
	case errors.Is(err, ErrForbidden):
		return fmt.Errorf("%s: %w", rel, ErrForbidden)
	}
	return err
}

// ShareList lists the folder at rel inside the link, and journals the visit.
func (s *Shares) ShareList(ctx context.Context, p acl.Principal, rel string) (Node, []Node, error) {
	root, err := s.shareRoot(ctx, s.db.R, p)
	if err != nil {
		return Node{}, nil, err
	}
	abs, err := ShareRelPath(root.path(), rel)
	if err != nil {
		return Node{}, nil, err
	}
	dir, kids, err := s.svc.Tree.List(ctx, p, abs)
	if err != nil {
		return Node{}, nil, hideAbove(err, rel)
	}
	for i := range kids {
		kids[i] = relative(root, kids[i])
	}
	dir = relative(root, dir)
	s.shareUse(ctx, p, "share_view", map[string]any{"path": dir.Path})
	return dir, kids, nil
}

// ShareOpen opens the file at rel inside the link. With count set (a
// download starting at its first byte) it uses up one of the link's
// downloads, refusing with ErrExpired when none are left, and journals it.
func (s *Shares) ShareOpen(ctx context.Context, p acl.Principal, rel string, count bool) (*File, error) {
	root, err := s.shareRoot(ctx, s.db.R, p)
	if err != nil {
		return nil, err
	}
	abs, err := ShareRelPath(root.path(), rel)
	if err != nil {
		return nil, err
	}
	f, err := s.svc.History.Open(ctx, p, abs, 0)
	if err != nil {
		return nil, hideAbove(err, rel)
	}
	f.Node = relative(root, f.Node)
	if !count {
		// The rest of a file (range requests) only while downloads are left,
		// as before listings stopped counting as uses.
		var usedUp bool
		if err := s.db.R.QueryRowContext(ctx, `SELECT max_downloads > 0 AND downloads >= max_downloads FROM share_links WHERE id = ?`,
			p.Share.LinkID).Scan(&usedUp); err != nil || usedUp {
			return nil, fmt.Errorf("share link: no downloads left: %w", ErrExpired)
		}
		return f, nil
	}
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE share_links SET downloads = downloads + 1, last_used_at = ?
			WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (max_downloads = 0 OR downloads < max_downloads)`,
			s.now().UnixNano(), p.Share.LinkID, s.now().UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("share link: no downloads left: %w", ErrExpired)
		}
		return s.journal(ctx, tx, p, p.Share.NodeID, "share_download", map[string]any{"path": f.Node.Path, "version": f.Version.Number})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ShareDrop stores an upload sent through a drop-box link into the linked
// folder. It never overwrites nor reveals anything: a taken name gets a
// free variant ("reçu (2).pdf") that is not told to the sender.
func (s *Shares) ShareDrop(ctx context.Context, p acl.Principal, name string, r io.Reader, size int64) error {
	if p.Share == nil || !p.Share.DropBox {
		return fmt.Errorf("this link does not accept uploads: %w", ErrForbidden)
	}
	// Browsers may send a client-side path ("C:\fakepath\reçu.pdf").
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name, err := CheckNewName(name)
	if err != nil {
		return err
	}
	root, err := s.shareRoot(ctx, s.db.R, p)
	if err != nil {
		return err
	}
	if !root.last().dir {
		return fmt.Errorf("share link: %w", ErrExpired)
	}
	sp, err := s.spool(ctx, r, size, name)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	defer sp.release()
	if err := s.storeBlob(ctx, sp); err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		var active bool
		if err := tx.QueryRowContext(ctx, `SELECT revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) FROM share_links WHERE id = ?`,
			s.now().UnixNano(), p.Share.LinkID).Scan(&active); err != nil || !active {
			return fmt.Errorf("share link: %w", ErrExpired)
		}
		root, err := s.shareRoot(ctx, tx, p)
		if err != nil {
			return err
		}
		free, err := s.freeName(ctx, tx, root.last().id, name)
		if err != nil {
			return err
		}
		if err := s.admitName(ctx, tx, p, root.last().id, free, "", 0); err != nil {
			return err
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: JoinPath(append(namesOf(root), free)), Member: true}); err != nil {
			return err
		}
		id, err := s.insertFile(ctx, tx, p, root, free, sp, s.now())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE share_links SET last_used_at = ? WHERE id = ?`, s.now().UnixNano(), p.Share.LinkID); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, root.last().id, "share_upload", map[string]any{"name": name, "stored_as": free, "node": id, "size": sp.size})
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	s.notify()
	return nil
}

// freeName returns name, or the first "base (n).ext" not taken by a live
// node in the folder.
func (s *core) freeName(ctx context.Context, tx querier, parent int64, name string) (string, error) {
	base, ext := splitExt(name)
	rows, err := tx.QueryContext(ctx, `SELECT name FROM nodes WHERE parent_id = ? AND deleted_at IS NULL AND (name LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\')`,
		parent, caseFoldPattern(name), likePrefix(truncateName(base, len(" (99999)"+ext))+" ("))
	if err != nil {
		return "", fmt.Errorf("find a free name: %w", err)
	}
	taken := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		taken[strings.ToLower(n)] = true // a case twin is taken too (Windows, macOS)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	return DropName(name, func(n string) bool { return taken[strings.ToLower(n)] }), nil
}

// DropName is name if not taken, else the first free "base (n).ext",
// shortened to stay within MaxNameBytes.
func DropName(name string, taken func(string) bool) string {
	if !taken(name) {
		return name
	}
	base, ext := splitExt(name)
	for i := 2; ; i++ {
		suffix := fmt.Sprintf(" (%d)%s", i, ext)
		if len(suffix) > MaxNameBytes {
			ext, suffix = "", fmt.Sprintf(" (%d)", i)
		}
		cand := truncateName(base, len(suffix)) + suffix
		if !taken(cand) {
			return cand
		}
	}
}

// splitExt cuts "reçu.pdf" into "reçu" and ".pdf"; dot-files and names
// without a dot have no extension.
func splitExt(name string) (string, string) {
	ext := filepath.Ext(name)
	if ext == name || len(ext) > 16 {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}

// truncateName shortens s (on a rune boundary) so that reserve more bytes
// still fit in a name.
func truncateName(s string, reserve int) string {
	room := MaxNameBytes - reserve
	if room <= 0 {
		return ""
	}
	for len(s) > room {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
