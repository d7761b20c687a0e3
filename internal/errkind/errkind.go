// Package errkind names the few kinds of failure every layer shares: not
// found, already exists, invalid, forbidden, conflict, unavailable. Domain
// errors (repo.ErrNotFound, auth.ErrNoGroup, storage.ErrNotFound…) keep
// their own sentinel and message and are also of a kind, so a door maps
// kinds to its status codes once instead of listing every package's
// sentinels:
//
//	var ErrNoGroup = errkind.New(errkind.NotFound, "no such group")
//	errors.Is(err, ErrNoGroup)       // the precise error
//	errors.Is(err, errkind.NotFound) // its kind
package errkind

//lint:file-ignore ST1012 the kinds read as errkind.NotFound, errkind.Invalid… at every use

import "errors"

// The kinds.
var (
	NotFound    = errors.New("not found")      // missing, or hidden from the caller
	Exists      = errors.New("already exists") // the name or key is taken
	Invalid     = errors.New("invalid")        // an argument or setting that cannot be applied
	Forbidden   = errors.New("forbidden")      // known to the caller, but not allowed
	Conflict    = errors.New("conflict")       // contradicts the current state
	Unavailable = errors.New("unavailable")    // a dependency is busy or unreachable; retry later
)

// New returns a sentinel error with message msg that is of kind k.
func New(k error, msg string) error { return &kindError{kind: k, msg: msg} }

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
