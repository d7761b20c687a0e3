package repo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
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

// MaxTags is the most tags one file or folder may carry: a list is meant
// to be read, and a request must not carry a million of them.
const MaxTags = 100

// SetTags replaces the node's tags.
func (s *Tree) SetTags(ctx context.Context, p acl.Principal, path string, tags []string) (Node, error) {
	if len(tags) > MaxTags {
		return Node{}, fmt.Errorf("%w: at most %d tags per file, %d given", ErrInvalid, MaxTags, len(tags))
	}
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
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
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
			if _, err := tx.ExecContext(ctx, `INSERT INTO node_tags (node_id, tag_id) SELECT CAST(? AS BIGINT), id FROM tags WHERE name = ?`, id, t); err != nil {
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

// Tags lists the tags in use on documents p may read, with how many of
// those each tag is on, for suggestions while typing and the tag list. A
// tag used only where p may not read does not appear, and unreadable
// documents are not counted: both would tell what hidden folders hold.
// Guests and visitors get none.
func (s *Tags) Tags(ctx context.Context, p acl.Principal, prefix string) ([]TagCount, error) {
	if p.Role != acl.Member && !p.IsAdmin() {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.name, t.color, n.id FROM tags t
		JOIN node_tags nt ON nt.tag_id = t.id JOIN nodes n ON n.id = nt.node_id AND n.deleted_at IS NULL
		WHERE t.name LIKE ? ESCAPE '\' ORDER BY t.name`, likePrefix(strings.ToLower(prefix)))
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	type use struct {
		name, color string
		node        int64
	}
	var uses []use
	for rows.Next() {
		var u use
		if err := rows.Scan(&u.name, &u.color, &u.node); err != nil {
			rows.Close()
			return nil, err
		}
		uses = append(uses, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	ids := make([]int64, 0, len(uses))
	for _, u := range uses {
		ids = append(ids, u.node)
	}
	slices.Sort(ids)
	readable, err := s.readableSet(ctx, p, slices.Compact(ids))
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var out []TagCount
	for _, u := range uses {
		if !readable[u.node] {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Name == u.name {
			out[n-1].Count++
			continue
		}
		out = append(out, TagCount{Name: u.name, Color: u.color, Count: 1})
	}
	return out, nil
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
