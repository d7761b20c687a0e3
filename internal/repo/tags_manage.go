package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// TagDocuments returns the live documents carrying the tag that p may
// read, by path, and the tag's colour.
func (s *Tags) TagDocuments(ctx context.Context, p acl.Principal, tag string) ([]Node, string, error) {
	tag, err := CleanTag(tag)
	if err != nil {
		return nil, "", err
	}
	var tagID int64
	var color string
	err = s.db.R.QueryRowContext(ctx, `SELECT id, color FROM tags WHERE name = ?`, tag).Scan(&tagID, &color)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("tag %s: %w", tag, err)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT nt.node_id FROM node_tags nt JOIN nodes n ON n.id = nt.node_id
		WHERE nt.tag_id = ? AND n.deleted_at IS NULL`, tagID)
	if err != nil {
		return nil, "", fmt.Errorf("tag %s: %w", tag, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, "", err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	var out []Node
	for _, id := range ids {
		n, ok, err := s.readable(ctx, p, id)
		if err != nil {
			return nil, "", err
		}
		if ok {
			out = append(out, n)
		}
	}
	sortByPath(out)
	if len(out) == 0 && !p.IsAdmin() {
		color = "" // nobody learns of a tag used only where they may not read
	}
	return out, color, nil
}

func sortByPath(ns []Node) {
	slices.SortFunc(ns, func(a, b Node) int { return strings.Compare(a.Path, b.Path) })
}

var colorRE = regexp.MustCompile(`^(#[0-9a-fA-F]{6})?$`)

// SetTagColor sets a tag's colour (#rrggbb, or empty for none). Tags are
// shared by everyone: only administrators change them.
func (s *Tags) SetTagColor(ctx context.Context, p acl.Principal, tag, color string) error {
	if err := needAdmin(p, "change a tag"); err != nil {
		return err
	}
	tag, err := CleanTag(tag)
	if err != nil {
		return err
	}
	if !colorRE.MatchString(color) {
		return fmt.Errorf("%w: a colour is #rrggbb", ErrInvalid)
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tags SET color = ? WHERE name = ?`, color, tag)
		if err != nil {
			return fmt.Errorf("colour tag %s: %w", tag, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("tag %s: %w", tag, ErrNotFound)
		}
		return s.journal(ctx, tx, p, 0, "tag_color", map[string]any{"tag": tag, "color": color})
	})
}

// RenameTag renames a tag on every document; into an existing tag's name,
// it merges the two. Only administrators may. Each document whose tags
// changed gets a "tag" journal entry, so the search index follows.
func (s *Tags) RenameTag(ctx context.Context, p acl.Principal, from, to string) error {
	if err := needAdmin(p, "rename a tag"); err != nil {
		return err
	}
	from, err := CleanTag(from)
	if err != nil {
		return err
	}
	if to, err = CleanTag(to); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		var fromID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE name = ?`, from).Scan(&fromID); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tag %s: %w", from, ErrNotFound)
		} else if err != nil {
			return err
		}
		nodes, err := tx.QueryContext(ctx, `SELECT node_id FROM node_tags WHERE tag_id = ?`, fromID)
		if err != nil {
			return err
		}
		var ids []int64
		for nodes.Next() {
			var id int64
			if err := nodes.Scan(&id); err != nil {
				nodes.Close()
				return err
			}
			ids = append(ids, id)
		}
		nodes.Close()
		var toID int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE name = ?`, to).Scan(&toID)
		action := "merge"
		switch {
		case errors.Is(err, sql.ErrNoRows):
			action = "rename"
			if _, err := tx.ExecContext(ctx, `UPDATE tags SET name = ? WHERE id = ?`, to, fromID); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := tx.ExecContext(ctx, `INSERT INTO node_tags (node_id, tag_id) SELECT node_id, CAST(? AS BIGINT) FROM node_tags WHERE tag_id = ? ON CONFLICT DO NOTHING`, toID, fromID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM node_tags WHERE tag_id = ?`, fromID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE id = ?`, fromID); err != nil {
				return err
			}
		}
		if err := s.journal(ctx, tx, p, 0, "tag_"+action, map[string]any{"tag": from, "into": to, "nodes": len(ids)}); err != nil {
			return err
		}
		for _, id := range ids {
			c, err := s.chainByID(ctx, tx, id)
			if err != nil {
				return err
			}
			tags, err := s.tagsOf(ctx, tx, `nt.node_id = ?`, id)
			if err != nil {
				return err
			}
			if err := s.journal(ctx, tx, p, id, "tag", map[string]any{"path": c.path(), "tags": tags[id], action: from}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rename tag %s to %s: %w", from, to, err)
	}
	s.notify()
	return nil
}
