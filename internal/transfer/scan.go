package transfer

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Skipped is a source file or folder left out, and why.
type Skipped struct {
	Path   string // relative to the imported folder
	Reason string
}

// Renamed is a source name the repository could not take as it was, and
// the name used instead.
type Renamed struct {
	Path string // relative to the imported folder, as found
	Name string // the repaired name
	Dest string // where it went in the repository
}

// entry is one file or folder to import.
type entry struct {
	rel   string // relative source path, with OS separators
	dest  string // repository path
	dir   bool
	size  int64
	mtime time.Time
	info  fs.FileInfo // as scanned: what is opened later must be this file
}

type scanResult struct {
	dirs    []entry // parents before children
	files   []entry
	bytes   int64
	skipped []Skipped
	renamed []Renamed
}

type scanner struct {
	ctx           context.Context
	src           *source
	maxSize       int64
	includeSystem bool
	res           scanResult
}

// scanTree lists what importing src into the repository folder into
// would do, without reading any file.
func scanTree(ctx context.Context, src *source, into string, maxSize int64, includeSystem bool) (scanResult, error) {
	sc := &scanner{ctx: ctx, src: src, maxSize: maxSize, includeSystem: includeSystem}
	if err := sc.dir("", into); err != nil {
		return sc.res, err
	}
	return sc.res, nil
}

func (sc *scanner) skip(rel, format string, args ...any) {
	sc.res.skipped = append(sc.res.skipped, Skipped{Path: filepath.ToSlash(rel), Reason: fmt.Sprintf(format, args...)})
}

// dir scans the source folder rel, to be imported as the repository
// folder dest.
func (sc *scanner) dir(rel, dest string) error {
	if err := sc.ctx.Err(); err != nil {
		return err
	}
	ents, err := sc.src.readDir(rel)
	if err != nil && len(ents) == 0 {
		if isEscape(err) {
			sc.skip(rel, "folder leads outside the imported folder (a link replaced it): not read")
		} else {
			sc.skip(rel, "unreadable folder: %v", unwrapPath(err))
		}
		return nil
	}
	// Names that need no repair claim theirs first; repaired ones, and
	// names equal but for case to one already claimed (one file on Windows
	// and macOS), get a suffix if they land on a taken name.
	taken := map[string]bool{} // by foldName
	names := make([]string, len(ents))
	changed := make([]bool, len(ents))
	for i, e := range ents {
		names[i], changed[i] = RepairName(e.Name())
		if !changed[i] && names[i] == e.Name() {
			if taken[foldName(names[i])] {
				changed[i] = true
				continue
			}
			taken[foldName(names[i])] = true
		}
	}
	for i, e := range ents {
		childRel := filepath.Join(rel, e.Name())
		name := names[i]
		if changed[i] || name != e.Name() {
			name = uniqueName(name, taken)
			taken[foldName(name)] = true
		}
		childDest := path.Join(dest, name)
		if name != norm.NFC.String(e.Name()) {
			sc.res.renamed = append(sc.res.renamed, Renamed{Path: filepath.ToSlash(childRel), Name: name, Dest: childDest})
		}
		if !sc.includeSystem && systemFile(e.Name()) {
			sc.skip(childRel, "system file, not a document (add --include-system-files to keep it)")
			continue
		}
		switch t := e.Type(); {
		case t&fs.ModeSymlink != 0:
			sc.skip(childRel, "symbolic link, not followed")
			continue
		case t.IsDir():
			sc.res.dirs = append(sc.res.dirs, entry{rel: childRel, dest: childDest, dir: true})
			if err := sc.dir(childRel, childDest); err != nil {
				return err
			}
			continue
		case !t.IsRegular():
			sc.skip(childRel, "not a regular file (device, socket or pipe)")
			continue
		}
		info, err := e.Info()
		if err != nil {
			sc.skip(childRel, "unreadable: %v", unwrapPath(err))
			continue
		}
		if sc.maxSize > 0 && info.Size() > sc.maxSize {
			sc.skip(childRel, "too large: %d bytes, the limit is %d", info.Size(), sc.maxSize)
			continue
		}
		sc.res.files = append(sc.res.files, entry{rel: childRel, dest: childDest,
			size: info.Size(), mtime: info.ModTime(), info: info})
		sc.res.bytes += info.Size()
	}
	if err != nil {
		sc.skip(rel, "folder only partly readable: %v", unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the path an *fs.PathError repeats: the report names it.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
