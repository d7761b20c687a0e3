// Package repo is the only door for changes to the tree. Every method takes
// ctx and the acting principal, checks permissions, writes metadata and a
// journal entry in one transaction, and only then reports success. The web
// API, WebDAV and the CLI are thin adapters over it.
package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
	"notreasso/internal/retention"
	"notreasso/storage"
)

// RootID is the id of the root folder, created by the first migration.
const RootID = 1

// Node is a file or folder as the caller sees it.
type Node struct {
	ID        int64
	ParentID  int64
	Name      string
	Path      string
	Dir       bool
	Size      int64
	Mime      string
	Hash      string // SHA-256 (hex) of the current content; empty for folders
	Version   int    // current version number; 0 for folders
	VersionID int64
	ModTime   time.Time // the document's modification time (client-supplied or upload time)
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
	TreeSeq   int64     // folders: bumped by every change below (see touch)
	DeletedAt time.Time // zero unless the node is in the trash
	Tags      []string
	Role      acl.Role // the caller's effective role on this node
	// DroppedBy is set when the last change came through a drop-box link:
	// the name the visitor gave, or "" (with Dropped) if they gave none.
	DroppedBy string
	Dropped   bool
	// MailFrom is set when the last change came from the mail intake: the
	// sender of the message the file came from (« reçu par e-mail de … »).
	MailFrom string
	// Restricted: « accès restreint », the grants of the folders above stop
	// here (see acl.ReachFrom).
	Restricted bool
}

// ETag identifies the node's current state: the content hash for files;
// for folders the id and the change counter, which moves with any change
// anywhere below (so one look at the root tells a sync client whether
// anything changed). Never empty.
func (n Node) ETag() string {
	if n.Dir {
		return fmt.Sprintf("d%x-%x", n.ID, n.TreeSeq)
	}
	return n.Hash
}

// Options configures a Service.
type Options struct {
	MaxUpload int64 // bytes; 0 means no limit
	SpoolDir  string
	Logger    *slog.Logger
	Now       func() time.Time // for tests; time.Now by default
	// Retention is the version policy where no folder rule applies;
	// retention.Default() if nil. Location sets the calendar (hours, days,
	// weeks) the policy thins by; UTC if nil.
	Retention *retention.Policy
	Location  *time.Location
}

// core is the one transaction core every focused service shares: the
// database, the blob store, the clock and the statement cache. Unexported
// helpers live on it; svc reaches a sibling service when one operation is
// made of another (a copy is a put, a restore is a move).
type core struct {
	svc     *Service
	db      *meta.DB
	blobs   storage.BlobStore
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	changed chan struct{}
	stmts   stmtCache
	spares  chan *os.File // spool files made ahead (spares.go)
	// spareTurn picks the folder the next spare is made in.
	spareTurn atomic.Uint32

	watchMu  sync.Mutex
	watchers []chan struct{} // see Watch
}

// New builds the service. The spool directory should be on the same
// filesystem as a local blob store so that finished uploads are renamed,
// not copied.
func New(db *meta.DB, blobs storage.BlobStore, opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if t, ok := blobs.(storage.LocalFiles); ok && opts.SpoolDir == "" {
		opts.SpoolDir = t.TempDir()
	}
	if opts.SpoolDir == "" {
		return nil, errors.New("repo: no spool directory")
	}
	if err := os.MkdirAll(opts.SpoolDir, 0o750); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	if err := makeSpareDirs(opts.SpoolDir); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	c := &core{db: db, blobs: blobs, opts: opts, log: opts.Logger, now: opts.Now, changed: make(chan struct{}, 1), spares: make(chan *os.File, maxSpares)}
	return newService(c), nil
}

func (s *core) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
	s.watchMu.Lock()
	for _, w := range s.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	s.watchMu.Unlock()
}

// Watch is Changed for another follower of the journal (Changed has one
// reader, the indexer): a channel of its own, signalled the same way.
func (s *Service) Watch() <-chan struct{} {
	w := make(chan struct{}, 1)
	s.watchMu.Lock()
	s.watchers = append(s.watchers, w)
	s.watchMu.Unlock()
	return w
}

// Content is the stored content, read-only, for readers inside the server
// that check nothing per person: the indexer's extraction and backups.
// Only the repository writes or deletes content.
func (s *Index) Content() ContentReader { return contentReader{s.blobs} }

// ContentReader reads stored content by its hash.
type ContentReader interface {
	storage.BlobReader
	// LocalPath is the file holding key's content when the store is the
	// local disk (the extraction worker opens it directly).
	LocalPath(key string) (string, bool)
}

type contentReader struct{ b storage.BlobStore }

func (c contentReader) Get(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	return c.b.Get(ctx, key, off, length)
}

func (c contentReader) Stat(ctx context.Context, key string) (storage.BlobInfo, error) {
	return c.b.Stat(ctx, key)
}

func (c contentReader) List(ctx context.Context, prefix string, fn func(storage.BlobInfo) error) error {
	return c.b.List(ctx, prefix, fn)
}

func (c contentReader) LocalPath(key string) (string, bool) {
	if lf, ok := c.b.(storage.LocalFiles); ok {
		return lf.LocalPath(key)
	}
	return "", false
}

// SnapshotDB writes a consistent copy of the metadata database to path (a
// new SQLite file, on PostgreSQL too), while the servers keep running: the
// first step of a backup.
func (s *Maintenance) SnapshotDB(ctx context.Context, path string) error {
	_, err := s.db.SnapshotSQLite(ctx, path)
	return err
}

// SpoolDir is where partial uploads live until committed.
func (s *Maintenance) SpoolDir() string { return s.opts.SpoolDir }

// grantsOn returns the grants on the given nodes.
func (s *core) grantsOn(ctx context.Context, q querier, ids []int64) ([]acl.Grant, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.query(ctx, q, `SELECT id, node_id, principal_kind, principal_id, role FROM grants WHERE node_id IN (`+
		placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("load grants: %w", err)
	}
	defer rows.Close()
	var out []acl.Grant
	for rows.Next() {
		var g acl.Grant
		var kind, role string
		if err := rows.Scan(&g.ID, &g.NodeID, &kind, &g.Who, &role); err != nil {
			return nil, fmt.Errorf("load grants: %w", err)
		}
		g.Kind = acl.PrincipalKind(kind)
		if g.Role, err = acl.ParseRole(role); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// roleOn is p's effective role on the last node of c.
func (s *core) roleOn(ctx context.Context, q querier, p acl.Principal, c chain) (acl.Role, error) {
	if p.IsAdmin() || p.Share != nil {
		return roleIn(p, c, nil), nil
	}
	grants, err := s.grantsOn(ctx, q, c.reach().ids())
	if err != nil {
		return acl.None, err
	}
	return roleIn(p, c, grants), nil
}

// roleIn is p's effective role on the last node of c, given the grants on
// the nodes of c (others are ignored): the one rule roleOn and the batch
// readableSet both apply.
func roleIn(p acl.Principal, c chain, grants []acl.Grant) acl.Role {
	if p.IsAdmin() {
		return acl.Manager
	}
	if p.Share != nil {
		return p.Share.RoleOn(c.ids(), c.restrictedFlags())
	}
	// Grants above the nearest restricted folder do not reach the node.
	reach := c.reach().ids()
	on := make([]acl.Grant, 0, len(grants))
	for _, g := range grants {
		if slices.Contains(reach, g.NodeID) {
			on = append(on, g)
		}
	}
	role, _ := acl.Effective(p, on)
	return role
}

// traversable reports whether p, without a role on the node, may still see
// it because something below it is granted to p (a partner granted
// /Subventions/2026/Fondation must be able to walk down to it).
func (s *core) traversable(ctx context.Context, q querier, p acl.Principal, nodeID int64) (bool, error) {
	set, err := s.traversalSet(ctx, q, p)
	return set[nodeID], err
}

// traversalSet is the set of ancestors of the nodes granted to p. A link
// holder walks nowhere outside the link.
func (s *core) traversalSet(ctx context.Context, q querier, p acl.Principal) (map[int64]bool, error) {
	if p.Share != nil {
		return map[int64]bool{}, nil
	}
	cond, args := grantCondition(p)
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE anc(id) AS (
			SELECT n.parent_id FROM grants g JOIN nodes n ON n.id = g.node_id WHERE n.parent_id IS NOT NULL AND (`+cond+`)
			UNION SELECT n.parent_id FROM nodes n JOIN anc ON n.id = anc.id WHERE n.parent_id IS NOT NULL
		) SELECT id FROM anc`, args...)
	if err != nil {
		return nil, fmt.Errorf("load traversable folders: %w", err)
	}
	defer rows.Close()
	set := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		set[id] = true
	}
	return set, rows.Err()
}

// grantCondition is the SQL condition (on alias g) selecting grants that
// match p; it mirrors acl.Grant.Matches.
func grantCondition(p acl.Principal) (string, []any) {
	if p.Share != nil {
		return `1 = 0`, nil
	}
	cond := `g.principal_kind = 'public'`
	var args []any
	if p.Anonymous() || p.UserID == 0 {
		return cond, args
	}
	if p.Role == acl.Member || p.Role == acl.Admin {
		cond += ` OR g.principal_kind = 'members'`
	}
	cond += ` OR (g.principal_kind = 'user' AND g.principal_id = ?)`
	args = append(args, p.UserID)
	if len(p.Groups) > 0 {
		cond += ` OR (g.principal_kind = 'group' AND g.principal_id IN (` + placeholders(len(p.Groups)) + `))`
		for _, g := range p.Groups {
			args = append(args, g)
		}
	}
	if len(p.Offices) > 0 {
		cond += ` OR (g.principal_kind = 'role' AND g.principal_id IN (` + placeholders(len(p.Offices)) + `))`
		for _, r := range p.Offices {
			args = append(args, r)
		}
	}
	return cond, args
}

// need returns the caller's role on the node of c, or an error if it is
// below min. A caller who may not even read gets ErrNotFound, so guessing
// paths reveals nothing.
func (s *core) need(ctx context.Context, q querier, p acl.Principal, c chain, min acl.Role) (acl.Role, error) {
	role, err := s.roleOn(ctx, q, p, c)
	if err != nil {
		return acl.None, err
	}
	if role >= min {
		return role, nil
	}
	if role == acl.None {
		ok, err := s.traversable(ctx, q, p, c.last().id)
		if err != nil {
			return acl.None, err
		}
		if !ok {
			return acl.None, fmt.Errorf("%s: %w", c.path(), ErrNotFound)
		}
	}
	return role, fmt.Errorf("%s: needs %s rights: %w", c.path(), min, ErrForbidden)
}

// tagsOf loads the tags of the given nodes.
func (s *core) tagsOf(ctx context.Context, q querier, where string, args ...any) (map[int64][]string, error) {
	rows, err := s.query(ctx, q, `SELECT nt.node_id, t.name FROM node_tags nt JOIN tags t ON t.id = nt.tag_id WHERE `+where+` ORDER BY t.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = append(out[id], name)
	}
	return out, rows.Err()
}

func parentAndName(p string) (string, string, error) {
	names, err := SplitPath(p)
	if err != nil {
		return "", "", err
	}
	if len(names) == 0 {
		return "", "", fmt.Errorf("%w: the root folder cannot be changed this way", ErrConflict)
	}
	return JoinPath(names[:len(names)-1]), names[len(names)-1], nil
}

// CleanupSpool removes spool files left by a crash. Called at start-up.
func (s *Maintenance) CleanupSpool() error {
	s.cleanupSpares()
	entries, err := os.ReadDir(s.opts.SpoolDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case strings.HasPrefix(name, spoolPrefix):
			os.Remove(filepath.Join(s.opts.SpoolDir, name))
		case name == "sync-uploads" || strings.HasPrefix(name, "upload-"):
			// Resumable uploads as releases before Uploads kept them.
			os.RemoveAll(filepath.Join(s.opts.SpoolDir, name))
		}
	}
	return nil
}

// queryIDs runs a query that selects one integer column and returns it,
// all rows read before the caller runs other queries on the same handle.
func queryIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
