package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/repo"
)

// maxXML bounds the XML bodies read into memory (LOCK, PROPFIND).
const maxXML = 1 << 20

// lock answers LOCK: a new lock (creating an empty file on an unmapped
// URL, as davfs2 and Finder expect) or, with an empty body, a refresh.
func (rq *request) lock() error {
	d := rq.timeout()
	body, err := io.ReadAll(io.LimitReader(rq.r.Body, maxXML+1))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %v", errBadRequest, err)
	}
	if len(body) > maxXML {
		return fmt.Errorf("%w: LOCK body over %d bytes", repo.ErrTooLarge, maxXML)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return rq.refresh(d)
	}
	shared, owner, err := parseLockInfo(body)
	if err != nil {
		return err
	}
	infinite := true
	switch rq.r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		infinite = false
	default:
		return fmt.Errorf("%w: LOCK Depth must be 0 or infinity", errBadRequest)
	}
	created := false
	if _, err := rq.h.repo.Tree.Stat(rq.ctx, rq.p, rq.path); errors.Is(err, repo.ErrNotFound) {
		if err := rq.checkWrite(scope{Path: rq.path, Member: true}); err != nil {
			return err
		}
		if _, _, err := rq.h.repo.Tree.Put(rq.ctx, rq.p, rq.path, http.NoBody, repo.PutOptions{Size: 0, IfNoneMatch: true}); err != nil {
			if errors.Is(err, repo.ErrNotFound) {
				return fmt.Errorf("lock %s: %w", rq.path, errNoParent)
			}
			return err
		}
		created = true
	} else if err != nil {
		return err
	}
	l := repo.Lock{Token: newToken(), Infinite: infinite, Shared: shared, OwnerXML: owner, Expires: time.Now().Add(d)}
	l, err = rq.h.repo.DAV.CreateLock(rq.ctx, rq.p, rq.path, l, func(held []repo.Lock) error {
		if c := conflicting(held, rq.path, infinite, shared); c != nil {
			return withCondition(fmt.Errorf("%w: %s is already locked", errLocked, c.Root), "no-conflicting-lock", href(rq.prefix, c.Root, false))
		}
		return nil
	})
	if err != nil {
		return err
	}
	rq.w.Header().Set("Lock-Token", "<"+l.Token+">")
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeLockDiscovery(rq.w, rq.prefix, status, l)
	return nil
}

// refresh extends the lock whose token the If header names.
func (rq *request) refresh(d time.Duration) error {
	lists, ok := parseIf(rq.r.Header.Get("If"))
	if !ok {
		return fmt.Errorf("%w: a LOCK refresh needs the lock token in an If header", errBadRequest)
	}
	locks, err := rq.h.repo.DAV.Locks(rq.ctx, rq.p)
	if err != nil {
		return err
	}
	for t := range tokens(lists) {
		for _, l := range locks {
			if l.Token != t || !covers(l, rq.path) {
				continue
			}
			l, err := rq.h.repo.DAV.RefreshLock(rq.ctx, rq.p, t, time.Now().Add(d))
			if err != nil {
				return err
			}
			writeLockDiscovery(rq.w, rq.prefix, http.StatusOK, l)
			return nil
		}
	}
	return withCondition(fmt.Errorf("%w: no lock of this token covers %s", repo.ErrPrecondition, rq.path), "lock-token-matches-request-uri", "")
}

func (rq *request) unlock() error {
	t := strings.TrimSpace(rq.r.Header.Get("Lock-Token"))
	if len(t) < 3 || t[0] != '<' || t[len(t)-1] != '>' {
		return fmt.Errorf("%w: UNLOCK needs a Lock-Token header", errBadRequest)
	}
	t = t[1 : len(t)-1]
	locks, err := rq.h.repo.DAV.Locks(rq.ctx, rq.p)
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.Token == t && covers(l, rq.path) {
			if err := rq.h.repo.DAV.Unlock(rq.ctx, rq.p, t); err != nil {
				return err
			}
			rq.w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return withCondition(fmt.Errorf("%w: no lock of this token covers %s", repo.ErrConflict, rq.path), "lock-token-matches-request-uri", "")
}

// timeout is the lock duration asked for ("Second-600", "Infinite"),
// capped by dav.max_lock_timeout; the cap when none is given.
func (rq *request) timeout() time.Duration {
	max := rq.h.cfg.MaxLockTimeout
	for _, v := range strings.Split(rq.r.Header.Get("Timeout"), ",") {
		v = strings.TrimSpace(v)
		if s, ok := strings.CutPrefix(v, "Second-"); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
				return min(time.Duration(n)*time.Second, max)
			}
		}
	}
	return max
}

// parseLockInfo reads a lockinfo body: the scope, and the owner re-encoded
// so that it can be echoed in any response.
func parseLockInfo(body []byte) (shared bool, owner string, err error) {
	bad := func(format string, a ...any) (bool, string, error) {
		return false, "", fmt.Errorf("%w: lockinfo: "+format, append([]any{errBadRequest}, a...)...)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	var scope, kind bool
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name != xml.Name{Space: "DAV:", Local: "lockinfo"}:
				return bad("the root element is %s, not DAV:lockinfo", t.Name.Local)
			case depth == 3 && t.Name.Space == "DAV:" && (t.Name.Local == "exclusive" || t.Name.Local == "shared"):
				scope, shared = true, t.Name.Local == "shared"
			case depth == 3 && t.Name == xml.Name{Space: "DAV:", Local: "write"}:
				kind = true
			case depth == 2 && t.Name == xml.Name{Space: "DAV:", Local: "owner"}:
				b, err := selfContained(d, t)
				if err != nil {
					return bad("owner: %v", err)
				}
				owner, depth = string(b), depth-1
			}
		case xml.EndElement:
			depth--
		}
	}
	if !scope || !kind {
		return bad("needs a lockscope (exclusive or shared) and a write locktype")
	}
	return shared, owner, nil
}

// writeLockDiscovery answers LOCK with the lock's description.
func writeLockDiscovery(w http.ResponseWriter, prefix string, status int, l repo.Lock) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:prop xmlns:D="DAV:" xmlns:oc="`+ocNS+`" xmlns:nc="`+ncNS+`"><D:lockdiscovery>`+
		activeLock(prefix, l)+`</D:lockdiscovery></D:prop>`)
}

// activeLock is a lock's DAV:activelock element.
func activeLock(prefix string, l repo.Lock) string {
	var b strings.Builder
	scope, depth := "exclusive", "0"
	if l.Shared {
		scope = "shared"
	}
	if l.Infinite {
		depth = "infinity"
	}
	fmt.Fprintf(&b, `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>`, scope, depth)
	if l.OwnerXML != "" {
		b.WriteString("<D:owner>" + l.OwnerXML + "</D:owner>")
	}
	secs := max(int64(time.Until(l.Expires).Round(time.Second)/time.Second), 0)
	fmt.Fprintf(&b, `<D:timeout>Second-%d</D:timeout><D:locktoken><D:href>%s</D:href></D:locktoken>`, secs, xmlText(l.Token))
	fmt.Fprintf(&b, `<D:lockroot><D:href>%s</D:href></D:lockroot></D:activelock>`, href(prefix, l.Root, false))
	return b.String()
}
