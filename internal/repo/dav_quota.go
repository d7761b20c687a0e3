package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
)

// Usage reports the bytes the repository holds (distinct contents, as
// stored: identical files count once) and the free space where uploads are
// spooled (with the local store, where blobs live), or -1 if unknown. Any
// logged-in user may ask: file managers show it as the drive's capacity.
func (s *Service) Usage(ctx context.Context, p acl.Principal) (used, free int64, err error) {
	if p.Anonymous() {
		return 0, 0, fmt.Errorf("usage: %w", ErrForbidden)
	}
	if err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM blobs`).Scan(&used); err != nil {
		return 0, 0, fmt.Errorf("usage: %w", err)
	}
	return used, freeSpace(s.opts.SpoolDir), nil
}
