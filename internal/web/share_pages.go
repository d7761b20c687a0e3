package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// Share-link pages, under /s/{token}: a listing and downloads for viewer
// links, an upload form for drop boxes, a password form when the link has
// one. Every read and write goes through repo with the link's own
// principal (repo.ShareAccess): a link reaches its subtree and nothing else.

func (s *Server) sharePages() {
	g := s.app.Group("/s/:token", sharePageHeaders, s.csrf())
	g.Get("/", s.shareHome)
	g.Get("/browse/*", s.shareBrowse)
	g.Get("/file/*", s.shareFile)
	g.Get("/thumb/*", s.shareThumb)
	g.Get("/page/*", s.sharePageImage)
	g.Get("/pdf/*", s.sharePDF)
	g.Post("/unlock", s.shareUnlock)
	g.Post("/upload", s.shareUpload)
	g.Get("/thanks", s.shareThanks)
	s.app.Get("/site/logo", s.siteLogo)
}

// sharePageHeaders keeps link pages out of caches, search engines and
// Referer headers sent elsewhere.
func sharePageHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	return c.Next()
}

// visitorSessionLifetime bounds the session of someone who is not logged
// in and unlocked a share link's password.
const visitorSessionLifetime = 24 * time.Hour

func unlockKey(id int64) string { return fmt.Sprintf("share_unlocked_%d", id) }

// linkHolder validates the link for this request. The password is proven
// once per browser session (shareUnlock), or sent by scripts in an
// X-Share-Password header; wrong passwords count towards throttling.
func (s *Server) linkHolder(c *fiber.Ctx, password string) (acl.Principal, repo.Share, error) {
	token := c.Params("token")
	sess, err := s.sessions.Get(c)
	if err != nil {
		return acl.Principal{}, repo.Share{}, err
	}
	unlocked := func(id int64) bool { ok, _ := sess.Get(unlockKey(id)).(bool); return ok }
	if password == "" {
		password = c.Get("X-Share-Password")
	}
	ip, key := clientIPOf(c), "share:"+token
	if password != "" {
		if wait := s.auth.Throttle().Wait(ip, key); wait > 0 {
			return acl.Principal{}, repo.Share{}, &auth.ThrottledError{RetryAfter: wait}
		}
	}
	p, sh, err := s.repo.Shares.ShareAccess(c.UserContext(), token, password, unlocked)
	switch {
	case password != "" && errors.Is(err, repo.ErrNeedPassword):
		s.auth.Throttle().Fail(ip, key)
	case password != "" && err == nil:
		s.auth.Throttle().Succeed(ip, key)
	}
	return p, sh, err
}

// sharePageKeys are the words of the share-link pages, in the catalogues
// under "sharepage." (the templates read them as .T.key).
var sharePageKeys = strings.Fields("shared footer expires where name size modified empty download protected_title protected password open wrong_password dropintro files send thanks_title received more err_not_found err_expired err_throttled err_forbidden err_too_large err_invalid err_incomplete err_nofile err_internal sender sender_help preview powered")

// sharePage is what the share templates render.
type sharePage struct {
	Lang, Title, Label, Expires string
	L                           *Locale
	Site, Logo                  string        // the association's name, its logo's URL ("" if none)
	Preview                     string        // the start of a text file
	Thumb                       string        // the thumbnail of a PDF, office document or image
	Rendered                    *renderedView // pages of a document, a spreadsheet's table
	Grid                        bool          // the folder's items as tiles with thumbnails
	Image                       bool          // the file is an image shown in the page
	T                           map[string]string
	Token, CSRF, Action, Back   string
	Crumbs                      []shareCrumb
	Items                       []shareItem
	File                        *shareItem
	Message, Error              string
	Received                    []string
}

type shareCrumb struct{ Name, Href string }

type shareItem struct {
	Name, Href string
	Dir        bool
	Size       int64
	Modified   time.Time
	Thumb      string // its thumbnail's URL, when it has one
}

func (s *Server) newSharePage(c *fiber.Ctx, sh repo.Share, title string) *sharePage {
	l := s.views.cat.locale(pickLanguage(c))
	pg := &sharePage{Lang: l.Lang(), L: l, T: map[string]string{}, Title: title, Token: c.Params("token"), Site: s.cfg.Site.Name}
	for _, k := range sharePageKeys {
		pg.T[k] = l.T("sharepage." + k)
	}
	if s.cfg.Site.Logo != "" {
		pg.Logo = "/site/logo"
	}
	pg.CSRF, _ = c.Locals("csrf").(string)
	if !sh.ExpiresAt.IsZero() {
		pg.Expires = l.Date(sh.ExpiresAt)
	}
	return pg
}

// siteLogo serves the association's logo (site.logo, a file on the
// server), for the share pages.
func (s *Server) siteLogo(c *fiber.Ctx) error {
	if s.cfg.Site.Logo == "" {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set("Content-Security-Policy", serving.Sandbox)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.SendFile(s.cfg.Site.Logo)
}

func (s *Server) renderShare(c *fiber.Ctx, status int, name string, pg *sharePage) error {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, pg); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

// shareError renders what went wrong as a page, never naming anything
// the link does not reach.
func (s *Server) shareError(c *fiber.Ctx, sh repo.Share, err error) error {
	status, code := errorCode(err)
	pg := s.newSharePage(c, sh, "Notre Asso")
	if code == "password_required" {
		pg.Title, pg.Action = pg.T["protected_title"], "/s/"+pg.Token+"/unlock"
		return s.renderShare(c, status, "share_password", pg)
	}
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(te.Seconds()))
	}
	msg, ok := pg.T["err_"+code]
	if !ok {
		msg = pg.T["err_internal"]
	}
	if status >= 500 {
		s.log.Error("share link request failed", append(logAttrs(c), "err", err)...)
	}
	pg.Message, pg.Error = msg, msg
	return s.renderShare(c, status, "share_message", pg)
}

func (s *Server) shareHome(c *fiber.Ctx) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	if sh.Kind == repo.ShareDropBox {
		root, err := s.repo.Shares.ShareName(c.UserContext(), p)
		if err != nil {
			return s.shareError(c, sh, err)
		}
		pg := s.newSharePage(c, sh, root)
		pg.Action = "/s/" + pg.Token + "/upload?_csrf=" + url.QueryEscape(pg.CSRF)
		return s.renderShare(c, fiber.StatusOK, "share_dropbox", pg)
	}
	n, err := s.repo.Shares.ShareStat(c.UserContext(), p, "/")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	if n.Dir {
		return s.shareListing(c, p, sh, "/")
	}
	if sh.UsedUp() { // a file link is its download: nothing left to offer
		return s.shareError(c, sh, fmt.Errorf("share link: no downloads left: %w", repo.ErrExpired))
	}
	return s.shareFilePage(c, p, sh, n, "/")
}

// shareFilePage shows one file of a link: its name, size, date, a preview
// (the start of a text, or an image when the link has no download limit:
// showing it is downloading it) and the download button.
func (s *Server) shareFilePage(c *fiber.Ctx, p acl.Principal, sh repo.Share, n repo.Node, rel string) error {
	pg := s.newSharePage(c, sh, n.Name)
	href := "/s/" + pg.Token + "/file/"
	if rel != "/" {
		href += escapeRepoPath(rel)
	}
	pg.File = &shareItem{Name: n.Name, Href: href, Size: n.Size, Modified: n.ModTime}
	if ok, err := s.shareRendered(c, p, sh, n, rel, pg); err != nil {
		return s.shareError(c, sh, err)
	} else if ok {
		return s.renderShare(c, fiber.StatusOK, "share_file", pg)
	}
	switch kind := kindOf(n.Mime, n.Name); {
	case kind == "image" && n.Mime != "image/svg+xml" && sh.MaxDownloads == 0:
		pg.Image = true
	case kind == "text":
		f, err := s.repo.Shares.ShareOpen(c.UserContext(), p, rel, false)
		if err != nil {
			return s.shareError(c, sh, err)
		}
		rc, err := f.Reader(c.UserContext(), 0, min(f.Version.Size, 8<<10))
		if err != nil {
			return s.shareError(c, sh, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return s.shareError(c, sh, err)
		}
		pg.Preview = strings.ToValidUTF8(string(b), "")
	case s.previews != nil && n.Hash != "" && kind != "image": // an image on a counted link is not shown, even small
		// A PDF's or office document's first page, as the file page shows it.
		s.previews.Want(c.UserContext(), n.Hash, n.Mime, n.Name, previewWait)
		if pv, ok, err := s.repo.Previews.GetPreview(c.UserContext(), n.Hash, "thumb"); err == nil && ok && pv.Status == repo.PreviewOK {
			pg.Thumb = "/s/" + pg.Token + "/thumb/"
			if rel != "/" {
				pg.Thumb += escapeRepoPath(rel)
			}
		}
	}
	return s.renderShare(c, fiber.StatusOK, "share_file", pg)
}

func (s *Server) shareBrowse(c *fiber.Ctx) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	rel, err := pathParam(c)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	return s.shareListing(c, p, sh, rel)
}

func (s *Server) shareListing(c *fiber.Ctx, p acl.Principal, sh repo.Share, rel string) error {
	dir, kids, err := s.repo.Shares.ShareList(c.UserContext(), p, rel)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	root, err := s.repo.Shares.ShareStat(c.UserContext(), p, "/")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	pg := s.newSharePage(c, sh, root.Name)
	base := "/s/" + pg.Token
	pg.Crumbs = []shareCrumb{{root.Name, base + "/"}}
	if dir.Path != "/" {
		names := strings.Split(strings.TrimPrefix(dir.Path, "/"), "/")
		for i, n := range names {
			pg.Crumbs = append(pg.Crumbs, shareCrumb{n, base + "/browse/" + escapeRepoPath("/"+strings.Join(names[:i+1], "/"))})
		}
	}
	thumbs, err := s.thumbs(c.UserContext(), shownThumbs(sh, kids), func(n repo.Node) string {
		return base + "/thumb/" + escapeRepoPath(n.Path) + "?h=" + n.Hash[:12]
	})
	if err != nil {
		return s.shareError(c, sh, err)
	}
	for _, k := range kids {
		it := shareItem{Name: k.Name, Dir: k.Dir, Size: k.Size, Modified: k.ModTime, Thumb: thumbs[k.ID]}
		if k.Dir {
			it.Href = base + "/browse/" + escapeRepoPath(k.Path)
		} else {
			it.Href = base + "/file/" + escapeRepoPath(k.Path)
		}
		pg.Items = append(pg.Items, it)
		pg.Grid = pg.Grid || it.Thumb != ""
	}
	return s.renderShare(c, fiber.StatusOK, "share_folder", pg)
}

// escapeRepoPath percent-encodes each segment of a repository path.
func escapeRepoPath(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// shareFile downloads through a viewer link. A download starting at the
// first byte uses up one of the link's downloads (a PDF viewer's range
// requests for the rest do not).
func (s *Server) shareFile(c *fiber.Ctx) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	rel, err := pathParam(c)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	if rel != "/" && c.Query("download") == "" && c.Get(fiber.HeaderRange) == "" && strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		// A file opened from the folder's page: its own page, with a preview.
		n, err := s.repo.Shares.ShareStat(c.UserContext(), p, rel)
		if err != nil {
			return s.shareError(c, sh, err)
		}
		if !n.Dir {
			return s.shareFilePage(c, p, sh, n, rel)
		}
	}
	rng := c.Get(fiber.HeaderRange)
	count := c.Method() == fiber.MethodGet && (rng == "" || strings.HasPrefix(rng, "bytes=0-"))
	f, err := s.repo.Shares.ShareOpen(c.UserContext(), p, rel, count)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	return s.sendDownload(c, f)
}

func (s *Server) shareUnlock(c *fiber.Ctx) error {
	password := c.FormValue("password")
	if password == "" {
		return s.shareError(c, repo.Share{}, repo.ErrNeedPassword)
	}
	_, sh, err := s.linkHolder(c, password)
	if errors.Is(err, repo.ErrNeedPassword) {
		pg := s.newSharePage(c, sh, "")
		pg.Title, pg.Action, pg.Error = pg.T["protected_title"], "/s/"+pg.Token+"/unlock", pg.T["wrong_password"]
		return s.renderShare(c, fiber.StatusUnauthorized, "share_password", pg)
	}
	if err != nil {
		return s.shareError(c, sh, err)
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	sess.Set(unlockKey(sh.ID), true)
	if _, loggedIn := sess.Get("uid").(int64); !loggedIn {
		// A visitor's session holds only unlocked links: a day, not a month.
		sess.SetExpiry(visitorSessionLifetime)
	}
	if err := sess.Save(); err != nil {
		return err
	}
	return c.Redirect("/s/"+c.Params("token")+"/", fiber.StatusSeeOther)
}

// shareUpload receives a drop box's multipart form, streaming each file
// into the repository: nothing is buffered in memory. The page thanks the
// sender with the names they sent, never the names the files got.
func (s *Server) shareUpload(c *fiber.Ctx) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	if sh.Kind != repo.ShareDropBox {
		return s.shareError(c, sh, fmt.Errorf("this link does not accept uploads: %w", acl.ErrForbidden))
	}
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return s.shareError(c, sh, fmt.Errorf("%w: send a multipart form", errBadRequest))
	}
	mr := multipart.NewReader(requestBody(c), params["boundary"])
	var received []string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.shareError(c, sh, fmt.Errorf("%w: reading the form: %v", repo.ErrIncomplete, err))
		}
		if part.FormName() == "sender" && part.FileName() == "" {
			// « Votre nom », sent before the files (the form puts it first).
			b, _ := io.ReadAll(io.LimitReader(part, 400))
			part.Close()
			p.Share.Sender = cleanSender(string(b))
			continue
		}
		if part.FormName() != "file" || part.FileName() == "" {
			part.Close()
			continue
		}
		name := part.FileName()
		if err := s.repo.Shares.ShareDrop(c.UserContext(), p, name, part, -1); err != nil {
			return s.shareError(c, sh, err)
		}
		received = append(received, name)
	}
	if len(received) == 0 {
		pg := s.newSharePage(c, sh, "")
		pg.Title = pg.T["thanks_title"]
		pg.Message = pg.T["err_nofile"]
		pg.Error = pg.Message
		return s.renderShare(c, fiber.StatusBadRequest, "share_message", pg)
	}
	s.notifyDrop(c.UserContext(), sh, p.Share.Sender, received)
	// Post/redirect/get: reloading the thanks page must not send the
	// files again. The names sent wait in the session for that page.
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	sess.Set(receivedKey(sh.ID), strings.Join(received, "\n"))
	if err := sess.Save(); err != nil {
		return err
	}
	return c.Redirect("/s/"+c.Params("token")+"/thanks", fiber.StatusSeeOther)
}

func receivedKey(id int64) string { return fmt.Sprintf("share_received_%d", id) }

// shareThanks thanks a drop-box sender with the names they sent (once).
func (s *Server) shareThanks(c *fiber.Ctx) error {
	_, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return err
	}
	names, _ := sess.Get(receivedKey(sh.ID)).(string)
	if names == "" {
		return c.Redirect("/s/"+c.Params("token")+"/", fiber.StatusSeeOther)
	}
	pg := s.newSharePage(c, sh, "")
	pg.Title = pg.T["thanks_title"]
	pg.Message, pg.Received, pg.Back = pg.T["received"], strings.Split(names, "\n"), "/s/"+pg.Token+"/"
	return s.renderShare(c, fiber.StatusOK, "share_message", pg)
}

// cleanSender keeps a drop-box visitor's name printable and short: it is
// shown to the association as the author of what they sent.
func cleanSender(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80])
	}
	return s
}

// shareThumb serves the thumbnail of a file of a link, with the link's
// own check (ShareOpen), not counted as a download.
func (s *Server) shareThumb(c *fiber.Ctx) error {
	p, sh, err := s.linkHolder(c, "")
	if err != nil {
		return s.shareError(c, sh, err)
	}
	rel, err := pathParam(c)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	f, err := s.repo.Shares.ShareOpen(c.UserContext(), p, rel, false)
	if err != nil {
		return s.shareError(c, sh, err)
	}
	return s.sendRendered(c, f, "thumb")
}
