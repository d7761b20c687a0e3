package nextcloud

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
)

// Login Flow v2: the app asks for a flow, opens the browser on our page,
// where the person logs in and confirms; meanwhile the app polls, and gets
// a new app password once (and only once) the person has confirmed.
// Flows live in memory for flowTTL: an app whose flow was lost to a
// restart starts another.

// flowTTL is how long a flow waits for the person, as Nextcloud's.
const flowTTL = 20 * time.Minute

// maxFlows bounds memory against anyone starting flows in a loop.
const maxFlows = 1000

// ErrNoFlow means the login link is unknown, used or expired.
var ErrNoFlow = errors.New("this connection request is unknown or has expired; start again from the app")

// FlowInfo is what the confirmation page shows.
type FlowInfo struct {
	App    string // e.g. « Nextcloud (bureau) »
	Device string // e.g. « Linux »
	// Redirect: a Login Flow v1 (mobile apps), answered by a redirect to
	// the app (Take, AppRedirect) instead of a poll.
	Redirect bool
}

type flow struct {
	FlowInfo
	pollHash [32]byte
	expires  time.Time
	// Set once confirmed: what the poll hands over.
	login, secret string
}

// Flows holds the login flows in progress.
type Flows struct {
	pw  AppPasswords
	now func() time.Time

	mu      sync.Mutex
	byLogin map[string]*flow // by the token in the browser's URL
	byPoll  map[[32]byte]string
}

func newFlows(pw AppPasswords, now func() time.Time) *Flows {
	return &Flows{pw: pw, now: now, byLogin: map[string]*flow{}, byPoll: map[[32]byte]string{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// start opens a flow and returns the login and poll tokens.
func (f *Flows) start(info FlowInfo) (loginToken, pollToken string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire()
	if len(f.byLogin) >= maxFlows {
		return "", "", errors.New("too many connection requests in progress; try again in a few minutes")
	}
	loginToken, pollToken = randomToken(), randomToken()
	fl := &flow{FlowInfo: info, pollHash: sha256.Sum256([]byte(pollToken)), expires: f.now().Add(flowTTL)}
	f.byLogin[loginToken] = fl
	f.byPoll[fl.pollHash] = loginToken
	return loginToken, pollToken, nil
}

// expire drops flows past their time; f.mu is held.
func (f *Flows) expire() {
	now := f.now()
	for tok, fl := range f.byLogin {
		if now.After(fl.expires) {
			delete(f.byPoll, fl.pollHash)
			delete(f.byLogin, tok)
		}
	}
}

func (f *Flows) get(loginToken string) (*flow, error) {
	fl, ok := f.byLogin[loginToken]
	if !ok || f.now().After(fl.expires) {
		return nil, ErrNoFlow
	}
	return fl, nil
}

// Pending describes a flow waiting for confirmation.
func (f *Flows) Pending(loginToken string) (FlowInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, err := f.get(loginToken)
	if err != nil {
		return FlowInfo{}, err
	}
	if fl.secret != "" {
		return FlowInfo{}, ErrNoFlow // already confirmed
	}
	return fl.FlowInfo, nil
}

// Approve creates the app password for p, named after the app and the
// device, and hands it to the flow's next poll.
func (f *Flows) Approve(ctx context.Context, loginToken string, p acl.Principal) error {
	if p.UserID == 0 || p.Share != nil {
		return fmt.Errorf("only a logged-in account can connect an app: %w", acl.ErrForbidden)
	}
	info, err := f.Pending(loginToken)
	if err != nil {
		return err
	}
	_, secret, err := f.pw.CreateAppPassword(ctx, p.UserID, p.UserID, label(info))
	if err != nil {
		return fmt.Errorf("create the app password: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, err := f.get(loginToken)
	if err != nil {
		return err
	}
	fl.login, fl.secret = p.Login, secret
	return nil
}

// Deny ends a flow the person refused; the app's polls then fail.
func (f *Flows) Deny(loginToken string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.byLogin[loginToken]; ok {
		delete(f.byPoll, fl.pollHash)
		delete(f.byLogin, loginToken)
	}
}

// poll returns the credentials once confirmed, and forgets the flow: the
// secret is handed over once.
func (f *Flows) poll(pollToken string) (login, secret string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok, found := f.byPoll[sha256.Sum256([]byte(pollToken))]
	if !found {
		return "", "", false
	}
	fl, err := f.get(tok)
	if err != nil || fl.secret == "" {
		return "", "", false
	}
	delete(f.byPoll, fl.pollHash)
	delete(f.byLogin, tok)
	return fl.login, fl.secret, true
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
	loginToken, pollToken, err := h.flows.start(describe(strings.Clone(c.Get(fiber.HeaderUserAgent)))) // Fiber reuses the buffer
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
	login, secret, ok := h.flows.poll(c.FormValue("token"))
	if !ok {
		return c.Status(fiber.StatusNotFound).JSON([]any{})
	}
	return c.JSON(fiber.Map{"server": h.baseURL(c), "loginName": login, "appPassword": secret})
}
