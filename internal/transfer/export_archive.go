package transfer

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/ioctx"
	"notreasso/internal/repo"
)

// Archive formats of ExportArchive.
const (
	ArchiveZip = "zip"
	ArchiveTar = "tar"
)

// ExportArchive writes the export Export would write to a folder as one
// zip or tar stream to w: files/…, versions/… (with AllVersions), and
// metadata.jsonl as the last entry. Nothing is held in memory: contents
// are copied from the store to w as they are read (zip entries are stored,
// not compressed: documents mostly are already), and the metadata waits
// in a temporary file in tmpDir. A content whose SHA-256 is wrong stops
// the stream with an error: the archive is then incomplete, never wrong.
func ExportArchive(ctx context.Context, r *repo.Service, w io.Writer, format, tmpDir string, o ExportOptions) (ExportReport, error) {
	if o.From == "" {
		o.From = "/"
	}
	var arc archiveWriter
	switch format {
	case ArchiveZip:
		arc = zipArchive{zip.NewWriter(w)}
	case ArchiveTar:
		arc = tarArchive{tar.NewWriter(w)}
	default:
		return ExportReport{}, fmt.Errorf("export: archive format %q is neither zip nor tar", format)
	}
	top, err := r.Tree.Stat(ctx, o.As, o.From)
	if err != nil {
		return ExportReport{}, fmt.Errorf("export %s: %w", o.From, err)
	}
	if !top.Dir || top.Role < acl.Viewer {
		return ExportReport{}, fmt.Errorf("export %s: %w", o.From, repo.ErrNotDir)
	}
	ex := &exporter{r: r, o: o, arc: arc, rep: ExportReport{Metadata: "metadata.jsonl"}}
	if ex.meta, err = os.CreateTemp(tmpDir, ".export-metadata-*"); err != nil {
		return ExportReport{}, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(ex.meta.Name())
	defer ex.meta.Close()
	ex.w = bufio.NewWriter(ex.meta)
	if err := ex.header(ctx, top); err != nil {
		return ex.rep, err
	}
	tree, bytes, err := ex.walk(ctx, top, nil)
	if err != nil {
		return ex.rep, err
	}
	if o.OnScan != nil {
		o.OnScan(len(tree), bytes)
	}
	if err := arc.dir("files/", top.ModTime); err != nil {
		return ex.rep, fmt.Errorf("export: %w", err)
	}
	for _, n := range tree {
		if err := ex.node(ctx, n); err != nil {
			return ex.rep, err
		}
	}
	if err := ex.w.Flush(); err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	size, err := ex.meta.Seek(0, io.SeekCurrent)
	if err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	if _, err := ex.meta.Seek(0, io.SeekStart); err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	if _, err := arc.file("metadata.jsonl", time.Now(), size, ex.meta); err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	if err := arc.close(); err != nil {
		return ex.rep, fmt.Errorf("export: %w", err)
	}
	return ex.rep, nil
}

// writeArchived copies one version into the archive, checking its hash.
func (ex *exporter) writeArchived(ctx context.Context, p string, number int, rel string, mtime time.Time, hash string, size int64, rc io.Reader) error {
	h := sha256.New()
	n, err := ex.arc.file(rel, mtime, size, io.TeeReader(ioctx.Reader(ctx, rc), h))
	if errors.Is(err, repo.ErrContentCorrupt) {
		return fmt.Errorf("export %s version %d: %w: %w (run notreasso check)", p, number, errCorrupt, err)
	}
	if err != nil {
		return fmt.Errorf("export %s version %d: %w", p, number, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return fmt.Errorf("export %s version %d: stored content has SHA-256 %s, want %s: %w (run notreasso check)", p, number, got, hash, errCorrupt)
	}
	ex.rep.Bytes += n
	if ex.o.OnProgress != nil && len(rel) > 6 && rel[:6] == "files/" {
		ex.o.OnProgress(n)
	}
	return nil
}

// archiveWriter is where ExportArchive puts entries.
type archiveWriter interface {
	dir(name string, mtime time.Time) error // name ends with /
	file(name string, mtime time.Time, size int64, r io.Reader) (int64, error)
	close() error
}

type zipArchive struct{ w *zip.Writer }

func (z zipArchive) dir(name string, mtime time.Time) error {
	_, err := z.w.CreateHeader(&zip.FileHeader{Name: name, Modified: mtime, Method: zip.Store})
	return err
}

func (z zipArchive) file(name string, mtime time.Time, size int64, r io.Reader) (int64, error) {
	w, err := z.w.CreateHeader(&zip.FileHeader{Name: name, Modified: mtime, Method: zip.Store})
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, r)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, %d recorded", n, size)
	}
	return n, err
}

func (z zipArchive) close() error { return z.w.Close() }

type tarArchive struct{ w *tar.Writer }

func (t tarArchive) dir(name string, mtime time.Time) error {
	return t.w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX})
}

func (t tarArchive) file(name string, mtime time.Time, size int64, r io.Reader) (int64, error) {
	if err := t.w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
		return 0, err
	}
	n, err := io.Copy(t.w, r)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, %d recorded", n, size)
	}
	return n, err
}

func (t tarArchive) close() error { return t.w.Close() }
