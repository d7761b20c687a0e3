package web

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/storage"
)

// healthz answers as long as the process serves requests.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.version})
}

// readyz checks the database and the blob store; 503 if either fails.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ok := true
	if err := s.db.Ping(ctx); err != nil {
		checks["database"], ok = err.Error(), false
	} else {
		checks["database"] = "ok"
	}
	if err := pingStore(ctx, s.blobs); err != nil {
		checks["storage"], ok = err.Error(), false
	} else {
		checks["storage"] = "ok"
	}
	status := fiber.StatusOK
	if !ok {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(fiber.Map{"ready": ok, "checks": checks})
}

// pingStore uses the store's own Ping if it has one, else a Stat of a key
// that cannot exist: ErrNotFound proves the store answered.
func pingStore(ctx context.Context, b storage.BlobStore) error {
	if p, ok := b.(interface{ Ping(context.Context) error }); ok {
		return p.Ping(ctx)
	}
	_, err := b.Stat(ctx, "00000000000000000000000000000000")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
