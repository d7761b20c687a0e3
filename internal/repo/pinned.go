package repo

import (
	"context"
	"fmt"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// KeptVersion is an older version that retention never removes, because
// someone pinned or labelled it.
type KeptVersion struct {
	Path      string
	Number    int
	Label     string
	Pinned    bool
	Size      int64
	CreatedAt time.Time
}

// KeptVersions lists the pinned or labelled older versions of the live
// files under path that the caller may read, newest first, at most limit.
func (s *History) KeptVersions(ctx context.Context, p acl.Principal, path string, limit int) ([]KeptVersion, error) {
	c, err := s.resolve(ctx, s.db.R, path)
	if err != nil {
		return nil, err
	}
	if _, err := s.need(ctx, s.db.R, p, c, acl.Viewer); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `WITH RECURSIVE sub(id) AS (
			SELECT CAST(? AS BIGINT) UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id WHERE n.deleted_at IS NULL
		) SELECT v.node_id, v.number, v.label, v.pinned, v.size, v.created_at
		FROM versions v JOIN sub ON v.node_id = sub.id JOIN nodes n ON n.id = v.node_id
		WHERE v.id <> n.current_version_id AND (v.pinned <> 0 OR v.label <> '') ORDER BY v.created_at DESC`, c.last().id)
	if err != nil {
		return nil, fmt.Errorf("kept versions under %s: %w", c.path(), err)
	}
	type raw struct {
		node int64
		v    KeptVersion
	}
	var found []raw
	for rows.Next() {
		var r raw
		var created int64
		if err := rows.Scan(&r.node, &r.v.Number, &r.v.Label, &r.v.Pinned, &r.v.Size, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("kept versions under %s: %w", c.path(), err)
		}
		r.v.CreatedAt = meta.Time(created)
		found = append(found, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Each file is checked on its own: a folder below may not be readable.
	var out []KeptVersion
	for _, r := range found {
		if len(out) >= limit {
			break
		}
		fc, err := s.chainByID(ctx, s.db.R, r.node)
		if err != nil || !fc.live() {
			continue
		}
		if role, err := s.roleOn(ctx, s.db.R, p, fc); err != nil {
			return nil, err
		} else if role < acl.Viewer {
			continue
		}
		r.v.Path = fc.path()
		out = append(out, r.v)
	}
	return out, nil
}
