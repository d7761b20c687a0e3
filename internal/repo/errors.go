package repo

import (
	"errors"
	"fmt"
	"notreasso/internal/errkind"

	"notreasso/internal/acl"
)

// Sentinel errors. Every error the service returns wraps one of these (or
// acl.ErrForbidden); the web and WebDAV adapters map them once to status
// codes.
var (
	ErrNotFound     = errkind.New(errkind.NotFound, "not found")          // missing, or not readable by the caller
	ErrExists       = errkind.New(errkind.Exists, "already exists")       // the target name is taken
	ErrInvalidName  = errkind.New(errkind.Invalid, "invalid name")        // a name or path the tree cannot hold
	ErrInvalid      = errkind.New(errkind.Invalid, "invalid")             // a setting or argument that cannot be applied
	ErrNotDir       = errors.New("not a folder")                          // a path goes through a file
	ErrIsDir        = errors.New("is a folder")                           // a file operation on a folder
	ErrConflict     = errkind.New(errkind.Conflict, "conflict")           // the operation contradicts the tree (move into itself…)
	ErrPrecondition = errors.New("precondition failed")                   // If-Match style checks
	ErrTooLarge     = errors.New("too large")                             // over the configured upload limit
	ErrIncomplete   = errors.New("incomplete upload")                     // the body ended before its announced length
	ErrExpired      = errors.New("link expired")                          // a share link revoked, past its date or used up
	ErrNeedPassword = errors.New("password required")                     // a share link's password is missing or wrong
	ErrUnavailable  = errkind.New(errkind.Unavailable, "busy, try again") // maintenance holds what is needed; retrying later succeeds
	ErrForbidden    = acl.ErrForbidden

	// ErrContentMissing: the version's blob is missing from the store or
	// cannot be read. Never served as an empty file.
	ErrContentMissing = errors.New("the file's content is missing from the storage")
	// ErrContentCorrupt: the blob no longer matches its SHA-256 (altered
	// or truncated on disk); the version is marked and not served.
	ErrContentCorrupt = errors.New("the file's content was altered in the storage")
)

// notFoundAs restates a not-found error as being about what the caller
// asked for: which part of a path was checked must not show, or the
// difference would tell a hidden folder from a missing one.
func notFoundAs(what string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}
