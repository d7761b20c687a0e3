package web

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Form actions: each reads a small form (sent with its _csrf field),
// calls the repository, and redirects back with ?ok= or ?err= so that a
// reload never repeats it. They work without JavaScript.

// formValues returns every value of a form field (checkbox lists), at
// most maxFormItems of them.
func formValues(c *fiber.Ctx, key string) ([]string, error) {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		if s := strings.TrimSpace(string(v)); s != "" {
			if len(out) == maxFormItems {
				return nil, fmt.Errorf("%w: select at most %d items at once", errTooMany, maxFormItems)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// back redirects to the form's "back" page with a message key.
func back(c *fiber.Ctx, param, key string) error {
	u, err := url.Parse(safeNext(c.FormValue("back")))
	if err != nil {
		u = &url.URL{Path: "/browse/"}
	}
	q := u.Query()
	q.Del("ok")
	q.Del("err")
	q.Set(param, key)
	u.RawQuery = q.Encode()
	return c.Redirect(u.String(), fiber.StatusSeeOther)
}

// done turns a repository result into a redirect with its message.
func done(c *fiber.Ctx, err error, okKey string) error {
	if err != nil {
		var le *repo.LockedError
		if errors.As(err, &le) {
			return backLocked(c, le)
		}
		status, code := errorCode(err)
		if status >= 500 {
			return err
		}
		if k := nameErrorKey(err); k != "" {
			code = k // which rule the name broke
		}
		return back(c, "err", code)
	}
	return back(c, "ok", okKey)
}

// badName is the message key for a name that cannot be a single path
// segment: a slash would silently aim at another folder.
func badName(name string) string {
	switch {
	case name == "" || name == "." || name == "..":
		return "name_empty"
	case strings.ContainsAny(name, "/\\"):
		return "name_slash"
	}
	return ""
}

func (s *Server) doMkdir(c *fiber.Ctx) error {
	parent, name := c.FormValue("path"), strings.TrimSpace(c.FormValue("name"))
	if k := badName(name); k != "" {
		return back(c, "err", k)
	}
	_, err := s.repo.Tree.Mkdir(c.UserContext(), principal(c), joinChild(parent, name))
	return done(c, err, "mkdir")
}

func joinChild(parent, name string) string {
	return strings.TrimSuffix(parent, "/") + "/" + name
}

func (s *Server) doRename(c *fiber.Ctx) error {
	paths, err := formValues(c, "path")
	name := strings.TrimSpace(c.FormValue("name"))
	if err != nil || len(paths) != 1 {
		return back(c, "err", "pick_one")
	}
	if k := badName(name); k != "" {
		return back(c, "err", k)
	}
	if name == paths[0][strings.LastIndex(paths[0], "/")+1:] {
		return back(c, "err", "same_name")
	}
	_, err = s.repo.Tree.Move(c.UserContext(), principal(c), paths[0], joinChild(parentPath(paths[0]), name), false)
	return done(c, err, "renamed")
}

// doTransfer moves or copies the selection into a folder.
func (s *Server) doTransfer(copy bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		paths, err := formValues(c, "path")
		dest := strings.TrimSpace(c.FormValue("dest"))
		if err != nil {
			return done(c, err, "")
		}
		if len(paths) == 0 {
			return back(c, "err", "pick_some")
		}
		if dest == "" {
			return back(c, "err", "pick_dest")
		}
		if dest != "/" {
			dest = strings.TrimSuffix(dest, "/")
		}
		moved := 0
		for _, p := range paths {
			if !copy && parentPath(p) == dest {
				continue // already there: moving it would change nothing
			}
			moved++
			to := joinChild(dest, p[strings.LastIndex(p, "/")+1:])
			var err error
			if copy {
				_, err = s.repo.Tree.Copy(c.UserContext(), principal(c), p, to, false)
			} else {
				_, err = s.repo.Tree.Move(c.UserContext(), principal(c), p, to, false)
			}
			if err != nil {
				return done(c, err, "")
			}
		}
		switch {
		case copy:
			return back(c, "ok", "copied")
		case moved == 0:
			return back(c, "err", "same_folder")
		}
		return back(c, "ok", "moved")
	}
}

func (s *Server) doDelete(c *fiber.Ctx) error {
	paths, err := formValues(c, "path")
	if err != nil {
		return done(c, err, "")
	}
	if len(paths) == 0 {
		return back(c, "err", "pick_some")
	}
	for _, p := range paths {
		if err := s.repo.Tree.Delete(c.UserContext(), principal(c), p); err != nil {
			return done(c, err, "")
		}
	}
	if len(paths) > 1 {
		return back(c, "ok", "deleted_many")
	}
	return back(c, "ok", "deleted")
}

func (s *Server) doTags(c *fiber.Ctx) error {
	tags, err := splitList(c.FormValue("tags"), repo.MaxTags)
	if err != nil {
		return done(c, err, "")
	}
	_, err = s.repo.Tree.SetTags(c.UserContext(), principal(c), c.FormValue("path"), tags)
	return done(c, err, "tagged")
}

func (s *Server) doRestoreVersion(c *fiber.Ctx) error {
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return back(c, "err", "invalid")
	}
	_, err = s.repo.History.RestoreVersion(c.UserContext(), principal(c), c.FormValue("path"), v)
	return done(c, err, "version_restored")
}

func (s *Server) doLabelVersion(c *fiber.Ctx) error {
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil {
		return back(c, "err", "invalid")
	}
	err = s.repo.History.LabelVersion(c.UserContext(), principal(c), c.FormValue("path"), v,
		strings.TrimSpace(c.FormValue("label")), c.FormValue("pinned") != "")
	return done(c, err, "version_labelled")
}

func (s *Server) doRestoreTrash(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return back(c, "err", "invalid")
	}
	_, err = s.repo.History.Restore(c.UserContext(), principal(c), id, strings.TrimSpace(c.FormValue("to")))
	return done(c, err, "restored")
}
