package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Resumable uploads: a large file is sent in chunks appended to a spool
// file on disk (never in memory); after a network error the client asks
// for the received offset and goes on from there. The spool lives in the
// repository's spool directory, so committing renames it into a local
// blob store. Abandoned uploads expire after uploadTTL without a chunk.
//
//	POST   /api/v1/uploads             {"path","size","mtime"} → 201 {"id","offset":0,…}
//	GET    /api/v1/uploads/{id}        → {"offset"}: bytes received so far
//	PUT    /api/v1/uploads/{id}        Content-Range: bytes a-b/size, body = bytes a..b
//	POST   /api/v1/uploads/{id}/commit → the file node (201 new file, 200 new version)
//	DELETE /api/v1/uploads/{id}        cancel

// uploadChunk is what the browser sends per request.
const uploadChunk = 8 << 20

func uploadJSON(c *fiber.Ctx, status int, u repo.Upload) error {
	return c.Status(status).JSON(fiber.Map{"id": u.ID, "path": u.Path, "size": u.Size, "offset": u.Received, "chunk": uploadChunk})
}

func (s *Server) createUpload(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	var req struct {
		Path  string `json:"path"`
		Size  int64  `json:"size"`
		MTime int64  `json:"mtime"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Size < 0 {
		return fmt.Errorf("%w: size must be known", errBadRequest)
	}
	spec := repo.UploadSpec{Path: req.Path, Size: req.Size}
	if req.MTime > 0 {
		spec.ModTime = time.Unix(req.MTime, 0)
	}
	u, err := s.repo.Uploads.Create(c.UserContext(), principal(c), spec)
	if err != nil {
		return err
	}
	return uploadJSON(c, fiber.StatusCreated, u)
}

func (s *Server) getUpload(c *fiber.Ctx) error {
	u, err := s.repo.Uploads.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	return uploadJSON(c, fiber.StatusOK, u)
}

// parseContentRange reads "bytes a-b/total".
func parseContentRange(h string) (a, b, total int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, tot, found := strings.Cut(spec, "/")
	as, bs, found2 := strings.Cut(rng, "-")
	var e1, e2, e3 error
	a, e1 = strconv.ParseInt(as, 10, 64)
	b, e2 = strconv.ParseInt(bs, 10, 64)
	total, e3 = strconv.ParseInt(tot, 10, 64)
	return a, b, total, found && found2 && e1 == nil && e2 == nil && e3 == nil && a >= 0 && b >= a && b < total
}

// putChunk appends one chunk. A chunk that does not start at the received
// offset is refused with 409 and the offset, so the client can resume. A
// chunk cut by the network keeps what arrived: the next GET says where.
func (s *Server) putChunk(c *fiber.Ctx) error {
	u, err := s.repo.Uploads.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	a, b, total, ok := parseContentRange(c.Get(fiber.HeaderContentRange))
	if !ok || total != u.Size {
		return fmt.Errorf("%w: Content-Range must be \"bytes first-last/%d\"", errBadRequest, u.Size)
	}
	u, err = s.repo.Uploads.Append(c.UserContext(), principal(c), u.ID, a, requestBody(c), b-a+1)
	var off *repo.OffsetError
	switch {
	case errors.As(err, &off):
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": fiber.Map{"code": "offset", "message": err.Error()}, "offset": off.Offset})
	case errors.Is(err, repo.ErrUploadBusy):
		return c.Status(fiber.StatusConflict).JSON(apiErrorBody("busy", err.Error()))
	case err != nil:
		return err
	}
	return uploadJSON(c, fiber.StatusOK, u)
}

func (s *Server) commitUpload(c *fiber.Ctx) error {
	u, err := s.repo.Uploads.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return err
	}
	before := s.currentVersion(c, u.Path)
	n, created, err := s.repo.Uploads.Commit(c.UserContext(), principal(c), u.ID, repo.UploadCommit{Size: -1})
	if errors.Is(err, repo.ErrUploadBusy) {
		return c.Status(fiber.StatusConflict).JSON(apiErrorBody("busy", err.Error()))
	}
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	out := toJSON(n)
	out.Unchanged = !created && before != 0 && n.Version == before
	return c.Status(status).JSON(out)
}

func (s *Server) cancelUpload(c *fiber.Ctx) error {
	if err := s.repo.Uploads.Cancel(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
