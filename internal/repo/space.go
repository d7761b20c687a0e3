package repo

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"notreasso/internal/acl"
)

// SpaceUsage is how much room a file or folder takes, versions included.
// Sizes are of the content as saved; StoredBytes counts each distinct
// content once, as the blob store does.
type SpaceUsage struct {
	Path           string
	Dir            bool
	Files          int
	Versions       int
	CurrentBytes   int64 // the current versions
	HistoryBytes   int64 // older versions: what retention may free
	PinnedVersions int   // older versions kept because pinned or labelled
	PinnedBytes    int64
	StoredBytes    int64        // distinct contents below, each counted once
	Children       []SpaceUsage // for a folder: its direct children, largest first
	TrashBytes     int64        // for the root folder: what the trash holds
}

// Space reports the room taken at path; for a folder, also per child.
// Anyone who may read the node may see it (grants cover whole subtrees).
func (s *Tree) Space(ctx context.Context, p acl.Principal, path string) (SpaceUsage, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return SpaceUsage{}, err
	}
	if _, err := s.need(ctx, s.db.R, p, c, acl.Viewer); err != nil {
		return SpaceUsage{}, err
	}
	top := c.last()
	u := SpaceUsage{Path: c.path(), Dir: top.dir}
	// Restricted folders the caller may not open are left out of every
	// total: a size is a door too.
	hidden, err := s.hiddenRestricted(ctx, p)
	if err != nil {
		return u, err
	}
	skip, skipArgs := "", []any{}
	if len(hidden) > 0 {
		skip, skipArgs = ` AND n.id NOT IN (`+placeholders(len(hidden))+`)`, hidden
	}
	// One pass over the live subtree, each node tagged with the child of
	// top it lies under (top itself for a file).
	args := append(append(append([]any{top.id}, skipArgs...), skipArgs...), top.id, top.id)
	rows, err := s.db.R.QueryContext(ctx, `WITH RECURSIVE sub(id, under) AS (
			SELECT n.id, n.id FROM nodes n WHERE n.parent_id = ? AND n.deleted_at IS NULL`+skip+`
			UNION ALL SELECT n.id, sub.under FROM nodes n JOIN sub ON n.parent_id = sub.id WHERE n.deleted_at IS NULL`+skip+`
		), scope(id, under) AS (SELECT id, under FROM sub UNION ALL SELECT CAST(? AS BIGINT), CAST(? AS BIGINT))
		SELECT scope.under, count(DISTINCT v.node_id), count(v.id),
			COALESCE(sum(CASE WHEN v.id = n.current_version_id THEN v.size END), 0),
			COALESCE(sum(CASE WHEN v.id <> n.current_version_id THEN v.size END), 0),
			count(CASE WHEN v.id <> n.current_version_id AND (v.pinned <> 0 OR v.label <> '') THEN 1 END),
			COALESCE(sum(CASE WHEN v.id <> n.current_version_id AND (v.pinned <> 0 OR v.label <> '') THEN v.size END), 0)
		FROM scope JOIN nodes n ON n.id = scope.id JOIN versions v ON v.node_id = n.id GROUP BY scope.under`,
		args...)
	if err != nil {
		return u, fmt.Errorf("space used by %s: %w", u.Path, err)
	}
	per := map[int64]SpaceUsage{}
	for rows.Next() {
		var id int64
		var x SpaceUsage
		if err := rows.Scan(&id, &x.Files, &x.Versions, &x.CurrentBytes, &x.HistoryBytes, &x.PinnedVersions, &x.PinnedBytes); err != nil {
			rows.Close()
			return u, fmt.Errorf("space used by %s: %w", u.Path, err)
		}
		per[id] = x
		u.Files += x.Files
		u.Versions += x.Versions
		u.CurrentBytes += x.CurrentBytes
		u.HistoryBytes += x.HistoryBytes
		u.PinnedVersions += x.PinnedVersions
		u.PinnedBytes += x.PinnedBytes
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return u, err
	}
	if err := s.db.R.QueryRowContext(ctx, `WITH RECURSIVE sub(id) AS (
			SELECT CAST(? AS BIGINT) UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id WHERE n.deleted_at IS NULL`+skip+`
		) SELECT COALESCE(sum(size), 0) FROM blobs WHERE sha256 IN (SELECT v.blob FROM versions v JOIN sub ON v.node_id = sub.id)`,
		append([]any{top.id}, skipArgs...)...).Scan(&u.StoredBytes); err != nil {
		return u, fmt.Errorf("space used by %s: %w", u.Path, err)
	}
	if top.id == RootID {
		if err := s.db.R.QueryRowContext(ctx, `WITH RECURSIVE sub(id) AS (
				SELECT id FROM nodes WHERE deleted_at IS NOT NULL UNION SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id
			) SELECT COALESCE(sum(v.size), 0) FROM versions v JOIN sub ON v.node_id = sub.id`).Scan(&u.TrashBytes); err != nil {
			return u, fmt.Errorf("space used by the trash: %w", err)
		}
	}
	if !top.dir {
		return u, nil
	}
	_, kids, err := s.List(ctx, p, u.Path)
	if err != nil {
		return u, err
	}
	for _, k := range kids {
		x := per[k.ID]
		x.Path, x.Dir = k.Path, k.Dir
		u.Children = append(u.Children, x)
	}
	slices.SortStableFunc(u.Children, func(a, b SpaceUsage) int {
		return cmp.Compare(b.CurrentBytes+b.HistoryBytes, a.CurrentBytes+a.HistoryBytes)
	})
	return u, nil
}
