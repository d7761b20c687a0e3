// Package dav is the WebDAV drive: golang.org/x/net/webdav over
// internal/repo, with the parts x/net/webdav gets wrong for real clients
// done here instead — PROPFIND from one listing, atomic versioned PUT,
// COPY/MOVE as single repository operations, persistent shared and
// exclusive locks, If-header ETags. See docs/webdav.md.
package dav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"notreasso/internal/pwhash"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/net/webdav"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/config"
	"notreasso/internal/repo"
)

// Prefix is where the drive is mounted.
const Prefix = "/dav"

// Authenticator checks Basic credentials (auth.Service, which caches them).
type Authenticator interface {
	Authenticate(ctx context.Context, login, password string) (acl.Principal, error)
}

// Options builds a Handler.
type Options struct {
	Repo   *repo.Service
	Auth   Authenticator
	Config config.DAV
	Logger *slog.Logger
}

// Handler serves WebDAV under Prefix as a net/http handler.
type Handler struct {
	repo *repo.Service
	auth Authenticator
	cfg  config.DAV
	log  *slog.Logger
}

// New builds the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Config.OSJunk == "" {
		o.Config.OSJunk = "store"
	}
	if o.Config.MaxLockTimeout <= 0 {
		o.Config.MaxLockTimeout = config.Default().DAV.MaxLockTimeout
	}
	return &Handler{repo: o.Repo, auth: o.Auth, cfg: o.Config, log: o.Logger}
}

// Mount serves the drive on a Fiber router: everything under /dav, and
// OPTIONS on the server root, which Windows probes before mounting.
func Mount(r fiber.Router, h *Handler) {
	fh := Fiber(h, h.log)
	r.All(Prefix, fh)
	r.All(Prefix+"/*", fh)
	r.Options("/", fh)
}

// request is one WebDAV request being served.
type request struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	p    acl.Principal
	path string // repository path, "/" for the drive's root
	// prefix is where the drive is mounted for this request: Prefix, or
	// a sync client's /remote.php/dav/files/LOGIN (internal/nextcloud).
	prefix string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{h: h, w: w, r: r, ctx: r.Context(), prefix: Prefix}
	if r.Method == http.MethodOptions {
		rq.options()
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || (rel != "" && rel[0] != '/') {
		http.NotFound(w, r)
		return
	}
	if !rq.authenticate() {
		return
	}
	rq.serveRel(rel)
}

// ServeMounted serves a request for the same drive mounted at prefix, for
// a principal another door already authenticated (the sync clients'
// /remote.php/dav/files/LOGIN). Hrefs, Destination and If headers are
// read and written under prefix.
func (h *Handler) ServeMounted(w http.ResponseWriter, r *http.Request, prefix string, p acl.Principal) {
	rq := &request{h: h, w: w, r: r, ctx: r.Context(), prefix: prefix, p: p}
	if r.Method == http.MethodOptions {
		rq.options()
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || (rel != "" && rel[0] != '/') {
		http.NotFound(w, r)
		return
	}
	setPrincipal(rq.ctx, p)
	rq.serveRel(rel)
}

func (rq *request) serveRel(rel string) {
	// One spelling per resource (NFC, no trailing slash), so that paths
	// compare equal to lock roots and If-header tags.
	var err error
	if rq.path, err = canonical(rel); err != nil {
		rq.writeError(err)
		return
	}
	if err := rq.serve(); err != nil {
		rq.writeError(err)
	}
}

// authenticate resolves the Basic credentials. A request without any gets
// a challenge, quietly: clients always start that way.
func (rq *request) authenticate() bool {
	login, pw, ok := rq.r.BasicAuth()
	if ok {
		p, err := rq.h.auth.Authenticate(rq.ctx, login, pw)
		if err == nil {
			rq.p = p
			setPrincipal(rq.ctx, p)
			return true
		}
		var th *auth.ThrottledError
		if errors.As(err, &th) {
			// Too many wrong passwords: answer at once, without a challenge
			// that would make the client prompt again.
			rq.w.Header().Set("Retry-After", strconv.Itoa(th.Seconds()))
			rq.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rq.w.WriteHeader(http.StatusTooManyRequests)
			rq.w.Write([]byte(err.Error() + "\n"))
			return false
		}
		var busy *pwhash.BusyError
		if errors.As(err, &busy) {
			// Too many password checks at once: come back shortly.
			rq.w.Header().Set("Retry-After", strconv.Itoa(busy.Seconds()))
			rq.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rq.w.WriteHeader(http.StatusServiceUnavailable)
			rq.w.Write([]byte(err.Error() + "\n"))
			return false
		}
		if !errors.Is(err, auth.ErrBadCredentials) {
			rq.writeError(err)
			return false
		}
		rq.h.log.Warn("webdav login failed", "login", login, "remote", rq.r.RemoteAddr)
	}
	rq.w.Header().Set("WWW-Authenticate", `Basic realm="Notre Asso", charset="UTF-8"`)
	rq.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rq.w.WriteHeader(http.StatusUnauthorized)
	rq.w.Write([]byte("authentication required: log in with your Notre Asso login and password\n"))
	return false
}

func (rq *request) serve() error {
	if done, err := rq.osJunk(); done || err != nil {
		return err
	}
	switch rq.r.Method {
	case http.MethodGet, http.MethodHead:
		return rq.get()
	case http.MethodPut:
		return rq.put()
	case "PROPFIND":
		return rq.propfind()
	case "COPY", "MOVE":
		return rq.copyMove()
	case "LOCK":
		return rq.lock()
	case "UNLOCK":
		return rq.unlock()
	case http.MethodDelete:
		// Without an If header there is nothing to evaluate here: the
		// repository's delete checks the same locks in its transaction
		// (a sync app deleting thousands of files would pay twice).
		if rq.r.Header.Get("If") != "" {
			if err := rq.checkWrite(scope{Path: rq.path, Deep: true, Member: true}); err != nil {
				return err
			}
		}
		// Not delegated: x/net/webdav reads the node first only to tell a
		// missing one, which the repository's delete reports itself.
		if err := rq.h.repo.Tree.Delete(rq.ctx, rq.p, rq.path); err != nil {
			return err
		}
		rq.w.WriteHeader(http.StatusNoContent)
		return nil
	case "MKCOL":
		if err := rq.checkWrite(scope{Path: rq.path, Member: true}); err != nil {
			return err
		}
	case "PROPPATCH":
		if err := rq.checkWrite(scope{Path: rq.path}); err != nil {
			return err
		}
	default:
		return errNotAllowed
	}
	rq.delegate()
	return nil
}

// delegate hands DELETE, MKCOL and PROPPATCH to x/net/webdav, over our
// FileSystem. Locks and If headers were checked already (our lock model
// has shared locks, which x/net's LockSystem cannot express), and the
// status x/net picks for a repository error is corrected on the way out.
func (rq *request) delegate() {
	fs := &fileSystem{repo: rq.h.repo, p: rq.p}
	xh := &webdav.Handler{Prefix: rq.prefix, FileSystem: fs, LockSystem: checkedLocks{}}
	w := &remapWriter{ResponseWriter: rq.w, fs: fs}
	if rq.r.Method == "MKCOL" {
		// Sync clients read the new folder's id from the response.
		w.created = func(h http.Header) {
			if n, err := rq.h.repo.Tree.Stat(rq.ctx, rq.p, rq.path); err == nil {
				setOCHeaders(h, n)
			}
		}
	}
	// x/net/webdav decodes a PROPPATCH body whole: bound it.
	rq.r.Body = http.MaxBytesReader(w, rq.r.Body, maxXML)
	xh.ServeHTTP(w, rq.r)
}

// remapWriter replaces x/net/webdav's coarse error statuses (405 or 500
// for most failures) with the one statusOf gives the repository's error.
type remapWriter struct {
	http.ResponseWriter
	fs       *fileSystem
	replaced bool
	created  func(http.Header) // adds headers to a 201
}

func (w *remapWriter) WriteHeader(status int) {
	if status >= 400 && w.fs.err != nil {
		if s := statusOf(w.fs.err); s != status && s != http.StatusInternalServerError {
			w.replaced = true
			w.ResponseWriter.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.ResponseWriter.WriteHeader(s)
			w.ResponseWriter.Write([]byte(w.fs.err.Error() + "\n"))
			return
		}
	}
	if status == http.StatusCreated && w.created != nil {
		w.created(w.ResponseWriter.Header())
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *remapWriter) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// options answers without credentials (Windows probes before logging in)
// and without looking anything up.
func (rq *request) options() {
	h := rq.w.Header()
	h.Set("DAV", "1, 2")
	h.Set("MS-Author-Via", "DAV")
	h.Set("Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
}

// osJunk applies dav.os_junk to requests naming a macOS or Windows junk
// file: "store" lets them through; "refuse" answers 403 to writes;
// "discard" answers writes as done without storing anything. Either way
// such a file is then never found.
func (rq *request) osJunk() (done bool, err error) {
	names, err := repo.SplitPath(rq.path)
	if err != nil || len(names) == 0 || !repo.IsOSJunk(names[len(names)-1]) || rq.h.cfg.OSJunk == "store" {
		return false, nil
	}
	name := names[len(names)-1]
	switch rq.r.Method {
	case http.MethodPut, "MKCOL", "LOCK", "UNLOCK", http.MethodDelete:
	default: // reads, PROPPATCH, COPY, MOVE
		return true, fmt.Errorf("%s: %w", name, repo.ErrNotFound)
	}
	if rq.h.cfg.OSJunk == "refuse" {
		return true, fmt.Errorf("%s files are refused by this server (dav.os_junk): %w", name, repo.ErrForbidden)
	}
	switch rq.r.Method {
	case http.MethodPut, "MKCOL":
		rq.w.WriteHeader(http.StatusCreated)
	case "LOCK":
		// A lock nobody can conflict with, on a file that is not kept.
		token := "urn:uuid:00000000-0000-4000-8000-000000000000"
		rq.w.Header().Set("Lock-Token", "<"+token+">")
		writeLockDiscovery(rq.w, rq.prefix, http.StatusOK, repo.Lock{Token: token, Root: rq.path, Expires: time.Now().Add(time.Hour)})
	default:
		rq.w.WriteHeader(http.StatusNoContent)
	}
	return true, nil
}
