package indexer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"notreasso/internal/repo"
)

// textStore keeps extracted texts in the blob store, as renderings of the
// content they come from (repo.Previews, kind repo.PreviewText): the text
// is a blob of its own, named by the content's SHA-256 in the previews
// table. Every server sharing the database and the store finds a text
// another one extracted, so a document is extracted once per cluster, and
// a new server builds its index without extracting anything. The sweep of
// unused content keeps a text while its content lives and removes it with
// the content.
//
// With an object store, data/text/ab/abcd….txt is this server's read
// cache of texts it fetched or made (deleting it costs downloads, not
// extractions); with the local disk store the text's blob is read in place
// and nothing is cached. Texts left in data/text by earlier versions are
// moved into the store the first time they are needed.
type textStore struct {
	dir  string
	repo *repo.Service
}

func newTextStore(dir string, r *repo.Service) (*textStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create text cache %s: %w", dir, err)
	}
	return &textStore{dir: dir, repo: r}, nil
}

func (t *textStore) path(hash string) string {
	return filepath.Join(t.dir, hash[:2], hash+".txt")
}

// create returns a temporary file to write a text into; commit stores it.
func (t *textStore) create() (*os.File, error) {
	return os.CreateTemp(filepath.Join(t.dir, "tmp"), "text-*")
}

// commit stores the text written to f as the text of the content hash,
// for every server, and keeps it in the local cache when the store is
// remote.
func (t *textStore) commit(ctx context.Context, f *os.File, hash string) error {
	name := f.Name()
	defer os.Remove(name) // gone once moved into the cache
	if err := f.Close(); err != nil {
		return err
	}
	if err := t.publish(ctx, hash, name); err != nil {
		return err
	}
	if t.local() {
		return nil
	}
	return t.keep(name, hash)
}

// publish stores the file as the text blob of the content hash.
func (t *textStore) publish(ctx context.Context, hash, file string) error {
	err := t.repo.Previews.PutPreview(ctx, repo.Preview{Source: hash, Kind: repo.PreviewText, Status: repo.PreviewOK,
		Mime: "text/plain; charset=utf-8"}, file)
	if err != nil {
		return fmt.Errorf("store the text of %s: %w", hash, err)
	}
	return nil
}

// keep moves a complete text file into the local cache.
func (t *textStore) keep(file, hash string) error {
	dst := t.path(hash)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	return os.Rename(file, dst)
}

// local reports whether the blob store is this machine's disk.
func (t *textStore) local() bool { return t.repo.Index.LocalContent() }

// stored is the record of the content's text in the store, if any.
func (t *textStore) stored(ctx context.Context, hash string) (repo.Preview, bool) {
	p, ok, err := t.repo.Previews.GetPreview(ctx, hash, repo.PreviewText)
	return p, err == nil && ok && p.Status == repo.PreviewOK
}

// has reports whether the text of a blob is stored. A text only in the
// local cache (made before texts were shared) is stored now.
func (t *textStore) has(ctx context.Context, hash string) bool {
	if len(hash) < 4 {
		return false
	}
	if _, ok := t.stored(ctx, hash); ok {
		return true
	}
	if _, err := os.Stat(t.path(hash)); err != nil {
		return false
	}
	if err := t.publish(ctx, hash, t.path(hash)); err != nil {
		return false
	}
	if t.local() {
		os.Remove(t.path(hash))
	}
	return true
}

// open opens the text of a blob; fs.ErrNotExist if none was extracted.
func (t *textStore) open(ctx context.Context, hash string) (*os.File, error) {
	if len(hash) < 4 {
		return nil, os.ErrNotExist
	}
	if f, err := os.Open(t.path(hash)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	p, ok := t.stored(ctx, hash)
	if !ok {
		return nil, os.ErrNotExist
	}
	return t.openStored(ctx, p)
}

// openStored opens the text p stored for its content (p.Source): in
// place on the local disk, else from this server's cache, else fetched
// into it.
func (t *textStore) openStored(ctx context.Context, p repo.Preview) (*os.File, error) {
	hash := p.Source
	if path, ok := t.repo.Index.Content().LocalPath(p.Derived); ok {
		return os.Open(path)
	}
	if len(hash) < 4 {
		return nil, os.ErrNotExist
	}
	if f, err := os.Open(t.path(hash)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	rc, err := t.repo.Previews.PreviewReader(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: text of %s: %v", os.ErrNotExist, hash, err)
	}
	defer rc.Close()
	tmp, err := t.create()
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = t.keep(tmp.Name(), hash)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch the text of %s: %w", hash, err)
	}
	return os.Open(t.path(hash))
}

// read returns at most max bytes of the text of a blob ("" if none).
func (t *textStore) read(ctx context.Context, hash string, max int64) (string, error) {
	f, err := t.open(ctx, hash)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max))
	return string(b), err
}
