// Package nextcloud is the door for the Nextcloud and ownCloud desktop and
// mobile apps (and rclone's nextcloud vendor): status.php, the OCS
// capabilities and user endpoints, Login Flow v2, and WebDAV under
// remote.php — files (the same drive as /dav, through internal/dav),
// chunked uploads v2 into repo's upload path. A thin adapter over
// internal/repo and internal/auth; see docs/sync.md.
package nextcloud

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	"notreasso/internal/dav"
	"notreasso/internal/pwhash"
	"notreasso/internal/repo"
)

// Authenticator checks Basic credentials (auth.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, login, password string) (acl.Principal, error)
}

// Options builds a Handler.
type Options struct {
	Repo  *repo.Service
	Auth  Authenticator
	Flows FlowStore    // login flows in progress (auth.Service)
	Drive *dav.Handler // the WebDAV drive served under remote.php/dav/files/LOGIN
	// PublicURL, if set, is the address given to apps in login flows;
	// otherwise the address the request came to.
	PublicURL string
	Logger    *slog.Logger
	Now       func() time.Time // for tests; time.Now by default
}

// Handler serves the sync clients' endpoints.
type Handler struct {
	repo   *repo.Service
	auth   Authenticator
	drive  *dav.Handler
	public string
	log    *slog.Logger
	now    func() time.Time
	flows  *Flows
}

// New builds the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{repo: o.Repo, auth: o.Auth, drive: o.Drive, public: strings.TrimSuffix(o.PublicURL, "/"),
		log: o.Logger, now: o.Now}
	h.flows = &Flows{store: o.Flows}
	return h
}

// Flows is the login flows in progress, for the browser page that
// confirms them (internal/web).
func (h *Handler) Flows() *Flows { return h.flows }

// Mount registers the routes on a Fiber router. remote.php is bridged by
// internal/dav's streaming adapter, so chunk and file bodies are never
// held in memory.
func Mount(r fiber.Router, h *Handler) {
	r.Get("/status.php", h.status)
	r.Get("/:sub/status.php", h.status) // /nextcloud/status.php and other sub-paths
	r.All("/ocs/:api<regex(v[12]\\.php)>/*", h.ocs)
	for _, base := range []string{"/index.php/login/v2", "/login/v2"} {
		r.Post(base, h.startFlow)
		r.Post(base+"/poll", h.pollFlow)
	}
	r.Get(FlowV1Path, h.startFlowV1)
	// Avatars are optional for the apps: a clean 404, no login page.
	r.All("/index.php/avatar/*", notFound)
	r.All("/avatar/*", notFound)
	remote := dav.Fiber(http.HandlerFunc(h.serveRemote), h.log)
	r.All("/remote.php/*", remote)
	r.All("/remote.php", remote)
}

func notFound(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNotFound) }

// baseURL is the server's address as the app must reach it.
func (h *Handler) baseURL(c *fiber.Ctx) string {
	if h.public != "" {
		return h.public
	}
	return c.BaseURL()
}

// refusal is why credentials were not accepted, as an HTTP answer.
type refusal struct {
	status     int
	retryAfter int // seconds, for 429
	msg        string
}

// verify resolves Basic credentials (an app password, or the account's
// password where the server allows it).
func (h *Handler) verify(ctx context.Context, login, pw string, ok bool, remote string) (acl.Principal, *refusal) {
	if ok {
		p, err := h.auth.Authenticate(ctx, login, pw)
		if err == nil {
			return p, nil
		}
		var th *auth.ThrottledError
		if errors.As(err, &th) {
			return acl.Principal{}, &refusal{status: http.StatusTooManyRequests, retryAfter: th.Seconds(), msg: err.Error()}
		}
		var busy *pwhash.BusyError
		if errors.As(err, &busy) {
			// Every password-hashing slot is taken: the app retries later.
			return acl.Principal{}, &refusal{status: http.StatusServiceUnavailable, retryAfter: busy.Seconds(), msg: err.Error()}
		}
		if !errors.Is(err, auth.ErrBadCredentials) {
			h.log.Error("sync client authentication", "err", err)
			return acl.Principal{}, &refusal{status: http.StatusInternalServerError, msg: "internal error; see the server log"}
		}
		h.log.Warn("sync client login failed", "login", login, "remote", remote)
	}
	return acl.Principal{}, &refusal{status: http.StatusUnauthorized,
		msg: "authentication required: connect the app with its « Log in » button, or use an app password from My account"}
}

func (f *refusal) headers(set func(k, v string)) {
	switch f.status {
	case http.StatusUnauthorized:
		set("WWW-Authenticate", `Basic realm="Notre Asso", charset="UTF-8"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		set("Retry-After", strconv.Itoa(f.retryAfter))
	}
}

// authenticate is verify for a net/http request, answering a refusal.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (acl.Principal, bool) {
	login, pw, ok := r.BasicAuth()
	p, f := h.verify(r.Context(), login, pw, ok, r.RemoteAddr)
	if f == nil {
		return p, true
	}
	f.headers(w.Header().Set)
	http.Error(w, f.msg, f.status)
	return p, false
}

// authenticateFiber is verify for a Fiber request; a refusal is answered
// and reported as false.
func (h *Handler) authenticateFiber(c *fiber.Ctx) (acl.Principal, bool) {
	login, pw, ok := basicAuth(c.Get(fiber.HeaderAuthorization))
	p, f := h.verify(c.UserContext(), login, pw, ok, c.IP())
	if f == nil {
		return p, true
	}
	f.headers(func(k, v string) { c.Set(k, v) })
	c.Status(f.status).SendString(f.msg)
	return p, false
}

func basicAuth(h string) (string, string, bool) {
	r := http.Request{Header: http.Header{"Authorization": {h}}}
	return r.BasicAuth()
}

// serveRemote dispatches remote.php: the files drive (current and legacy
// paths), chunked uploads, and the versions and trash the mobile apps
// browse.
func (h *Handler) serveRemote(w http.ResponseWriter, r *http.Request) {
	p, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	dav.SetPrincipal(r.Context(), p)
	path := r.URL.Path
	switch {
	case path == "/remote.php/webdav" || strings.HasPrefix(path, "/remote.php/webdav/"):
		h.drive.ServeMounted(w, r, "/remote.php/webdav", p)
	case strings.HasPrefix(path, "/remote.php/dav/files/"):
		login, _, _ := strings.Cut(strings.TrimPrefix(path, "/remote.php/dav/files/"), "/")
		if login != p.Login {
			http.Error(w, "these are another account's files; you are logged in as "+p.Login, http.StatusForbidden)
			return
		}
		h.drive.ServeMounted(w, r, "/remote.php/dav/files/"+login, p)
	case strings.HasPrefix(path, "/remote.php/dav/uploads/"):
		h.serveUploads(w, r, p)
	case strings.HasPrefix(path, "/remote.php/dav/versions/"), strings.HasPrefix(path, "/remote.php/dav/trashbin/"):
		h.serveHistory(w, r, p)
	default:
		http.NotFound(w, r)
	}
}

// serveHistory dispatches versions and trashbin, for the caller's own
// LOGIN only.
func (h *Handler) serveHistory(w http.ResponseWriter, r *http.Request, p acl.Principal) {
	kind, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/remote.php/dav/"), "/")
	login, rest, _ := strings.Cut(rest, "/")
	var err error
	switch {
	case login != p.Login:
		http.Error(w, "this is another account's history; you are logged in as "+p.Login, http.StatusForbidden)
		return
	case kind == "versions":
		err = h.serveVersions(w, r, p, rest)
	default:
		err = h.serveTrash(w, r, p, rest)
	}
	if err != nil {
		h.writeError(w, r, err)
	}
}
