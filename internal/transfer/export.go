package transfer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"notreasso/internal/ioctx"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/retention"
)

// ExportFormat names the layout and metadata format written by Export.
const ExportFormat = "notreasso-export/1"

// ExportOptions qualifies an export.
type ExportOptions struct {
	From        string        // repository folder to export ("/" if empty)
	As          acl.Principal // what they may read is exported; accounts and grants only for administrators
	AllVersions bool          // also write every older version under versions/
	OnScan      func(files int, bytes int64)
	OnProgress  func(bytes int64)
}

// ExportReport says what an export wrote.
type ExportReport struct {
	Folders  int
	Files    int
	Versions int   // older versions written (with AllVersions)
	Bytes    int64 // content written
	Metadata string
}

// Export writes the latest version of every file below o.From to
// dst/files as a plain folder tree (modification times kept), older
// versions to dst/versions/<file path>/v<N><ext> if asked, and
// dst/metadata.jsonl: one JSON object per line describing the export,
// accounts and groups, every folder and file with tags, grants, retention
// rule and versions (authors, dates, labels). dst must not exist or be
// empty. Every byte written is checked against its SHA-256.
func Export(ctx context.Context, r *repo.Service, dst string, o ExportOptions) (ExportReport, error) {
	if o.From == "" {
		o.From = "/"
	}
	if ents, err := os.ReadDir(dst); err == nil && len(ents) > 0 {
		return ExportReport{}, fmt.Errorf("export to %s: the folder is not empty", dst)
	}
	top, err := r.Tree.Stat(ctx, o.As, o.From)
	if err != nil {
		return ExportReport{}, fmt.Errorf("export %s: %w", o.From, err)
	}
	if !top.Dir || top.Role < acl.Viewer {
		return ExportReport{}, fmt.Errorf("export %s: %w", o.From, repo.ErrNotDir)
	}
	if err := os.MkdirAll(filepath.Join(dst, "files"), 0o755); err != nil {
		return ExportReport{}, fmt.Errorf("export: %w", err)
	}
	ex := &exporter{r: r, o: o, dst: dst, rep: ExportReport{Metadata: filepath.Join(dst, "metadata.jsonl")}}
	if ex.meta, err = os.Create(ex.rep.Metadata); err != nil {
		return ExportReport{}, fmt.Errorf("export: %w", err)
	}
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
	for _, n := range tree {
		if err := ex.node(ctx, n); err != nil {
			return ex.rep, err
		}
	}
	if err := ex.w.Flush(); err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	if err := ex.meta.Sync(); err != nil {
		return ex.rep, fmt.Errorf("write metadata: %w", err)
	}
	return ex.rep, nil
}

type exporter struct {
	r      *repo.Service
	o      ExportOptions
	dst    string
	meta   *os.File
	w      *bufio.Writer
	rep    ExportReport
	grants map[int64][]grantJSON
	rules  map[string]repo.RetentionRule
	arc    archiveWriter // ExportArchive: entries go there instead of dst
}

func (ex *exporter) emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	ex.w.Write(b)
	return ex.w.WriteByte('\n')
}

// walk lists the tree below n, folders before their content, and the
// bytes of the current versions.
func (ex *exporter) walk(ctx context.Context, n repo.Node, out []repo.Node) ([]repo.Node, int64, error) {
	_, kids, err := ex.r.Tree.List(ctx, ex.o.As, n.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", n.Path, err)
	}
	var bytes int64
	for _, k := range kids {
		if k.Role < acl.Viewer && k.Dir {
			// Listed only as the way to something granted deeper.
			var b int64
			if out, b, err = ex.walk(ctx, k, out); err != nil {
				return nil, 0, err
			}
			bytes += b
			continue
		}
		out = append(out, k)
		if k.Dir {
			var b int64
			if out, b, err = ex.walk(ctx, k, out); err != nil {
				return nil, 0, err
			}
			bytes += b
		} else {
			bytes += k.Size
		}
	}
	return out, bytes, nil
}

// rel is n's path relative to the exported folder, with slashes.
func (ex *exporter) rel(p string) string {
	if ex.o.From == "/" {
		return strings.TrimPrefix(p, "/")
	}
	return strings.TrimPrefix(strings.TrimPrefix(p, strings.TrimSuffix(ex.o.From, "/")), "/")
}

func (ex *exporter) node(ctx context.Context, n repo.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel := ex.rel(n.Path)
	rec := nodeJSON{Path: n.Path, Tags: n.Tags, Modified: n.ModTime, Grants: ex.grants[n.ID]}
	if r, ok := ex.rules[n.Path]; ok {
		rec.Retention = &ruleJSON{Rule: r.Policy.String(), Note: r.Note, KeepAll: r.Policy.KeepAll, MaxVersions: r.Policy.MaxVersions,
			EveryFor: retention.FormatAge(r.Policy.EveryFor), HourlyFor: retention.FormatAge(r.Policy.HourlyFor),
			DailyFor: retention.FormatAge(r.Policy.DailyFor), WeeklyFor: retention.FormatAge(r.Policy.WeeklyFor)}
	}
	if n.Dir {
		ex.rep.Folders++
		rec.Type = "folder"
		if ex.arc != nil {
			if rel != "" {
				if err := ex.arc.dir(path.Join("files", rel)+"/", n.ModTime); err != nil {
					return fmt.Errorf("export %s: %w", n.Path, err)
				}
			}
		} else if err := os.MkdirAll(filepath.Join(ex.dst, "files", filepath.FromSlash(rel)), 0o755); err != nil {
			return fmt.Errorf("export %s: %w", n.Path, err)
		}
		return ex.emit(rec)
	}
	ex.rep.Files++
	rec.Type, rec.Size, rec.Hash, rec.Mime, rec.File = "file", n.Size, n.Hash, n.Mime, path.Join("files", rel)
	_, vs, err := ex.r.History.Versions(ctx, ex.o.As, n.Path)
	if err != nil {
		return fmt.Errorf("export %s: %w", n.Path, err)
	}
	for _, v := range vs {
		vj := versionJSON{Number: v.Number, Hash: v.Hash, Size: v.Size, Mime: v.Mime, Author: v.Author, Created: v.CreatedAt,
			Modified: v.ModTime, Label: v.Label, Pinned: v.Pinned, Current: v.Current}
		if v.Current {
			if err := ex.write(ctx, n.Path, v.Number, path.Join("files", rel), v.ModTime, v.Hash, v.Size); err != nil {
				return err
			}
			vj.File = rec.File
		} else if ex.o.AllVersions {
			vj.File = path.Join("versions", rel, fmt.Sprintf("v%d%s", v.Number, path.Ext(n.Name)))
			if err := ex.write(ctx, n.Path, v.Number, vj.File, v.ModTime, v.Hash, v.Size); err != nil {
				return err
			}
			ex.rep.Versions++
		}
		rec.Versions = append(rec.Versions, vj)
	}
	return ex.emit(rec)
}

// write copies one version to rel (a slash path below the export's root),
// checking its hash, and sets its time.
func (ex *exporter) write(ctx context.Context, p string, number int, rel string, mtime time.Time, hash string, size int64) error {
	f, err := ex.r.History.Open(ctx, ex.o.As, p, number)
	if err != nil {
		return fmt.Errorf("export %s version %d: %w", p, number, err)
	}
	rc, err := f.Reader(ctx, 0, -1)
	if err != nil {
		return fmt.Errorf("export %s version %d: %w", p, number, err)
	}
	defer rc.Close()
	if ex.arc != nil {
		return ex.writeArchived(ctx, p, number, rel, mtime, hash, size, rc)
	}
	file := filepath.Join(ex.dst, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("export %s: %w", p, err)
	}
	out, err := os.CreateTemp(filepath.Dir(file), ".export-*")
	if err != nil {
		return fmt.Errorf("export %s: %w", p, err)
	}
	defer os.Remove(out.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), ioctx.Reader(ctx, rc))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, repo.ErrContentCorrupt) { // the repository checks whole reads too
		return fmt.Errorf("export %s version %d: %w: %w (run notreasso check)", p, number, errCorrupt, err)
	}
	if err != nil {
		return fmt.Errorf("export %s version %d: %w", p, number, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return fmt.Errorf("export %s version %d: stored content has SHA-256 %s, want %s: %w (run notreasso check)", p, number, got, hash, errCorrupt)
	}
	if err := os.Rename(out.Name(), file); err != nil {
		return fmt.Errorf("export %s: %w", p, err)
	}
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		return fmt.Errorf("export %s: %w", p, err)
	}
	ex.rep.Bytes += n
	if ex.o.OnProgress != nil && strings.HasPrefix(rel, "files/") {
		ex.o.OnProgress(n)
	}
	return nil
}

var errCorrupt = errors.New("content does not match its hash")
