package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

// uiRoutes registers the HTML pages and their form actions. Pages use the
// session (identify) and the CSRF middleware, which also hands templates
// the token for their forms.
func (s *Server) uiRoutes() {
	ui := s.app.Group("", s.identify, s.csrf())
	pages := ui.Group("", compress.New())
	pages.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/browse/", fiber.StatusSeeOther) })
	pages.Get("/login", s.loginPage)
	ui.Post("/login", s.loginForm)
	ui.Post("/logout", s.logoutForm)
	ui.Post("/lang", s.setLang)
	pages.Get("/browse/*", s.browsePage)
	pages.Get("/file/*", s.filePage)
	pages.Get("/search", s.searchPage)
	pages.Get("/trash", s.trashPage)
	pages.Get("/activity", s.activityPage)
	pages.Get("/account", s.accountPage)
	pages.Get("/admin", s.adminPage)
	pages.Get("/drive", s.drivePage)
	ui.Get("/preview/*", s.preview)
	ui.Get("/zip/*", s.zipFolder)
	ui.Post("/zip", s.zipSelection)

	do := ui.Group("/do")
	do.Post("/mkdir", s.doMkdir)
	do.Post("/rename", s.doRename)
	do.Post("/move", s.doTransfer(false))
	do.Post("/copy", s.doTransfer(true))
	do.Post("/delete", s.doDelete)
	do.Post("/tags", s.doTags)
	do.Post("/restore-version", s.doRestoreVersion)
	do.Post("/label-version", s.doLabelVersion)
	do.Post("/restore", s.doRestoreTrash)
	do.Post("/password", s.changePassword)
	do.Post("/users", s.adminCreateUser)
	do.Post("/users/disable", s.adminDisableUser)
}

// wantsHTML reports whether an error should be a page rather than JSON:
// a browser asking for a page outside the API.
func wantsHTML(c *fiber.Ctx) bool {
	return !isAPI(c) && !strings.HasPrefix(c.Path(), "/dav") && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
