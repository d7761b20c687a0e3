package web

import (
	"errors"
	"log/slog"
	"net/http"
	"notreasso/internal/errkind"
	"notreasso/internal/pwhash"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/auth"
	"notreasso/internal/httplimit"
	"notreasso/internal/repo"
	"notreasso/storage"
)

// errorCode maps an error to its HTTP status and stable API code: the one
// place where repository errors become HTTP.
func errorCode(err error) (int, string) {
	switch {
	case errors.Is(err, errkind.NotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, errkind.Forbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, errkind.Exists):
		return http.StatusConflict, "exists"
	case errors.Is(err, auth.ErrThrottled):
		return http.StatusTooManyRequests, "throttled"
	case errors.Is(err, pwhash.ErrBusy):
		return http.StatusServiceUnavailable, "busy"
	case errors.Is(err, repo.ErrExpired):
		return http.StatusGone, "expired"
	case errors.Is(err, repo.ErrNeedPassword):
		return http.StatusUnauthorized, "password_required"
	case errors.Is(err, errkind.Invalid), errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "invalid"
	case errors.Is(err, repo.ErrNotDir):
		return http.StatusConflict, "not_a_folder"
	case errors.Is(err, repo.ErrIsDir):
		return http.StatusConflict, "is_a_folder"
	case errors.Is(err, repo.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, repo.ErrLocked):
		return http.StatusLocked, "locked"
	case errors.Is(err, repo.ErrPrecondition):
		return http.StatusPreconditionFailed, "precondition_failed"
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge, "body_too_large"
	case errors.Is(err, repo.ErrContentMissing):
		return http.StatusInternalServerError, "content_missing"
	case errors.Is(err, repo.ErrContentCorrupt):
		return http.StatusInternalServerError, "content_corrupt"
	case errors.Is(err, errTooMany):
		return http.StatusBadRequest, "too_many"
	case errors.Is(err, httplimit.ErrTooSlow):
		return http.StatusRequestTimeout, "too_slow"
	case errors.Is(err, repo.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, repo.ErrIncomplete):
		return http.StatusBadRequest, "incomplete"
	case errors.Is(err, repo.ErrUnavailable):
		return http.StatusServiceUnavailable, "unavailable"
	case errors.Is(err, storage.ErrUnavailable):
		return http.StatusServiceUnavailable, "storage_unavailable"
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized, "unauthenticated"
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, "http_" + http.StatusText(fe.Code)
	}
	return http.StatusInternalServerError, "internal"
}

// storageUnavailableMessage is what people read when the blob store (the
// S3 bucket) cannot be reached.
const storageUnavailableMessage = "the document storage cannot be reached right now; nothing was changed, try again in a few minutes"

// contentMessages are the API messages of content that cannot be served.
var contentMessages = map[string]string{
	"content_missing": "the content of this file cannot be read from the storage; nothing was changed, and the server log says more",
	"content_corrupt": "the content of this file was altered in the storage and no longer matches what was saved, so it is not served; restore an earlier version or upload the file again",
}

var (
	errBadRequest      = errors.New("bad request")
	errUnauthenticated = errors.New("authentication required")
)

// apiError is the JSON shape of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		// For "locked": who holds the lock, and until when.
		Holder string     `json:"holder,omitempty"`
		Until  *time.Time `json:"until,omitempty"`
	} `json:"error"`
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	status, code := errorCode(err)
	// Throttled or too busy to check a password: answer at once and say
	// when to come back, rather than holding the connection (a flood must
	// not cost goroutines). Pages and API alike.
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(te.Seconds()))
	}
	var be *pwhash.BusyError
	if errors.As(err, &be) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(be.Seconds()))
	}
	if wantsHTML(c) {
		if status == http.StatusInternalServerError {
			s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", c.Locals("requestid"), "err", err)
		}
		// Anonymous visitors asking for something hidden are asked to log in
		// (only where identify ran: an unknown URL is simply not found).
		identified := c.Locals(identifiedKey) != nil
		if identified && (status == http.StatusUnauthorized || (status == http.StatusNotFound && principal(c).Anonymous() && c.Method() == fiber.MethodGet)) {
			return loginRedirect(c)
		}
		c.Response().ResetBody()
		return s.htmlError(c, status, code)
	}
	if status == http.StatusNotFound && principal(c).Anonymous() && isAPI(c) {
		// Nothing public here: ask the visitor to log in rather than
		// claiming the path does not exist.
		status, code, err = http.StatusUnauthorized, "unauthenticated", errUnauthenticated
	}
	var body apiError
	body.Error.Code = code
	body.Error.Message = err.Error()
	if code == "locked" {
		var le *repo.LockedError
		if body.Error.Message, le = s.lockedAPIMessage(c, err); le != nil {
			body.Error.Holder, body.Error.Until = le.Holder, &le.Until
		}
	}
	if m := nameErrorMessage(s.views.cat.locale(pickLanguage(c)), err); m != "" {
		body.Error.Message = m
	}
	switch {
	case code == "content_missing" || code == "content_corrupt":
		// Logged and counted where it was found (repo); the store's error
		// may name server paths, so people read a fixed sentence.
		body.Error.Message = contentMessages[code]
	case status == http.StatusInternalServerError:
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "request_id", c.Locals("requestid"), "err", err)
		body.Error.Message = "internal error; see the server log (request " + toString(c.Locals("requestid")) + ")"
	}
	if code == "storage_unavailable" {
		// The cause (an S3 address, a socket error) is for the log.
		s.log.Warn("storage unavailable", "method", c.Method(), "path", c.Path(), "request_id", c.Locals("requestid"), "err", err)
		body.Error.Message = storageUnavailableMessage
		c.Set(fiber.HeaderRetryAfter, "30")
	}
	if code == "unauthenticated" && c.Get(fiber.HeaderAuthorization) == "" && isAPI(c) {
		c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="Notre Asso", charset="UTF-8"`)
	}
	// Remove a half-set download's headers and body stream.
	c.Response().ResetBody()
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	c.Response().Header.Del(fiber.HeaderETag)
	return c.Status(status).JSON(body)
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func logAttrs(c *fiber.Ctx) []any {
	return []any{slog.String("method", c.Method()), slog.String("path", redactPath(c.Path())),
		slog.Any("request_id", c.Locals("requestid")), slog.String("ip", clientIPOf(c))}
}

// redactPath keeps share-link, password-reset, address-confirmation and
// unsubscribe tokens out of the logs: whoever reads logs must not be able
// to use the links.
func redactPath(p string) string {
	for _, prefix := range []string{"/s/", "/reset/", "/account/email/", "/mail/unsubscribe/"} {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		token, tail, _ := strings.Cut(rest, "/")
		if len(token) > 4 {
			token = token[:4] + "…"
		}
		if tail != "" {
			return prefix + token + "/" + tail
		}
		return prefix + token
	}
	return p
}
