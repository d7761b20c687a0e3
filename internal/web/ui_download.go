package web

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// zipFolder streams a folder as a zip archive: archive/zip writes into a
// pipe whose reader is the response body, so nothing is held in memory or
// on disk whatever the folder's size. Every file is read through repo.Open,
// which checks the caller's rights.
func (s *Server) zipFolder(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	n, err := s.repo.Tree.Stat(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	name := n.Name
	if n.Path == "/" {
		name = "notreasso"
	}
	return s.sendZip(c, name+".zip", []string{n.Path})
}

// zipSelection is the bulk "download" of checked rows (POST, paths[]).
func (s *Server) zipSelection(c *fiber.Ctx) error {
	paths, err := formValues(c, "path")
	if err != nil {
		return done(c, err, "")
	}
	if len(paths) == 0 {
		return back(c, "err", "pick_some")
	}
	name := "selection.zip"
	if len(paths) == 1 {
		name = paths[0][strings.LastIndex(paths[0], "/")+1:] + ".zip"
	}
	return s.sendZip(c, name, paths)
}

func (s *Server) sendZip(c *fiber.Ctx, filename string, paths []string) error {
	who := principal(c)
	l := s.views.cat.locale(pickLanguage(c))
	// The request context ends when the handler returns; the writer
	// outlives it, so it gets its own, cancelled when the stream closes.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	go func() {
		defer cancel()
		zw := &zipper{Writer: zip.NewWriter(pw)}
		var err error
		for _, p := range paths {
			if err = s.zipAdd(ctx, zw, who, p, p[strings.LastIndex(p, "/")+1:]); err != nil {
				break
			}
		}
		if err == nil && len(zw.missing) > 0 {
			// Files whose content could not be read are left out, and
			// the archive says which rather than ending mid-way.
			s.log.Warn("zip download without unreadable files", "files", len(zw.missing), "user", who.Login)
			var w io.Writer
			if w, err = zw.Create(l.T("zip.missing_name")); err == nil {
				_, err = io.WriteString(w, l.T("zip.missing_note", "Count", len(zw.missing))+"\r\n\r\n"+strings.Join(zw.missing, "\r\n")+"\r\n")
			}
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			s.log.Warn("zip download cut", "err", err, "user", who.Login)
		}
		pw.CloseWithError(err)
	}()
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(closeFunc{pr, func() { cancel(); pr.Close() }})
}

// closeFunc lets the response's Close stop the zip writer.
type closeFunc struct {
	io.Reader
	close func()
}

func (c closeFunc) Close() error { c.close(); return nil }

// zipper is an archive being written, with the files left out of it.
type zipper struct {
	*zip.Writer
	missing []string // names in the archive of files whose content could not be read
}

// zipAdd writes a file, or a folder and its content, under name.
func (s *Server) zipAdd(ctx context.Context, zw *zipper, who acl.Principal, p, name string) error {
	n, err := s.repo.Tree.Stat(ctx, who, p)
	if errors.Is(err, repo.ErrNotFound) {
		return nil // gone since the folder was listed (or never readable)
	}
	if err != nil {
		return err
	}
	if n.Dir {
		if n.Path == "/" {
			name = ""
		} else if _, err := zw.CreateHeader(&zip.FileHeader{Name: name + "/", Modified: n.ModTime}); err != nil {
			return err
		}
		_, kids, err := s.repo.Tree.List(ctx, who, n.Path)
		if err != nil {
			return err
		}
		for _, k := range kids {
			child := k.Name
			if name != "" {
				child = name + "/" + k.Name
			}
			if err := s.zipAdd(ctx, zw, who, k.Path, child); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := s.repo.History.Open(ctx, who, p, 0)
	if err != nil {
		return err
	}
	method := zip.Deflate
	if k := kindOf(n.Mime, n.Name); k == "image" || k == "archive" || k == "audio" || k == "video" || k == "pdf" || strings.Contains(n.Mime, "openxml") || strings.Contains(n.Mime, "opendocument") {
		method = zip.Store // already compressed
	}
	// The content is opened and its first bytes read before its entry is
	// written: a missing or damaged file is left out and named in a note,
	// not a cut in the middle of the archive.
	rc, err := f.Reader(ctx, 0, -1)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		zw.missing = append(zw.missing, name)
		return nil
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	if _, err := br.Peek(1); err != nil && err != io.EOF {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		zw.missing = append(zw.missing, name)
		return nil
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: n.ModTime})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, br); err != nil {
		return fmt.Errorf("zip %s: %w", p, err)
	}
	return nil
}

// preview serves a version for display inside the file page (iframe, img,
// audio, video). Anything else is refused: downloads go through the API,
// as attachments with the sandboxing policy.
func (s *Server) preview(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.Query("version"))
	f, err := s.repo.History.Open(c.UserContext(), principal(c), p, max(version, 0))
	if err != nil {
		return err
	}
	h, ok := serving.For(f.Node.Name, f.Version.Mime, serving.Embed)
	if !ok {
		return fmt.Errorf("%w: no preview for %s", repo.ErrNotFound, h.ContentType)
	}
	return s.sendFile(c, f, h)
}
