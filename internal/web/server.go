// Package web is the HTTP door: the JSON API under /api/v1, health checks,
// and (as they land) the HTML pages and WebDAV. Handlers are thin: they
// parse the request, call internal/repo or internal/auth, and encode.
package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/middleware/session"

	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/dav"
	notice "notreasso/internal/mail"
	"notreasso/internal/meta"
	"notreasso/internal/nextcloud"
	"notreasso/internal/repo"
	"notreasso/storage"
	"notreasso/ui"
)

// Deps is what the server is built from.
type Deps struct {
	Config  config.Config
	DB      *meta.DB
	Repo    *repo.Service
	Auth    *auth.Service
	Blobs   storage.BlobStore
	Logger  *slog.Logger
	Version string
	// Searcher is full-text search; nil until the indexer provides it.
	Searcher Searcher
	// Texts gives extracted text for office previews; nil until then.
	Texts TextSource
	// Mail is outgoing mail; nil builds it from Config.
	Mail *notice.Service
	// Intake is the mail intake, woken when its accounts change; may be nil.
	Intake IntakeWaker
	// Previews renders thumbnails, pages and tables; nil: none.
	Previews Previewer
	// Backups is the backup scheduler (the « Sauvegardes » page); nil: no page.
	Backups Backups
}

// Server is the Fiber application and its collaborators.
type Server struct {
	app      *fiber.App
	cfg      config.Config
	db       *meta.DB
	repo     *repo.Service
	auth     *auth.Service
	blobs    storage.BlobStore
	log      *slog.Logger
	sessions *session.Store
	version  string
	proxies  []netip.Prefix     // trusted reverse proxies
	pages    *template.Template // share-link pages
	views    *views             // the web UI
	searcher Searcher
	texts    TextSource
	intake   IntakeWaker
	previews Previewer
	csrfSign csrfSigner // see csrf.go
	// uploadRoutes take file bodies without http.body_limit (limits.go).
	uploadRoutes []uploadRoute
	sync         *nextcloud.Handler // the Nextcloud/ownCloud apps' door
	mail         *notice.Service    // outgoing mail; nil if it could not start
	backups      Backups

	readyMu      sync.Mutex
	readyChecks  []readyCheck
	readyFailing map[string]bool // last state of each check, to log changes only
}

// WebDAV methods must be known to Fiber's router, or it answers 405 itself.
var methods = append(append([]string{}, fiber.DefaultMethods...),
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK")

// New builds the server and its routes. The UI's templates and catalogues
// are embedded: failing to parse them is a bug, caught by any test, so it
// panics.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, db: d.DB, repo: d.Repo, auth: d.Auth, blobs: d.Blobs, log: d.Logger, version: d.Version,
		searcher: d.Searcher, texts: d.Texts, intake: d.Intake, previews: d.Previews, backups: d.Backups}
	// Validated by config.Load; an error here leaves no proxy trusted.
	s.proxies, _ = d.Config.TrustedProxyPrefixes()
	v, err := loadViews()
	if err != nil {
		panic(fmt.Sprintf("load the web UI: %v", err))
	}
	s.views = v
	s.mail = d.Mail
	if s.mail == nil {
		m, err := notice.New(context.Background(), notice.Options{DB: d.DB, Repo: d.Repo, Auth: d.Auth, Config: d.Config, Logger: d.Logger})
		if err != nil {
			d.Logger.Error("outgoing mail unavailable", "err", err)
		}
		s.mail = m
	}
	s.pages = template.Must(ui.ShareTemplates(template.FuncMap{"asset": v.asset, "icon": v.icon,
		"add": func(a, b int) int { return a + b }, "int64": func(n int) int64 { return int64(n) }}))
	v.cat.missing = func(lang, id string, err error) {
		s.log.Error("message missing from the catalogue", "lang", lang, "id", id, "err", err)
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "Notre Asso",
		DisableStartupMessage: true,
		// Upload bodies are read as streams; BodyLimit then only bounds
		// what Fiber buffers, and handlers enforce their own limits.
		StreamRequestBody: true,
		BodyLimit:         1 << 20,
		ReadBufferSize:    16 << 10, // long cookies and WebDAV headers
		RequestMethods:    methods,
		ErrorHandler:      s.errorHandler,
		IdleTimeout:       2 * time.Minute,
	})
	s.applyLimits()
	s.sessions = session.New(session.Config{
		Storage:        auth.NewSessionStorage(d.DB),
		Expiration:     d.Config.Session.Lifetime,
		KeyLookup:      "cookie:notreasso_session",
		CookieSecure:   d.Config.SecureCookies(),
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
	})
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic in handler", append(logAttrs(c), "panic", e)...)
	}}))
	s.app.Use(requestid.New())
	s.app.Use(s.clientIP)
	s.app.Use(lockTokens)
	s.app.Use(s.logRequests)
	s.app.Use(s.observe) // Prometheus metrics per door
	s.app.Use(securityHeaders)
	s.app.Use(s.limitBodies) // before anything reads a body
	s.AddReadyCheck("database", s.db.Ping)
	s.AddReadyCheck("storage", func(ctx context.Context) error { return pingStore(ctx, s.blobs) })
	s.routes()
	return s
}

// App exposes the Fiber app (tests, and adapters that mount more routes).
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) routes() {
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	s.app.Get("/metrics", metricsHandler)
	s.app.Get("/static/*", compress.New(), s.serveStatic)

	api := s.app.Group("/api/v1", s.identify, s.csrf())
	api.Post("/login", s.csrfAlways(), s.login) // opens a session: CSRF even for anonymous callers
	api.Post("/logout", s.logout)
	api.Get("/me", s.me)
	api.Get("/list/*", s.list)
	api.Get("/list", s.list)
	api.Get("/stat/*", s.stat)
	api.Get("/files/*", s.download)
	api.Put("/files/*", s.upload)
	api.Delete("/files/*", s.remove)
	api.Post("/folders/*", s.mkdir)
	api.Post("/move", s.move)
	api.Post("/copy", s.copy)
	api.Get("/versions/*", s.versions)
	api.Patch("/versions/*", s.labelVersion)
	api.Post("/restore-version", s.restoreVersion)
	api.Get("/trash", s.trash)
	api.Post("/trash/:id/restore", s.restoreTrash)
	api.Get("/tags", s.tags)
	api.Put("/tags/*", s.setTags)
	s.accountRoutes(api)
	s.adminRoutes(api)
	s.roleRoutes(api)
	s.grantRoutes(api)
	s.shareRoutes(api)
	s.sharePages()

	drive := dav.New(dav.Options{Repo: s.repo, Auth: s.auth, Config: s.cfg.DAV, Logger: s.log})
	dav.Mount(s.app, drive)
	s.syncRoutes(drive)
	api.Get("/search", s.searchAPI)
	api.Get("/suggest", s.suggestAPI)
	api.Post("/uploads", s.createUpload)
	api.Get("/uploads/:id", s.getUpload)
	api.Put("/uploads/:id", s.putChunk)
	api.Post("/uploads/:id/commit", s.commitUpload)
	api.Delete("/uploads/:id", s.cancelUpload)
	s.uiRoutes()
	s.sharePanelRoutes()
	s.retentionRoutes(api)
	s.collectionRoutes(api)
	s.feedRoutes(api)
	s.tagRoutes(api)
	api.Get("/activity", s.activityAPI)
	s.lockRoutes(api)
}

// Listen serves on addr until ctx is cancelled, then shuts down: in-flight
// requests get up to grace to finish; unfinished uploads are then cut, and
// their spool files removed, so nothing is left half-written.
func (s *Server) Listen(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	if err := s.app.ShutdownWithTimeout(grace); err != nil {
		s.log.Warn("shutdown", "err", err)
	}
	return nil
}

func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	if id, ok := c.Locals("requestid").(string); ok {
		c.SetUserContext(WithRequestID(c.UserContext(), id))
	}
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status, _ = errorCode(err)
	}
	level := slog.LevelInfo
	if p := c.Path(); p == "/healthz" || p == "/readyz" || p == "/metrics" {
		level = slog.LevelDebug
	}
	s.log.Log(c.UserContext(), level, "request", append(logAttrs(c),
		"status", status, "took", time.Since(start), "user", loginOf(c))...)
	return err
}

// securityHeaders applies to every response; user content gets a stricter
// policy in the download handler.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
	return c.Next()
}

func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }
