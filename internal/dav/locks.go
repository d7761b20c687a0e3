package dav

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"notreasso/internal/repo"
)

// Locks follow RFC 4918 §6-7: write locks, exclusive or shared, depth 0 or
// infinity, with timeouts. They are stored by the repository (they survive
// restarts); the rules are here.

// covers reports whether lock l applies to the resource at p.
func covers(l repo.Lock, p string) bool { return l.Covers(p) }

// isAncestor reports whether a is a strict ancestor of b.
func isAncestor(a, b string) bool {
	if a == "/" {
		return b != "/"
	}
	return strings.HasPrefix(b, a+"/")
}

// scope is what a write touches (repo.LockScope: the lock rules are the
// repository's, shared by every door).
type scope = repo.LockScope

// checkWrite enforces the If header and the locks in force before a write
// touching scopes. The lock tokens the If header submits go into the
// request's context, where the repository finds them when the write is
// made (it checks the locks again in its transaction); the If header, when
// present, must hold (ETags included, which x/net/webdav ignores:
// golang/go#44493).
func (rq *request) checkWrite(scopes ...scope) error {
	var lists []ifList
	if h := rq.r.Header.Get("If"); h != "" {
		var ok bool
		if lists, ok = parseIf(h); !ok {
			return fmt.Errorf("%w: malformed If header %q", errBadRequest, h)
		}
	}
	var submitted []string
	for t := range tokens(lists) {
		submitted = append(submitted, t)
	}
	rq.ctx = repo.WithLockTokens(rq.ctx, submitted...)
	rq.r = rq.r.WithContext(rq.ctx) // x/net/webdav hands the request's context to the FileSystem
	lockErr := rq.h.repo.Tree.CheckWrite(rq.ctx, rq.p, nil, scopes...)
	if lockErr != nil && !errors.Is(lockErr, repo.ErrLocked) {
		return lockErr
	}
	if len(lists) > 0 {
		locks, err := rq.h.repo.DAV.Locks(rq.ctx, rq.p)
		if err != nil {
			return err
		}
		ok, err := rq.evalIf(lists, locks)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: the If header does not hold", repo.ErrPrecondition)
		}
	}
	return lockErr
}

// evalIf reports whether any list of the If header holds.
func (rq *request) evalIf(lists []ifList, locks []repo.Lock) (bool, error) {
	etags := map[string]string{}
	for _, l := range lists {
		p := rq.path
		if l.tag != "" {
			var ok bool
			if p, ok = rq.tagPath(l.tag); !ok {
				continue
			}
		}
		holds := true
		for _, c := range l.conds {
			var v bool
			if c.token != "" {
				for _, lk := range locks {
					v = v || (lk.Token == c.token && covers(lk, p))
				}
			} else {
				e, seen := etags[p]
				if !seen {
					n, err := rq.h.repo.Tree.Stat(rq.ctx, rq.p, p)
					if err == nil {
						e = etag(n)
					} else if statusOf(err) != 404 {
						return false, err
					}
					etags[p] = e
				}
				v = e != "" && sameETag(e, c.etag)
			}
			if v == c.not {
				holds = false
				break
			}
		}
		if holds {
			return true, nil
		}
	}
	return false, nil
}

// tagPath turns a resource tag or Destination URL into a repository path;
// ok is false for another server's URL or one outside the drive.
func (rq *request) tagPath(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !rq.sameHost(u) {
		return "", false
	}
	rel, ok := strings.CutPrefix(u.Path, rq.prefix)
	if !ok || (rel != "" && rel[0] != '/') {
		return "", false
	}
	p, err := canonical(rel)
	return p, err == nil
}

// sameHost reports whether an absolute URL names this server: as the
// client reached it, or as the reverse proxy in front says it was reached.
func (rq *request) sameHost(u *url.URL) bool {
	return u.Host == "" || u.Host == rq.r.Host || u.Host == rq.r.Header.Get("X-Forwarded-Host")
}

// canonical is a path as the repository spells it: NFC, no trailing slash.
func canonical(p string) (string, error) {
	names, err := repo.SplitPath(p)
	if err != nil {
		return "", err
	}
	return repo.JoinPath(names), nil
}

// conflicting returns a lock in force that a new lock on root would
// conflict with: they overlap, and one of them is exclusive.
func conflicting(held []repo.Lock, root string, infinite, shared bool) *repo.Lock {
	for i, l := range held {
		overlap := covers(l, root) || (infinite && isAncestor(root, l.Root))
		if overlap && (!shared || !l.Shared) {
			return &held[i]
		}
	}
	return nil
}

// newToken is a lock token: an absolute URI with 128 random bits,
// "urn:na:" and 26 base32 characters. Clients treat tokens as opaque; a
// urn:uuid: token (45 characters) next to two SHA-256 ETags overflows the
// 200-byte If header some clients build (litmus' complex_cond_put).
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return "urn:na:" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// checkedLocks is the webdav.LockSystem given to x/net/webdav for the
// methods it handles: checkWrite has already enforced the locks and If
// header with our model (shared locks, ETags), so there is nothing left
// to confirm, and x/net's temporary locks are not needed.
type checkedLocks struct{}

func (checkedLocks) Confirm(time.Time, string, string, ...webdav.Condition) (func(), error) {
	return func() {}, nil
}
func (checkedLocks) Create(time.Time, webdav.LockDetails) (string, error) { return "checked", nil }
func (checkedLocks) Refresh(time.Time, string, time.Duration) (webdav.LockDetails, error) {
	return webdav.LockDetails{}, webdav.ErrNoSuchLock
}
func (checkedLocks) Unlock(time.Time, string) error { return nil }
