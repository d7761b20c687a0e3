package dav

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"notreasso/internal/repo"
)

// copyMove answers COPY and MOVE with one repository operation each (a move
// is metadata only; a copy shares blobs and carries dead properties),
// where x/net/webdav would walk the tree file by file and rewrite every
// byte. A missing Overwrite header means T (RFC 4918 §10.6; x/net treats
// it as F: golang/go#66059).
func (rq *request) copyMove() error {
	raw := rq.r.Header.Get("Destination")
	if raw == "" {
		return fmt.Errorf("%w: %s needs a Destination header", errBadRequest, rq.r.Method)
	}
	if u, err := url.Parse(raw); err == nil && !rq.sameHost(u) {
		return fmt.Errorf("%w: the destination is on another server", errBadGateway)
	}
	dst, ok := rq.tagPath(raw)
	if !ok {
		return fmt.Errorf("%w: the destination %q is not on this drive", errBadGateway, raw)
	}
	overwrite := true
	switch rq.r.Header.Get("Overwrite") {
	case "", "T", "t":
	case "F", "f":
		overwrite = false
	default:
		return fmt.Errorf("%w: Overwrite must be T or F", errBadRequest)
	}
	shallow := false
	switch d := rq.r.Header.Get("Depth"); {
	case d == "" || d == "infinity":
	case d == "0" && rq.r.Method == "COPY":
		shallow = true
	default:
		return fmt.Errorf("%w: %s does not take Depth %s", errBadRequest, rq.r.Method, d)
	}
	switch {
	case dst == rq.path:
		return fmt.Errorf("%w: the source and the destination are the same", repo.ErrForbidden)
	case isAncestor(dst, rq.path):
		return fmt.Errorf("%w: the destination contains the source", repo.ErrConflict)
	}
	if _, err := rq.h.repo.Tree.Stat(rq.ctx, rq.p, rq.path); err != nil {
		return err
	}
	_, err := rq.h.repo.Tree.Stat(rq.ctx, rq.p, dst)
	existed := err == nil
	if existed && !overwrite {
		return fmt.Errorf("%s exists and Overwrite is F: %w", dst, repo.ErrPrecondition)
	}
	target := scope{Path: dst, Deep: true, Member: true}
	if rq.r.Method == "MOVE" {
		err = rq.checkWrite(scope{Path: rq.path, Deep: true, Member: true}, target)
	} else {
		err = rq.checkWrite(target)
	}
	if err != nil {
		return err
	}
	var n repo.Node
	if rq.r.Method == "MOVE" {
		n, err = rq.h.repo.Tree.Move(rq.ctx, rq.p, rq.path, dst, overwrite)
	} else {
		n, err = rq.h.repo.DAV.CopyTree(rq.ctx, rq.p, rq.path, dst, repo.CopyOptions{Overwrite: overwrite, Shallow: shallow})
	}
	switch {
	case errors.Is(err, repo.ErrExists):
		return fmt.Errorf("%w (%w)", repo.ErrPrecondition, err)
	case errors.Is(err, repo.ErrNotFound):
		return fmt.Errorf("%w (%w)", errNoParent, err) // the source was there a moment ago
	case err != nil:
		return err
	}
	setOCHeaders(rq.w.Header(), n)
	if existed {
		rq.w.WriteHeader(http.StatusNoContent)
	} else {
		rq.w.WriteHeader(http.StatusCreated)
	}
	return nil
}
