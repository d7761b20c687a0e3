package repo

// Check verifies that the repository is consistent: every version's
// content exists and matches its hash, the tree is a tree, and the journal
// agrees with it. It reads the database (read-only) and repairs only
// through the service's own methods. `notreasso check` and restores run it.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"notreasso/storage"
)

// CheckSeverity of a finding.
type CheckSeverity string

const (
	// CheckError is an inconsistency: something promised is not true.
	CheckError CheckSeverity = "error"
	// CheckNote is expected leftover work (unused content awaiting collection,
	// files of an interrupted upload): not a fault.
	CheckNote CheckSeverity = "note"
)

// CheckFinding is one thing check found.
type CheckFinding struct {
	Severity CheckSeverity
	Kind     string // stable identifier, e.g. "blob-missing"
	Subject  string // what it is about: a path, a blob, a journal entry
	Detail   string
	Repaired string // what --repair did, if anything
}

// CheckReport is the result of a check.
type CheckReport struct {
	Nodes, Versions, Blobs int
	Hashed                 int64 // bytes read to verify hashes
	JournalEntries         int
	Findings               []CheckFinding
	Took                   time.Duration
}

// Errors counts the inconsistencies left unrepaired.
func (r CheckReport) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == CheckError && f.Repaired == "" {
			n++
		}
	}
	return n
}

// CheckOptions qualifies a check.
type CheckOptions struct {
	Quick   bool              // check sizes, not hashes (no content read)
	Sample  int               // with Quick: verify the hashes of this many contents picked at random
	Repair  bool              // repair what can be repaired safely
	Backup  storage.BlobStore // with Repair: where to fetch missing or damaged content (a backup's blobs)
	Workers int               // blobs verified at once (4 if 0)
}

type checker struct {
	s    *Maintenance
	db   *sql.DB
	o    CheckOptions
	mu   sync.Mutex
	rep  CheckReport
	path map[int64]string // node id → path, for messages
}

func (c *checker) add(f CheckFinding) {
	c.mu.Lock()
	c.rep.Findings = append(c.rep.Findings, f)
	c.mu.Unlock()
}

// Run checks the repository behind r.
func (s *Maintenance) Check(ctx context.Context, o CheckOptions) (CheckReport, error) {
	start := time.Now()
	if o.Workers <= 0 {
		o.Workers = 4
	}
	c := &checker{s: s, db: s.db.R, o: o}
	for _, step := range []func(context.Context) error{c.tree, c.versions, c.blobs, c.journal, c.leftovers} {
		if err := step(ctx); err != nil {
			return c.rep, err
		}
	}
	sort.SliceStable(c.rep.Findings, func(i, j int) bool {
		a, b := c.rep.Findings[i], c.rep.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity == CheckError
		}
		return a.Kind < b.Kind
	})
	c.rep.Took = time.Since(start)
	return c.rep, nil
}

type nodeRow struct {
	id, parent int64
	name       string
	dir        bool
	deleted    bool
	current    sql.NullInt64
}

// tree checks that every node hangs from the root through folders.
func (c *checker) tree(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0), name, kind = 'dir', deleted_at IS NOT NULL, current_version_id FROM nodes`)
	if err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	nodes := map[int64]nodeRow{}
	for rows.Next() {
		var n nodeRow
		if err := rows.Scan(&n.id, &n.parent, &n.name, &n.dir, &n.deleted, &n.current); err != nil {
			rows.Close()
			return fmt.Errorf("read nodes: %w", err)
		}
		nodes[n.id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	c.rep.Nodes = len(nodes)
	c.path = map[int64]string{}
	var pathOf func(id int64, depth int) (string, bool)
	pathOf = func(id int64, depth int) (string, bool) {
		if p, ok := c.path[id]; ok {
			return p, true
		}
		n, ok := nodes[id]
		if !ok || depth > 4096 {
			return "", false
		}
		if id == RootID {
			return "/", true
		}
		pp, ok := pathOf(n.parent, depth+1)
		if !ok {
			return "", false
		}
		p := strings.TrimSuffix(pp, "/") + "/" + n.name
		c.path[id] = p
		return p, true
	}
	for id, n := range nodes {
		if id == RootID {
			continue
		}
		parent, ok := nodes[n.parent]
		switch {
		case !ok:
			c.add(CheckFinding{CheckError, "tree-orphan", fmt.Sprintf("node %d (%s)", id, n.name), "its folder does not exist", ""})
		case !parent.dir:
			c.add(CheckFinding{CheckError, "tree-under-file", fmt.Sprintf("node %d (%s)", id, n.name), "its parent is a file", ""})
		default:
			if _, ok := pathOf(id, 0); !ok {
				c.add(CheckFinding{CheckError, "tree-cycle", fmt.Sprintf("node %d (%s)", id, n.name), "not reachable from the root (a cycle)", ""})
			}
		}
	}
	return nil
}

func (c *checker) name(id int64) string {
	if p, ok := c.path[id]; ok {
		return p
	}
	return fmt.Sprintf("node %d", id)
}

// versions checks each file's current version and the recorded sizes.
func (c *checker) versions(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT n.id, n.deleted_at IS NOT NULL, (SELECT count(*) FROM versions v WHERE v.node_id = n.id),
		EXISTS (SELECT 1 FROM versions v WHERE v.id = n.current_version_id AND v.node_id = n.id)
		FROM nodes n WHERE n.kind = 'file'`)
	if err != nil {
		return fmt.Errorf("read files: %w", err)
	}
	type broken struct {
		id       int64
		versions int
	}
	var bad []broken
	for rows.Next() {
		var id int64
		var deleted, ok bool
		var count int
		if err := rows.Scan(&id, &deleted, &count, &ok); err != nil {
			rows.Close()
			return fmt.Errorf("read files: %w", err)
		}
		if !ok {
			bad = append(bad, broken{id, count})
		}
	}
	rows.Close()
	for _, b := range bad {
		f := CheckFinding{CheckError, "file-no-current-version", c.name(b.id), "the file's current version is missing", ""}
		if c.o.Repair && b.versions > 0 {
			if n, err := c.s.RepairCurrentVersion(ctx, System, b.id); err == nil {
				f.Repaired = fmt.Sprintf("version %d, its newest, made current", n)
			}
		}
		c.add(f)
	}
	var mismatched int
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM versions v JOIN blobs b ON b.sha256 = v.blob WHERE b.size <> v.size`).Scan(&mismatched); err != nil {
		return err
	}
	if mismatched > 0 {
		c.add(CheckFinding{CheckError, "version-size", fmt.Sprintf("%d versions", mismatched), "recorded size differs from their content's", ""})
	}
	return c.db.QueryRowContext(ctx, `SELECT count(*) FROM versions`).Scan(&c.rep.Versions)
}

// blobs checks that every content a version refers to is stored, with
// the right size and (unless Quick) the right hash.
func (c *checker) blobs(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT b.sha256, b.size, (SELECT min(v.node_id) FROM versions v WHERE v.blob = b.sha256)
		FROM blobs b WHERE b.state = 'live' AND EXISTS (SELECT 1 FROM versions v WHERE v.blob = b.sha256)`)
	if err != nil {
		return fmt.Errorf("read blobs: %w", err)
	}
	type blob struct {
		key  string
		size int64
		node int64
	}
	var all []blob
	for rows.Next() {
		var b blob
		if err := rows.Scan(&b.key, &b.size, &b.node); err != nil {
			rows.Close()
			return err
		}
		all = append(all, b)
	}
	rows.Close()
	c.rep.Blobs = len(all)
	hash := map[string]bool{}
	if c.o.Quick && c.o.Sample > 0 {
		for _, i := range rand.Perm(len(all))[:min(c.o.Sample, len(all))] {
			hash[all[i].key] = true
		}
	}
	work := make(chan blob)
	var wg sync.WaitGroup
	for range c.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				kind, detail := c.verify(ctx, b.key, b.size, c.o.Quick && !hash[b.key])
				if kind == "" || !c.stillUsed(ctx, b.key) {
					continue
				}
				f := CheckFinding{CheckError, kind, "content " + b.key, fmt.Sprintf("%s (used by %s)", detail, c.name(b.node)), ""}
				if c.o.Repair && c.o.Backup != nil {
					f.Repaired = c.fetch(ctx, b.key, b.size)
				}
				c.add(f)
			}
		}()
	}
	for _, b := range all {
		if ctx.Err() != nil {
			break
		}
		work <- b
	}
	close(work)
	wg.Wait()
	return ctx.Err()
}

// verify returns a finding kind and detail if the blob is not as recorded.
func (c *checker) verify(ctx context.Context, key string, size int64, quick bool) (string, string) {
	info, err := c.s.blobs.Stat(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "blob-missing", "not in the blob store"
	case err != nil:
		return "blob-unreadable", err.Error()
	case info.Size != size:
		return "blob-size", fmt.Sprintf("stored size %d, recorded %d", info.Size, size)
	case quick:
		return "", ""
	}
	rc, err := c.s.blobs.Get(ctx, key, 0, -1)
	if err != nil {
		return "blob-unreadable", err.Error()
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	c.mu.Lock()
	c.rep.Hashed += n
	c.mu.Unlock()
	if err != nil {
		return "blob-unreadable", err.Error()
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != key {
		return "blob-corrupt", "content does not match its SHA-256 (got " + got[:12] + "…)"
	}
	return "", ""
}

// stillUsed rules out a blob whose last version was purged (and the blob
// collected) while the check ran: not a fault.
func (c *checker) stillUsed(ctx context.Context, key string) bool {
	var one int
	return c.db.QueryRowContext(ctx, `SELECT 1 FROM versions WHERE blob = ? LIMIT 1`, key).Scan(&one) == nil
}

// fetch copies a blob from the backup store, verified, and says what it did.
func (c *checker) fetch(ctx context.Context, key string, size int64) string {
	rc, err := c.o.Backup.Get(ctx, key, 0, -1)
	if err != nil {
		return ""
	}
	defer rc.Close()
	if err := c.s.RestoreBlob(ctx, System, key, rc, size); err != nil {
		return ""
	}
	return "copied back from the backup, hash verified"
}

// leftovers lists what interrupted work left behind: notes, not faults.
func (c *checker) leftovers(ctx context.Context) error {
	var unused, deleting int
	var unusedBytes int64
	if err := c.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(size), 0) FROM blobs b WHERE state = 'live'
		AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.blob = b.sha256)
		AND NOT EXISTS (SELECT 1 FROM previews p WHERE p.derived = b.sha256 AND p.source <> b.sha256)`).Scan(&unused, &unusedBytes); err != nil {
		return err
	}
	if unused > 0 {
		c.add(CheckFinding{CheckNote, "blob-unused", fmt.Sprintf("%d contents (%d bytes)", unused, unusedBytes), "no version uses them; notreasso gc removes them after the grace period", ""})
	}
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE state = 'deleting'`).Scan(&deleting); err != nil {
		return err
	}
	if deleting > 0 {
		f := CheckFinding{CheckNote, "gc-interrupted", fmt.Sprintf("%d contents", deleting), "a collection was interrupted while deleting them", ""}
		if c.o.Repair {
			if n, err := c.s.ResumeSweep(ctx, System); err == nil {
				f.Repaired = fmt.Sprintf("finished deleting %d", n)
			}
		}
		c.add(f)
	}
	var orphans []string
	err := c.s.blobs.List(ctx, "", func(b storage.BlobInfo) error {
		var one int
		if err := c.db.QueryRowContext(ctx, `SELECT 1 FROM blobs WHERE sha256 = ?`, b.Key).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			orphans = append(orphans, b.Key)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, k := range orphans {
		c.add(CheckFinding{CheckNote, "blob-orphan", "content " + k, "stored but never recorded (an upload interrupted before it was saved); notreasso gc removes it", ""})
	}
	entries, _ := os.ReadDir(c.s.SpoolDir())
	var old []string
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "spool-") && time.Since(info.ModTime()) > 24*time.Hour {
			old = append(old, e.Name())
		}
	}
	if len(old) > 0 {
		f := CheckFinding{CheckNote, "spool-leftover", fmt.Sprintf("%d files in %s", len(old), c.s.SpoolDir()), "partial uploads older than a day", ""}
		if c.o.Repair {
			for _, name := range old {
				os.Remove(filepath.Join(c.s.SpoolDir(), name))
			}
			f.Repaired = "removed"
		}
		c.add(f)
	}
	return nil
}
