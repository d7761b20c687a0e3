package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"notreasso/internal/jobs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

const (
	uploadTTL    = 24 * time.Hour
	uploadPrefix = "upload-"
	uploadChunk  = 8 << 20 // what the browser sends per request
)

var uploadIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

type uploadMeta struct {
	ID      string    `json:"id"`
	Owner   int64     `json:"owner"`
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime int64     `json:"mtime,omitempty"` // Unix seconds
	Created time.Time `json:"created"`
}

// uploads keeps one lock per upload id so that chunks never interleave.
type uploads struct {
	dir   string
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (u *uploads) part(id string) string { return filepath.Join(u.dir, uploadPrefix+id+".part") }
func (u *uploads) meta(id string) string { return filepath.Join(u.dir, uploadPrefix+id+".json") }

func (u *uploads) lock(id string) (unlock func(), ok bool) {
	u.mu.Lock()
	l := u.locks[id]
	if l == nil {
		l = &sync.Mutex{}
		u.locks[id] = l
	}
	u.mu.Unlock()
	if !l.TryLock() {
		return nil, false
	}
	return l.Unlock, true
}

func (u *uploads) forget(id string) {
	os.Remove(u.part(id))
	os.Remove(u.meta(id))
	u.mu.Lock()
	delete(u.locks, id)
	u.mu.Unlock()
}

// sweep removes uploads whose last chunk is older than the TTL.
func (u *uploads) sweep(now time.Time) int {
	entries, _ := os.ReadDir(u.dir)
	n := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(strings.TrimPrefix(e.Name(), uploadPrefix), ".json")
		if !ok || !strings.HasPrefix(e.Name(), uploadPrefix) {
			continue
		}
		last := time.Time{}
		for _, f := range []string{u.part(id), u.meta(id)} {
			if st, err := os.Stat(f); err == nil && st.ModTime().After(last) {
				last = st.ModTime()
			}
		}
		if now.Sub(last) > uploadTTL {
			u.forget(id)
			n++
		}
	}
	return n
}

// Jobs is the server's background work, for the server's job runner:
// abandoned resumable uploads expire.
func (s *Server) Jobs() []jobs.Job {
	return []jobs.Job{{Name: "uploads.sweep", Every: 10 * time.Minute, Run: func(context.Context) error {
		if n := s.uploads.sweep(time.Now()); n > 0 {
			s.log.Info("expired abandoned uploads", "count", n)
		}
		return nil
	}}}
}

func (s *Server) loadUpload(c *fiber.Ctx) (uploadMeta, error) {
	var m uploadMeta
	id := c.Params("id")
	if !uploadIDRE.MatchString(id) || principal(c).Anonymous() {
		return m, fmt.Errorf("upload %q: %w", id, repo.ErrNotFound)
	}
	b, err := os.ReadFile(s.uploads.meta(id))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || m.Owner != principal(c).UserID {
		return m, fmt.Errorf("upload %s: %w", id, repo.ErrNotFound)
	}
	return m, nil
}

func (s *Server) uploadOffset(id string) int64 {
	st, err := os.Stat(s.uploads.part(id))
	if err != nil {
		return 0
	}
	return st.Size()
}

func (s *Server) uploadJSON(c *fiber.Ctx, status int, m uploadMeta) error {
	return c.Status(status).JSON(fiber.Map{"id": m.ID, "path": m.Path, "size": m.Size, "offset": s.uploadOffset(m.ID), "chunk": uploadChunk})
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
	if err := s.repo.Tree.CheckPut(c.UserContext(), principal(c), req.Path, req.Size); err != nil {
		return err
	}
	var raw [16]byte
	rand.Read(raw[:])
	m := uploadMeta{ID: hex.EncodeToString(raw[:]), Owner: principal(c).UserID, Path: req.Path, Size: req.Size, ModTime: req.MTime, Created: time.Now()}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(s.uploads.part(m.ID), nil, 0o640); err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	if err := os.WriteFile(s.uploads.meta(m.ID), b, 0o640); err != nil {
		os.Remove(s.uploads.part(m.ID))
		return fmt.Errorf("create upload: %w", err)
	}
	return s.uploadJSON(c, fiber.StatusCreated, m)
}

func (s *Server) getUpload(c *fiber.Ctx) error {
	m, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	return s.uploadJSON(c, fiber.StatusOK, m)
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
	m, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	unlock, ok := s.uploads.lock(m.ID)
	if !ok {
		return c.Status(fiber.StatusConflict).JSON(apiErrorBody("busy", "another request is writing to this upload; retry shortly"))
	}
	defer unlock()
	a, b, total, ok := parseContentRange(c.Get(fiber.HeaderContentRange))
	if !ok || total != m.Size {
		return fmt.Errorf("%w: Content-Range must be \"bytes first-last/%d\"", errBadRequest, m.Size)
	}
	off := s.uploadOffset(m.ID)
	if a != off {
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": fiber.Map{"code": "offset", "message": fmt.Sprintf("expected a chunk starting at %d", off)}, "offset": off})
	}
	f, err := os.OpenFile(s.uploads.part(m.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("upload %s: %w", m.ID, err)
	}
	body := requestBody(c)
	want := b - a + 1
	n, err := io.Copy(f, io.LimitReader(body, want))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	f.Close()
	if err == nil && n < want {
		err = fmt.Errorf("%w: received %d of %d bytes", repo.ErrIncomplete, n, want)
	}
	if err != nil {
		return fmt.Errorf("upload %s chunk at %d: %w", m.ID, a, errors.Join(repo.ErrIncomplete, err))
	}
	return s.uploadJSON(c, fiber.StatusOK, m)
}

func (s *Server) commitUpload(c *fiber.Ctx) error {
	m, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	unlock, ok := s.uploads.lock(m.ID)
	if !ok {
		return c.Status(fiber.StatusConflict).JSON(apiErrorBody("busy", "another request is writing to this upload; retry shortly"))
	}
	defer unlock()
	if off := s.uploadOffset(m.ID); off != m.Size {
		return fmt.Errorf("%w: %d of %d bytes received", repo.ErrIncomplete, off, m.Size)
	}
	opts := repo.PutOptions{Size: m.Size}
	if m.ModTime > 0 {
		opts.ModTime = time.Unix(m.ModTime, 0)
	}
	before := s.currentVersion(c, m.Path)
	// PutSpooled consumes the part file whatever happens; the upload is over.
	n, created, err := s.repo.Tree.PutSpooled(c.UserContext(), principal(c), m.Path, s.uploads.part(m.ID), opts)
	s.uploads.forget(m.ID)
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
	m, err := s.loadUpload(c)
	if err != nil {
		return err
	}
	s.uploads.forget(m.ID)
	return c.SendStatus(fiber.StatusNoContent)
}
