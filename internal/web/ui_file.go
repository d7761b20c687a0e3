package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// TextSource gives the extracted text of a blob (office documents, PDFs),
// as the indexer stores it. Until the indexer provides one, Deps.Texts is
// nil and office files say their preview is not available yet.
type TextSource interface {
	// Text returns up to max bytes of the text extracted from the blob with
	// this SHA-256; ok is false if none was extracted (yet).
	Text(ctx context.Context, sha256 string, max int) (text string, ok bool, err error)
}

// previewBytes bounds what a text preview reads and shows.
const previewBytes = 256 << 10

type filePage struct {
	File     repo.Node
	Crumbs   []crumb
	Versions []repo.Version
	Kind     string        // pdf, image, audio, video, text, markdown, office, none
	Text     string        // text previews
	HTML     template.HTML // sanitised Markdown
	Cut      bool          // the text preview was truncated
	CanEdit  bool
	DavURL   string
	Tags     string // comma-separated, for the editor
	Shares   bool   // the sharing API is installed (see shares hook below)
	Locks    []fileLock
	Type     fileType
	R        previewState      // rendered previews (pages, table)
	Trail    *collectionTrail  // opened from a collection (?c=)
	AddTo    []repo.Collection // collections the person may add it to
}

var (
	markdown  = goldmark.New(goldmark.WithExtensions(extension.GFM))
	sanitizer = bluemonday.UGCPolicy()
)

func (s *Server) filePage(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	who := principal(c)
	n, vs, err := s.repo.History.Versions(c.UserContext(), who, p)
	switch {
	case errors.Is(err, repo.ErrIsDir):
		return c.Redirect("/browse/"+escapePath(p), fiber.StatusSeeOther)
	case err != nil && who.Anonymous():
		return loginRedirect(c)
	case err != nil:
		return err
	}
	if err := s.repo.Collections.MarkOpened(c.UserContext(), who, n.ID); err != nil {
		return err
	}
	d := filePage{File: n, Crumbs: crumbsOf(n.Path), Versions: vs, CanEdit: n.Role >= acl.Editor,
		DavURL: s.cfg.PublicURL() + "/dav" + n.Path, Tags: strings.Join(n.Tags, ", ")}
	previewErr := s.fillPreview(c.UserContext(), who, &d)
	if previewErr == nil {
		previewErr = s.fillPages(c, who, &d)
	}
	if d.Type, err = s.fileType(c.UserContext(), n); err != nil {
		return err
	}
	d.Trail = s.trail(c.UserContext(), c, n.ID)
	if d.AddTo, err = s.editableCollections(c.UserContext(), c); err != nil {
		return err
	}
	pg := s.newPage(c, "browse")
	if d.Locks, err = s.fileLocks(c, pg.L, n.Path); err != nil {
		return err
	}
	switch {
	case errors.Is(previewErr, repo.ErrContentMissing), errors.Is(previewErr, repo.ErrContentCorrupt):
		// The page still opens: its versions are how the content comes back.
		_, code := errorCode(previewErr)
		d.Kind, pg.Error = "none", pg.L.T("err."+code)
	case previewErr != nil:
		return previewErr
	}
	pg.Title = n.Name
	pg.Data = d
	return s.render(c, fiber.StatusOK, "file", pg)
}

func previewable(name, m string) bool {
	_, ok := serving.For(name, m, serving.Embed)
	return ok
}

// fillPreview decides how the file is shown. Text is read (bounded) and
// rendered here: Markdown through goldmark then bluemonday, text escaped
// by the template. Nothing from the file reaches the page unescaped.
func (s *Server) fillPreview(ctx context.Context, who acl.Principal, d *filePage) error {
	m := d.File.Mime
	kind := kindOf(m, d.File.Name)
	switch {
	case previewable(d.File.Name, m):
		d.Kind = map[string]string{"pdf": "pdf", "audio": "audio", "video": "video"}[kind]
		if d.Kind == "" {
			d.Kind = "image"
		}
		return nil
	case m == "text/markdown", strings.HasPrefix(m, "text/"), m == "application/json", m == "message/rfc822":
		text, cut, err := s.readText(ctx, who, d.File.Path)
		if err != nil {
			return err
		}
		d.Text, d.Cut, d.Kind = text, cut, "text"
		if m == "text/markdown" {
			var buf bytes.Buffer
			if err := markdown.Convert([]byte(text), &buf); err == nil {
				d.HTML, d.Kind = template.HTML(sanitizer.SanitizeBytes(buf.Bytes())), "markdown"
			}
		}
		return nil
	case kind == "doc" || kind == "sheet" || kind == "slides":
		d.Kind = "office"
		if s.previews != nil && s.previews.Office() {
			return nil // shown as pages (fillPages)
		}
		d.R.TextOnly = s.previews != nil
		if s.texts != nil {
			text, ok, err := s.texts.Text(ctx, d.File.Hash, previewBytes)
			if err != nil {
				s.log.Warn("extracted text", "path", d.File.Path, "err", err)
			} else if ok {
				d.Text, d.Kind = text, "text"
			}
		}
		return nil
	}
	d.Kind = "none"
	return nil
}

func (s *Server) readText(ctx context.Context, who acl.Principal, p string) (string, bool, error) {
	f, err := s.repo.History.Open(ctx, who, p, 0)
	if err != nil {
		return "", false, err
	}
	rc, err := f.Reader(ctx, 0, min(f.Version.Size, previewBytes))
	if err != nil {
		return "", false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, previewBytes))
	if err != nil {
		return "", false, err
	}
	cut := f.Version.Size > int64(len(b))
	for i := 0; cut && i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1] // do not end inside a character
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), cut, nil
}

// fillPages shows PDFs and office documents as page images and
// spreadsheets as tables, when the server renders them.
func (s *Server) fillPages(c *fiber.Ctx, who acl.Principal, d *filePage) error {
	if d.Kind == "image" && s.previews != nil && d.File.Mime != "image/svg+xml" {
		// An image the thumbnailer refused (a decompression bomb, a damaged
		// file) is not handed to the browser's decoder either.
		s.previews.Want(c.UserContext(), d.File.Hash, d.File.Mime, d.File.Name, previewWait)
		pv, ok, err := s.repo.Previews.GetPreview(c.UserContext(), d.File.Hash, "thumb")
		if err != nil {
			return err
		}
		if ok && pv.Status == repo.PreviewNone {
			d.Kind, d.R = "rendered", previewState{None: true}
		}
		return nil
	}
	if d.Kind == "text" && !strings.HasSuffix(strings.ToLower(d.File.Name), ".csv") && !strings.HasSuffix(strings.ToLower(d.File.Name), ".tsv") {
		return nil
	}
	f, err := s.repo.History.Open(c.UserContext(), who, d.File.Path, 0)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.Query("page"))
	st, err := s.fillRendered(c.UserContext(), f, c.Query("show"), page, func(what string, q url.Values) string {
		return "/" + what + "/" + escapePath(f.Node.Path) + "?" + q.Encode()
	})
	if err != nil {
		return err
	}
	if st.Pages != nil || st.Table != nil || st.Pending || st.None {
		st.TextOnly = false
		d.R, d.Kind = st, "rendered"
	}
	return nil
}
