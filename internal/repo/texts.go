package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"notreasso/storage"
)

// PreviewText is the rendering kind of a content's extracted text: the
// indexer stores each text as a blob of its own, recorded like the other
// renderings of the content, so that every server sharing the database and
// the blob store finds a text another one extracted, and the sweep keeps it
// while its content lives.
const PreviewText = "text"

// LocalContent reports whether contents are files on this machine (the
// local disk store) rather than objects every server reaches.
func (s *Index) LocalContent() bool {
	_, ok := s.blobs.(storage.LocalFiles)
	return ok
}

// ClaimExtraction says whether the server node may extract the text of the
// content blob now: true if no other server is extracting it, or if the
// other's claim is older than ttl (a stopped server). The claim holds
// until ReleaseExtraction.
func (s *Index) ClaimExtraction(ctx context.Context, blob, node string, ttl time.Duration) (bool, error) {
	now := time.Now().Unix() // claims age on the wall clock, as the extraction timeout does
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM extraction_claims WHERE claimed_at < ?`, now-int64(ttl/time.Second)); err != nil {
		return false, fmt.Errorf("claim extraction of %s: %w", blob, err)
	}
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO extraction_claims (blob, node, claimed_at) VALUES (?, ?, ?)
		ON CONFLICT (blob) DO NOTHING`, blob, node, now)
	if err != nil {
		return false, fmt.Errorf("claim extraction of %s: %w", blob, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var holder string
	err = s.db.W.QueryRowContext(ctx, `SELECT node FROM extraction_claims WHERE blob = ?`, blob).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // just released: the text is there, or the caller tries again
	}
	if err != nil {
		return false, fmt.Errorf("claim extraction of %s: %w", blob, err)
	}
	return holder == node, nil
}

// ReleaseExtraction ends node's claim on blob.
func (s *Index) ReleaseExtraction(ctx context.Context, blob, node string) error {
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM extraction_claims WHERE blob = ? AND node = ?`, blob, node); err != nil {
		return fmt.Errorf("release extraction of %s: %w", blob, err)
	}
	return nil
}
