package indexer

import (
	"context"
	"strings"
	"time"

	"notreasso/indexer/extract"
	"notreasso/internal/repo"
)

// claimPoll is how often a server waiting for another's extraction looks
// for its result.
var claimPoll = 100 * time.Millisecond

// node names this server among those sharing the database.
func (x *Indexer) node() string { return strings.TrimPrefix(x.cursorKey, cursorKey+"@") }

// claim makes this server the one extracting n's content, or waits for the
// server that is: done reports that the record (rec) is now usable and
// nothing is to be extracted. A claim older than the extraction timeout
// (its server stopped) is taken over.
func (x *Indexer) claim(ctx context.Context, n repo.IndexNode) (rec repo.Extraction, done bool, err error) {
	ttl := x.limits.Timeout
	if ttl <= 0 {
		ttl = extract.DefaultTimeout
	}
	ttl += time.Minute // the isolated worker's start and the text's upload
	for {
		got, err := x.repo.Index.ClaimExtraction(ctx, n.Hash, x.node(), ttl)
		if err != nil {
			return rec, false, err
		}
		if got {
			// The record read before may be older than another server's
			// extraction that ended meanwhile.
			e, ok, err := x.repo.Index.GetExtraction(ctx, n.Hash)
			if err != nil || !x.usable(ctx, n, e, ok) {
				return rec, false, err
			}
			x.repo.Index.ReleaseExtraction(ctx, n.Hash, x.node())
			return e, true, nil
		}
		select {
		case <-ctx.Done():
			return rec, false, ctx.Err()
		case <-time.After(claimPoll):
		}
	}
}
