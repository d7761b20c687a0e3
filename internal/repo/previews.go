package repo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Previews are renderings derived from a content (see migration 00105):
// a thumbnail, the PDF of an office document, a page image, a table. They
// are cached by the source's SHA-256, so the same bytes are rendered once
// whoever uploads them, and stored as blobs of their own so that every
// node serves them from the shared store. The worker that makes them is a
// system component (internal/preview): it reads and writes without a
// principal. Doors read them through FilePreview, which checks that the
// caller may read the file, exactly as Open does for its content.

// Preview statuses.
const (
	PreviewOK     = "ok"     // Derived holds the rendering
	PreviewNone   = "none"   // nothing to show for this content (unsupported, too big, corrupt)
	PreviewFailed = "failed" // the renderer failed or timed out; retried a few times
)

// Preview is the cached rendering of one kind of a content.
type Preview struct {
	Source   string // SHA-256 of the content it was made from
	Kind     string // thumb, pdf, table, page-N…
	Status   string
	Derived  string // SHA-256 of the rendering (status ok)
	Size     int64
	Mime     string
	Width    int
	Height   int
	Pages    int // pages of the PDF the rendering comes from, when known
	Reason   string
	Attempts int
}

const previewCols = `source, kind, status, COALESCE(derived, ''), size, mime, width, height, pages, reason, attempts`

func scanPreview(sc interface{ Scan(...any) error }) (Preview, error) {
	var p Preview
	err := sc.Scan(&p.Source, &p.Kind, &p.Status, &p.Derived, &p.Size, &p.Mime, &p.Width, &p.Height, &p.Pages, &p.Reason, &p.Attempts)
	return p, err
}

// GetPreview returns the cached rendering of kind of the content source.
func (s *Previews) GetPreview(ctx context.Context, source, kind string) (Preview, bool, error) {
	p, err := scanPreview(s.db.R.QueryRowContext(ctx, `SELECT `+previewCols+` FROM previews WHERE source = ? AND kind = ?`, source, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return Preview{}, false, nil
	}
	if err != nil {
		return Preview{}, false, fmt.Errorf("read preview %s %s: %w", kind, source, err)
	}
	return p, true, nil
}

// CurrentPreview returns the cached rendering of kind of node id's current
// content, in one statement (search snippets read the text of each hit
// this way). ok is false when there is none, or no such file.
func (s *Previews) CurrentPreview(ctx context.Context, id int64, kind string) (Preview, bool, error) {
	p, err := scanPreview(s.db.R.QueryRowContext(ctx, currentPreviewQuery, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Preview{}, false, nil
	}
	if err != nil {
		return Preview{}, false, fmt.Errorf("read preview %s of node %d: %w", kind, id, err)
	}
	return p, true, nil
}

// currentPreviewQuery reads a rendering by the file it renders. Its
// content hash is compared with versions.blob: both must have the same
// collation on PostgreSQL for the previews index to serve
// (TestCurrentPreviewReadsByKey).
const currentPreviewQuery = `SELECT ` + previewCols + ` FROM previews WHERE kind = ? AND source =
	(SELECT v.blob FROM nodes n JOIN versions v ON v.id = n.current_version_id WHERE n.id = ?)`

// GetPreviews returns the cached renderings of kind of several contents,
// by source (listings ask for the thumbnails of a whole folder at once).
func (s *Previews) GetPreviews(ctx context.Context, sources []string, kind string) (map[string]Preview, error) {
	out := map[string]Preview{}
	for start := 0; start < len(sources); start += 500 {
		chunk := sources[start:min(start+500, len(sources))]
		args := []any{kind}
		for _, h := range chunk {
			args = append(args, h)
		}
		rows, err := s.db.R.QueryContext(ctx, `SELECT `+previewCols+` FROM previews WHERE kind = ? AND source IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read previews: %w", err)
		}
		for rows.Next() {
			p, err := scanPreview(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read previews: %w", err)
			}
			out[p.Source] = p
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PutPreview records a rendering. For status ok, file is a local file
// holding it: it is stored as a blob under its own SHA-256 (with the same
// lease as an upload, so a concurrent sweep cannot take it) before the row
// that names it is written. A row already there is replaced and its
// attempts counted.
func (s *Previews) PutPreview(ctx context.Context, p Preview, file string) error {
	if p.Status == PreviewOK {
		hash, size, err := hashFile(file)
		if err != nil {
			return fmt.Errorf("store preview %s of %s: %w", p.Kind, p.Source, err)
		}
		if err := s.leaseBlob(ctx, hash, size); err != nil {
			return err
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		err = s.blobs.Put(ctx, hash, f, size)
		f.Close()
		if err != nil {
			return fmt.Errorf("store preview %s of %s: %w", p.Kind, p.Source, err)
		}
		p.Derived, p.Size = hash, size
	}
	return s.db.Tx(ctx, func(tx meta.Tx) error {
		var derived any
		if p.Status == PreviewOK {
			if err := s.useBlob(ctx, tx, p.Derived, s.now()); err != nil {
				return err
			}
			derived = p.Derived
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO previews (source, kind, status, derived, size, mime, width, height, pages, reason, attempts, created_at)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ? WHERE EXISTS (SELECT 1 FROM blobs WHERE sha256 = ? AND state = 'live')
			ON CONFLICT (source, kind) DO UPDATE SET status = excluded.status, derived = excluded.derived, size = excluded.size,
			mime = excluded.mime, width = excluded.width, height = excluded.height, pages = excluded.pages, reason = excluded.reason,
			attempts = previews.attempts + 1, created_at = excluded.created_at`,
			p.Source, p.Kind, p.Status, derived, p.Size, p.Mime, p.Width, p.Height, p.Pages, p.Reason, s.now().UnixNano(), p.Source)
		if err != nil {
			return fmt.Errorf("record preview %s of %s: %w", p.Kind, p.Source, err)
		}
		return nil
	})
}

func hashFile(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// FilePreview checks that p may read the file at path (ErrNotFound if
// not, as for its download) and returns the file's version (0: current)
// with its cached rendering of kind, if any.
func (s *Previews) FilePreview(ctx context.Context, p acl.Principal, path string, version int, kind string) (*File, Preview, bool, error) {
	f, err := s.svc.History.Open(ctx, p, path, version)
	if err != nil {
		return nil, Preview{}, false, err
	}
	pv, ok, err := s.GetPreview(ctx, f.Version.Hash, kind)
	return f, pv, ok, err
}

// PreviewReader streams a rendering's content (status ok only).
func (s *Previews) PreviewReader(ctx context.Context, pv Preview) (io.ReadCloser, error) {
	if pv.Status != PreviewOK || pv.Derived == "" {
		return nil, fmt.Errorf("preview %s of %s: %w", pv.Kind, pv.Source, ErrNotFound)
	}
	rc, err := s.blobs.Get(ctx, pv.Derived, 0, -1)
	if err != nil {
		s.log.WarnContext(ctx, "preview content missing", "source", pv.Source, "kind", pv.Kind, "err", err)
		return nil, fmt.Errorf("preview %s of %s: %w", pv.Kind, pv.Source, ErrContentMissing)
	}
	return rc, nil
}

// ForgetPreview drops a cached rendering whose content went missing, so
// that the worker makes it again.
func (s *Previews) ForgetPreview(ctx context.Context, source, kind string) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM previews WHERE source = ? AND kind = ?`, source, kind)
	return err
}
