package dav

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/net/webdav"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// fileSystem is webdav.FileSystem over the repository, for one request and
// its principal. x/net/webdav only sees os-style errors, so the
// repository's error is kept in err for the response's status (remapWriter).
type fileSystem struct {
	repo *repo.Service
	p    acl.Principal
	err  error
}

// osErr records a repository error and translates it into what
// x/net/webdav tests for (os.IsNotExist, os.IsExist).
func (f *fileSystem) osErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	f.err = err
	switch {
	case errors.Is(err, repo.ErrNotFound):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case errors.Is(err, repo.ErrExists):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
	case errors.Is(err, repo.ErrForbidden):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrPermission}
	}
	return err
}

func (f *fileSystem) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	_, err := f.repo.Tree.Mkdir(ctx, f.p, name)
	if errors.Is(err, repo.ErrNotFound) {
		err = fmt.Errorf("mkcol %s: %w", name, errNoParent)
	}
	return f.osErr("mkdir", name, err)
}

// OpenFile opens a node for its properties (PROPPATCH opens O_RDWR) or to
// read. Content is never written through here: PUT goes to repo.Put, which
// spools and commits a version only once the whole body has arrived, where
// x/net/webdav would truncate the file and write in place.
func (f *fileSystem) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		return nil, f.osErr("open", name, fmt.Errorf("open %s for writing: %w", name, errNotAllowed))
	}
	n, err := f.repo.Tree.Stat(ctx, f.p, name)
	if err != nil {
		return nil, f.osErr("open", name, err)
	}
	return &file{ctx: ctx, fs: f, node: n}, nil
}

func (f *fileSystem) RemoveAll(ctx context.Context, name string) error {
	return f.osErr("remove", name, f.repo.Tree.Delete(ctx, f.p, name))
}

func (f *fileSystem) Rename(ctx context.Context, oldName, newName string) error {
	_, err := f.repo.Tree.Move(ctx, f.p, oldName, newName, false)
	return f.osErr("rename", oldName, err)
}

func (f *fileSystem) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	n, err := f.repo.Tree.Stat(ctx, f.p, name)
	if err != nil {
		return nil, f.osErr("stat", name, err)
	}
	return fileInfo{n}, nil
}

// fileInfo is a node as os.FileInfo, with the ETag and content type from
// metadata (x/net/webdav would otherwise open the file and sniff it).
type fileInfo struct{ n repo.Node }

func (i fileInfo) Name() string       { return i.n.Name }
func (i fileInfo) Size() int64        { return i.n.Size }
func (i fileInfo) ModTime() time.Time { return modTime(i.n) }
func (i fileInfo) IsDir() bool        { return i.n.Dir }
func (i fileInfo) Sys() any           { return i.n }
func (i fileInfo) Mode() os.FileMode {
	if i.n.Dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i fileInfo) ETag(context.Context) (string, error)        { return etag(i.n), nil }
func (i fileInfo) ContentType(context.Context) (string, error) { return contentType(i.n), nil }

// modTime is getlastmodified: the document's time for files, the last
// change of its content for folders.
func modTime(n repo.Node) time.Time {
	t := n.ModTime
	if n.Dir {
		t = n.UpdatedAt
	}
	if t.IsZero() {
		return time.Unix(0, 0) // the root, until something changes in it
	}
	return t
}

// etag is getetag and the ETag header: the content hash for files, quoted.
func etag(n repo.Node) string { return `"` + n.ETag() + `"` }

func contentType(n repo.Node) string {
	if n.Dir {
		return "httpd/unix-directory"
	}
	if n.Mime == "" {
		return "application/octet-stream"
	}
	return n.Mime
}
