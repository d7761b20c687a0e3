package repo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Warning says that an item cannot be read by part of the collection's
// audience. Only the collection's editors see warnings.
type Warning struct {
	ItemID     int64
	Path       string
	Unreadable []string // logins
}

// Collection returns one collection the caller may see (its audience, its
// author, administrators), with the items the caller may read and their
// progress; editors also get warnings.
func (s *Collections) Collection(ctx context.Context, p acl.Principal, id int64) (Collection, error) {
	c, err := loadCollection(ctx, s.db.R, id)
	if err != nil {
		return c, err
	}
	c.CanEdit = c.editableBy(p)
	if !c.CanEdit && !c.inAudience(p) {
		return Collection{}, fmt.Errorf("collection %d: %w", id, ErrNotFound)
	}
	if err := s.fillItems(ctx, p, &c); err != nil {
		return Collection{}, err
	}
	if c.CanEdit {
		if c.Warnings, err = s.warnings(ctx, c); err != nil {
			return Collection{}, err
		}
	}
	return c, nil
}

// Collections lists those the caller may see, with their progress.
func (s *Collections) Collections(ctx context.Context, p acl.Principal) ([]Collection, error) {
	if p.UserID == 0 && !p.System {
		return nil, nil
	}
	ids, err := queryIDs(ctx, s.db.R, `SELECT id FROM collections ORDER BY title, id`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	var out []Collection
	for _, id := range ids {
		c, err := loadCollection(ctx, s.db.R, id)
		if err != nil {
			return nil, err
		}
		c.CanEdit = c.editableBy(p)
		if !c.CanEdit && !c.inAudience(p) {
			continue
		}
		if err := s.fillItems(ctx, p, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Welcome returns the first welcome collection meant for p that p has not
// finished, if any.
func (s *Collections) Welcome(ctx context.Context, p acl.Principal) (*Collection, error) {
	all, err := s.Collections(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return nil, nil
	}
	var joined int64
	if err := s.db.R.QueryRowContext(ctx, `SELECT created_at FROM users WHERE id = ?`, p.UserID).Scan(&joined); err != nil {
		return nil, fmt.Errorf("welcome for %s: %w", p.Login, err)
	}
	for _, c := range all {
		if !c.Welcome || !c.inAudience(p) || len(c.Items) == 0 || c.Finished() {
			continue
		}
		var since int64
		var dismissed bool
		err := s.db.R.QueryRowContext(ctx, `SELECT c.welcome_since, EXISTS (SELECT 1 FROM collection_dismissed d WHERE d.collection_id = c.id AND d.user_id = ?)
			FROM collections c WHERE c.id = ?`, p.UserID, c.ID).Scan(&since, &dismissed)
		if err != nil {
			return nil, fmt.Errorf("welcome collection %d: %w", c.ID, err)
		}
		// Only newcomers: people who joined after it became a welcome
		// collection, and did not put it away.
		if joined >= since && !dismissed {
			return &c, nil
		}
	}
	return nil, nil
}

// DismissWelcome puts a welcome collection away from p's home page; the
// collection itself stays in the list of collections.
func (s *Collections) DismissWelcome(ctx context.Context, p acl.Principal, id int64) error {
	if p.UserID == 0 {
		return fmt.Errorf("dismiss welcome: %w", ErrForbidden)
	}
	if _, err := s.Collection(ctx, p, id); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO collection_dismissed (collection_id, user_id, dismissed_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, p.UserID, s.now().UnixNano())
		return err
	})
}

type itemRow struct {
	id, node int64
	pos      int
	note     string
}

func collectionItems(ctx context.Context, q querier, id int64) ([]itemRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, node_id, position, note FROM collection_items WHERE collection_id = ? ORDER BY position, id`, id)
	if err != nil {
		return nil, fmt.Errorf("load items of collection %d: %w", id, err)
	}
	defer rows.Close()
	var out []itemRow
	for rows.Next() {
		var r itemRow
		if err := rows.Scan(&r.id, &r.node, &r.pos, &r.note); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// readable returns the live node if p has at least the viewer role on it.
func (s *core) readable(ctx context.Context, p acl.Principal, id int64) (Node, bool, error) {
	n, err := s.svc.Tree.StatID(ctx, p, id)
	if errors.Is(err, ErrNotFound) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, err
	}
	return n, n.Role >= acl.Viewer, nil
}

func (s *core) fillItems(ctx context.Context, p acl.Principal, c *Collection) error {
	rows, err := collectionItems(ctx, s.db.R, c.ID)
	if err != nil {
		return err
	}
	read := map[int64]bool{}
	if p.UserID != 0 {
		r, err := s.db.R.QueryContext(ctx, `SELECT pr.item_id FROM collection_progress pr JOIN collection_items i ON i.id = pr.item_id
			WHERE i.collection_id = ? AND pr.user_id = ?`, c.ID, p.UserID)
		if err != nil {
			return fmt.Errorf("load progress: %w", err)
		}
		for r.Next() {
			var id int64
			if err := r.Scan(&id); err != nil {
				r.Close()
				return err
			}
			read[id] = true
		}
		r.Close()
		if err := r.Err(); err != nil {
			return err
		}
	}
	for _, r := range rows {
		n, ok, err := s.readable(ctx, p, r.node)
		if err != nil {
			return err
		}
		if !ok {
			c.Hidden++
			continue
		}
		it := Item{ID: r.id, NodeID: r.node, Position: r.pos, Note: r.note, Node: n, Read: read[r.id]}
		if it.Read {
			c.Read++
		}
		c.Items = append(c.Items, it)
	}
	return nil
}

// audience is every enabled account the collection is meant for.
func (s *core) audience(ctx context.Context, c Collection) ([]acl.Principal, error) {
	cond := `1 = 0`
	var args []any
	if c.Members {
		cond += ` OR u.role IN ('admin', 'member')`
	}
	if len(c.groupIDs) > 0 {
		cond += ` OR u.id IN (SELECT user_id FROM group_members WHERE group_id IN (` + placeholders(len(c.groupIDs)) + `))`
		for _, g := range c.groupIDs {
			args = append(args, g)
		}
	}
	if len(c.roleIDs) > 0 {
		now := s.now().UnixNano()
		cond += ` OR u.id IN (SELECT t.user_id FROM terms t WHERE t.start_at <= ? AND (t.end_at IS NULL OR t.end_at > ?) AND t.role_id IN (` + placeholders(len(c.roleIDs)) + `))`
		args = append(args, now, now)
		for _, r := range c.roleIDs {
			args = append(args, r)
		}
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT u.id, u.login, u.role FROM users u WHERE u.disabled = 0 AND (`+cond+`) ORDER BY u.login`, args...)
	if err != nil {
		return nil, fmt.Errorf("audience of collection %d: %w", c.ID, err)
	}
	var out []acl.Principal
	for rows.Next() {
		var pr acl.Principal
		var role string
		if err := rows.Scan(&pr.UserID, &pr.Login, &role); err != nil {
			rows.Close()
			return nil, err
		}
		pr.Role = acl.UserRole(role)
		out = append(out, pr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Groups, err = userGroups(ctx, s.db.R, out[i].UserID); err != nil {
			return nil, err
		}
		if out[i].Offices, err = heldOffices(ctx, s.db.R, out[i].UserID, s.now()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// heldOffices are the roles user uid holds a term for at now (auth makes
// the principals of requests; this is for the audiences repo reasons about).
func heldOffices(ctx context.Context, q querier, uid int64, now time.Time) ([]int64, error) {
	return queryIDs(ctx, q, `SELECT DISTINCT t.role_id FROM terms t JOIN roles r ON r.id = t.role_id AND r.deleted_at IS NULL
		WHERE t.user_id = ? AND t.start_at <= ? AND (t.end_at IS NULL OR t.end_at > ?)`, uid, now.UnixNano(), now.UnixNano())
}

func userGroups(ctx context.Context, q querier, uid int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id FROM group_members WHERE user_id = ?`, uid)
	if err != nil {
		return nil, fmt.Errorf("groups of user %d: %w", uid, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// warnings lists the items some of the audience may not read.
func (s *core) warnings(ctx context.Context, c Collection) ([]Warning, error) {
	people, err := s.audience(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []Warning
	for _, it := range c.Items {
		w := Warning{ItemID: it.ID, Path: it.Node.Path}
		for _, who := range people {
			_, ok, err := s.readable(ctx, who, it.NodeID)
			if err != nil {
				return nil, err
			}
			if !ok {
				w.Unreadable = append(w.Unreadable, who.Login)
			}
		}
		if len(w.Unreadable) > 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

// PersonProgress is how far one person of the audience has read.
type PersonProgress struct {
	Login    string
	Read     int
	Total    int // items this person may read
	Finished bool
}

// CollectionProgress tells the collection's editors who has read what.
func (s *Collections) CollectionProgress(ctx context.Context, p acl.Principal, id int64) ([]PersonProgress, error) {
	c, err := s.editable(ctx, s.db.R, p, id)
	if err != nil {
		return nil, err
	}
	people, err := s.audience(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]PersonProgress, 0, len(people))
	for _, who := range people {
		pc := c
		pc.Items, pc.Read, pc.Hidden = nil, 0, 0
		if err := s.fillItems(ctx, who, &pc); err != nil {
			return nil, err
		}
		out = append(out, PersonProgress{Login: who.Login, Read: pc.Read, Total: len(pc.Items), Finished: pc.Finished()})
	}
	return out, nil
}

// MarkRead sets or clears the caller's read mark on one item.
func (s *Collections) MarkRead(ctx context.Context, p acl.Principal, collection, item int64, read bool) error {
	c, err := s.Collection(ctx, p, collection)
	if err != nil {
		return err
	}
	if p.UserID == 0 {
		return fmt.Errorf("progress is kept for accounts only: %w", ErrForbidden)
	}
	for _, it := range c.Items {
		if it.ID != item {
			continue
		}
		return s.db.Tx(ctx, func(tx meta.Tx) error {
			q := `DELETE FROM collection_progress WHERE item_id = ? AND user_id = ?`
			args := []any{item, p.UserID}
			if read {
				q = `INSERT INTO collection_progress (item_id, user_id, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
				args = append(args, s.now().UnixNano())
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("mark item %d: %w", item, err)
			}
			return nil
		})
	}
	return fmt.Errorf("item %d of collection %d: %w", item, collection, ErrNotFound)
}

// MarkOpened marks as read, for the caller, every item pointing at the node
// in the collections meant for them. Opening a document calls it.
func (s *Collections) MarkOpened(ctx context.Context, p acl.Principal, nodeID int64) error {
	if p.UserID == 0 || p.Share != nil {
		return nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT i.id, i.collection_id FROM collection_items i WHERE i.node_id = ?
		AND NOT EXISTS (SELECT 1 FROM collection_progress pr WHERE pr.item_id = i.id AND pr.user_id = ?)`, nodeID, p.UserID)
	if err != nil {
		return fmt.Errorf("mark node %d opened: %w", nodeID, err)
	}
	type pair struct{ item, coll int64 }
	var todo []pair
	for rows.Next() {
		var pr pair
		if err := rows.Scan(&pr.item, &pr.coll); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, pr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range todo {
		if err := s.MarkRead(ctx, p, t.coll, t.item, true); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// CollectionTitle is a collection as the search box suggests it.
type CollectionTitle struct {
	ID    int64
	Title string
}

// CollectionTitles lists, in title order, up to limit collections p may
// see (as Collections decides) whose title match accepts: the search
// box's suggestions. Only titles are read for all; the matching ones are
// loaded to check p's access, so typing stays cheap.
func (s *Collections) CollectionTitles(ctx context.Context, p acl.Principal, match func(title string) bool, limit int) ([]CollectionTitle, error) {
	if (p.UserID == 0 && !p.System) || limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, title FROM collections ORDER BY title, id`)
	if err != nil {
		return nil, fmt.Errorf("list collection titles: %w", err)
	}
	var cands []CollectionTitle
	for rows.Next() {
		var c CollectionTitle
		if err := rows.Scan(&c.ID, &c.Title); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list collection titles: %w", err)
		}
		if match(c.Title) {
			cands = append(cands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list collection titles: %w", err)
	}
	var out []CollectionTitle
	for _, ct := range cands {
		c, err := loadCollection(ctx, s.db.R, ct.ID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if c.editableBy(p) || c.inAudience(p) {
			out = append(out, ct)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
