package nextcloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/dav"
	"notreasso/internal/repo"
)

// Chunked upload v2 (Nextcloud developer manual, « Chunked file upload »):
// MKCOL an upload folder, PUT numbered chunks into it, MOVE its .file onto
// the destination, DELETE to give up. An upload folder is a repo.Uploads
// upload named by the app, its chunks are the upload's numbered parts, and
// the MOVE is its Commit: the same path as the web UI's resumable uploads,
// streamed, whatever the size. The app resumes a cut upload by listing the
// folder's complete chunks.

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
	switch r.Method {
	case "MKCOL":
		spec := repo.UploadSpec{ID: id, Size: -1}
		if dst := r.Header.Get("Destination"); dst != "" {
			// Refuse at once an upload that could not be committed.
			path, err := h.destination(r, p, dst)
			if err != nil {
				return err
			}
			spec.Path = path
			if size, err := strconv.ParseInt(r.Header.Get("OC-Total-Length"), 10, 64); err == nil {
				spec.Size = size
			}
		}
		if _, err := h.repo.Uploads.Create(r.Context(), p, spec); err != nil {
			if errors.Is(err, repo.ErrExists) {
				return fmt.Errorf("%w: upload folder %s exists", errMethod, id)
			}
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	case http.MethodDelete:
		if err := h.repo.Uploads.Cancel(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case "PROPFIND":
		u, err := h.repo.Uploads.Get(r.Context(), p, id)
		if err != nil {
			return err
		}
		base := "/remote.php/dav/uploads/" + p.Login + "/" + id
		ms := newMultistatus(w)
		ms.dir(base+"/", u.Updated)
		if r.Header.Get("Depth") != "0" {
			for _, c := range u.Parts {
				ms.file(base+"/"+c.Name, c.Size, c.ModTime)
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
		ups, err := h.repo.Uploads.List(r.Context(), p)
		if err != nil {
			return err
		}
		for _, u := range ups {
			ms.dir(base+"/"+u.ID+"/", u.Updated)
		}
	}
	return ms.close()
}

// uploadChunk stores a chunk (PUT); chunks cannot be read back.
func (h *Handler) uploadChunk(w http.ResponseWriter, r *http.Request, p acl.Principal, id, name string) error {
	if r.Method != http.MethodPut {
		return fmt.Errorf("%w: chunks are only uploaded (PUT)", errMethod)
	}
	if err := h.repo.Uploads.PutPart(r.Context(), p, id, name, r.Body, r.ContentLength); err != nil {
		return err
	}
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
	path, err := h.destination(r, p, r.Header.Get("Destination"))
	if err != nil {
		return err
	}
	c := repo.UploadCommit{Path: path, Size: -1}
	if v := r.Header.Get("OC-Total-Length"); v != "" {
		if c.Size, err = strconv.ParseInt(v, 10, 64); err != nil || c.Size < 0 {
			return fmt.Errorf("%w: OC-Total-Length %q", repo.ErrIncomplete, v)
		}
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" {
		c.IfMatch = strings.Trim(strings.TrimPrefix(strings.TrimSpace(m), "W/"), `"`)
	}
	if v := r.Header.Get("X-OC-Mtime"); v != "" {
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%w: X-OC-Mtime must be Unix seconds", repo.ErrInvalid)
		}
		c.ModTime = time.Unix(0, int64(sec*1e9))
	}
	if v := r.Header.Get("OC-Checksum"); v != "" {
		c.Check = func(body io.Reader) (io.Reader, func() error) { return dav.CheckedBody(body, v) }
	}
	n, created, err := h.repo.Uploads.Commit(r.Context(), p, id, c)
	if err != nil {
		return err
	}
	dav.SetOCHeaders(w.Header(), n)
	if !c.ModTime.IsZero() {
		w.Header().Set("X-OC-Mtime", "accepted")
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}
