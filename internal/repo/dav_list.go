package repo

import (
	"context"
	"fmt"

	"notreasso/internal/acl"
)

// Listing is everything a WebDAV PROPFIND needs about a node and, at depth
// 1, its children: one tree listing and at most one property query,
// whatever the number of children.
type Listing struct {
	Node     Node
	Children []Node
	Props    map[int64][]DeadProp // dead properties by node id; nil unless asked for
}

// ListDAV returns the node at path and, if depth is 1 and it is a folder,
// the children the caller may see. withProps also loads dead properties of
// the nodes the caller may read.
func (s *DAV) ListDAV(ctx context.Context, p acl.Principal, path string, depth int, withProps bool) (Listing, error) {
	var l Listing
	var err error
	if l.Node, err = s.svc.Tree.Stat(ctx, p, path); err != nil {
		return Listing{}, err
	}
	if depth > 0 && l.Node.Dir {
		if l.Children, err = s.children(ctx, p, l.Node, false); err != nil {
			return Listing{}, err
		}
	}
	if !withProps {
		return l, nil
	}
	cond, args := `node_id = ?`, []any{l.Node.ID}
	if len(l.Children) > 0 {
		cond += ` OR node_id IN (SELECT id FROM nodes WHERE parent_id = ? AND deleted_at IS NULL)`
		args = append(args, l.Node.ID)
	}
	props, err := s.propsWhere(ctx, cond, args...)
	if err != nil {
		return Listing{}, fmt.Errorf("properties under %s: %w", l.Node.Path, err)
	}
	// Traversal-only nodes show their name, nothing else.
	l.Props = map[int64][]DeadProp{}
	for _, n := range append([]Node{l.Node}, l.Children...) {
		if n.Role >= acl.Viewer && props[n.ID] != nil {
			l.Props[n.ID] = props[n.ID]
		}
	}
	return l, nil
}
