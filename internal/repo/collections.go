package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Collection is an ordered, annotated list of files and folders for an
// audience. Items point at nodes by id: moving or renaming a document keeps
// it in its collections.
type Collection struct {
	ID          int64
	Title       string
	Description string // Markdown
	Welcome     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CreatedBy   string
	createdByID int64
	Members     bool     // the audience is every member
	Groups      []string // or these groups
	groupIDs    []int64
	Roles       []string // or whoever holds these roles now
	roleIDs     []int64
	Items       []Item // only those the caller may read, in order
	CanEdit     bool   // the caller created it or is an administrator
	Read        int    // how many of Items the caller has read
	Hidden      int    // items the caller may not read (counted, never shown)
	Warnings    []Warning
}

// Item is one entry of a collection.
type Item struct {
	ID       int64
	NodeID   int64
	Position int
	Note     string
	Node     Node
	Read     bool
}

// Finished reports whether the caller has read every item they may see.
func (c Collection) Finished() bool { return len(c.Items) > 0 && c.Read == len(c.Items) }

// Next is the first unread item ("continue where you left off"), or nil.
func (c Collection) Next() *Item {
	for i := range c.Items {
		if !c.Items[i].Read {
			return &c.Items[i]
		}
	}
	return nil
}

// CollectionInput is what a collection's editor sets.
type CollectionInput struct {
	Title       string
	Description string
	Welcome     bool
	Members     bool
	Groups      []string // group names
	Roles       []string // role names (whoever holds the role now)
}

// ItemInput is one item as the editor orders it: a path, or a node id.
type ItemInput struct {
	Path   string
	NodeID int64
	Note   string
}

func mayCreateCollections(p acl.Principal) error {
	if p.IsAdmin() || (p.Role == acl.Member && p.UserID != 0 && p.Share == nil) {
		return nil
	}
	return fmt.Errorf("collections are made by members: %w", ErrForbidden)
}

func (in *CollectionInput) clean() error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len(in.Title) > 200 {
		return fmt.Errorf("%w: a title has 1 to 200 bytes", ErrInvalid)
	}
	if len(in.Groups) > MaxAudienceGroups || len(in.Roles) > MaxAudienceGroups {
		return fmt.Errorf("%w: a collection is shown to at most %d groups and %d roles", ErrInvalid, MaxAudienceGroups, MaxAudienceGroups)
	}
	if len(in.Description) > 64<<10 {
		return fmt.Errorf("%w: the description is over 64 KiB", ErrInvalid)
	}
	if !in.Members && len(in.Groups) == 0 && len(in.Roles) == 0 {
		return fmt.Errorf("%w: choose an audience: members, groups or roles", ErrInvalid)
	}
	return nil
}

// Bounds on what one request may list: a collection is a curated reading
// list, and a 1 MiB body must not become a hundred thousand statements.
const (
	MaxCollectionItems = 1000
	MaxAudienceGroups  = 200
)

// CreateCollection makes an empty collection; members and admins may.
func (s *Collections) CreateCollection(ctx context.Context, p acl.Principal, in CollectionInput) (Collection, error) {
	if err := mayCreateCollections(p); err != nil {
		return Collection{}, err
	}
	if err := in.clean(); err != nil {
		return Collection{}, err
	}
	var id int64
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		now := s.now().UnixNano()
		since := int64(0)
		if in.Welcome {
			since = now
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO collections (title, description, welcome, welcome_since, created_at, created_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Title, in.Description, in.Welcome, since, now, actorArg(p), now).Scan(&id); err != nil {
			return err
		}
		if err := setAudience(ctx, tx, id, in); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, 0, "collection_create", map[string]any{"collection": id, "title": in.Title})
	})
	if err != nil {
		return Collection{}, fmt.Errorf("create collection %q: %w", in.Title, err)
	}
	return s.Collection(ctx, p, id)
}

func setAudience(ctx context.Context, tx meta.Tx, id int64, in CollectionInput) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM collection_audience WHERE collection_id = ?`, id); err != nil {
		return err
	}
	if in.Members {
		if _, err := tx.ExecContext(ctx, `INSERT INTO collection_audience (collection_id, principal_kind) VALUES (?, 'members')`, id); err != nil {
			return err
		}
	}
	for _, g := range in.Groups {
		var gid int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM groups WHERE name = ?`, strings.TrimSpace(g)).Scan(&gid)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no group %q", ErrInvalid, g)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collection_audience (collection_id, principal_kind, principal_id)
			VALUES (?, 'group', ?) ON CONFLICT DO NOTHING`, id, gid); err != nil {
			return err
		}
	}
	for _, r := range in.Roles {
		var rid int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM roles WHERE deleted_at IS NULL AND name = ?`, strings.TrimSpace(r)).Scan(&rid)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no role %q", ErrInvalid, r)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collection_audience (collection_id, principal_kind, principal_id)
			VALUES (?, 'role', ?) ON CONFLICT DO NOTHING`, id, rid); err != nil {
			return err
		}
	}
	return nil
}

// UpdateCollection changes the title, description, welcome flag and audience.
func (s *Collections) UpdateCollection(ctx context.Context, p acl.Principal, id int64, in CollectionInput) (Collection, error) {
	if err := in.clean(); err != nil {
		return Collection{}, err
	}
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := s.editable(ctx, tx, p, id); err != nil {
			return err
		}
		// welcome_since moves only when the collection becomes a welcome one:
		// those who joined before are not greeted by it.
		now := s.now().UnixNano()
		if _, err := tx.ExecContext(ctx, `UPDATE collections SET title = ?, description = ?,
			welcome_since = CASE WHEN ? AND welcome = 0 THEN ? ELSE welcome_since END, welcome = ?, updated_at = ? WHERE id = ?`,
			in.Title, in.Description, in.Welcome, now, in.Welcome, now, id); err != nil {
			return err
		}
		if err := setAudience(ctx, tx, id, in); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, 0, "collection_update", map[string]any{"collection": id, "title": in.Title})
	})
	if err != nil {
		return Collection{}, fmt.Errorf("update collection %d: %w", id, err)
	}
	return s.Collection(ctx, p, id)
}

// DeleteCollection removes it with its items and everyone's progress.
func (s *Collections) DeleteCollection(ctx context.Context, p acl.Principal, id int64) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.editable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM collections WHERE id = ?`, id); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, 0, "collection_delete", map[string]any{"collection": id, "title": c.Title})
	})
	if err != nil {
		return fmt.Errorf("delete collection %d: %w", id, err)
	}
	return nil
}

// SetCollectionItems replaces the ordered list of items. Items kept keep
// everyone's progress. The editor must be able to read what they add;
// items they cannot read any more (someone else's grant changed) are kept,
// after the others.
func (s *Collections) SetCollectionItems(ctx context.Context, p acl.Principal, id int64, items []ItemInput) (Collection, error) {
	if len(items) > MaxCollectionItems {
		return Collection{}, fmt.Errorf("%w: a collection holds at most %d items, %d given", ErrInvalid, MaxCollectionItems, len(items))
	}
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		if _, err := s.editable(ctx, tx, p, id); err != nil {
			return err
		}
		var want []int64
		notes := map[int64]string{}
		for i, it := range items {
			var c chain
			var err error
			if it.NodeID != 0 {
				c, err = s.chainByID(ctx, tx, it.NodeID)
				if err == nil && !c.live() {
					err = ErrNotFound
				}
			} else {
				c, err = s.resolve(ctx, tx, it.Path)
			}
			if err == nil {
				_, err = s.need(ctx, tx, p, c, acl.Viewer)
			}
			if err != nil {
				return itemError(i, err)
			}
			nid := c.last().id
			if nid == RootID {
				return fmt.Errorf("%w: the root cannot be an item", ErrInvalid)
			}
			if !slices.Contains(want, nid) {
				want = append(want, nid)
			}
			notes[nid] = strings.TrimSpace(it.Note)
		}
		old, err := itemNodes(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, nid := range old {
			if slices.Contains(want, nid) {
				continue
			}
			if ok, err := s.mayRead(ctx, tx, p, nid); err != nil {
				return err
			} else if ok {
				if _, err := tx.ExecContext(ctx, `DELETE FROM collection_items WHERE collection_id = ? AND node_id = ?`, id, nid); err != nil {
					return err
				}
				continue
			}
			want = append(want, nid) // not the editor's to remove
		}
		for pos, nid := range want {
			note, set := notes[nid]
			if _, err := tx.ExecContext(ctx, `INSERT INTO collection_items (collection_id, node_id, position, note) VALUES (?, ?, ?, ?)
				ON CONFLICT (collection_id, node_id) DO UPDATE SET position = excluded.position,
				note = CASE WHEN ? THEN excluded.note ELSE collection_items.note END`, id, nid, pos, note, set); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collections SET updated_at = ? WHERE id = ?`, s.now().UnixNano(), id); err != nil {
			return err
		}
		return s.journal(ctx, tx, p, 0, "collection_items", map[string]any{"collection": id, "nodes": want})
	})
	if err != nil {
		return Collection{}, fmt.Errorf("set items of collection %d: %w", id, err)
	}
	return s.Collection(ctx, p, id)
}

// itemError reports a refused item by its position only: the errors of
// resolve and need name the node's path, and an item given by id must not
// tell its path to someone who may not read it (nor, by a different
// answer, that it exists). Whatever the cause, it is "not found".
func itemError(i int, err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotDir) || errors.Is(err, ErrInvalidName) {
		return fmt.Errorf("item %d: %w", i+1, ErrNotFound)
	}
	return err
}

func itemNodes(ctx context.Context, q querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT node_id FROM collection_items WHERE collection_id = ? ORDER BY position, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// loadCollection reads the collection's own row and audience.
func loadCollection(ctx context.Context, q querier, id int64) (Collection, error) {
	var c Collection
	var created, updated int64
	var by sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT c.id, c.title, c.description, c.welcome, c.created_at, c.updated_at, c.created_by, COALESCE(u.login, '')
		FROM collections c LEFT JOIN users u ON u.id = c.created_by WHERE c.id = ?`, id).
		Scan(&c.ID, &c.Title, &c.Description, &c.Welcome, &created, &updated, &by, &c.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("collection %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("load collection %d: %w", id, err)
	}
	c.CreatedAt, c.UpdatedAt, c.createdByID = meta.Time(created), meta.Time(updated), by.Int64
	rows, err := q.QueryContext(ctx, `SELECT a.principal_kind, a.principal_id, COALESCE(g.name, r.name, '') FROM collection_audience a
		LEFT JOIN groups g ON a.principal_kind = 'group' AND g.id = a.principal_id
		LEFT JOIN roles r ON a.principal_kind = 'role' AND r.id = a.principal_id
		WHERE a.collection_id = ? ORDER BY a.principal_kind, COALESCE(g.name, r.name, '')`, id)
	if err != nil {
		return c, fmt.Errorf("load collection %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name string
		var gid int64
		if err := rows.Scan(&kind, &gid, &name); err != nil {
			return c, err
		}
		switch kind {
		case "members":
			c.Members = true
		case "role":
			c.Roles, c.roleIDs = append(c.Roles, name), append(c.roleIDs, gid)
		default:
			c.Groups, c.groupIDs = append(c.Groups, name), append(c.groupIDs, gid)
		}
	}
	return c, rows.Err()
}

func (c Collection) editableBy(p acl.Principal) bool {
	return p.IsAdmin() || (p.UserID != 0 && p.Share == nil && p.UserID == c.createdByID)
}

// inAudience reports whether the collection is meant for p.
func (c Collection) inAudience(p acl.Principal) bool {
	if p.UserID == 0 || p.Share != nil {
		return false
	}
	if c.Members && (p.Role == acl.Member || p.Role == acl.Admin) {
		return true
	}
	for _, g := range c.groupIDs {
		if slices.Contains(p.Groups, g) {
			return true
		}
	}
	for _, r := range c.roleIDs {
		if slices.Contains(p.Offices, r) {
			return true
		}
	}
	return false
}

// editable loads the collection if p may change it; others who may see
// it get ErrForbidden, everyone else ErrNotFound.
func (s *core) editable(ctx context.Context, q querier, p acl.Principal, id int64) (Collection, error) {
	c, err := loadCollection(ctx, q, id)
	if err != nil {
		return c, err
	}
	if c.editableBy(p) {
		return c, nil
	}
	if c.inAudience(p) {
		return c, fmt.Errorf("collection %d: only its author or an administrator may change it: %w", id, ErrForbidden)
	}
	return c, fmt.Errorf("collection %d: %w", id, ErrNotFound)
}
