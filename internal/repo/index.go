package repo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// The methods in this file serve the indexer, a system component: they
// read without a principal. Search results are filtered per user inside the
// query with ReadableRoots.

// JournalEntry is one row of the journal.
type JournalEntry struct {
	Seq     int64
	At      time.Time
	ActorID int64
	NodeID  int64
	Action  string
	Details string // JSON
}

// JournalSince returns up to limit entries after seq, oldest first.
func (s *Index) JournalSince(ctx context.Context, seq int64, limit int) ([]JournalEntry, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT seq, at, COALESCE(actor, 0), COALESCE(node_id, 0), action, details
		FROM journal WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.NodeID, &e.Action, &e.Details); err != nil {
			return nil, fmt.Errorf("read journal: %w", err)
		}
		e.At = meta.Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastJournalSeq is the newest journal sequence number (0 if empty).
func (s *Index) LastJournalSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM journal`).Scan(&seq)
	return seq, err
}

// IndexNode is what the index needs to know about a live file.
type IndexNode struct {
	ID        int64
	Name      string
	Path      string
	Ancestors []int64 // root first, not including the node
	Hash      string
	Mime      string
	Size      int64
	ModTime   time.Time
	Author    string
	Tags      []string
}

// IndexFiles describes the live files at or below node id (the node itself
// if it is a file) and lists in gone the ids below it that are trashed or no
// longer exist, which the caller removes from the index.
func (s *Index) IndexFiles(ctx context.Context, id int64) (files []IndexNode, gone []int64, err error) {
	c, err := s.chainByID(ctx, s.db.R, id)
	if errors.Is(err, ErrNotFound) {
		return nil, []int64{id}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ids := []int64{id} // a file has no descendants
	if c.last().dir {
		if ids, err = s.subtree(ctx, id); err != nil {
			return nil, nil, err
		}
	}
	if !c.live() {
		return nil, ids, nil
	}
	for _, fid := range ids {
		fc := c // a file's subtree is itself: the common case, one query fewer
		if fid != id {
			if fc, err = s.chainByID(ctx, s.db.R, fid); err != nil {
				return nil, nil, err
			}
		}
		r := fc.last()
		if r.dir {
			continue
		}
		if !fc.live() {
			gone = append(gone, fid)
			continue
		}
		n := IndexNode{ID: r.id, Name: r.name, Path: fc.path(), Hash: r.hash.String, Mime: r.mime.String,
			Size: r.size.Int64, ModTime: meta.Time(r.mtime), Author: r.updBy}
		for _, a := range fc[:len(fc)-1] {
			n.Ancestors = append(n.Ancestors, a.id)
		}
		tags, err := s.tagsOf(ctx, s.db.R, `nt.node_id = ?`, r.id)
		if err != nil {
			return nil, nil, err
		}
		n.Tags = tags[r.id]
		files = append(files, n)
	}
	return files, gone, nil
}

// subtree returns id and all its descendants (trashed or not).
func (s *core) subtree(ctx context.Context, id int64) ([]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, `WITH RECURSIVE sub(id) AS (
			SELECT CAST(? AS BIGINT) UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id
		) SELECT id FROM sub`, id)
	if err != nil {
		return nil, fmt.Errorf("walk subtree of %d: %w", id, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// AllFileIDs calls fn with the id of every live or trashed file, for a
// full rebuild of the index.
func (s *Index) AllFileIDs(ctx context.Context, fn func(id int64) error) error {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id FROM nodes WHERE kind = 'file' ORDER BY id`)
	if err != nil {
		return fmt.Errorf("list files: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// ReadableRoots is the permission filter for search: all is true for
// admins; otherwise a document is readable iff one of its ancestors (or
// itself) is a root R (a node granted to p with at least the viewer role)
// and none of the nodes between R (excluded) and the document (included)
// is restricted. cuts[R] lists the restricted folders strictly below R,
// whose subtrees R's grant does not reach.
func (s *Index) ReadableRoots(ctx context.Context, p acl.Principal) (all bool, roots []int64, cuts map[int64][]int64, err error) {
	if p.IsAdmin() {
		return true, nil, nil, nil
	}
	cond, args := grantCondition(p)
	rows, err := s.db.R.QueryContext(ctx, `SELECT DISTINCT g.node_id FROM grants g WHERE `+cond, args...)
	if err != nil {
		return false, nil, nil, fmt.Errorf("load readable folders: %w", err)
	}
	defer rows.Close()
	isRoot := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return false, nil, nil, err
		}
		roots = append(roots, id)
		isRoot[id] = true
	}
	if err := rows.Err(); err != nil {
		return false, nil, nil, err
	}
	rows.Close()
	if len(roots) == 0 {
		return false, nil, nil, nil
	}
	// Restricted folders are few: walk up from each to the roots above it.
	rows, err = s.db.R.QueryContext(ctx, restrictedAncestorsSQL)
	if err != nil {
		return false, nil, nil, fmt.Errorf("load restricted folders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r, anc int64
		if err := rows.Scan(&r, &anc); err != nil {
			return false, nil, nil, err
		}
		if isRoot[anc] {
			if cuts == nil {
				cuts = map[int64][]int64{}
			}
			cuts[anc] = append(cuts[anc], r)
		}
	}
	return false, roots, cuts, rows.Err()
}

// restrictedAncestorsSQL lists every restricted folder with each of its
// ancestors (r, id). The seed reads them through the partial index
// nodes_restricted; a condition on parent_id there would lead SQLite's
// planner to the parent index instead, a scan of every node on every
// search (TestReadableRootsUsesRestrictedIndex).
const restrictedAncestorsSQL = `WITH RECURSIVE up(r, id) AS (
		SELECT id, parent_id FROM nodes WHERE restricted <> 0
		UNION SELECT up.r, n.parent_id FROM nodes n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL
	) SELECT r, id FROM up WHERE id IS NOT NULL`

// WorkerState reads a background worker's persisted value ("" if unset).
func (s *Index) WorkerState(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.R.QueryRowContext(ctx, `SELECT value FROM worker_state WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetWorkerState persists a background worker's value.
func (s *Index) SetWorkerState(ctx context.Context, name, value string) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO worker_state (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// Extraction is the cached result of extracting a blob's text.
type Extraction struct {
	Blob      string
	Status    string // ok, empty, unsupported, failed
	Reason    string
	Lang      string
	Chars     int64
	Extractor string
	Truncated bool // the text stopped at the extraction limit
	Attempts  int
	// The document's own properties (extract.Result): its title and the
	// date it was written (zero: none). Props says the extraction looked
	// for them; records made before it did are extracted again.
	Title string
	Date  time.Time
	Props bool
}

const extractionCols = `blob, status, reason, lang, chars, extractor, truncated, attempts, title, doc_date, props`

func scanExtraction(sc interface{ Scan(...any) error }) (Extraction, error) {
	var e Extraction
	var date int64
	err := sc.Scan(&e.Blob, &e.Status, &e.Reason, &e.Lang, &e.Chars, &e.Extractor, &e.Truncated, &e.Attempts, &e.Title, &date, &e.Props)
	if date != 0 {
		e.Date = time.Unix(date, 0).UTC()
	}
	return e, err
}

// GetExtraction returns the cached extraction of a blob, if any.
func (s *Index) GetExtraction(ctx context.Context, blob string) (Extraction, bool, error) {
	e, err := scanExtraction(s.db.R.QueryRowContext(ctx, `SELECT `+extractionCols+` FROM extractions WHERE blob = ?`, blob))
	if errors.Is(err, sql.ErrNoRows) {
		return Extraction{}, false, nil
	}
	return e, err == nil, err
}

// PutExtraction records an extraction result; a retried failure counts attempts.
func (s *Index) PutExtraction(ctx context.Context, e Extraction) error {
	var date int64
	if !e.Date.IsZero() {
		date = e.Date.Unix()
	}
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO extractions (blob, status, reason, lang, chars, extractor, truncated, attempts, created_at, title, doc_date, props)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (blob) DO UPDATE SET status = excluded.status, reason = excluded.reason,
		lang = excluded.lang, chars = excluded.chars, extractor = excluded.extractor, truncated = excluded.truncated,
		attempts = extractions.attempts + 1, created_at = excluded.created_at,
		title = excluded.title, doc_date = excluded.doc_date, props = excluded.props`,
		e.Blob, e.Status, e.Reason, e.Lang, e.Chars, e.Extractor, e.Truncated, s.now().UnixNano(), e.Title, date, e.Props)
	if err != nil {
		return fmt.Errorf("record extraction of %s: %w", e.Blob, err)
	}
	return nil
}

// CurrentBlob returns the content hash of a file's current version, for
// readers that already passed a permission check (search snippets).
func (s *Index) CurrentBlob(ctx context.Context, id int64) (string, error) {
	var h sql.NullString
	err := s.db.R.QueryRowContext(ctx, `SELECT v.blob FROM nodes n JOIN versions v ON v.id = n.current_version_id WHERE n.id = ?`, id).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) || !h.Valid {
		return "", fmt.Errorf("node %d: %w", id, ErrNotFound)
	}
	return h.String, err
}

// FormatID renders a node id for the index.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }

// folderInfo is what building paths needs of a folder.
type folderInfo struct {
	parent  int64
	name    string
	trashed bool
}

// AllIndexFiles calls fn with every live file, in pages of up to pageSize
// in id order, described as IndexFiles describes them: a bulk read for a
// full rebuild of the index, three queries per page where IndexFiles takes
// three per file. Folders are loaded once (and again if a page holds a
// file in a folder created since); a change made during the walk may or
// may not be seen, so callers replay the journal from before the walk.
func (s *Index) AllIndexFiles(ctx context.Context, pageSize int, fn func([]IndexNode) error) error {
	folders, err := s.loadFolders(ctx)
	if err != nil {
		return err
	}
	var after int64
	for {
		rows, err := s.db.R.QueryContext(ctx, `SELECT `+rowCols+rowFrom+
			`WHERE n.kind = 'file' AND n.id > ? ORDER BY n.id LIMIT ?`, after, pageSize)
		if err != nil {
			return fmt.Errorf("list files: %w", err)
		}
		page, err := readRows(rows)
		if err != nil {
			return fmt.Errorf("list files: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].id
		tags, err := s.tagsOf(ctx, s.db.R, `nt.node_id BETWEEN ? AND ?`, page[0].id, after)
		if err != nil {
			return err
		}
		files := make([]IndexNode, 0, len(page))
		for _, r := range page {
			if r.deleted.Valid {
				continue
			}
			anc, names, live, known := folderChain(folders, r.parent)
			if !known {
				if folders, err = s.loadFolders(ctx); err != nil {
					return err
				}
				if anc, names, live, known = folderChain(folders, r.parent); !known {
					continue // its folder is gone: a change the journal replays
				}
			}
			if !live {
				continue
			}
			files = append(files, IndexNode{ID: r.id, Name: r.name, Path: JoinPath(append(names, r.name)),
				Ancestors: anc, Hash: r.hash.String, Mime: r.mime.String, Size: r.size.Int64,
				ModTime: meta.Time(r.mtime), Author: r.updBy, Tags: tags[r.id]})
		}
		if err := fn(files); err != nil {
			return err
		}
	}
}

func (s *core) loadFolders(ctx context.Context) (map[int64]folderInfo, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0), name, deleted_at IS NOT NULL FROM nodes WHERE kind = 'dir'`)
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	out := map[int64]folderInfo{}
	for rows.Next() {
		var id int64
		var f folderInfo
		if err := rows.Scan(&id, &f.parent, &f.name, &f.trashed); err != nil {
			return nil, fmt.Errorf("list folders: %w", err)
		}
		out[id] = f
	}
	return out, rows.Err()
}

// folderChain returns the ids (root first) and names (below the root) of
// folder id and its ancestors, whether none is in the trash, and whether
// the chain reaches the root through known folders.
func folderChain(folders map[int64]folderInfo, id int64) (ids []int64, names []string, live, known bool) {
	live = true
	for depth := 0; ; depth++ {
		f, ok := folders[id]
		if !ok || depth > len(folders) {
			return nil, nil, false, false
		}
		ids = append(ids, id)
		if f.trashed {
			live = false
		}
		if id == RootID {
			break
		}
		names = append(names, f.name)
		id = f.parent
	}
	slices.Reverse(ids)
	slices.Reverse(names)
	return ids, names, live, true
}

// GetExtractions returns the cached extractions of blobs, by blob.
func (s *Index) GetExtractions(ctx context.Context, blobs []string) (map[string]Extraction, error) {
	out := make(map[string]Extraction, len(blobs))
	for len(blobs) > 0 {
		chunk := blobs[:min(len(blobs), 500)]
		blobs = blobs[len(chunk):]
		args := make([]any, len(chunk))
		for i, b := range chunk {
			args[i] = b
		}
		rows, err := s.db.R.QueryContext(ctx, `SELECT `+extractionCols+` FROM extractions WHERE blob IN (`+
			placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read extractions: %w", err)
		}
		for rows.Next() {
			e, err := scanExtraction(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read extractions: %w", err)
			}
			out[e.Blob] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read extractions: %w", err)
		}
	}
	return out, nil
}
