package indexer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// textStore keeps extracted texts as plain UTF-8 files named by the content
// hash (data/text/ab/abcd….txt). The index stores no content; snippets and
// previews read these files. They are a cache: deleting the folder only
// costs a re-extraction.
type textStore struct {
	dir string
}

func newTextStore(dir string) (*textStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create text cache %s: %w", dir, err)
	}
	return &textStore{dir: dir}, nil
}

func (t *textStore) path(hash string) string {
	return filepath.Join(t.dir, hash[:2], hash+".txt")
}

// create returns a temporary file to write a text into; commit moves it in place.
func (t *textStore) create() (*os.File, error) {
	return os.CreateTemp(filepath.Join(t.dir, "tmp"), "text-*")
}

func (t *textStore) commit(f *os.File, hash string) error {
	name := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(name)
		return err
	}
	dst := t.path(hash)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		os.Remove(name)
		return err
	}
	return os.Rename(name, dst)
}

// open opens the text of a blob; fs.ErrNotExist if none was extracted.
func (t *textStore) open(hash string) (*os.File, error) {
	if len(hash) < 4 {
		return nil, os.ErrNotExist
	}
	return os.Open(t.path(hash))
}

// has reports whether the text of a blob is in the cache.
func (t *textStore) has(hash string) bool {
	if len(hash) < 4 {
		return false
	}
	_, err := os.Stat(t.path(hash))
	return err == nil
}

// read returns at most max bytes of the text of a blob ("" if none).
func (t *textStore) read(hash string, max int64) (string, error) {
	f, err := t.open(hash)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max))
	return string(b), err
}
