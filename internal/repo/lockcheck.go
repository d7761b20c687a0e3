package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"notreasso/internal/acl"
)

// One lock model for every door. A lock (taken over WebDAV today, by the
// sync protocol tomorrow) protects a file, or a folder and what is below
// it, against writes by anyone who does not submit its token: the API, the
// web pages and the command line included. Every write method of the
// service checks the locks in force inside its own transaction, with the
// tokens the request carries (WithLockTokens); CheckWrite lets a door ask
// before it reads a body.

// ErrLocked is wrapped by every refusal because of a lock; errors.As with
// *LockedError tells who holds it and until when.
var ErrLocked = errors.New("locked")

// LockedError is a write refused because someone else holds a lock.
type LockedError struct {
	Root   string    // the locked path; empty if the writer may not read it
	Holder string    // the holder's display name (or login)
	Until  time.Time // when the lock expires unless refreshed
}

func (e *LockedError) Error() string {
	what := "a document inside"
	if e.Root != "" {
		what = e.Root
	}
	return fmt.Sprintf("%s is locked by %s until %s", what, e.Holder, e.Until.UTC().Format("15:04 MST"))
}

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockScope is what a write touches: a resource, maybe its whole subtree
// (delete, move), maybe its parent's list of members (creating, removing
// or renaming it changes the parent folder, which a lock on the folder
// protects: RFC 4918 §7.4-7.5).
type LockScope struct {
	Path   string
	Deep   bool
	Member bool
}

// AffectedBy reports whether lock l protects something the write touches.
func (sc LockScope) AffectedBy(l Lock) bool {
	return l.Covers(sc.Path) || (sc.Deep && isAncestorPath(sc.Path, l.Root)) ||
		(sc.Member && sc.Path != "/" && l.Covers(parentPath(sc.Path)))
}

// Covers reports whether the lock applies to the resource at p.
func (l Lock) Covers(p string) bool {
	return l.Root == p || (l.Infinite && isAncestorPath(l.Root, p))
}

// isAncestorPath reports whether a is a strict ancestor of b.
func isAncestorPath(a, b string) bool {
	if a == "/" {
		return b != "/"
	}
	return strings.HasPrefix(b, a+"/")
}

func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

type lockTokensKey struct{}

// WithLockTokens returns a context carrying the lock tokens a request
// submitted (WebDAV's If header, the API's Lock-Token header). Writes made
// with it may change what those locks protect, if the locks are the
// caller's own.
func WithLockTokens(ctx context.Context, tokens ...string) context.Context {
	if len(tokens) == 0 {
		return ctx
	}
	return context.WithValue(ctx, lockTokensKey{}, append(LockTokens(ctx), tokens...))
}

// LockTokens returns the tokens WithLockTokens put in ctx.
func LockTokens(ctx context.Context) []string {
	t, _ := ctx.Value(lockTokensKey{}).([]string)
	return slices.Clone(t)
}

// CheckWrite reports whether p, submitting tokens, may now make a write
// touching scopes: nil, or a *LockedError (ErrLocked). Doors call it before
// reading a body; the write itself checks again in its transaction.
func (s *Tree) CheckWrite(ctx context.Context, p acl.Principal, tokens []string, scopes ...LockScope) error {
	return s.checkLocks(WithLockTokens(ctx, tokens...), s.db.R, p, scopes...)
}

// CheckWriteNode is CheckWrite for a change to the node with this id and
// what is below it (overwrite, delete, move away), for doors that name
// nodes by id. A node p may not read answers ErrNotFound, naming nothing.
func (s *Tree) CheckWriteNode(ctx context.Context, p acl.Principal, id int64, tokens []string) error {
	c, err := s.chainByID(ctx, s.db.R, id)
	if err == nil && !c.live() {
		err = ErrNotFound
	}
	if err == nil {
		if role, rerr := s.roleOn(ctx, s.db.R, p, c); rerr != nil {
			return rerr
		} else if role < acl.Viewer {
			err = ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("node %d: %w", id, ErrNotFound)
	}
	return s.CheckWrite(ctx, p, tokens, LockScope{Path: c.path(), Deep: true, Member: true})
}

// checkLocks refuses a write touching scopes if a lock in force protects
// any of them and p does not hold it (its token in ctx, and its owner).
// Any holder of a shared lock may write (RFC 4918 §6.2): one of the shared
// locks on the resource is enough.
func (s *core) checkLocks(ctx context.Context, q querier, p acl.Principal, scopes ...LockScope) error {
	locks, err := s.locksIn(ctx, q)
	if err != nil || len(locks) == 0 {
		return err
	}
	submitted := LockTokens(ctx)
	held := func(l Lock) bool { return p.UserID != 0 && l.UserID == p.UserID && slices.Contains(submitted, l.Token) }
	for _, l := range locks {
		if held(l) || !slices.ContainsFunc(scopes, func(sc LockScope) bool { return sc.AffectedBy(l) }) {
			continue
		}
		if l.Shared && slices.ContainsFunc(locks, func(m Lock) bool {
			return m.Shared && held(m) && (m.Covers(l.Root) || l.Covers(m.Root))
		}) {
			continue
		}
		return s.lockedError(ctx, q, p, l)
	}
	return nil
}

// lockedError describes l to p: the holder's name and the expiry always,
// the locked path only if p may see it.
func (s *core) lockedError(ctx context.Context, q querier, p acl.Principal, l Lock) error {
	e := &LockedError{Holder: s.displayName(ctx, q, l.UserID), Until: l.Expires}
	if c, err := s.chainByID(ctx, q, l.NodeID); err == nil {
		if role, err := s.roleOn(ctx, q, p, c); err == nil && role >= acl.Viewer {
			e.Root = l.Root
		}
	}
	return e
}

// displayName is how a person is named to others: their display name, or
// their login.
func (s *core) displayName(ctx context.Context, q querier, userID int64) string {
	var login, name string
	if err := q.QueryRowContext(ctx, `SELECT login, display_name FROM users WHERE id = ?`, userID).Scan(&login, &name); err != nil {
		return "?"
	}
	return firstNonEmpty(name, login)
}
