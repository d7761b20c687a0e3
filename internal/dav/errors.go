package dav

import (
	"errors"
	"fmt"
	"net/http"
	"notreasso/internal/errkind"

	"notreasso/internal/repo"
	"notreasso/storage"
)

// WebDAV's own conditions, beside the repository's sentinel errors.
var (
	errLocked     = errors.New("locked")                       // 423: a lock token was not submitted
	errBadRequest = errors.New("bad request")                  // 400: unparsable header or body
	errNoParent   = errors.New("the parent folder is missing") // 409, RFC 4918 §9.3.1, §9.7.1
	errNotAllowed = errors.New("method not allowed")           // 405
	errInfinite   = errors.New("a Depth of infinity is not supported; use Depth 0 or 1")
	errBadGateway = errors.New("bad gateway") // 502: a Destination on another server
)

// statusOf maps an error to a WebDAV status: the one place where repository
// errors become WebDAV status codes. Method-specific meanings (Overwrite: F
// turning ErrExists into 412) are wrapped into these errors by the caller.
func statusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, errLocked), errors.Is(err, repo.ErrLocked):
		return http.StatusLocked
	case errors.Is(err, errInfinite):
		return http.StatusForbidden
	case errors.Is(err, errBadRequest), errors.Is(err, errkind.Invalid), errors.Is(err, repo.ErrIncomplete):
		return http.StatusBadRequest
	case errors.Is(err, errNoParent), errors.Is(err, repo.ErrNotDir), errors.Is(err, repo.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errNotAllowed), errors.Is(err, repo.ErrExists), errors.Is(err, repo.ErrIsDir):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errkind.NotFound):
		return http.StatusNotFound
	case errors.Is(err, errkind.Forbidden):
		return http.StatusForbidden
	case errors.Is(err, repo.ErrPrecondition):
		return http.StatusPreconditionFailed
	case errors.Is(err, repo.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBadGateway):
		return http.StatusBadGateway
	case errors.Is(err, repo.ErrContentMissing), errors.Is(err, repo.ErrContentCorrupt):
		return http.StatusInternalServerError
	case errors.Is(err, errkind.Unavailable):
		// Maintenance holds the content, or the blob store is unreachable:
		// retry later.
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// condition is an RFC 4918 §16 precondition code, sent as <D:error>.
type condition struct {
	name string // e.g. lock-token-submitted
	href string // optional resource the condition is about
}

// davError is an error with a precondition element for the response body.
type davError struct {
	err  error
	cond condition
}

func (e *davError) Error() string { return e.err.Error() }
func (e *davError) Unwrap() error { return e.err }

func withCondition(err error, name, href string) error {
	return &davError{err: err, cond: condition{name: name, href: href}}
}

// writeError answers an error: status, and a short text or an XML
// precondition. Internal errors are logged, not shown.
func (rq *request) writeError(err error) {
	status := statusOf(err)
	w := rq.w
	if status == http.StatusInternalServerError {
		rq.h.log.Error("webdav request failed", "method", rq.r.Method, "path", rq.r.URL.Path, "user", rq.p.Login, "err", err)
	} else {
		rq.h.log.Debug("webdav request refused", "method", rq.r.Method, "path", rq.r.URL.Path, "status", status, "err", err)
	}
	var de *davError
	var le *repo.LockedError
	if !errors.As(err, &de) && errors.As(err, &le) {
		// Someone else's lock (RFC 4918 §16): its root, when the writer may see it.
		de = &davError{err: err, cond: condition{name: "lock-token-submitted", href: href(rq.prefix, rq.path, false)}}
		if le.Root != "" {
			de.cond.href = href(rq.prefix, le.Root, false)
		}
	}
	if de != nil {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(status)
		href := ""
		if de.cond.href != "" {
			href = "<D:href>" + xmlText(de.cond.href) + "</D:href>"
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<D:error xmlns:D="DAV:"><D:%s>%s</D:%s></D:error>`,
			de.cond.name, href, de.cond.name)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if errors.Is(err, storage.ErrUnavailable) {
		rq.h.log.Warn("webdav: storage unavailable", "method", rq.r.Method, "path", rq.r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(status)
		fmt.Fprintln(w, "the document storage cannot be reached right now; nothing was changed, try again in a few minutes")
		return
	}
	w.WriteHeader(status)
	switch msg := contentMessage(err); {
	case msg != "":
		fmt.Fprintln(w, msg)
		return
	case status == http.StatusInternalServerError:
		fmt.Fprintln(w, "internal error; see the server log")
		return
	}
	fmt.Fprintln(w, err.Error())
}

// contentMessage is what a client reads when a file's content cannot be
// served ("" for other errors): no server path, a way out.
func contentMessage(err error) string {
	switch {
	case errors.Is(err, repo.ErrContentMissing):
		return "the content of this file cannot be read from the storage; nothing was changed, and the server log says more"
	case errors.Is(err, repo.ErrContentCorrupt):
		return "the content of this file was altered in the storage and no longer matches what was saved, so it is not served; restore an earlier version or upload the file again"
	}
	return ""
}

// abort is the panic value that cuts a response whose headers are out
// (the adapter recovers it): err says why, for a 500 if nothing was sent.
type abort struct{ err error }
