package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
)

// freeUnit is the granularity of the free space reported to clients.
const freeUnit = 1 << 30

// Usage reports, for p's drive, the bytes p's own uploads take (every
// version p authored, in the tree or the trash, counted in full even when
// its content is stored once for several files) and the free space where
// uploads are spooled, rounded down to a whole GiB (-1 if unknown). Any
// logged-in user may ask: file managers show it as the drive's capacity.
//
// Neither figure depends on what others stored: a repository-wide total
// of distinct contents, or the exact free space, would move or not with an
// upload depending on whether that content already existed somewhere, and
// tell a guesser that a hidden document holds exactly these bytes.
func (s *Service) Usage(ctx context.Context, p acl.Principal) (used, free int64, err error) {
	if p.Anonymous() {
		return 0, 0, fmt.Errorf("usage: %w", ErrForbidden)
	}
	if p.UserID != 0 {
		if err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM versions WHERE author = ?`, p.UserID).Scan(&used); err != nil {
			return 0, 0, fmt.Errorf("usage: %w", err)
		}
	}
	free = freeSpace(s.opts.SpoolDir)
	if free > 0 {
		free -= free % freeUnit
	}
	return used, free, nil
}
