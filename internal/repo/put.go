package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/storage"
)

// precheckAbove is the announced size above which Put checks rights
// before reading the body.
const precheckAbove = 256 << 10

// PutOptions qualifies a Put.
type PutOptions struct {
	Size        int64     // announced size; -1 when unknown (chunked bodies)
	ModTime     time.Time // the document's own modification time; zero means now
	IfMatch     string    // if set, the current content hash must equal it
	IfNoneMatch bool      // if set, the file must not exist yet
	// Verify, if set, is called once the whole body is spooled and before
	// anything is stored: an error (a checksum the client sent that the
	// bytes do not match) refuses the upload and changes nothing.
	Verify func() error
}

// storeBlob makes the spooled content durable in the blob store. With the
// local store the spool file is renamed into place; otherwise it is streamed.
func (s *core) storeBlob(ctx context.Context, sp *spooled) error {
	// Lease before storing: the store skips content it already holds, and
	// the collector must not delete it meanwhile (see gc.go).
	if err := s.leaseBlob(ctx, sp.hash, sp.size); err != nil {
		return err
	}
	corrupt := s.corruptBlob(ctx, sp.hash)
	if corrupt {
		// The stored copy was found altered: this upload brings the true
		// content back (the store would otherwise keep the copy it holds).
		if err := s.replaceCorrupt(ctx, sp.hash); err != nil {
			return err
		}
	}
	err := s.putBlob(ctx, sp)
	if err == nil && corrupt {
		if err := s.clearCorrupt(ctx, sp.hash); err != nil {
			return fmt.Errorf("store blob %s: %w", sp.hash, err)
		}
		s.log.Info("altered content replaced by an upload of the same content", "sha256", sp.hash)
	}
	if err != nil && s.collecting(ctx, sp.hash) {
		// A collector (with a grace shorter than this upload) took the
		// content while it was being stored: the same answer as useBlob's.
		return fmt.Errorf("%w: the content was collected while it was being stored; retry (%v)", ErrUnavailable, err)
	}
	return err
}

func (s *core) putBlob(ctx context.Context, sp *spooled) error {
	if sp.stream != nil {
		if err := sp.stream.Commit(ctx, sp.hash); err != nil {
			return fmt.Errorf("store blob %s: %w", sp.hash, err)
		}
		return nil
	}
	if fp, ok := s.renames(sp); ok {
		if err := fp.PutFile(ctx, sp.hash, sp.path); err != nil {
			return fmt.Errorf("store blob %s: %w", sp.hash, err)
		}
		return nil
	}
	f, err := os.Open(sp.path)
	if err != nil {
		return fmt.Errorf("store blob %s: %w", sp.hash, err)
	}
	defer f.Close()
	if err := s.blobs.Put(ctx, sp.hash, f, sp.size); err != nil {
		return fmt.Errorf("store blob %s: %w", sp.hash, err)
	}
	return nil
}

// collecting reports whether the blob's row is gone or marked for deletion.
func (s *core) collecting(ctx context.Context, hash string) bool {
	var state string
	err := s.db.R.QueryRowContext(ctx, `SELECT state FROM blobs WHERE sha256 = ?`, hash).Scan(&state)
	return err != nil || state != "live"
}

// Put stores the content of r as the file at path: a new file, or a new
// version of an existing one. Nothing is recorded unless the whole body
// arrived and was stored. The bool reports whether the file was created.
func (s *Tree) Put(ctx context.Context, p acl.Principal, path string, r io.Reader, o PutOptions) (Node, bool, error) {
	parentPath, name, err := parentAndName(path)
	if err != nil {
		return Node{}, false, err
	}
	full := JoinPath(append(mustSplit(parentPath), name))
	defer s.makeSpare()()
	// Check rights before reading a byte, so a refused upload costs
	// nothing. A small body is read first: the transaction checks the
	// same again, and for the thousands of small files of a sync app's
	// first run, checking twice costs more than reading a refused body.
	if o.Size < 0 || o.Size > precheckAbove {
		if err := s.checkPut(ctx, p, parentPath, name); err != nil {
			return Node{}, false, notFoundAs(full, err)
		}
	}
	sp, err := s.spool(ctx, r, o.Size, name)
	if err != nil {
		return Node{}, false, fmt.Errorf("upload %s: %w", path, err)
	}
	defer sp.release() // the file is gone already if renamed into the store
	if o.Verify != nil {
		if err := o.Verify(); err != nil {
			return Node{}, false, fmt.Errorf("upload %s: %w", path, err)
		}
	}
	if s.storesInTx(sp) {
		n, created, err := s.commitPutWith(ctx, p, parentPath, name, sp, o, true)
		if !errors.Is(err, errLeaseApart) {
			return n, created, notFoundAs(full, err)
		}
		// A sweeper is deleting this content, or its stored copy is
		// altered: the lease of its own handles both.
		sp.inTx = false
	}
	if err := s.storeBlob(ctx, sp); err != nil {
		return Node{}, false, fmt.Errorf("upload %s: %w", path, err)
	}
	n, created, err := s.commitPut(ctx, p, parentPath, name, sp, o)
	return n, created, notFoundAs(full, err)
}

// errLeaseApart says the content cannot be leased inside the version's
// transaction; the caller leases and stores it apart, then commits.
var errLeaseApart = errors.New("lease the content in its own transaction")

// storesInTx says whether the spooled content is stored inside the
// transaction that records it, instead of after a lease of its own: a
// small file renamed into a local store. One transaction instead of two
// is most of an upload's cost for the thousands of small files of a sync
// app's first run, and the write lock is held for a rename (with
// durability power, also a flush of at most precheckAbove bytes). The
// sweeper's protocol (gc.go) holds: the lease is the transaction's first
// write, and a crash before its commit leaves an object no row names,
// which the sweeper removes.
func (s *core) storesInTx(sp *spooled) bool {
	if sp.stream != nil || sp.size > precheckAbove {
		return false
	}
	_, ok := s.renames(sp)
	return ok
}

// renames returns the local store the spooled file is renamed into, if it
// is: the spool is the store's temporary folder.
func (s *core) renames(sp *spooled) (storage.LocalFiles, bool) {
	fp, ok := s.blobs.(storage.LocalFiles)
	return fp, ok && filepath.Clean(fp.TempDir()) == filepath.Clean(s.opts.SpoolDir) && s.inSpool(sp.path)
}

// leaseInTx leases and stores the blob inside the version's transaction;
// errLeaseApart if a sweeper holds it or its stored copy is altered.
func (s *core) leaseInTx(ctx context.Context, tx meta.Tx, sp *spooled) error {
	now := s.now().UnixNano()
	var corrupt sql.NullInt64
	// No row back: the row exists and is not live (the update's
	// condition failed).
	err := tx.QueryRowContext(ctx, leaseSQL+` RETURNING corrupt_at`, sp.hash, sp.size, now, now).Scan(&corrupt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errLeaseApart
	case err != nil:
		return fmt.Errorf("lease blob %s: %w", sp.hash, err)
	case corrupt.Valid:
		return errLeaseApart
	}
	if err := s.putBlob(ctx, sp); err != nil {
		return err
	}
	sp.inTx = true
	return nil
}

// checkPut checks rights before anything else, so that what the path is
// (a folder, a file) stays hidden from who may not see it.
func (s *core) checkPut(ctx context.Context, p acl.Principal, parentPath, name string) error {
	pc, err := s.resolve(ctx, s.db.R, parentPath)
	if err != nil {
		return err
	}
	c, err := s.resolve(ctx, s.db.R, JoinPath(append(namesOf(pc), name)))
	switch {
	case errors.Is(err, ErrNotFound):
		c = pc
	case err != nil:
		return err
	}
	if _, err := s.need(ctx, s.db.R, p, c, acl.Editor); err != nil {
		return err
	}
	if !pc.last().dir {
		return fmt.Errorf("%s: %w", parentPath, ErrNotDir)
	}
	if len(c) > len(pc) && c.last().dir {
		return fmt.Errorf("%s: %w", c.path(), ErrIsDir)
	}
	if len(c) == len(pc) {
		// A new file: its name must suit every client.
		if err := s.admitName(ctx, s.db.R, p, pc.last().id, name, "", 0); err != nil {
			return err
		}
	}
	return s.checkLocks(ctx, s.db.R, p, LockScope{Path: JoinPath(append(namesOf(pc), name)), Member: len(c) == len(pc)})
}

func (s *core) commitPut(ctx context.Context, p acl.Principal, parentPath, name string, sp *spooled, o PutOptions) (Node, bool, error) {
	return s.commitPutWith(ctx, p, parentPath, name, sp, o, false)
}

// commitPutWith records the upload; with store, it also leases and stores
// the blob in the same transaction, once rights, name and locks are
// checked (storesInTx).
func (s *core) commitPutWith(ctx context.Context, p acl.Principal, parentPath, name string, sp *spooled, o PutOptions, store bool) (Node, bool, error) {
	mtime := o.ModTime
	if mtime.IsZero() {
		mtime = s.now()
	}
	var n Node
	created := false
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		// The tree may have changed while the body streamed: check again.
		pc, c, err := s.resolveChild(ctx, tx, parentPath, name)
		if err != nil {
			return err
		}
		path := JoinPath(append(namesOf(pc), name))
		var cur row
		var role acl.Role
		switch {
		case c == nil:
			if role, err = s.need(ctx, tx, p, pc, acl.Editor); err != nil {
				return err
			}
			if !pc.last().dir {
				return fmt.Errorf("%s: %w", parentPath, ErrNotDir)
			}
			if o.IfMatch != "" {
				return fmt.Errorf("%s does not exist: %w", path, ErrPrecondition)
			}
			if err := s.admitName(ctx, tx, p, pc.last().id, name, "", 0); err != nil {
				return err
			}
		default:
			if role, err = s.need(ctx, tx, p, c, acl.Editor); err != nil {
				return err
			}
			cur = c.last()
			if cur.dir {
				return fmt.Errorf("%s: %w", path, ErrIsDir)
			}
			if o.IfNoneMatch {
				return fmt.Errorf("%s: %w", path, ErrPrecondition)
			}
			if o.IfMatch != "" && o.IfMatch != cur.hash.String {
				return fmt.Errorf("%s changed since it was read: %w", path, ErrPrecondition)
			}
		}
		if err := s.checkLocks(ctx, tx, p, LockScope{Path: path, Member: cur.id == 0}); err != nil {
			return err
		}
		if store {
			if err := s.leaseInTx(ctx, tx, sp); err != nil {
				return err
			}
		}
		var id int64
		id, created, err = s.writeVersion(ctx, tx, p, pc, cur, name, sp, mtime)
		if err != nil {
			return err
		}
		n, err = s.putNode(ctx, tx, p, pc, cur, id, name, sp, mtime, role)
		return err
	})
	if errors.Is(err, errLeaseApart) {
		return Node{}, false, err
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("upload %s: %w", JoinPath(append(mustSplit(parentPath), name)), err)
	}
	s.notify()
	return n, created, nil
}

// putNode is the file as Stat would now show it, from what the
// transaction wrote rather than read again: only an existing file's tags
// are read. A new file has no grants and is not restricted, so its role
// is its folder's.
func (s *core) putNode(ctx context.Context, tx meta.Tx, p acl.Principal, pc chain, cur row, id int64, name string, sp *spooled, mtime time.Time, role acl.Role) (Node, error) {
	now := sp.at.UnixNano()
	r := cur
	if cur.id == 0 {
		r = row{id: id, parent: pc.last().id, name: name, created: now}
	}
	r.mtime = mtime.UnixNano()
	if cur.id == 0 || cur.hash.String != sp.hash {
		// A new version (writeVersion left the row alone for the same bytes).
		var login string
		if p.UserID != 0 {
			login = p.Login
		}
		r.upd, r.updBy, r.via = now, login, viaArg(p)
		r.verID, r.verNum = sql.NullInt64{Int64: sp.verID, Valid: true}, sql.NullInt64{Int64: int64(sp.verNum), Valid: true}
		r.hash, r.mime = sql.NullString{String: sp.hash, Valid: true}, sql.NullString{String: sp.mime, Valid: true}
		r.size = sql.NullInt64{Int64: sp.size, Valid: true}
	}
	n := r.node(JoinPath(append(namesOf(pc), name)), role)
	if cur.id != 0 {
		tags, err := s.tagsOf(ctx, tx, `nt.node_id = ?`, id)
		if err != nil {
			return Node{}, err
		}
		n.Tags = tags[id]
	}
	return n, nil
}

// insertFile creates the file name in the folder at the end of pc, with
// the spooled content as its first version. The caller checked rights and
// that the name is free.
func (s *core) insertFile(ctx context.Context, tx meta.Tx, p acl.Principal, pc chain, name string, sp *spooled, mtime time.Time) (int64, error) {
	id, _, err := s.writeVersion(ctx, tx, p, pc, row{}, name, sp, mtime)
	return id, err
}

// writeVersion records the spooled content as a new file (cur.id == 0) or
// a new version of cur, in the folder at the end of pc, and journals it.
func (s *core) writeVersion(ctx context.Context, tx meta.Tx, p acl.Principal, pc chain, cur row, name string, sp *spooled, mtime time.Time) (int64, bool, error) {
	now := s.now()
	sp.at = now
	path := JoinPath(append(namesOf(pc), name))
	if !sp.inTx {
		if err := s.useBlob(ctx, tx, sp.hash, now); err != nil {
			return 0, false, err
		}
	}
	var id int64
	created := false
	if cur.id == 0 {
		if err := tx.QueryRowContext(ctx, `INSERT INTO nodes (parent_id, name, kind, mtime, created_at, created_by, updated_at, updated_by, updated_via)
			VALUES (?, ?, 'file', ?, ?, ?, ?, ?, ?) RETURNING id`, pc.last().id, name, mtime.UnixNano(), now.UnixNano(), actorArg(p), now.UnixNano(), actorArg(p), viaArg(p)).Scan(&id); err != nil {
			return 0, false, fmt.Errorf("create %s: %w", path, err)
		}
		created = true
	} else {
		id = cur.id
		if cur.hash.String == sp.hash {
			// Same bytes saved again (editors and sync clients do this):
			// keep one version, only the modification time moves.
			_, err := tx.ExecContext(ctx, `UPDATE nodes SET mtime = ? WHERE id = ?`, mtime.UnixNano(), id)
			return id, false, err
		}
	}
	num := 1
	if cur.verNum.Valid {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE node_id = ?`, id).Scan(&num); err != nil {
			return 0, false, err
		}
	}
	var vid int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO versions (node_id, number, blob, size, mime, author, created_at, mtime, author_via)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, num, sp.hash, sp.size, sp.mime, actorArg(p), now.UnixNano(), mtime.UnixNano(), viaArg(p)).Scan(&vid); err != nil {
		return 0, false, fmt.Errorf("record version of %s: %w", path, err)
	}
	sp.verID, sp.verNum = vid, num
	if err := s.touchVersion(ctx, tx, p, pc, id, vid, mtime, now); err != nil {
		return 0, false, err
	}
	action := "version"
	if created {
		action = "create"
	}
	return id, created, s.journal(ctx, tx, p, id, action, map[string]any{"path": path, "version": num, "blob": sp.hash, "size": sp.size})
}

func mustSplit(p string) []string {
	names, _ := SplitPath(p)
	return names
}
