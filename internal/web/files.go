package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/httplimit"
	"notreasso/internal/repo"
	"notreasso/internal/serving"
)

// nodeJSON is a file or folder in API answers.
type nodeJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	Type      string    `json:"type"` // file or dir
	Size      int64     `json:"size"`
	Mime      string    `json:"mime,omitempty"`
	ETag      string    `json:"etag"`
	Hash      string    `json:"sha256,omitempty"`
	Version   int       `json:"version,omitempty"`
	Modified  time.Time `json:"modified"`
	Updated   time.Time `json:"updated"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	Tags      []string  `json:"tags"`
	Role      string    `json:"role"`
	// Restricted: « accès restreint » (docs/permissions.md).
	Restricted bool `json:"restricted,omitempty"`
	// DroppedBy: the name a drop-box visitor gave for the last change.
	DroppedBy string `json:"dropped_by,omitempty"`
	// MailFrom: the sender of the mail the file came from (mail intake).
	MailFrom string `json:"mail_from,omitempty"`

	Extraction *extractionJSON `json:"extraction,omitempty"` // stat only

	// Unchanged: an upload whose bytes were those of the current version,
	// so no version was added (uploads only).
	Unchanged bool `json:"unchanged,omitempty"`
}

// extractionJSON says whether a file's text could be indexed, and why not.
type extractionJSON struct {
	Status    string `json:"status"` // pending, ok, empty, unsupported, failed
	Reason    string `json:"reason,omitempty"`
	Lang      string `json:"lang,omitempty"`
	Chars     int64  `json:"chars"` // bytes of UTF-8 text indexed
	Extractor string `json:"extractor,omitempty"`
	Truncated bool   `json:"truncated,omitempty"` // the text stopped at the limit: the end is not searchable
}

func toJSON(n repo.Node) nodeJSON {
	t := "file"
	if n.Dir {
		t = "dir"
	}
	tags := n.Tags
	if tags == nil {
		tags = []string{}
	}
	return nodeJSON{ID: n.ID, Name: n.Name, Path: n.Path, Type: t, Size: n.Size, Mime: n.Mime, ETag: n.ETag(), Hash: n.Hash,
		Version: n.Version, Modified: n.ModTime, Updated: n.UpdatedAt, UpdatedBy: n.UpdatedBy, Tags: tags, Role: n.Role.String(),
		Restricted: n.Restricted, DroppedBy: n.DroppedBy, MailFrom: n.MailFrom}
}

// pathParam is the wildcard part of the URL, percent-decoded.
func pathParam(c *fiber.Ctx) (string, error) {
	raw := c.Params("*")
	p, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("%w: bad path encoding: %v", errBadRequest, err)
	}
	return "/" + p, nil
}

// requestBody returns the request body as a stream (see httplimit.Body):
// paced on upload routes, at most http.body_limit bytes elsewhere.
func requestBody(c *fiber.Ctx) io.Reader { return httplimit.Body(c) }

// readJSON decodes a small JSON body, reading at most 1 MiB of it.
func readJSON(c *fiber.Ctx, v any) error {
	if err := json.NewDecoder(io.LimitReader(requestBody(c), 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("%w: JSON body: %v", errBadRequest, err)
	}
	return nil
}

func (s *Server) list(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	dir, kids, err := s.repo.Tree.List(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	out := make([]nodeJSON, len(kids))
	for i, k := range kids {
		out[i] = toJSON(k)
	}
	return c.JSON(fiber.Map{"folder": toJSON(dir), "children": out})
}

func (s *Server) stat(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	n, err := s.repo.Tree.Stat(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	out := toJSON(n)
	if !n.Dir && n.Hash != "" {
		// The extraction status tells people why a document is not found by its text.
		e, ok, err := s.repo.Index.GetExtraction(c.UserContext(), n.Hash)
		if err != nil {
			return err
		}
		out.Extraction = &extractionJSON{Status: "pending"}
		if ok {
			out.Extraction = &extractionJSON{e.Status, e.Reason, e.Lang, e.Chars, e.Extractor, e.Truncated}
		}
	}
	return c.JSON(out)
}

func (s *Server) mkdir(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	var n repo.Node
	if c.Query("parents") != "" {
		n, err = s.repo.Tree.MkdirAll(c.UserContext(), principal(c), p)
	} else {
		n, err = s.repo.Tree.Mkdir(c.UserContext(), principal(c), p)
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toJSON(n))
}

// upload stores the raw request body as the file at the URL's path,
// streaming it: the body is never held in memory.
func (s *Server) upload(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	body := requestBody(c)
	size := int64(c.Request().Header.ContentLength())
	if size < 0 {
		size = -1 // chunked or read-until-close
	}
	opts := repo.PutOptions{Size: size, IfNoneMatch: c.Get(fiber.HeaderIfNoneMatch) == "*"}
	if m := c.Get(fiber.HeaderIfMatch); m != "" && m != "*" {
		opts.IfMatch = strings.Trim(m, `"`)
	}
	if mt := firstNonEmpty(c.Get("X-Mtime"), c.Get("X-OC-Mtime")); mt != "" {
		sec, err := strconv.ParseFloat(mt, 64)
		if err != nil {
			return fmt.Errorf("%w: X-Mtime must be Unix seconds", errBadRequest)
		}
		opts.ModTime = time.Unix(0, int64(sec*1e9))
	}
	before := s.currentVersion(c, p)
	n, created, err := s.repo.Tree.Put(c.UserContext(), principal(c), p, body, opts)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	c.Set(fiber.HeaderETag, strconv.Quote(n.ETag()))
	out := toJSON(n)
	out.Unchanged = !created && before != 0 && n.Version == before
	return c.Status(status).JSON(out)
}

// currentVersion is the number of a file's current version before an
// upload (0 if none), to tell the uploader when identical bytes added no
// version.
func (s *Server) currentVersion(c *fiber.Ctx, path string) int {
	n, err := s.repo.Tree.Stat(c.UserContext(), principal(c), path)
	if err != nil || n.Dir {
		return 0
	}
	return n.Version
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// download streams a file version with Range, ETag and conditional
// support. User content gets a sandboxing CSP so it can never run script
// in the application's origin.
func (s *Server) download(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	version := 0
	if v := c.Query("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return fmt.Errorf("%w: version must be a positive number", errBadRequest)
		}
	}
	f, err := s.repo.History.Open(c.UserContext(), principal(c), p, version)
	if err != nil {
		return err
	}
	return s.sendDownload(c, f)
}

// sendDownload sends a version as a download: shown in place only for
// passive types (PDF, images but SVG, plain text, media) unless
// ?download=1 asks for an attachment; sandboxed in any case (see serving).
func (s *Server) sendDownload(c *fiber.Ctx, f *repo.File) error {
	use := serving.Open
	if c.Query("download") != "" {
		use = serving.Attachment
	}
	h, _ := serving.For(f.Node.Name, f.Version.Mime, use)
	return s.sendFile(c, f, h)
}

// sendFile streams an opened file version (permission was checked when it
// was opened) with the given serving headers, honouring Range and
// conditional requests. The blob is opened before any header is set: a
// missing or altered content is an error response, never an empty body.
func (s *Server) sendFile(c *fiber.Ctx, f *repo.File, h serving.Headers) error {
	v := f.Version
	etag := strconv.Quote(v.Hash)
	notModified := false
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, v.Hash) {
		notModified = true
	}
	off, length, ranged := int64(0), v.Size, false
	if rh := c.Get(fiber.HeaderRange); rh != "" && !notModified && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		o, l, ok := parseRange(rh, v.Size)
		if !ok {
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", v.Size))
			return c.Status(fiber.StatusRequestedRangeNotSatisfiable).JSON(apiErrorBody("range_not_satisfiable", "the requested range is outside the file"))
		}
		off, length, ranged = o, l, true
	}
	var rc io.ReadCloser
	switch {
	case notModified:
	case c.Method() == fiber.MethodHead:
		if err := f.Check(c.UserContext()); err != nil {
			return err
		}
	default:
		var err error
		if rc, err = f.Reader(c.UserContext(), off, length); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderLastModified, v.ModTime.UTC().Format(http.TimeFormat))
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	h.Set(c.Set)
	if notModified {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if ranged {
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", off, off+length-1, v.Size))
		c.Status(fiber.StatusPartialContent)
	}
	if rc == nil { // HEAD
		c.Response().Header.SetContentLength(int(length))
		c.Response().SkipBody = true
		return nil
	}
	return c.SendStream(rc, int(length))
}

func apiErrorBody(code, msg string) apiError {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	return e
}

func etagMatch(header, hash string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || strings.Trim(t, `"`) == hash {
			return true
		}
	}
	return false
}

// parseRange understands one range: "bytes=a-b", "bytes=a-" or "bytes=-n".
// Multiple ranges are served as the whole file's first range's cover is not
// worth it for documents; they fall back to the first range.
func parseRange(h string, size int64) (off, length int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found {
		return 0, 0, false
	}
	spec, _, _ = strings.Cut(spec, ",")
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		n = min(n, size)
		return size - n, n, size > 0
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end := size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true
}

func (s *Server) remove(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	if err := s.repo.Tree.Delete(c.UserContext(), principal(c), p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type moveRequest struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Overwrite bool   `json:"overwrite"`
}

func (s *Server) move(c *fiber.Ctx) error {
	var req moveRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	n, err := s.repo.Tree.Move(c.UserContext(), principal(c), req.From, req.To, req.Overwrite)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(n))
}

func (s *Server) copy(c *fiber.Ctx) error {
	var req moveRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	n, err := s.repo.Tree.Copy(c.UserContext(), principal(c), req.From, req.To, req.Overwrite)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toJSON(n))
}
