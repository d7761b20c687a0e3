package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/backup/schedule"
	"notreasso/ui"
)

// views is the parsed templates (one set per page, each with the layout)
// and the static files with their content hashes, built once at start.
type views struct {
	pages  map[string]*template.Template
	static map[string]staticFile
	cat    *catalog
}

type staticFile struct {
	body  []byte
	hash  string
	ctype string
}

func loadViews() (*views, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}, static: map[string]staticFile{}, cat: cat}
	err = fs.WalkDir(ui.FS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(ui.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		v.static[strings.TrimPrefix(p, "static/")] = staticFile{body: b, hash: hex.EncodeToString(sum[:6]), ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	funcs := template.FuncMap{
		"asset":        v.asset,
		"icon":         v.icon,
		"pathURL":      escapePath,
		"seg":          url.PathEscape,
		"parent":       parentPath,
		"add":          func(a, b int) int { return a + b },
		"langName":     langName,
		"kindIcon":     iconFor,
		"kind":         kindClass,
		"hitKind":      kindOf,
		"int64":        func(n int) int64 { return int64(n) },
		"pv":           pv,
		"hasPrefix":    strings.HasPrefix,
		"inc":          func(i int) int { return i + 1 },
		"intakeStatus": intakeStatusOf,
		"byline":       byline,
		"marks":        v.marks,
		"cmd":          func(pg *page, id, text string) cmdBlock { return cmdBlock{pg, id, text} },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(ui.FS, "templates/layout.html", "templates/parts/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, _ := fs.Glob(ui.FS, "templates/*.html")
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || strings.HasPrefix(name, "share_") {
			continue // share-link pages have their own layout (ui.ShareTemplates)
		}
		t, err := template.Must(layout.Clone()).ParseFS(ui.FS, f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		v.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return v, nil
}

// asset is the URL of a static file, versioned by its content so it can
// be cached for a year.
func (v *views) asset(name string) string {
	return "/static/" + name + "?v=" + v.static[name].hash
}

// icon is an inline reference to a symbol of the SVG sprite.
func (v *views) icon(name string) template.HTML {
	return template.HTML(`<svg class="icon" aria-hidden="true" focusable="false"><use href="` +
		template.HTMLEscapeString(v.asset("icons.svg")) + `#` + template.HTMLEscapeString(name) + `"></use></svg>`)
}

// escapePath percent-encodes each segment of a repository path for a URL.
func escapePath(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func parentPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// page is what every template receives.
type page struct {
	L     *Locale
	User  acl.Principal
	CSRF  string
	Title string
	Nav   string // active menu entry
	Q     string // the search box's text
	Scope string // a folder page's path: the search box offers to search only there
	Flash string // a translated confirmation
	Error string // a translated error
	Path  string // the current request path, for the language switcher
	Base  string // public URL
	Admin bool
	Feed  string // the Atom feed of what the page shows, for <link rel="alternate">
	// Follow is the « Suivre par e-mail » button of a page with a feed.
	Follow *followBox
	Data   any

	backupAlert func() string // see BackupAlert
}

// BackupAlert is why the administration pages show the red backup banner
// (schedule.Alert*), or "": read only by the pages that show it.
func (p *page) BackupAlert() string {
	if p.backupAlert == nil {
		return ""
	}
	return p.backupAlert()
}

// newPage fills what every page needs from the request.
func (s *Server) newPage(c *fiber.Ctx, nav string) *page {
	p := principal(c)
	l := s.views.cat.locale(pickLanguage(c))
	pg := &page{L: l, User: p, CSRF: toString(c.Locals("csrf")), Nav: nav, Path: c.OriginalURL(),
		Base: s.cfg.PublicURL(), Admin: p.IsAdmin()}
	if p.IsAdmin() && s.backups != nil {
		ctx := c.UserContext()
		pg.backupAlert = func() string {
			st, err := s.backups.Status(ctx)
			if err != nil {
				return schedule.AlertStale
			}
			return st.Alert
		}
	}
	if k := c.Query("ok"); k != "" && validKey(k) {
		pg.Flash = l.T("ok." + k)
	}
	if k := c.Query("err"); k != "" && validKey(k) {
		pg.Error = l.T("err." + k)
		if k == "locked" {
			pg.Error = s.lockedFlash(c, l)
		}
	}
	return pg
}

func validKey(k string) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return len(k) < 40
}

// render executes a page template into the response.
func (s *Server) render(c *fiber.Ctx, status int, name string, pg *page) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	if pg.Feed != "" && pg.Follow == nil {
		pg.Follow = s.followOf(c, pg.Feed)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// serveStatic answers /static/* from the embedded files. Versioned URLs
// are immutable; others revalidate with the ETag.
func (s *Server) serveStatic(c *fiber.Ctx) error {
	f, ok := s.views.static[c.Params("*")]
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + f.hash + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == f.hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(f.body)
}

// htmlError renders an error as a page (for browsers, outside /api/).
func (s *Server) htmlError(c *fiber.Ctx, status int, code string) error {
	pg := s.newPage(c, "")
	pg.Title = pg.L.T("error.title")
	switch {
	case status == fiber.StatusNotFound:
		code = "not_found"
	case status == fiber.StatusForbidden:
		code = "forbidden"
	case !validKey(code):
		code = "generic"
	}
	pg.Data = struct {
		Status int
		Code   string
	}{status, code}
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	return s.render(c, status, "error", pg)
}
