package nextcloud

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
)

// Login Flow v2: the app asks for a flow, opens the browser on our page,
// where the person logs in and confirms; meanwhile the app polls, and gets
// a new app password once (and only once) the person has confirmed. The
// flows are kept by auth.Service in the database, so any server behind a
// load balancer answers the polls and the confirmation.

// flowTTL is how long a flow waits for the person, as Nextcloud's.
const flowTTL = 20 * time.Minute

// ErrNoFlow means the login link is unknown, used or expired.
var ErrNoFlow = auth.ErrNoFlow

// FlowInfo is what the confirmation page shows.
type FlowInfo = auth.Flow

// FlowStore keeps the flows in progress (auth.Service).
type FlowStore interface {
	StartFlow(ctx context.Context, f auth.Flow, ttl time.Duration) (loginToken, pollToken string, err error)
	PendingFlow(ctx context.Context, loginToken string) (auth.Flow, error)
	ApproveFlow(ctx context.Context, loginToken string, userID int64) error
	DenyFlow(ctx context.Context, loginToken string) error
	PollFlow(ctx context.Context, pollToken string, name func(auth.Flow) string) (login, secret string, ok bool, err error)
	TakeFlow(ctx context.Context, loginToken string, name func(auth.Flow) string) (login, secret string, ok bool, err error)
}

// Flows is the door to the login flows in progress, for the app's
// requests and the browser page that confirms them (internal/web).
type Flows struct{ store FlowStore }

// start opens a flow and returns the login and poll tokens.
func (f *Flows) start(ctx context.Context, info FlowInfo) (loginToken, pollToken string, err error) {
	return f.store.StartFlow(ctx, info, flowTTL)
}

// Pending describes a flow waiting for confirmation.
func (f *Flows) Pending(ctx context.Context, loginToken string) (FlowInfo, error) {
	return f.store.PendingFlow(ctx, loginToken)
}

// Approve records that p confirmed the flow; the app password, named
// after the app and the device, is made when the app collects it.
func (f *Flows) Approve(ctx context.Context, loginToken string, p acl.Principal) error {
	if p.UserID == 0 || p.Share != nil {
		return fmt.Errorf("only a logged-in account can connect an app: %w", acl.ErrForbidden)
	}
	return f.store.ApproveFlow(ctx, loginToken, p.UserID)
}

// Deny ends a flow the person refused; the app's polls then fail.
func (f *Flows) Deny(ctx context.Context, loginToken string) error {
	return f.store.DenyFlow(ctx, loginToken)
}

// poll returns the credentials once confirmed, and forgets the flow: the
// secret is handed over once.
func (f *Flows) poll(ctx context.Context, pollToken string) (login, secret string, ok bool, err error) {
	return f.store.PollFlow(ctx, pollToken, label)
}

// label names the app password in My account: the app and the device.
func label(info FlowInfo) string {
	s := info.App + " — " + info.Device
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	for utf8.RuneCountInString(s) > 100 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

var uaParens = regexp.MustCompile(`\(([^)]*)\)`)

// describe names the app and device from the User-Agent of the app's
// request, as the apps send it: « Mozilla/5.0 (Linux) mirall/3.7.3
// (Nextcloud, debian-…) », « Mozilla/5.0 (Android) Nextcloud-android/3.25 ».
func describe(ua string) FlowInfo {
	info := FlowInfo{App: "?", Device: "?"}
	lower := strings.ToLower(ua)
	switch {
	case strings.Contains(lower, "nextcloud-android"):
		info.App = "Nextcloud Android"
	case strings.Contains(lower, "nextcloud-ios"):
		info.App = "Nextcloud iOS"
	case strings.Contains(lower, "mirall") && strings.Contains(lower, "nextcloud"):
		info.App = "Nextcloud (ordinateur)"
	case strings.Contains(lower, "owncloud"):
		info.App = "ownCloud"
	case strings.Contains(lower, "rclone"):
		info.App = "rclone"
	case ua != "":
		info.App, _, _ = strings.Cut(ua, " ")
	}
	if m := uaParens.FindStringSubmatch(ua); m != nil {
		info.Device = strings.TrimSpace(m[1])
	}
	info.App, info.Device = clip(info.App, 40), clip(info.Device, 50)
	return info
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// startFlow answers POST /index.php/login/v2.
func (h *Handler) startFlow(c *fiber.Ctx) error {
	loginToken, pollToken, err := h.flows.start(c.UserContext(), describe(strings.Clone(c.Get(fiber.HeaderUserAgent)))) // Fiber reuses the buffer
	if err != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString(err.Error())
	}
	base := h.baseURL(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"poll":  fiber.Map{"token": pollToken, "endpoint": base + "/index.php/login/v2/poll"},
		"login": base + FlowPath + loginToken,
	})
}

// FlowPath is where the browser confirms a flow (served by internal/web).
const FlowPath = "/index.php/login/v2/flow/"

// pollFlow answers POST /index.php/login/v2/poll: 404 until confirmed.
func (h *Handler) pollFlow(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	login, secret, ok, err := h.flows.poll(c.UserContext(), c.FormValue("token"))
	if err != nil {
		return err
	}
	if !ok {
		return c.Status(fiber.StatusNotFound).JSON([]any{})
	}
	return c.JSON(fiber.Map{"server": h.baseURL(c), "loginName": login, "appPassword": secret})
}
