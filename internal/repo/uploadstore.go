package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"notreasso/storage"
)

// Where the parts of uploads in progress are kept. Uploads decides once
// per call from the blob store's capabilities: an object store that every
// server reaches (storage.NamedObjects, the S3 store) keeps them in the
// bucket under uploads/, so an upload started through one server goes on
// through any other; the local disk store keeps them in the spool
// directory, on the filesystem of the blobs, where a single part is
// committed by a rename. Both are used through uploadStore, so Uploads has
// one code path. A part is always received into a local temporary file
// first (streamed, never in memory): a request cut by the network keeps
// what arrived, and the object store is sent a file of known size.
type uploadStore interface {
	// create records a new upload under key ("USERID/ID"); ErrExists if
	// the key is taken.
	create(ctx context.Context, key string, rec []byte) error
	// record is the upload's record; ErrNotFound if there is none.
	record(ctx context.Context, key string) ([]byte, error)
	// setRecord replaces the upload's record.
	setRecord(ctx context.Context, key string, rec []byte) error
	// parts lists the complete parts of the upload (the record aside).
	parts(ctx context.Context, key string) ([]storedPart, error)
	// temp is a temporary file to receive a part of the upload into.
	temp(key string) (*os.File, error)
	// putPart makes the complete file (consumed) the part name.
	putPart(ctx context.Context, key, name, file string, size int64, now time.Time) error
	// openPart reads a part.
	openPart(ctx context.Context, key, name string) (io.ReadCloser, error)
	// localPart is the file holding a part, if parts are local files.
	localPart(key, name string) (string, bool)
	// keys lists the uploads of one account (user "") or of all, as keys,
	// with the time of their newest object.
	keys(ctx context.Context, user string) (map[string]time.Time, error)
	// remove deletes the upload and its parts.
	remove(ctx context.Context, key string) error
}

type storedPart struct {
	name    string
	size    int64
	modTime time.Time
}

// store is where this repository keeps upload parts.
func (s *Uploads) store() uploadStore {
	if _, local := s.blobs.(storage.LocalFiles); !local {
		if named, ok := s.blobs.(storage.NamedObjects); ok {
			return objectUploads{named: named, tmp: s.opts.SpoolDir}
		}
	}
	return spoolUploads{root: filepath.Join(s.opts.SpoolDir, "uploads")}
}

// spoolUploads keeps uploads as folders of the spool directory:
// uploads/USERID/ID/{.upload.json, parts}.
type spoolUploads struct{ root string }

func (d spoolUploads) dir(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

func (d spoolUploads) create(ctx context.Context, key string, rec []byte) error {
	dir := d.dir(key)
	err := os.ErrNotExist
	for try := 0; try < 3 && errors.Is(err, os.ErrNotExist); try++ {
		// The account's folder may be removed by a concurrent end of its
		// last upload between the two calls: make it again.
		if err = os.MkdirAll(filepath.Dir(dir), 0o750); err == nil {
			err = os.Mkdir(dir, 0o750)
		}
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("upload %s: %w", key, ErrExists)
	}
	if err == nil {
		err = d.setRecord(ctx, key, rec)
	}
	if err != nil {
		d.remove(ctx, key)
		return fmt.Errorf("create upload: %w", err)
	}
	return nil
}

func (d spoolUploads) record(ctx context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(d.dir(key), uploadMetaFile))
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, ErrNotFound)
	}
	return b, nil
}

func (d spoolUploads) setRecord(ctx context.Context, key string, rec []byte) error {
	f, err := os.CreateTemp(d.dir(key), ".record-*")
	if err != nil {
		return fmt.Errorf("write upload record: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(rec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(d.dir(key), uploadMetaFile))
	}
	if err != nil {
		return fmt.Errorf("write upload record: %w", err)
	}
	return nil
}

func (d spoolUploads) parts(ctx context.Context, key string) ([]storedPart, error) {
	ents, err := os.ReadDir(d.dir(key))
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, ErrNotFound)
	}
	var out []storedPart
	for _, e := range ents {
		if !validPartName(e.Name()) {
			continue // the record, and parts still being received
		}
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", key, err)
		}
		out = append(out, storedPart{name: e.Name(), size: fi.Size(), modTime: fi.ModTime()})
	}
	return out, nil
}

func (d spoolUploads) temp(key string) (*os.File, error) {
	return os.CreateTemp(d.dir(key), ".part-*")
}

func (d spoolUploads) putPart(ctx context.Context, key, name, file string, size int64, now time.Time) error {
	dst := filepath.Join(d.dir(key), name)
	if err := os.Rename(file, dst); err != nil {
		return fmt.Errorf("store part: %w", err)
	}
	os.Chtimes(dst, now, now)
	return nil
}

func (d spoolUploads) openPart(ctx context.Context, key, name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(d.dir(key), name))
}

func (d spoolUploads) localPart(key, name string) (string, bool) {
	return filepath.Join(d.dir(key), name), true
}

func (d spoolUploads) keys(ctx context.Context, user string) (map[string]time.Time, error) {
	users := []string{user}
	if user == "" {
		ents, err := os.ReadDir(d.root)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		users = users[:0]
		for _, e := range ents {
			users = append(users, e.Name())
		}
	}
	out := map[string]time.Time{}
	for _, u := range users {
		ents, err := os.ReadDir(filepath.Join(d.root, u))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		for _, e := range ents {
			var t time.Time
			if fi, err := e.Info(); err == nil {
				t = fi.ModTime()
			}
			out[u+"/"+e.Name()] = t
		}
	}
	return out, nil
}

// remove ends an upload: its directory goes, and the account's and the
// uploads' folders too once empty, so an idle spool directory is empty.
func (d spoolUploads) remove(ctx context.Context, key string) error {
	dir := d.dir(key)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove upload: %w", err)
	}
	if os.Remove(filepath.Dir(dir)) == nil {
		os.Remove(d.root)
	}
	return nil
}

// objectUploads keeps uploads as named objects of the blob store: the
// record as uploads/USERID-ID.json and the parts as uploads/USERID-ID/PART
// (ListNamed lists one folder's objects, so the records of all uploads are
// in one folder).
type objectUploads struct {
	named storage.NamedObjects
	tmp   string // the spool directory, where parts are received
}

const uploadsPrefix = "uploads"

// flat is the upload's name in the bucket: USERID-ID (ids may contain
// dashes, account ids do not).
func flat(key string) string { return strings.Replace(key, "/", "-", 1) }

func (o objectUploads) recordName(key string) string {
	return uploadsPrefix + "/" + flat(key) + ".json"
}

func (o objectUploads) partsDir(key string) string { return uploadsPrefix + "/" + flat(key) }

func (o objectUploads) create(ctx context.Context, key string, rec []byte) error {
	// Ids are drawn at random or chosen by a sync app per file: a check
	// is enough to refuse one in use.
	if _, err := o.record(ctx, key); err == nil {
		return fmt.Errorf("upload %s: %w", key, ErrExists)
	}
	return o.setRecord(ctx, key, rec)
}

func (o objectUploads) record(ctx context.Context, key string) ([]byte, error) {
	rc, err := o.named.GetNamed(ctx, o.recordName(key))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("upload %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, err)
	}
	return b, nil
}

func (o objectUploads) setRecord(ctx context.Context, key string, rec []byte) error {
	if err := o.named.PutNamed(ctx, o.recordName(key), bytes.NewReader(rec), int64(len(rec))); err != nil {
		return fmt.Errorf("write upload record: %w", err)
	}
	return nil
}

func (o objectUploads) parts(ctx context.Context, key string) ([]storedPart, error) {
	objs, err := o.named.ListNamed(ctx, o.partsDir(key))
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", key, err)
	}
	var out []storedPart
	for _, b := range objs {
		name := path.Base(b.Key)
		if validPartName(name) {
			out = append(out, storedPart{name: name, size: b.Size, modTime: b.ModTime})
		}
	}
	return out, nil
}

func (o objectUploads) temp(key string) (*os.File, error) {
	return os.CreateTemp(o.tmp, "upload-part-*")
}

func (o objectUploads) putPart(ctx context.Context, key, name, file string, size int64, now time.Time) error {
	defer os.Remove(file)
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("store part: %w", err)
	}
	defer f.Close()
	// A section of a file: the store sends it straight from the disk.
	if err := o.named.PutNamed(ctx, o.partsDir(key)+"/"+name, io.NewSectionReader(f, 0, size), size); err != nil {
		return fmt.Errorf("store part %s: %w", name, err)
	}
	return nil
}

func (o objectUploads) openPart(ctx context.Context, key, name string) (io.ReadCloser, error) {
	return o.named.GetNamed(ctx, o.partsDir(key)+"/"+name)
}

func (o objectUploads) localPart(key, name string) (string, bool) { return "", false }

func (o objectUploads) keys(ctx context.Context, user string) (map[string]time.Time, error) {
	objs, err := o.named.ListNamed(ctx, uploadsPrefix)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	out := map[string]time.Time{}
	for _, b := range objs {
		name, ok := strings.CutSuffix(path.Base(b.Key), ".json")
		u, id, ok2 := strings.Cut(name, "-")
		if !ok || !ok2 || (user != "" && u != user) {
			continue
		}
		out[u+"/"+id] = b.ModTime
	}
	return out, nil
}

func (o objectUploads) remove(ctx context.Context, key string) error {
	// The parts first: an upload removed halfway is still listed (by its
	// record) and removed again by the sweep.
	objs, err := o.named.ListNamed(ctx, o.partsDir(key))
	if err != nil {
		return fmt.Errorf("remove upload: %w", err)
	}
	var errs []error
	for _, b := range objs {
		errs = append(errs, o.named.DeleteNamed(ctx, o.partsDir(key)+"/"+path.Base(b.Key)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove upload: %w", err)
	}
	if err := o.named.DeleteNamed(ctx, o.recordName(key)); err != nil {
		return fmt.Errorf("remove upload: %w", err)
	}
	return nil
}
