package nextcloud

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/dav"
	"notreasso/internal/repo"
)

// Versions and trash as the mobile apps browse them (Nextcloud's
// remote.php/dav/versions and remote.php/dav/trashbin), over the same
// repository history the web pages show. Restoring adds a version or
// brings the node back; nothing here deletes for good: the retention rules
// purge, never an app.

// serveVersions answers /remote.php/dav/versions/LOGIN/versions/FILEID[/N].
func (h *Handler) serveVersions(w http.ResponseWriter, r *http.Request, p acl.Principal, rest string) error {
	kind, rest, _ := strings.Cut(rest, "/")
	idStr, numStr, _ := strings.Cut(strings.Trim(rest, "/"), "/")
	id, err := strconv.ParseInt(strings.TrimSuffix(idStr, "notreasso"), 10, 64)
	if kind != "versions" || err != nil {
		return fmt.Errorf("%w: no such versions collection", repo.ErrNotFound)
	}
	n, err := h.repo.Tree.StatID(r.Context(), p, id)
	if err != nil {
		return err
	}
	if n.Dir || n.Role < acl.Viewer {
		return fmt.Errorf("versions of %d: %w", id, repo.ErrNotFound)
	}
	base := "/remote.php/dav/versions/" + p.Login + "/versions/" + idStr
	if numStr == "" {
		if r.Method != "PROPFIND" {
			return fmt.Errorf("%w: %s on a versions collection", errMethod, r.Method)
		}
		_, vs, err := h.repo.History.Versions(r.Context(), p, n.Path)
		if err != nil {
			return err
		}
		ms := newMultistatus(w)
		ms.dir(base+"/", n.UpdatedAt)
		if r.Header.Get("Depth") != "0" {
			for _, v := range vs {
				if v.Current {
					continue // the apps list the older versions
				}
				ms.response(base+"/"+strconv.Itoa(v.Number), fileProps(v.Size, v.Mime, v.ModTime, v.Hash)+
					"<nc:version-author>"+xmlEscape(v.Author)+"</nc:version-author>"+
					"<nc:version-label>"+xmlEscape(v.Label)+"</nc:version-label>")
			}
		}
		return ms.close()
	}
	num, err := strconv.Atoi(numStr)
	if err != nil {
		return fmt.Errorf("%w: version %q", repo.ErrNotFound, numStr)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		f, err := h.repo.History.Open(r.Context(), p, n.Path, num)
		if err != nil {
			return err
		}
		// The content is opened (or, for HEAD, checked) before any header
		// is set: a missing one is an error, not a promise of bytes.
		var rc io.ReadCloser
		if r.Method == http.MethodHead {
			err = f.Check(r.Context())
		} else {
			rc, err = f.Reader(r.Context(), 0, f.Version.Size)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", f.Version.Mime)
		w.Header().Set("Content-Length", strconv.FormatInt(f.Version.Size, 10))
		w.Header().Set("ETag", `"`+f.Version.Hash+`"`)
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
		if rc == nil {
			return nil
		}
		defer rc.Close()
		_, err = io.Copy(w, rc)
		return err
	case "MOVE":
		// Destination …/versions/LOGIN/restore/target: make it current.
		if !strings.Contains(r.Header.Get("Destination"), "/remote.php/dav/versions/"+url.PathEscape(p.Login)+"/restore/") &&
			!strings.Contains(r.Header.Get("Destination"), "/remote.php/dav/versions/"+p.Login+"/restore/") {
			return fmt.Errorf("%w: a version is restored by a MOVE to …/restore/target", repo.ErrInvalid)
		}
		restored, err := h.repo.History.RestoreVersion(r.Context(), p, n.Path, num)
		if err != nil {
			return err
		}
		dav.SetOCHeaders(w.Header(), restored)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return fmt.Errorf("%w: %s on a version", errMethod, r.Method)
}

// serveTrash answers /remote.php/dav/trashbin/LOGIN/trash[/ID].
func (h *Handler) serveTrash(w http.ResponseWriter, r *http.Request, p acl.Principal, rest string) error {
	kind, item, _ := strings.Cut(rest, "/")
	item = strings.Trim(item, "/")
	if kind != "trash" {
		return fmt.Errorf("%w: no such trash collection", repo.ErrNotFound)
	}
	base := "/remote.php/dav/trashbin/" + p.Login + "/trash"
	items, err := h.repo.History.Trash(r.Context(), p)
	if err != nil {
		return err
	}
	if item == "" {
		switch r.Method {
		case "PROPFIND":
			ms := newMultistatus(w)
			ms.dir(base+"/", h.now())
			if r.Header.Get("Depth") != "0" {
				for _, it := range items {
					ms.response(trashHref(base, it), trashProps(it))
				}
			}
			return ms.close()
		case http.MethodDelete:
			return fmt.Errorf("%w: the trash is emptied by the retention rules (see the web pages' trash)", repo.ErrForbidden)
		}
		return fmt.Errorf("%w: %s on the trash", errMethod, r.Method)
	}
	id, err := strconv.ParseInt(item, 10, 64)
	var it *repo.TrashItem
	for i := range items {
		if err == nil && items[i].ID == id {
			it = &items[i]
		}
	}
	if it == nil {
		return fmt.Errorf("trash item %s: %w", item, repo.ErrNotFound)
	}
	switch r.Method {
	case "PROPFIND":
		ms := newMultistatus(w)
		ms.response(trashHref(base, *it), trashProps(*it))
		return ms.close()
	case "MOVE":
		n, err := h.repo.History.Restore(r.Context(), p, id, "")
		if err != nil {
			return err
		}
		dav.SetOCHeaders(w.Header(), n)
		w.WriteHeader(http.StatusCreated)
		return nil
	case http.MethodDelete:
		return fmt.Errorf("%w: trashed files are purged by the retention rules, not deleted by apps", repo.ErrForbidden)
	}
	return fmt.Errorf("%w: %s on a trash item", errMethod, r.Method)
}

func trashHref(base string, it repo.TrashItem) string {
	h := base + "/" + strconv.FormatInt(it.ID, 10)
	if it.Dir {
		h += "/"
	}
	return h
}

func trashProps(it repo.TrashItem) string {
	var b strings.Builder
	if it.Dir {
		b.WriteString("<d:resourcetype><d:collection/></d:resourcetype>")
	} else {
		b.WriteString(fileProps(it.Size, it.Mime, it.ModTime, it.Hash))
	}
	fmt.Fprintf(&b, "<nc:trashbin-filename>%s</nc:trashbin-filename>", xmlEscape(it.Name))
	fmt.Fprintf(&b, "<nc:trashbin-original-location>%s</nc:trashbin-original-location>", xmlEscape(strings.TrimPrefix(it.OriginalPath, "/")))
	fmt.Fprintf(&b, "<nc:trashbin-deletion-time>%d</nc:trashbin-deletion-time>", it.DeletedAt.Unix())
	fmt.Fprintf(&b, "<oc:fileid>%d</oc:fileid><oc:id>%s</oc:id>", it.ID, dav.FileID(it.Node))
	return b.String()
}

func fileProps(size int64, mime string, mod time.Time, hash string) string {
	return "<d:resourcetype/><d:getcontentlength>" + strconv.FormatInt(size, 10) + "</d:getcontentlength>" +
		"<d:getcontenttype>" + xmlEscape(mime) + "</d:getcontenttype>" +
		"<d:getlastmodified>" + mod.UTC().Format(http.TimeFormat) + "</d:getlastmodified>" +
		`<d:getetag>"` + hash + `"</d:getetag>`
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
