package web

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// Atom feeds of changes: per folder, per tag, per collection and for the
// whole repository. Feed readers cannot log in: a private feed carries the
// reader's feed token in ?token=; without one, a feed shows only what is
// public.

// feedLimit is how many entries a feed carries.
const feedLimit = 50

func (s *Server) feedRoutes(api fiber.Router) {
	api.Get("/feeds/all.atom", s.feed(func(c *fiber.Ctx) (repo.FeedScope, error) { return repo.FeedScope{}, nil }))
	api.Get("/feeds/folder/*", s.feed(func(c *fiber.Ctx) (repo.FeedScope, error) {
		p, err := pathParam(c)
		return repo.FeedScope{Folder: strings.TrimSuffix(p, ".atom")}, err
	}))
	api.Get("/feeds/tag/:tag", s.feed(func(c *fiber.Ctx) (repo.FeedScope, error) {
		t, err := url.PathUnescape(strings.TrimSuffix(c.Params("tag"), ".atom"))
		return repo.FeedScope{Tag: t}, err
	}))
	api.Get("/feeds/collection/:id", s.feed(func(c *fiber.Ctx) (repo.FeedScope, error) {
		id, err := idParam(c, "id")
		return repo.FeedScope{Collection: id}, err
	}))
	api.Get("/me/feed-token", s.feedTokenInfo)
	api.Post("/me/feed-token", s.regenerateFeedToken)
}

// feedPrincipal is whom the feed is read for: the token's owner, else the
// caller (anonymous readers get public documents only).
func (s *Server) feedPrincipal(c *fiber.Ctx) (acl.Principal, error) {
	tok := c.Query("token")
	if tok == "" {
		return principal(c), nil
	}
	uid, err := s.repo.Activity.FeedTokenUser(c.UserContext(), tok)
	if err != nil {
		return acl.Principal{}, err
	}
	p, err := s.auth.Principal(c.UserContext(), uid)
	if err != nil {
		return acl.Principal{}, fmt.Errorf("feed token: %w", repo.ErrNotFound) // disabled account
	}
	return p, nil
}

func (s *Server) feed(scope func(*fiber.Ctx) (repo.FeedScope, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := s.writeFeed(c, scope)
		if c.Query("token") != "" && errors.Is(err, repo.ErrNotFound) {
			// A token holder is not asked to log in: hidden is not found.
			return c.Status(fiber.StatusNotFound).JSON(apiErrorBody("not_found", err.Error()))
		}
		return err
	}
}

func (s *Server) writeFeed(c *fiber.Ctx, scope func(*fiber.Ctx) (repo.FeedScope, error)) error {
	sc, err := scope(c)
	if err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	p, err := s.feedPrincipal(c)
	if err != nil {
		return err
	}
	title, events, err := s.repo.Activity.Feed(c.UserContext(), p, sc, feedLimit)
	if err != nil {
		return err
	}
	base := s.cfg.PublicURL()
	l := s.views.cat.locale(pickLanguage(c))
	f := &feeds.Feed{
		Title:       "Notre Asso — " + title,
		Link:        &feeds.Link{Href: base + feedHome(sc), Rel: "alternate", Type: "text/html"},
		Description: l.T("activity.intro"),
	}
	for _, e := range events {
		link := base + "/activity"
		if e.Current != "" {
			kind := "/file"
			if e.Dir {
				kind = "/browse"
			}
			link = base + kind + "/" + escapePath(e.Current)
		}
		what := l.T(e.MessageID(), "Path", e.Path, "From", e.From, "Version", e.Version)
		who := e.Actor
		if who == "" && e.Dropped {
			who = byline(l, "", true, e.Sender)
		}
		if who == "" && e.MailFrom != "" {
			who = l.T("intake.received_from", "Sender", e.MailFrom)
		}
		if who == "" {
			who = l.T("activity.system")
		}
		f.Items = append(f.Items, &feeds.Item{
			Id:          fmt.Sprintf("%s/activity#%d", base, e.Seq),
			Title:       who + " " + what,
			Link:        &feeds.Link{Href: link},
			Author:      &feeds.Author{Name: who},
			Description: l.T("feed.kind." + e.Action),
			Created:     e.At,
			Updated:     e.At,
		})
	}
	if len(events) > 0 {
		f.Updated = events[0].At
	}
	// gorilla/feeds gives every feed its link as <id> and has no rel=self:
	// the feed is written from its Atom form with both set here.
	af := (&feeds.Atom{Feed: f}).AtomFeed()
	body, err := xml.MarshalIndent(atomFeed{AtomFeed: af, ID: feedID(base, c.Path()), Links: []feeds.AtomLink{
		{Href: base + c.OriginalURL(), Rel: "self", Type: "application/atom+xml"},
		{Href: f.Link.Href, Rel: "alternate", Type: "text/html"},
	}}, "", "  ")
	if err != nil {
		return fmt.Errorf("write feed: %w", err)
	}
	out := xml.Header + string(body)
	c.Set(fiber.HeaderCacheControl, "private, max-age=60")
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	return c.SendString(out)
}

// atomFeed is gorilla's Atom feed with its own id and links: the outer
// fields hide the embedded ones of the same XML name.
type atomFeed struct {
	*feeds.AtomFeed
	ID    string           `xml:"id"`
	Links []feeds.AtomLink `xml:"link"`
}

// feedID is a feed's stable, unique Atom id: a tag: URI (RFC 4151) built
// from the public host and the feed's path (without its token), so the
// same feed keeps its id and two feeds never share one.
func feedID(base, path string) string {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	return "tag:" + host + ",2026:" + path
}

// feedHome is the page a feed's scope is shown on.
func feedHome(sc repo.FeedScope) string {
	switch {
	case sc.Folder != "" && sc.Folder != "/":
		return "/activity?folder=" + url.QueryEscape(sc.Folder)
	case sc.Tag != "":
		return "/tags/" + url.PathEscape(sc.Tag)
	case sc.Collection != 0:
		return fmt.Sprintf("/collections/%d", sc.Collection)
	}
	return "/activity"
}

func (s *Server) feedTokenInfo(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	at, err := s.repo.Activity.FeedTokenCreated(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	if at.IsZero() {
		return c.JSON(fiber.Map{"exists": false, "created": nil})
	}
	return c.JSON(fiber.Map{"exists": true, "created": at})
}

// regenerateFeedToken makes a new token (the old one stops working) and
// shows it once, with the feed addresses that use it.
func (s *Server) regenerateFeedToken(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	tok, err := s.repo.Activity.RegenerateFeedToken(c.UserContext(), principal(c))
	if err != nil {
		return err
	}
	base := s.cfg.PublicURL() + "/api/v1/feeds"
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": tok,
		"all": base + "/all.atom?token=" + tok, "folder": base + "/folder/{path}?token=" + tok,
		"tag": base + "/tag/{tag}?token=" + tok, "collection": base + "/collection/{id}?token=" + tok})
}
