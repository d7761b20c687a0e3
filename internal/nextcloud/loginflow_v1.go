package nextcloud

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Login Flow v1, the mobile apps' way: the app opens
// /index.php/login/flow in a web view of its own; the person logs in and
// confirms on the same page as for v2, and the answer is a redirect to
// nc://login/server:…&user:…&password:… that the app catches. Nothing is
// polled: the password leaves in that redirect, once.

// FlowV1Path is where the mobile apps start.
const FlowV1Path = "/index.php/login/flow"

// startFlowV1 answers GET /index.php/login/flow: a flow whose answer is a
// redirect, and the confirmation page.
func (h *Handler) startFlowV1(c *fiber.Ctx) error {
	info := describe(strings.Clone(c.Get(fiber.HeaderUserAgent))) // Fiber reuses the buffer
	info.Redirect = true
	loginToken, _, err := h.flows.start(c.UserContext(), info)
	if err != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString(err.Error())
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(FlowPath+loginToken, fiber.StatusSeeOther)
}

// Take hands over the credentials of a confirmed v1 flow, once, and
// forgets the flow.
func (f *Flows) Take(ctx context.Context, loginToken string) (login, secret string, ok bool, err error) {
	return f.store.TakeFlow(ctx, loginToken, label)
}

// AppRedirect is the address a confirmed v1 flow sends the app's web view
// to: the apps read it as it is, without URL decoding.
func (h *Handler) AppRedirect(c *fiber.Ctx, login, secret string) string {
	return "nc://login/server:" + h.baseURL(c) + "&user:" + login + "&password:" + secret
}
