package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/preview"
	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// Previewer renders what pages show of a file (internal/preview.Worker);
// nil on a server without one: office files then show their text.
type Previewer interface {
	// Want asks for a file's renderings first and waits up to wait; it
	// reports whether they are done.
	Want(ctx context.Context, hash, mime, name string, wait time.Duration) bool
	// Office reports whether office documents are shown as pages.
	Office() bool
	// Pages reports whether PDF pages can be shown as images.
	Pages() bool
	// Page returns page n of the PDF whose content is pdf, rendering it if needed.
	Page(ctx context.Context, pdf string, n int) (repo.Preview, error)
}

// previewWait is how long a file page waits for renderings not made yet
// before it says they are being prepared.
const previewWait = 3 * time.Second

// pagesView is a document shown as page images, one at a time, with
// links to the others: a phone without a PDF viewer still reads it.
type pagesView struct {
	Page, Pages int
	Img         string // the page image's URL
	Prev, Next  string // links to the page before and after ("" at the ends)
	PDF         string // the PDF, for browsers that show one inline
	Width       int
	Height      int
}

// tableView is a spreadsheet's first rows.
type tableView struct {
	preview.Table
}

// previewState is what the page says about a file's rendering.
type previewState struct {
	Pages    *pagesView
	Table    *tableView
	Pending  bool   // not rendered yet
	None     bool   // nothing to show (corrupt, too big, timed out)
	TextOnly bool   // office file shown as its text: no LibreOffice here
	Show     string // pages or table, for spreadsheets that have both
	Thumb    string // thumbnail URL
}

// renderedView is the dot of the "rendered_preview" template
// (ui/templates/parts/preview.html), which the file page and share-link
// pages both use.
type renderedView struct {
	previewState
	L      *Locale
	Name   string // the file's name, for the page images' text
	Reload string // the page's own address (« Recharger »)
}

// pv makes a renderedView, for templates.
func pv(l *Locale, st previewState, name, reload string) renderedView {
	return renderedView{previewState: st, L: l, Name: name, Reload: reload}
}

// fillRendered fills the page's rendered previews of f: pages of a PDF or
// an office document, a table, a thumbnail. base builds a URL for one of
// the preview endpoints (what: thumb, pdf, page) of this file.
func (s *Server) fillRendered(ctx context.Context, f *repo.File, show string, pageN int, base func(what string, q url.Values) string) (previewState, error) {
	var st previewState
	if s.previews == nil {
		return st, nil
	}
	hash, mime, name := f.Version.Hash, f.Version.Mime, f.Node.Name
	pdf, office, table := preview.IsPDF(mime, name), preview.IsOffice(mime, name), preview.IsTable(mime, name)
	if !pdf && !office && !table {
		return st, nil
	}
	if (office || pdf) && !s.previews.Pages() && !table {
		return st, nil
	}
	if office && !s.previews.Office() && !table {
		st.TextOnly = true
		return st, nil
	}
	if !s.previews.Want(ctx, hash, mime, name, previewWait) {
		st.Pending = true
		return st, nil
	}
	if table {
		st.Show = "table"
		if show == "pages" && office && s.previews.Office() {
			st.Show = "pages"
		}
		if st.Show == "table" {
			pv, ok, err := s.repo.Previews.GetPreview(ctx, hash, preview.KindTable)
			if err != nil {
				return st, err
			}
			if !ok || pv.Status != repo.PreviewOK {
				st.None = true
				return st, nil
			}
			t, err := s.readTable(ctx, pv)
			if err != nil {
				s.log.Warn("table preview", "source", hash, "err", err)
				st.None = true
				return st, nil
			}
			st.Table = &tableView{t}
			return st, nil
		}
	}
	_, pages, ok, err := s.pdfOf(ctx, f)
	if err != nil {
		return st, err
	}
	if !ok {
		st.None = true
		return st, nil
	}
	n := min(max(pageN, 1), max(pages, 1))
	v := &pagesView{Page: n, Pages: pages}
	q := func(n int) url.Values {
		return url.Values{"version": {strconv.Itoa(f.Version.Number)}, "n": {strconv.Itoa(n)}}
	}
	v.Img = base("page", q(n))
	if office {
		v.PDF = base("pdf", url.Values{"version": {strconv.Itoa(f.Version.Number)}})
	} else {
		v.PDF = "/preview/" + escapePath(f.Node.Path) + "?version=" + strconv.Itoa(f.Version.Number)
	}
	link := func(n int) string {
		u := url.Values{"page": {strconv.Itoa(n)}}
		if st.Show == "pages" {
			u.Set("show", "pages")
		}
		return "?" + u.Encode()
	}
	if n > 1 {
		v.Prev = link(n - 1)
	}
	if pages > n {
		v.Next = link(n + 1)
	}
	st.Pages = v
	return st, nil
}

// pdfOf names the PDF a file's pages come from: the file itself, or the
// PDF LibreOffice made of it; and its page count.
func (s *Server) pdfOf(ctx context.Context, f *repo.File) (string, int, bool, error) {
	hash, mime, name := f.Version.Hash, f.Version.Mime, f.Node.Name
	if preview.IsPDF(mime, name) {
		pv, ok, err := s.repo.Previews.GetPreview(ctx, hash, preview.KindThumb)
		if err != nil || !ok || pv.Status != repo.PreviewOK {
			return "", 0, false, err
		}
		return hash, pv.Pages, true, nil
	}
	pv, ok, err := s.repo.Previews.GetPreview(ctx, hash, preview.KindPDF)
	if err != nil || !ok || pv.Status != repo.PreviewOK {
		return "", 0, false, err
	}
	return pv.Derived, pv.Pages, true, nil
}

// maxTableJSON bounds the table read from the store.
const maxTableJSON = 32 << 20

func (s *Server) readTable(ctx context.Context, pv repo.Preview) (preview.Table, error) {
	rc, err := s.repo.Previews.PreviewReader(ctx, pv)
	if err != nil {
		return preview.Table{}, err
	}
	defer rc.Close()
	var t preview.Table
	if err := json.NewDecoder(io.LimitReader(rc, maxTableJSON)).Decode(&t); err != nil {
		return preview.Table{}, fmt.Errorf("read table preview: %w", err)
	}
	return t, nil
}

// thumbnail serves a file's thumbnail (GET /thumb/PATH?version=N). The
// permission check is the download's: someone who may not read the file
// gets 404, as there.
func (s *Server) thumbnail(c *fiber.Ctx) error {
	return s.previewEndpoint(c, "thumb")
}

// renderedPDF serves the PDF LibreOffice made of an office document.
func (s *Server) renderedPDF(c *fiber.Ctx) error { return s.previewEndpoint(c, "pdf") }

// pageImage serves page n of a PDF or office document as an image.
func (s *Server) pageImage(c *fiber.Ctx) error { return s.previewEndpoint(c, "page") }

func (s *Server) previewEndpoint(c *fiber.Ctx, what string) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.Query("version"))
	f, err := s.repo.History.Open(c.UserContext(), principal(c), p, max(version, 0))
	if err != nil {
		return err
	}
	return s.sendRendered(c, f, what)
}

// sendRendered serves one rendering of an opened file (the caller checked
// the right to read it).
func (s *Server) sendRendered(c *fiber.Ctx, f *repo.File, what string) error {
	ctx := c.UserContext()
	if s.previews == nil {
		return fmt.Errorf("%w: no previews on this server", repo.ErrNotFound)
	}
	var pv repo.Preview
	var ok bool
	var err error
	switch what {
	case "thumb":
		pv, ok, err = s.repo.Previews.GetPreview(ctx, f.Version.Hash, preview.KindThumb)
	case "pdf":
		pv, ok, err = s.repo.Previews.GetPreview(ctx, f.Version.Hash, preview.KindPDF)
	case "page":
		src, pages, found, perr := s.pdfOf(ctx, f)
		n, _ := strconv.Atoi(c.Query("n"))
		if perr != nil || !found || n < 1 || (pages > 0 && n > pages) {
			return fmt.Errorf("%w: no such page", repo.ErrNotFound)
		}
		pv, err = s.previews.Page(ctx, src, n)
		ok = err == nil
	}
	if err != nil {
		return err
	}
	if !ok || pv.Status != repo.PreviewOK {
		return fmt.Errorf("%w: no %s preview", repo.ErrNotFound, what)
	}
	name := f.Node.Name + "." + what
	switch pv.Mime {
	case "image/jpeg":
		name += ".jpg"
	case "image/png":
		name += ".png"
	case "application/pdf":
		name += ".pdf"
	}
	h, _ := serving.For(name, pv.Mime, serving.Embed)
	etag := strconv.Quote(pv.Derived)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	h.Set(c.Set)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, pv.Derived) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	rc, err := s.repo.Previews.PreviewReader(ctx, pv)
	if err != nil {
		return err
	}
	if c.Method() == fiber.MethodHead {
		rc.Close()
		c.Response().Header.SetContentLength(int(pv.Size))
		c.Response().SkipBody = true
		return nil
	}
	return c.SendStream(rc, int(pv.Size))
}

// thumbs returns the thumbnail URLs of the files of a listing that have
// one (the others show their type's icon).
func (s *Server) thumbs(ctx context.Context, nodes []repo.Node, url func(repo.Node) string) (map[int64]string, error) {
	if s.previews == nil {
		return nil, nil
	}
	var hashes []string
	for _, n := range nodes {
		if !n.Dir && n.Hash != "" {
			hashes = append(hashes, n.Hash)
		}
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	pvs, err := s.repo.Previews.GetPreviews(ctx, hashes, preview.KindThumb)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, n := range nodes {
		if pv, ok := pvs[n.Hash]; ok && !n.Dir && pv.Status == repo.PreviewOK {
			out[n.ID] = url(n)
		}
	}
	return out, nil
}

// thumbURL is a node's thumbnail for signed-in pages; the content hash
// in the URL makes a new version a new URL.
func thumbURL(n repo.Node) string {
	return "/thumb/" + escapePath(n.Path) + "?h=" + n.Hash[:12]
}
