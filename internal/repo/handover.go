package repo

import (
	"context"
	"database/sql"
	"fmt"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// A handover (« passation »): when someone leaves a role, what they made
// that outlives them — share links, drop boxes, collections — is listed
// for their successor, who keeps each (it is recorded as theirs) or
// revokes it. Their files never leave: they are the association's.

// Handover is what a person created that still works.
type Handover struct {
	Links []Share // links and drop boxes not revoked, on nodes p manages
	// HiddenLinks counts the others: on folders p does not manage, so
	// neither their place nor their label is shown.
	HiddenLinks int
	Collections []HandoverCollection
}

// HandoverCollection is a collection the person made.
type HandoverCollection struct {
	ID    int64
	Title string
	Items int
}

// Succeeds reports whether p may take over what person `from` made: p is
// an administrator, or holds now a role that `from` held (or holds).
func (s *Shares) Succeeds(ctx context.Context, p acl.Principal, from int64) (bool, error) {
	return s.succeeds(ctx, s.db.R, p, from)
}

func (s *core) succeeds(ctx context.Context, q querier, p acl.Principal, from int64) (bool, error) {
	if p.IsAdmin() {
		return true, nil
	}
	if p.Anonymous() || p.Share != nil || p.UserID == from {
		return false, nil
	}
	now := s.now().UnixNano()
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM terms mine JOIN terms theirs ON theirs.role_id = mine.role_id
		JOIN roles r ON r.id = mine.role_id AND r.deleted_at IS NULL
		WHERE mine.user_id = ? AND mine.start_at <= ? AND (mine.end_at IS NULL OR mine.end_at > ?) AND theirs.user_id = ?`,
		p.UserID, now, now, from).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check succession: %w", err)
	}
	return n > 0, nil
}

// HandoverOf lists what person `from` created, for their successor (see
// Succeeds): links on nodes p manages (the others counted), and
// collections.
func (s *Shares) HandoverOf(ctx context.Context, p acl.Principal, from int64) (Handover, error) {
	var h Handover
	ok, err := s.Succeeds(ctx, p, from)
	if err != nil {
		return h, err
	}
	if !ok {
		return h, fmt.Errorf("handover: only a successor in one of their roles or an administrator: %w", ErrForbidden)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+shareCols+shareFrom+`WHERE s.created_by = ? AND s.revoked_at IS NULL ORDER BY s.id`, from)
	if err != nil {
		return h, fmt.Errorf("handover links: %w", err)
	}
	var links []Share
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			rows.Close()
			return h, fmt.Errorf("handover links: %w", err)
		}
		links = append(links, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}
	for _, sh := range links {
		c, err := s.chainByID(ctx, s.db.R, sh.NodeID)
		if err != nil {
			h.HiddenLinks++
			continue
		}
		role, err := s.roleOn(ctx, s.db.R, p, c)
		if err != nil {
			return h, err
		}
		if role < acl.Manager {
			h.HiddenLinks++
			continue
		}
		sh.withNode(c)
		h.Links = append(h.Links, sh)
	}
	rows, err = s.db.R.QueryContext(ctx, `SELECT c.id, c.title, (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id)
		FROM collections c WHERE c.created_by = ? ORDER BY c.title`, from)
	if err != nil {
		return h, fmt.Errorf("handover collections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c HandoverCollection
		if err := rows.Scan(&c.ID, &c.Title, &c.Items); err != nil {
			return h, fmt.Errorf("handover collections: %w", err)
		}
		h.Collections = append(h.Collections, c)
	}
	return h, rows.Err()
}

// TransferShare records `to` as the one responsible for a link (« garder
// le lien »). Managers of the link's node who succeed its maker (or
// administrators), to an account that exists.
func (s *Shares) TransferShare(ctx context.Context, p acl.Principal, id, to int64) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		sh, err := s.shareByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.manages(ctx, tx, p, sh); err != nil {
			return err
		}
		var from sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT created_by FROM share_links WHERE id = ?`, id).Scan(&from); err != nil {
			return fmt.Errorf("read link %d: %w", id, err)
		}
		if ok, err := s.succeeds(ctx, tx, p, from.Int64); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("link %d: not a successor of its maker: %w", id, ErrForbidden)
		}
		login, err := loginOf(ctx, tx, to)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE share_links SET created_by = ? WHERE id = ?`, to, id); err != nil {
			return fmt.Errorf("transfer link %d: %w", id, err)
		}
		return s.journal(ctx, tx, p, sh.NodeID, "share_transfer", map[string]any{"path": sh.Path, "link": id, "to": login, "from_by": sh.CreatedBy})
	})
	if err != nil {
		return fmt.Errorf("transfer share link %d: %w", id, err)
	}
	return nil
}

// TransferCollection makes `to` the author of a collection (who may then
// change or delete it). Administrators, or a successor of its author
// taking it for themselves.
func (s *Collections) TransferCollection(ctx context.Context, p acl.Principal, id, to int64) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := loadCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok, err := s.succeeds(ctx, tx, p, c.createdByID); err != nil {
			return err
		} else if !ok || (!p.IsAdmin() && to != p.UserID) {
			return fmt.Errorf("collection %d: %w", id, ErrNotFound)
		}
		login, err := loginOf(ctx, tx, to)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collections SET created_by = ?, updated_at = ? WHERE id = ?`, to, s.now().UnixNano(), id); err != nil {
			return fmt.Errorf("transfer collection %d: %w", id, err)
		}
		return s.journal(ctx, tx, p, 0, "collection_transfer", map[string]any{"collection": id, "title": c.Title, "to": login, "from_by": c.CreatedBy})
	})
	if err != nil {
		return fmt.Errorf("transfer collection %d: %w", id, err)
	}
	return nil
}

func loginOf(ctx context.Context, q querier, id int64) (string, error) {
	var login string
	if err := q.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, id).Scan(&login); err != nil {
		return "", fmt.Errorf("account %d: %w", id, ErrNotFound)
	}
	return login, nil
}
