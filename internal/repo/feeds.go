package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// FeedActions are the journal actions that change documents: what feeds
// and the grouped activity show. Audit entries (grants, links, downloads)
// are not news.
var FeedActions = []string{"create", "version", "mkdir", "move", "copy", "delete", "restore", "restore_version"}

// FeedScope selects what a feed follows: one folder (and below), one tag,
// one collection, or (all zero) the whole repository.
type FeedScope struct {
	Folder     string
	Tag        string
	Collection int64
}

// FeedEvent is a journal entry about a document the caller may read now.
type FeedEvent struct {
	Event
	Current string // the node's path now; empty when it is in the trash
	Dir     bool
}

// Feed returns the title of the scope and its most recent events, newest
// first, keeping only documents the caller may read now. A folder or
// collection the caller may not see answers ErrNotFound.
func (s *Activity) Feed(ctx context.Context, p acl.Principal, sc FeedScope, limit int) (string, []FeedEvent, error) {
	title, keep, err := s.feedFilter(ctx, p, sc)
	if err != nil {
		return "", nil, err
	}
	events, err := s.events(ctx, p, keep, FeedActions, false, limit)
	return title, events, err
}

// pathShown is where an entry says a document was: a past path in a
// folder the reader may not read now is not shown (the folder's name would
// leak), the current path (or nothing) instead.
func (s *core) pathShown(ctx context.Context, p acl.Principal, folders map[string]bool, recorded, instead string) (string, error) {
	if recorded == "" || recorded == instead {
		return recorded, nil
	}
	dir := path.Dir(recorded)
	ok, known := folders[dir]
	if !known {
		c, err := s.resolve(ctx, s.db.R, dir)
		if err == nil {
			var role acl.Role
			if role, err = s.roleOn(ctx, s.db.R, p, c); err != nil {
				return "", err
			}
			ok = role >= acl.Viewer
		} else if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotDir) && !errors.Is(err, ErrInvalidName) {
			return "", err
		}
		folders[dir] = ok
	}
	if ok {
		return recorded, nil
	}
	return instead, nil
}

// feedFilter checks that p may see the scope and returns its title and a
// test on a node's chain.
func (s *core) feedFilter(ctx context.Context, p acl.Principal, sc FeedScope) (string, func(chain) bool, error) {
	switch {
	case sc.Collection != 0:
		col, err := s.svc.Collections.Collection(ctx, p, sc.Collection)
		if err != nil {
			return "", nil, err
		}
		ids, err := itemNodes(ctx, s.db.R, col.ID)
		if err != nil {
			return "", nil, err
		}
		return col.Title, func(c chain) bool {
			return slices.ContainsFunc(c.ids(), func(id int64) bool { return slices.Contains(ids, id) })
		}, nil
	case sc.Tag != "":
		tag, err := CleanTag(sc.Tag)
		if err != nil {
			return "", nil, err
		}
		tagged := map[int64]bool{}
		rows, err := s.db.R.QueryContext(ctx, `SELECT nt.node_id FROM node_tags nt JOIN tags t ON t.id = nt.tag_id WHERE t.name = ?`, tag)
		if err != nil {
			return "", nil, fmt.Errorf("feed of tag %s: %w", tag, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return "", nil, err
			}
			tagged[id] = true
		}
		return "#" + tag, func(c chain) bool { return tagged[c.last().id] }, rows.Err()
	case sc.Folder != "" && sc.Folder != "/":
		c, err := s.resolve(ctx, s.db.R, sc.Folder)
		if err != nil {
			return "", nil, err
		}
		if _, err := s.need(ctx, s.db.R, p, c, acl.Viewer); err != nil {
			return "", nil, fmt.Errorf("%s: %w", c.path(), ErrNotFound)
		}
		if !c.last().dir {
			return "", nil, fmt.Errorf("%s: %w", c.path(), ErrNotDir)
		}
		id := c.last().id
		return c.path(), func(ch chain) bool { return slices.Contains(ch.ids(), id) }, nil
	}
	return "/", func(chain) bool { return true }, nil
}

// feedTokenBytes: 192 bits, 32 URL-safe characters.
const feedTokenBytes = 24

// RegenerateFeedToken gives the caller a new private feed token (the old
// one stops working) and returns it; only its SHA-256 is stored.
func (s *Activity) RegenerateFeedToken(ctx context.Context, p acl.Principal) (string, error) {
	if p.UserID == 0 || p.Share != nil {
		return "", fmt.Errorf("feed tokens are for accounts: %w", ErrForbidden)
	}
	tok, err := newToken(feedTokenBytes)
	if err != nil {
		return "", err
	}
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
			p.UserID, hashToken(tok), s.now().UnixNano()); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, 0, "feed_token", map[string]any{"login": p.Login})
	})
	if err != nil {
		return "", fmt.Errorf("feed token of %s: %w", p.Login, err)
	}
	return tok, nil
}

// FeedTokenCreated says when the caller's feed token was made (zero: none).
func (s *Activity) FeedTokenCreated(ctx context.Context, p acl.Principal) (time.Time, error) {
	var at int64
	err := s.db.R.QueryRowContext(ctx, `SELECT created_at FROM feed_tokens WHERE user_id = ?`, p.UserID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("feed token of %s: %w", p.Login, err)
	}
	return meta.Time(at), nil
}

// FeedTokenUser returns the account a feed token belongs to.
func (s *Activity) FeedTokenUser(ctx context.Context, token string) (int64, error) {
	if len(token) != feedTokenLen {
		return 0, fmt.Errorf("feed token: %w", ErrNotFound)
	}
	var uid int64
	err := s.db.R.QueryRowContext(ctx, `SELECT user_id FROM feed_tokens WHERE token_hash = ?`, hashToken(token)).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("feed token: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("feed token: %w", err)
	}
	return uid, nil
}
