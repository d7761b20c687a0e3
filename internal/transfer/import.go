package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"notreasso/internal/ioctx"
	"os"
	"path"
	"sort"
	"sync"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// ImportOptions qualifies an import.
type ImportOptions struct {
	Into          string        // repository folder to import into, created if missing ("/" if empty)
	As            acl.Principal // who the files are uploaded as; their rights apply
	MaxSize       int64         // larger files are skipped (0: no limit besides the server's)
	IncludeSystem bool          // keep .DS_Store, Thumbs.db, ~$ lock files…
	Workers       int           // files uploaded at once (4 if 0): overlaps disk syncs
	StateFile     string        // where to remember progress for a resume ("" for none)
	// OnScan is called once the tree is listed; OnProgress after each file
	// with its size, whether it was read or found already there.
	OnScan     func(files int, bytes int64)
	OnProgress func(bytes int64)
}

// ImportReport says what an import did.
type ImportReport struct {
	Folders    int   // source folders
	Files      int   // source files considered
	Bytes      int64 // their total size
	Created    int   // new files
	Updated    int   // existing files given a new version
	Unchanged  int   // already there with the same content (read and compared)
	Resumed    int   // already imported by an earlier run (not read again)
	Duplicates int   // files whose content another file of the import has: stored once
	Skipped    []Skipped
	Renamed    []Renamed
}

type importer struct {
	repo  *repo.Service
	src   *source
	o     ImportOptions
	state *importState

	mu      sync.Mutex
	rep     ImportReport
	hashes  map[string]bool
	folders map[string]*folderList // destination folder → what it held before the import
}

// folderList is a destination folder's files, listed once: one query per
// folder instead of one per file. Folders the import created start empty.
type folderList struct {
	once  sync.Once
	files map[string]repo.Node
	err   error
}

// Import copies the folder src into the repository, keeping its structure
// and modification times. Each file is uploaded with repo.Put as o.As.
// Cancelling ctx stops it cleanly; running it again resumes.
func Import(ctx context.Context, r *repo.Service, src string, o ImportOptions) (ImportReport, error) {
	if o.Into == "" {
		o.Into = "/"
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	into, err := r.Tree.MkdirAll(ctx, o.As, o.Into)
	if err != nil {
		return ImportReport{}, fmt.Errorf("import into %s: %w", o.Into, err)
	}
	if into.Role < acl.Editor {
		return ImportReport{}, fmt.Errorf("import into %s: %w", into.Path, repo.ErrForbidden)
	}
	root, err := openSource(src)
	if err != nil {
		return ImportReport{}, err
	}
	defer root.Close()
	sc, err := scanTree(ctx, root, into.Path, o.MaxSize, o.IncludeSystem)
	if err != nil {
		return ImportReport{}, err
	}
	im := &importer{repo: r, src: root, o: o, hashes: map[string]bool{}, folders: map[string]*folderList{}}
	im.rep = ImportReport{Folders: len(sc.dirs), Files: len(sc.files), Bytes: sc.bytes, Skipped: sc.skipped, Renamed: sc.renamed}
	if o.OnScan != nil {
		o.OnScan(len(sc.files), sc.bytes)
	}
	if im.state, err = openState(o.StateFile); err != nil {
		return im.rep, err
	}
	defer im.state.close()
	files, err := im.mkdirs(ctx, sc)
	if err != nil {
		return im.report(), err
	}
	err = im.upload(ctx, files)
	if cerr := im.state.close(); err == nil && cerr != nil {
		err = fmt.Errorf("save import state: %w", cerr)
	}
	return im.report(), err
}

func (im *importer) report() ImportReport {
	im.mu.Lock()
	defer im.mu.Unlock()
	rep := im.rep
	sort.Slice(rep.Skipped, func(i, j int) bool { return rep.Skipped[i].Path < rep.Skipped[j].Path })
	return rep
}

func (im *importer) skip(e entry, format string, args ...any) {
	im.mu.Lock()
	im.rep.Skipped = append(im.rep.Skipped, Skipped{Path: slash(e.rel), Reason: fmt.Sprintf(format, args...)})
	im.mu.Unlock()
}

// mkdirs creates the folders, parents first, and returns the files whose
// folder exists. A folder that cannot be created takes its subtree along.
func (im *importer) mkdirs(ctx context.Context, sc scanResult) ([]entry, error) {
	failed := map[string]bool{} // destination paths
	blocked := func(dest string) bool {
		for p := parentOf(dest); p != "/"; p = parentOf(p) {
			if failed[p] {
				return true
			}
		}
		return false
	}
	for _, d := range sc.dirs {
		if blocked(d.dest) {
			failed[d.dest] = true
			continue
		}
		_, err := im.repo.Tree.Mkdir(ctx, im.o.As, d.dest)
		if err == nil {
			fl := &folderList{files: map[string]repo.Node{}}
			fl.once.Do(func() {})
			im.folders[d.dest] = fl
			continue
		}
		switch {
		case errors.Is(err, repo.ErrExists):
			if n, serr := im.repo.Tree.Stat(ctx, im.o.As, d.dest); serr == nil && !n.Dir {
				failed[d.dest] = true
				im.skip(d, "a file with this name is already in %s: folder and its content left out", parentOf(d.dest))
			}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, repo.ErrForbidden), errors.Is(err, repo.ErrInvalidName), errors.Is(err, repo.ErrNotDir):
			failed[d.dest] = true
			im.skip(d, "folder not created: %v", err)
		default:
			return nil, fmt.Errorf("create %s: %w", d.dest, err)
		}
	}
	var files []entry
	for _, f := range sc.files {
		if blocked(f.dest) {
			continue
		}
		if im.folders[parentOf(f.dest)] == nil {
			im.folders[parentOf(f.dest)] = &folderList{}
		}
		files = append(files, f)
	}
	return files, nil
}

// existing returns what the repository holds at e's destination, if
// anything, from the listing of its folder.
func (im *importer) existing(ctx context.Context, e entry) (repo.Node, bool, error) {
	dir := parentOf(e.dest)
	fl := im.folders[dir] // filled before the workers start; read-only since
	fl.once.Do(func() {
		_, kids, err := im.repo.Tree.List(ctx, im.o.As, dir)
		fl.files, fl.err = map[string]repo.Node{}, err
		for _, k := range kids {
			fl.files[k.Name] = k
		}
	})
	if fl.err != nil {
		return repo.Node{}, false, fl.err
	}
	n, ok := fl.files[path.Base(e.dest)]
	return n, ok, nil
}

func parentOf(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "/"
}

func slash(rel string) string {
	b := []byte(rel)
	for i, c := range b {
		if c == os.PathSeparator {
			b[i] = '/'
		}
	}
	return string(b)
}

func (im *importer) upload(ctx context.Context, files []entry) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan entry)
	var wg sync.WaitGroup
	for range im.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				if err := im.one(ctx, e); err != nil {
					cancel(err)
				}
				if im.o.OnProgress != nil {
					im.o.OnProgress(e.size)
				}
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// one imports a file. It returns an error only for what must stop the
// whole import; a file that cannot be imported is reported as skipped.
func (im *importer) one(ctx context.Context, e entry) error {
	cur, there, err := im.existing(ctx, e)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("list %s: %w", parentOf(e.dest), err)
	}
	if rec, ok := im.state.lookup(e.rel); ok && there && rec.Size == e.size && rec.MTime == e.mtime.UnixNano() && cur.Hash == rec.Hash {
		im.count(&im.rep.Resumed, rec.Hash)
		return nil
	}
	if there && cur.Dir {
		im.skip(e, "a folder with this name is already in the repository")
		return nil
	}
	if there && cur.Size == e.size {
		h, err := im.hashFile(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			im.skip(e, "%s", skipReason(err))
			return nil
		}
		if h == cur.Hash {
			im.count(&im.rep.Unchanged, h)
			return im.state.record(stateRecord{Rel: e.rel, Size: e.size, MTime: e.mtime.UnixNano(), Hash: h})
		}
	}
	f, err := im.src.open(e)
	if err != nil {
		im.skip(e, "%s", skipReason(err))
		return nil
	}
	defer f.Close()
	n, created, err := im.repo.Tree.Put(ctx, im.o.As, e.dest, f, repo.PutOptions{Size: e.size, ModTime: e.mtime})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, repo.ErrIncomplete), errors.Is(err, repo.ErrConflict):
		im.skip(e, "changed while being read; import again to take it")
		return nil
	case errors.Is(err, repo.ErrTooLarge), errors.Is(err, repo.ErrForbidden), errors.Is(err, repo.ErrInvalidName),
		errors.Is(err, repo.ErrIsDir), errors.Is(err, repo.ErrNotDir), errors.Is(err, repo.ErrUnavailable):
		im.skip(e, "%v", err)
		return nil
	default:
		var pe *os.PathError
		if errors.As(err, &pe) && pe.Path == e.rel {
			im.skip(e, "unreadable: %v", pe.Err)
			return nil
		}
		return fmt.Errorf("import %s: %w", slash(e.rel), err)
	}
	if created {
		im.count(&im.rep.Created, n.Hash)
	} else {
		im.count(&im.rep.Updated, n.Hash)
	}
	return im.state.record(stateRecord{Rel: e.rel, Size: e.size, MTime: e.mtime.UnixNano(), Hash: n.Hash})
}

// count adds one to a counter and notes content seen twice.
func (im *importer) count(c *int, hash string) {
	im.mu.Lock()
	defer im.mu.Unlock()
	*c++
	if im.hashes[hash] {
		im.rep.Duplicates++
	}
	im.hashes[hash] = true
}

func (im *importer) hashFile(ctx context.Context, e entry) (string, error) {
	f, err := im.src.open(e)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ioctx.Reader(ctx, f)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
