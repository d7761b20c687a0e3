package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// The source tree can change between the scan and the reading of a file:
// someone (or something) may replace a scanned file by a symbolic link to a
// file outside the tree that only the importer's account can read, or by a
// named pipe that would block open() forever. Files are therefore opened
// through an os.Root (no path may climb out of the tree), the last component
// without following links and without blocking, and what was opened must be
// the very regular file the scan listed.
var (
	errNotRegular = errors.New("not a regular file (device, socket or pipe)")
	errReplaced   = errors.New("replaced since the scan (by a link or another file)")
)

// source is the tree being imported.
type source struct {
	root *os.Root
}

func openSource(dir string) (*source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("import %s: not a folder", dir)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	return &source{root: r}, nil
}

// readDir lists the folder rel, sorted by name, through the root: a folder
// replaced by a link that leads out of the tree is not listed.
func (s *source) readDir(rel string) ([]fs.DirEntry, error) {
	if rel == "" {
		rel = "."
	}
	d, err := s.root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, err
}

func (s *source) Close() error { return s.root.Close() }

// open opens the scanned file e for reading, or explains in the error why
// it is not the file the scan saw.
func (s *source) open(e entry) (*os.File, error) {
	f, err := s.openNoFollow(e.rel)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case !st.Mode().IsRegular():
		f.Close()
		return nil, errNotRegular
	case e.info != nil && !os.SameFile(e.info, st):
		f.Close()
		return nil, errReplaced
	}
	return f, nil
}

// skipReason turns an error of open into the reason an import report gives.
func skipReason(err error) string {
	switch {
	case errors.Is(err, errNotRegular):
		return errNotRegular.Error() + ", skipped"
	case errors.Is(err, errReplaced), isLinkLoop(err):
		return errReplaced.Error() + ": not read; import again to take what is there now"
	}
	if isEscape(err) {
		return "leads outside the imported folder (a link replaced it since the scan): not read"
	}
	return "unreadable: " + unwrapPath(err).Error()
}

// isEscape reports os.Root's refusal of a path that leaves it (its error
// is not exported).
func isEscape(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent"
}
