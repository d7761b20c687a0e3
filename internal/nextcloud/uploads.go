package nextcloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/dav"
	"notreasso/internal/repo"
)

// Chunked upload v2 (Nextcloud developer manual, « Chunked file upload »):
// MKCOL an upload folder, PUT numbered chunks into it, MOVE its .file onto
// the destination, DELETE to give up. Chunks are files in the spool
// directory (uploadsDir/USERID/UPLOAD/NAME), written to a temporary name
// and renamed once complete, so a cut leaves only whole chunks and the app
// resumes from them (it lists the folder). The MOVE streams the chunks in
// order through repo.Put: nothing is held in memory whatever the size.

// uploadIdle is how long an upload folder may sit unchanged before it is
// removed, as Nextcloud's (24 h).
const uploadIdle = 24 * time.Hour

// sweepEvery bounds how often stale folders are looked for.
const sweepEvery = 10 * time.Minute

var (
	uploadName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,120}$`)
	chunkName  = regexp.MustCompile(`^[0-9]{1,20}(-[0-9]{1,20})?$`)
)

// destFile keeps, in an upload folder, the destination MKCOL named.
const destFile = ".destination"

func uploadsDir(spool string) string { return filepath.Join(spool, "sync-uploads") }

// chunkStore is the upload folders on disk.
type chunkStore struct {
	dir string
	now func() time.Time
}

// folder is an upload folder's directory for the user, after checking the
// name the app chose.
func (s *chunkStore) folder(p acl.Principal, id string) (string, error) {
	if !uploadName.MatchString(id) || id == "." || id == ".." {
		return "", fmt.Errorf("%w: upload folder name %q", repo.ErrInvalidName, id)
	}
	return filepath.Join(s.dir, strconv.FormatInt(p.UserID, 10), id), nil
}

// chunk is one stored chunk.
type chunk struct {
	name string
	key  uint64 // its number (or start offset): the order of assembly
	size int64
	mod  time.Time
}

// chunks lists a folder's complete chunks in assembly order.
func (s *chunkStore) chunks(dir string) ([]chunk, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []chunk
	for _, e := range ents {
		if !chunkName.MatchString(e.Name()) {
			continue // temporary files of chunks being received
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		num, _, _ := strings.Cut(e.Name(), "-")
		key, _ := strconv.ParseUint(num, 10, 64)
		out = append(out, chunk{name: e.Name(), key: key, size: fi.Size(), mod: fi.ModTime()})
	}
	slices.SortFunc(out, func(a, b chunk) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// sweep removes upload folders idle for longer than uploadIdle.
func (s *chunkStore) sweep() {
	users, _ := os.ReadDir(s.dir)
	limit := s.now().Add(-uploadIdle)
	for _, u := range users {
		ups, _ := os.ReadDir(filepath.Join(s.dir, u.Name()))
		for _, up := range ups {
			fi, err := up.Info()
			if err == nil && fi.ModTime().Before(limit) {
				os.RemoveAll(filepath.Join(s.dir, u.Name(), up.Name()))
			}
		}
	}
}

// maybeSweep sweeps at most once per sweepEvery.
func (h *Handler) maybeSweep() {
	h.sweepMu.Lock()
	due := h.now().Sub(h.lastSweep) >= sweepEvery
	if due {
		h.lastSweep = h.now()
	}
	h.sweepMu.Unlock()
	if due {
		h.uploads.sweep()
	}
}

// SweepUploads removes stale upload folders now (called at start-up).
func (h *Handler) SweepUploads() { h.uploads.sweep() }

// serveUploads answers /remote.php/dav/uploads/LOGIN[/UPLOAD[/CHUNK]].
func (h *Handler) serveUploads(w http.ResponseWriter, r *http.Request, p acl.Principal) {
	rest := strings.TrimPrefix(r.URL.Path, "/remote.php/dav/uploads/")
	login, rest, _ := strings.Cut(rest, "/")
	if login != p.Login {
		http.Error(w, "these are another account's uploads; you are logged in as "+p.Login, http.StatusForbidden)
		return
	}
	rest = strings.Trim(rest, "/")
	id, name, _ := strings.Cut(rest, "/")
	var err error
	switch {
	case id == "" && r.Method == "PROPFIND":
		err = h.listUploads(w, r, p)
	case id == "":
		err = fmt.Errorf("%w: name an upload folder", errMethod)
	case name == "":
		err = h.uploadFolder(w, r, p, id)
	case name == ".file" && r.Method == "MOVE":
		err = h.assemble(w, r, p, id)
	default:
		err = h.uploadChunk(w, r, p, id, name)
	}
	if err != nil {
		h.writeError(w, r, err)
	}
}

var errMethod = errors.New("method not allowed here")

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := dav.StatusOf(err)
	switch {
	case errors.Is(err, errMethod):
		status = http.StatusMethodNotAllowed
	case errors.Is(err, os.ErrNotExist):
		status = http.StatusNotFound
	}
	if status == http.StatusInternalServerError {
		h.log.Error("sync upload failed", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error; see the server log", status)
		return
	}
	h.log.Debug("sync upload refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	http.Error(w, err.Error(), status)
}

// uploadFolder answers MKCOL, PROPFIND and DELETE on an upload folder.
func (h *Handler) uploadFolder(w http.ResponseWriter, r *http.Request, p acl.Principal, id string) error {
	dir, err := h.uploads.folder(p, id)
	if err != nil {
		return err
	}
	switch r.Method {
	case "MKCOL":
		h.maybeSweep()
		dest := ""
		if dst := r.Header.Get("Destination"); dst != "" {
			// Refuse at once an upload that could not be committed.
			path, err := h.destination(r, p, dst)
			if err != nil {
				return err
			}
			size, err := strconv.ParseInt(r.Header.Get("OC-Total-Length"), 10, 64)
			if err != nil {
				size = -1
			}
			if err := h.repo.Tree.CheckPut(r.Context(), p, path, size); err != nil {
				return err
			}
			dest = path
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
			return fmt.Errorf("create upload folder: %w", err)
		}
		if err := os.Mkdir(dir, 0o750); err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%w: upload folder %s exists", errMethod, id)
			}
			return fmt.Errorf("create upload folder: %w", err)
		}
		if dest != "" {
			if err := os.WriteFile(filepath.Join(dir, destFile), []byte(dest), 0o640); err != nil {
				return fmt.Errorf("create upload folder: %w", err)
			}
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case http.MethodDelete:
		if _, err := os.Stat(dir); err != nil {
			return err
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove upload folder: %w", err)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "PROPFIND":
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		base := "/remote.php/dav/uploads/" + p.Login + "/" + id
		ms := newMultistatus(w)
		ms.dir(base+"/", fi.ModTime())
		if r.Header.Get("Depth") != "0" {
			cs, err := h.uploads.chunks(dir)
			if err != nil {
				return err
			}
			for _, c := range cs {
				ms.file(base+"/"+c.name, c.size, c.mod)
			}
		}
		return ms.close()
	}
	return fmt.Errorf("%w: %s on an upload folder", errMethod, r.Method)
}

// listUploads answers PROPFIND on the user's uploads collection.
func (h *Handler) listUploads(w http.ResponseWriter, r *http.Request, p acl.Principal) error {
	base := "/remote.php/dav/uploads/" + p.Login
	ms := newMultistatus(w)
	ms.dir(base+"/", h.now())
	if r.Header.Get("Depth") == "1" {
		ents, _ := os.ReadDir(filepath.Join(h.uploads.dir, strconv.FormatInt(p.UserID, 10)))
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && e.IsDir() {
				ms.dir(base+"/"+e.Name()+"/", fi.ModTime())
			}
		}
	}
	return ms.close()
}

// uploadChunk stores a chunk (PUT); chunks cannot be read back.
func (h *Handler) uploadChunk(w http.ResponseWriter, r *http.Request, p acl.Principal, id, name string) error {
	dir, err := h.uploads.folder(p, id)
	if err != nil {
		return err
	}
	if r.Method != http.MethodPut {
		return fmt.Errorf("%w: chunks are only uploaded (PUT)", errMethod)
	}
	if !chunkName.MatchString(name) {
		return fmt.Errorf("%w: chunks are numbered (%q)", repo.ErrInvalidName, name)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("upload folder %s: %w", id, repo.ErrNotFound)
	}
	// Where the destination is known (v2), each chunk is checked against
	// the rights and the upload limit before it is received.
	if dest, err := os.ReadFile(filepath.Join(dir, destFile)); err == nil {
		cs, err := h.uploads.chunks(dir)
		if err != nil {
			return err
		}
		total := max(r.ContentLength, 0)
		for _, c := range cs {
			if c.name != name {
				total += c.size
			}
		}
		if err := h.repo.Tree.CheckPut(r.Context(), p, string(dest), total); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	n, err := io.Copy(tmp, r.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: chunk %s cut after %d bytes: %v", repo.ErrIncomplete, name, n, err)
	}
	if r.ContentLength >= 0 && n != r.ContentLength {
		return fmt.Errorf("%w: chunk %s has %d of %d bytes", repo.ErrIncomplete, name, n, r.ContentLength)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("store chunk: %w", err)
	}
	now := h.now()
	os.Chtimes(dir, now, now) // the folder is active
	w.WriteHeader(http.StatusCreated)
	return nil
}

// destination turns a MOVE's (or MKCOL's) Destination into a repository
// path: it must be under the caller's own files.
func (h *Handler) destination(r *http.Request, p acl.Principal, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: Destination %q", repo.ErrInvalid, raw)
	}
	prefix := "/remote.php/dav/files/" + p.Login + "/"
	rel, ok := strings.CutPrefix(u.Path, prefix)
	if !ok {
		return "", fmt.Errorf("%w: the Destination must be under %s", repo.ErrInvalid, prefix)
	}
	names, err := repo.SplitPath("/" + rel)
	if err != nil {
		return "", err
	}
	return repo.JoinPath(names), nil
}

// assemble answers MOVE .file: the chunks, in order, become the file.
func (h *Handler) assemble(w http.ResponseWriter, r *http.Request, p acl.Principal, id string) error {
	dir, err := h.uploads.folder(p, id)
	if err != nil {
		return err
	}
	path, err := h.destination(r, p, r.Header.Get("Destination"))
	if err != nil {
		return err
	}
	cs, err := h.uploads.chunks(dir)
	if err != nil {
		return fmt.Errorf("upload folder %s: %w", id, repo.ErrNotFound)
	}
	var total int64
	for _, c := range cs {
		total += c.size
	}
	if v := r.Header.Get("OC-Total-Length"); v != "" {
		want, err := strconv.ParseInt(v, 10, 64)
		if err != nil || want != total {
			return fmt.Errorf("%w: %d bytes received in chunks, OC-Total-Length says %s", repo.ErrIncomplete, total, v)
		}
	}
	opts := repo.PutOptions{Size: total}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" {
		opts.IfMatch = strings.Trim(strings.TrimPrefix(strings.TrimSpace(m), "W/"), `"`)
	}
	if v := r.Header.Get("X-OC-Mtime"); v != "" {
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%w: X-OC-Mtime must be Unix seconds", repo.ErrInvalid)
		}
		opts.ModTime = time.Unix(0, int64(sec*1e9))
	}
	body := io.Reader(&chunkReader{dir: dir, chunks: cs})
	defer body.(*chunkReader).Close()
	if v := r.Header.Get("OC-Checksum"); v != "" {
		body, opts.Verify = dav.CheckedBody(body, v)
	}
	n, created, err := h.repo.Tree.Put(r.Context(), p, path, body, opts)
	if err != nil {
		if errors.Is(err, dav.ErrChecksum) {
			os.RemoveAll(dir) // the chunks are wrong: start again
		}
		return err
	}
	os.RemoveAll(dir)
	dav.SetOCHeaders(w.Header(), n)
	if !opts.ModTime.IsZero() {
		w.Header().Set("X-OC-Mtime", "accepted")
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// chunkReader reads the chunks one after the other, opening each only
// when it is reached (an upload may have thousands).
type chunkReader struct {
	dir    string
	chunks []chunk
	cur    *os.File
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for {
		if c.cur == nil {
			if len(c.chunks) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(filepath.Join(c.dir, c.chunks[0].name))
			if err != nil {
				return 0, fmt.Errorf("read chunk: %w", err)
			}
			c.cur, c.chunks = f, c.chunks[1:]
		}
		n, err := c.cur.Read(p)
		if err == io.EOF {
			c.cur.Close()
			c.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *chunkReader) Close() error {
	if c.cur != nil {
		return c.cur.Close()
	}
	return nil
}
