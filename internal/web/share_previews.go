package web

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/preview"
	"notreasso/internal/repo"
)

// Previews on share-link pages, as the app shows them: a PDF or an office
// document as page images with page navigation, a spreadsheet or CSV as a
// table, thumbnails in a folder's listing. Every rendering is served
// through the link's own check (repo.ShareOpen, not counted as a
// download): a link reaches its subtree only, a password-protected link
// wants its password first, an expired or revoked one gives nothing.
//
// A link with a download limit shows no pages, tables or image
// thumbnails: reading a whole document on the page would be a download
// the limit does not count (its file page keeps the first page's
// thumbnail, as before).

// shareRendered fills pg with the rendered preview of a file of the link
// and reports whether there is one to show (pages, a table, or a note
// that it is being prepared or cannot be shown).
func (s *Server) shareRendered(c *fiber.Ctx, p acl.Principal, sh repo.Share, n repo.Node, rel string, pg *sharePage) (bool, error) {
	if s.previews == nil || n.Hash == "" || sh.MaxDownloads > 0 {
		return false, nil
	}
	if !preview.IsPDF(n.Mime, n.Name) && !preview.IsOffice(n.Mime, n.Name) && !preview.IsTable(n.Mime, n.Name) {
		return false, nil
	}
	ctx := c.UserContext()
	f, err := s.repo.Shares.ShareOpen(ctx, p, rel, false)
	if err != nil {
		return false, err
	}
	esc := ""
	if rel != "/" {
		esc = escapeRepoPath(rel)
	}
	base := "/s/" + pg.Token
	page, _ := strconv.Atoi(c.Query("page"))
	st, err := s.fillRendered(ctx, f, c.Query("show"), page, func(what string, q url.Values) string {
		return base + "/" + what + "/" + esc + "?" + q.Encode()
	})
	if err != nil {
		return false, err
	}
	if st.Pages == nil && st.Table == nil && !st.Pending && !st.None {
		return false, nil
	}
	if st.Pages != nil && preview.IsPDF(n.Mime, n.Name) {
		// The PDF itself, for the browser's viewer: the link's own file.
		st.Pages.PDF = pg.File.Href
	}
	reload := base + "/"
	if rel != "/" {
		reload = base + "/file/" + esc
	}
	v := pv(pg.L, st, n.Name, reload)
	pg.Rendered = &v
	return true, nil
}

// shownThumbs are the files of a listing whose thumbnails the link shows.
func shownThumbs(sh repo.Share, kids []repo.Node) []repo.Node {
	if sh.MaxDownloads == 0 {
		return kids
	}
	var out []repo.Node
	for _, k := range kids {
		if kindOf(k.Mime, k.Name) != "image" {
			out = append(out, k)
		}
	}
	return out
}

// sharePageImage serves page n of a document of the link as an image.
func (s *Server) sharePageImage(c *fiber.Ctx) error { return s.shareRenderedEndpoint(c, "page") }

// sharePDF serves the PDF made of an office document of the link.
func (s *Server) sharePDF(c *fiber.Ctx) error { return s.shareRenderedEndpoint(c, "pdf") }

func (s *Server) shareRenderedEndpoint(c *fiber.Ctx, what string) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	if sh.MaxDownloads > 0 {
		return s.shareError(c, sh, repo.ErrNotFound)
	}
	rel, err := pathParam(c)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	f, err := s.repo.Shares.ShareOpen(c.UserContext(), p, rel, false)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	return s.sendRendered(c, f, what)
}
