package repo

import (
	"context"
	"fmt"
	"time"

	"notreasso/internal/acl"
)

// digestLimit bounds how many changes one digest section lists.
const digestLimit = 200

// FolderPath is where a folder is now, by id, if p may read it (the root
// always: following it is following every document p may read): a follow
// (by id) keeps its folder across renames and moves. A folder in the
// trash, gone, or hidden from p answers ErrNotFound.
func (s *Activity) FolderPath(ctx context.Context, p acl.Principal, id int64) (string, error) {
	c, err := s.chainByID(ctx, s.db.R, id)
	if err != nil || !c.live() || !c.last().dir {
		return "", fmt.Errorf("folder %d: %w", id, ErrNotFound)
	}
	if len(c) == 1 {
		return "/", nil // the whole repository: Changes filters each document
	}
	role, err := s.roleOn(ctx, s.db.R, p, c)
	if err != nil {
		return "", err
	}
	if role < acl.Viewer {
		return "", fmt.Errorf("folder %d: %w", id, ErrNotFound)
	}
	return c.path(), nil
}

// Changes are the document changes in scope made in [since, until),
// newest first, as Feed shows them: only documents p may read now, the
// time the digest is made, and no place p may not read is named. A scope
// p may no longer see answers ErrNotFound.
func (s *Activity) Changes(ctx context.Context, p acl.Principal, sc FeedScope, since, until time.Time) (string, []FeedEvent, error) {
	title, keep, err := s.feedFilter(ctx, p, sc)
	if err != nil {
		return "", nil, err
	}
	evs, err := s.events(ctx, p, keep, FeedActions, false, digestLimit*4)
	if err != nil {
		return "", nil, err
	}
	var out []FeedEvent
	for _, e := range evs {
		if !e.At.Before(since) && e.At.Before(until) && len(out) < digestLimit {
			out = append(out, e)
		}
	}
	return title, out, nil
}
