package web

import (
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/filetype"
	"notreasso/internal/repo"
)

// crumb is one step of the breadcrumbs.
type crumb struct {
	Name, Path string
}

func crumbsOf(p string) []crumb {
	out := []crumb{{Name: "", Path: "/"}}
	names, _ := repo.SplitPath(p)
	for i, n := range names {
		out = append(out, crumb{Name: n, Path: repo.JoinPath(names[:i+1])})
	}
	return out
}

// column is a sortable column header.
type column struct {
	Key, Label, URL, Aria string
}

type browseData struct {
	Folder  repo.Node
	Crumbs  []crumb
	Rows    []repo.Node
	Columns []column
	CanEdit bool
	Folders int
	Files   int
	MaxSize int64
	Welcome *repo.Collection     // at the root, until the person has read it all
	Marks   map[int64]repo.Marks // public, shared by link (see share.css)
	Grid    bool                 // thumbnails instead of the table (the person's choice)
	Thumbs  map[int64]string     // thumbnail URLs of the files that have one
}

var sortKeys = []string{"name", "size", "modified", "author"}

// sortNodes orders a listing; folders always come first.
func sortNodes(nodes []repo.Node, key string, desc bool) {
	less := func(a, b repo.Node) bool {
		switch key {
		case "size":
			if a.Size != b.Size {
				return a.Size < b.Size
			}
		case "modified":
			if !a.ModTime.Equal(b.ModTime) {
				return a.ModTime.Before(b.ModTime)
			}
		case "author":
			if a.UpdatedBy != b.UpdatedBy {
				return a.UpdatedBy < b.UpdatedBy
			}
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if a.Dir != b.Dir {
			return a.Dir
		}
		if desc {
			return less(b, a)
		}
		return less(a, b)
	})
}

func (s *Server) browsePage(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	who := principal(c)
	dir, kids, err := s.repo.Tree.List(c.UserContext(), who, p)
	switch {
	case errors.Is(err, repo.ErrNotDir):
		return c.Redirect("/file/"+escapePath(p), fiber.StatusSeeOther)
	case err != nil && who.Anonymous():
		return loginRedirect(c)
	case err != nil:
		return err
	}
	key, desc := c.Query("sort", "name"), c.Query("order") == "desc"
	valid := false
	for _, k := range sortKeys {
		valid = valid || k == key
	}
	if !valid {
		key = "name"
	}
	sortNodes(kids, key, desc)
	pg := s.newPage(c, "browse")
	pg.Feed = "/api/v1/feeds/all.atom"
	if dir.Path != "/" {
		pg.Feed = "/api/v1/feeds/folder/" + escapePath(dir.Path)
		pg.Scope = dir.Path
	}
	d := browseData{Folder: dir, Crumbs: crumbsOf(dir.Path), Rows: kids, CanEdit: dir.Role >= acl.Editor, MaxSize: s.cfg.MaxUpload}
	if d.Marks, err = s.repo.Tree.ChildMarks(c.UserContext(), who, dir, kids); err != nil {
		return err
	}
	if view, err := s.auth.FolderView(c.UserContext(), who.UserID); err != nil {
		return err
	} else if view == auth.ViewGrid {
		d.Grid = true
		if d.Thumbs, err = s.thumbs(c.UserContext(), kids, thumbURL); err != nil {
			return err
		}
	}
	for _, k := range kids {
		if k.Dir {
			d.Folders++
		} else {
			d.Files++
		}
	}
	for _, k := range sortKeys {
		col := column{Key: k, Label: pg.L.T("col." + k), Aria: "none"}
		q := url.Values{"sort": {k}}
		if k == key {
			col.Aria = "ascending"
			if desc {
				col.Aria = "descending"
			} else {
				q.Set("order", "desc")
			}
		}
		col.URL = "?" + q.Encode()
		d.Columns = append(d.Columns, col)
	}
	if err := s.repo.Collections.MarkOpened(c.UserContext(), who, dir.ID); err != nil {
		return err
	}
	pg.Title = dir.Name
	if dir.Path == "/" {
		pg.Title = pg.L.T("browse.root")
		if d.Welcome, err = s.repo.Collections.Welcome(c.UserContext(), who); err != nil {
			return err
		}
	}
	pg.Data = d
	return s.render(c, fiber.StatusOK, "browse", pg)
}

// iconFor names the sprite symbol for a node.
func iconFor(n repo.Node) string {
	if n.Dir {
		return "i-folder"
	}
	return "i-" + kindOf(n.Mime, n.Name)
}

// kindClass names the type icon class (t-…) of a listed node.
func kindClass(n repo.Node) string {
	if n.Dir {
		return "folder"
	}
	return kindOf(n.Mime, n.Name)
}

// kindOf names a file's icon and preview kind (pdf, doc, sheet, slides,
// image, audio, video, archive, text, file) from its filetype family.
func kindOf(mime, name string) string { return familyKind[filetype.Of(name, mime)] }

// familyKind gives each family its icon (i-…) and type class (t-…).
var familyKind = map[string]string{
	filetype.PDF: "pdf", filetype.Document: "doc", filetype.Spreadsheet: "sheet",
	filetype.Presentation: "slides", filetype.Image: "image", filetype.Audio: "audio",
	filetype.Video: "video", filetype.Archive: "archive", filetype.Text: "text",
	filetype.Email: "text", filetype.Web: "text", filetype.Other: "file",
}

// doFolderView stores how the person likes folders shown (list or grid).
func (s *Server) doFolderView(c *fiber.Ctx) error {
	who := principal(c)
	if who.Anonymous() {
		return loginRedirect(c)
	}
	view := c.FormValue("view")
	if view == "list" {
		view = auth.ViewList
	}
	if err := s.auth.SetFolderView(c.UserContext(), who.UserID, view); err != nil {
		return done(c, err, "")
	}
	u, err := url.Parse(safeNext(c.FormValue("back")))
	if err != nil {
		u = &url.URL{Path: "/browse/"}
	}
	return c.Redirect(u.String(), fiber.StatusSeeOther)
}
