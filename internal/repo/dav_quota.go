package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
)

// The granularity of the free space reported to clients: a whole GiB, or
// 64 MiB when less than 4 GiB are left (a file manager refuses a copy it
// believes will not fit, so a nearly full disk must not read as full).
const (
	freeUnit      = 1 << 30
	freeUnitSmall = 64 << 20
)

// roundFree rounds free space down to its unit.
func roundFree(free int64) int64 {
	switch {
	case free >= 4*freeUnit:
		return free - free%freeUnit
	case free > 0:
		return free - free%freeUnitSmall
	}
	return free
}

// Usage reports, for p's drive, the bytes p's own uploads take (every
// version p authored, in the tree or the trash, counted in full even when
// its content is stored once for several files) and the free space where
// uploads are spooled, rounded down (roundFree; -1 if unknown). Any
// logged-in user may ask: file managers show it as the drive's capacity.
//
// Neither figure depends on what others stored: a repository-wide total
// of distinct contents, or the exact free space, would move or not with an
// upload depending on whether that content already existed somewhere, and
// tell a guesser that a hidden document holds exactly these bytes.
func (s *DAV) Usage(ctx context.Context, p acl.Principal) (used, free int64, err error) {
	if p.Anonymous() {
		return 0, 0, fmt.Errorf("usage: %w", ErrForbidden)
	}
	if p.UserID != 0 {
		if err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM versions WHERE author = ?`, p.UserID).Scan(&used); err != nil {
			return 0, 0, fmt.Errorf("usage: %w", err)
		}
	}
	return used, roundFree(freeSpace(s.opts.SpoolDir)), nil
}
