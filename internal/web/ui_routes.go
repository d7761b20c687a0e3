package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

// uiRoutes registers the HTML pages and their form actions. Each route
// carries its own middleware (session, CSRF, compression for pages) rather
// than a prefix-less group, so routes mounted later (WebDAV…) never run
// through them.
func (s *Server) uiRoutes() {
	csrf, gz := s.csrf(), compress.New()
	page := func(path string, h fiber.Handler) { s.app.Get(path, s.identify, csrf, gz, h) }
	get := func(path string, h fiber.Handler) { s.app.Get(path, s.identify, csrf, h) }
	post := func(path string, h fiber.Handler) { s.app.Post(path, s.identify, csrf, h) }

	page("/", func(c *fiber.Ctx) error { return c.Redirect("/browse/", fiber.StatusSeeOther) })
	page("/login", s.loginPage)
	post("/login", s.loginForm)
	post("/logout", s.logoutForm)
	post("/lang", s.setLang)
	page("/browse/*", s.browsePage)
	page("/file/*", s.filePage)
	page("/search", s.searchPage)
	page("/trash", s.trashPage)
	page("/activity", s.activityPage)
	page("/account", s.accountPage)
	page("/admin", s.adminPage)
	page("/drive", s.drivePage)
	page("/collections", s.collectionsPage)
	page("/tags/:tag", s.tagPage)
	page("/collections/:id", s.collectionPage)
	get("/preview/*", s.preview)
	get("/thumb/*", s.thumbnail)
	get("/pdf/*", s.renderedPDF)
	get("/page/*", s.pageImage)
	post("/do/view", s.doFolderView)
	get("/zip/*", s.zipFolder)
	post("/zip", s.zipSelection)

	post("/do/mkdir", s.doMkdir)
	post("/do/rename", s.doRename)
	post("/do/move", s.doTransfer(false))
	post("/do/copy", s.doTransfer(true))
	post("/do/delete", s.doDelete)
	post("/do/tags", s.doTags)
	post("/do/restore-version", s.doRestoreVersion)
	post("/do/label-version", s.doLabelVersion)
	post("/do/restore", s.doRestoreTrash)
	post("/do/password", s.changePasswordForm)
	post("/do/users", s.adminCreateUserForm)
	post("/do/users/disable", s.adminDisableUser)
	post("/do/collections", s.doCreateCollection)
	post("/do/tag/rename", s.doTagRename)
	post("/do/feed-token", s.doFeedToken)
	post("/do/tag/color", s.doTagColor)
	post("/do/collections/:id", s.doUpdateCollection)
	post("/do/collections/:id/delete", s.doDeleteCollection)
	post("/do/collections/:id/items", s.doAddItem)
	post("/do/collections/:id/item", s.doEditItem)
	post("/do/collections/:id/read", s.doMarkRead)
	s.uiAdminRoutes(page, post)
	s.uiMailRoutes(page, post)
	s.uiRoleRoutes(page, post)
	s.uiBackupRoutes(page, get, post)
	post("/do/collections/:id/dismiss", s.doDismissWelcome)
	post("/do/collection-add", s.doAddToCollection)
}

// wantsHTML reports whether an error should be a page rather than JSON:
// a browser asking for a page outside the API.
func wantsHTML(c *fiber.Ctx) bool {
	return !isAPI(c) && !strings.HasPrefix(c.Path(), "/dav") && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
