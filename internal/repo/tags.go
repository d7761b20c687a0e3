package repo

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/acl"
)

// CleanTag normalises a tag: trimmed, NFC, lower case, 1–64 characters,
// no control characters.
func CleanTag(t string) (string, error) {
	t = strings.ToLower(norm.NFC.String(strings.TrimSpace(t)))
	if t == "" || len([]rune(t)) > 64 {
		return "", fmt.Errorf("%w: a tag has 1 to 64 characters", ErrInvalidName)
	}
	for _, r := range t {
		if unicode.IsControl(r) || r == ',' {
			return "", fmt.Errorf("%w: tag %q contains a control character or a comma", ErrInvalidName, t)
		}
	}
	return t, nil
}

// SetTags replaces the node's tags.
func (s *Service) SetTags(ctx context.Context, p acl.Principal, path string, tags []string) (Node, error) {
	var clean []string
	for _, t := range tags {
		c, err := CleanTag(t)
		if err != nil {
			return Node{}, err
		}
		if !slices.Contains(clean, c) {
			clean = append(clean, c)
		}
	}
	slices.Sort(clean)
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Editor); err != nil {
			return err
		}
		id = c.last().id
		if _, err := tx.ExecContext(ctx, `DELETE FROM node_tags WHERE node_id = ?`, id); err != nil {
			return err
		}
		for _, t := range clean {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, t); err != nil {
				return fmt.Errorf("create tag %q: %w", t, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO node_tags (node_id, tag_id) SELECT ?, id FROM tags WHERE name = ?`, id, t); err != nil {
				return fmt.Errorf("tag %s: %w", c.path(), err)
			}
		}
		return s.journal(ctx, tx, p, id, "tag", map[string]any{"path": c.path(), "tags": clean})
	})
	if err != nil {
		return Node{}, fmt.Errorf("tag %s: %w", path, err)
	}
	s.notify()
	return s.StatID(ctx, p, id)
}

// TagCount is a tag and how many live nodes carry it.
type TagCount struct {
	Name  string
	Color string
	Count int
}

// Tags lists every tag in use, for suggestions while typing. They are
// shown to members only: guests and visitors could learn from them.
func (s *Service) Tags(ctx context.Context, p acl.Principal, prefix string) ([]TagCount, error) {
	if p.Role != acl.Member && !p.IsAdmin() {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.name, t.color, count(n.id) FROM tags t
		JOIN node_tags nt ON nt.tag_id = t.id JOIN nodes n ON n.id = nt.node_id AND n.deleted_at IS NULL
		WHERE t.name LIKE ? ESCAPE '\' GROUP BY t.id ORDER BY t.name`, likePrefix(strings.ToLower(prefix)))
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	defer rows.Close()
	var out []TagCount
	for rows.Next() {
		var t TagCount
		if err := rows.Scan(&t.Name, &t.Color, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
