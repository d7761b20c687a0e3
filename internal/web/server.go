// Package web is the HTTP door: the JSON API under /api/v1, health checks,
// and (as they land) the HTML pages and WebDAV. Handlers are thin: they
// parse the request, call internal/repo or internal/auth, and encode.
package web

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/middleware/session"

	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/meta"
	"notreasso/internal/repo"
	"notreasso/storage"
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
}

// WebDAV methods must be known to Fiber's router, or it answers 405 itself.
var methods = append(append([]string{}, fiber.DefaultMethods...),
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK")

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, db: d.DB, repo: d.Repo, auth: d.Auth, blobs: d.Blobs, log: d.Logger, version: d.Version}
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
	s.app.Use(s.logRequests)
	s.app.Use(securityHeaders)
	s.routes()
	return s
}

// App exposes the Fiber app (tests, and adapters that mount more routes).
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) routes() {
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	s.app.Get("/", s.home)

	api := s.app.Group("/api/v1", s.identify, s.csrf())
	api.Post("/login", s.login)
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
	s.retentionRoutes(api)
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
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status, _ = errorCode(err)
	}
	level := slog.LevelInfo
	if strings.HasPrefix(c.Path(), "/healthz") || strings.HasPrefix(c.Path(), "/readyz") {
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

func (s *Server) home(c *fiber.Ctx) error {
	c.Type("html", "utf-8")
	return c.SendString(`<!doctype html><html lang="fr"><meta charset="utf-8"><title>Notre Asso</title>
<h1>Notre Asso</h1><p>Le serveur fonctionne. L'API est sous <code>/api/v1</code>. / The server is running; the API lives under <code>/api/v1</code>.</p></html>`)
}
