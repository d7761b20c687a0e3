package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Managing share links. The pages link holders see are in share_pages.go.
func (s *Server) shareRoutes(api fiber.Router) {
	api.Post("/shares", s.createShare)
	api.Get("/shares", s.listShares)
	api.Get("/shares/:id", s.getShare)
	api.Delete("/shares/:id", s.revokeShare)
}

type shareJSON struct {
	ID           int64      `json:"id"`
	Path         string     `json:"path"`
	Type         string     `json:"type"` // file or dir
	Kind         string     `json:"kind"` // viewer or dropbox
	Label        string     `json:"label"`
	HasPassword  bool       `json:"has_password"`
	Expires      *time.Time `json:"expires"`
	MaxDownloads int        `json:"max_downloads"`
	Downloads    int        `json:"downloads"`
	Created      time.Time  `json:"created"`
	CreatedBy    string     `json:"created_by,omitempty"`
	Revoked      *time.Time `json:"revoked"`
	LastUsed     *time.Time `json:"last_used"`
	Active       bool       `json:"active"`
	InTrash      bool       `json:"in_trash"`
	Token        string     `json:"token,omitempty"` // at creation only
	URL          string     `json:"url,omitempty"`   // at creation only
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toShareJSON(sh repo.Share) shareJSON {
	t := "file"
	if sh.Dir {
		t = "dir"
	}
	return shareJSON{ID: sh.ID, Path: sh.Path, Type: t, Kind: sh.Kind, Label: sh.Label, HasPassword: sh.HasPassword,
		Expires: timePtr(sh.ExpiresAt), MaxDownloads: sh.MaxDownloads, Downloads: sh.Downloads, Created: sh.CreatedAt,
		CreatedBy: sh.CreatedBy, Revoked: timePtr(sh.RevokedAt), LastUsed: timePtr(sh.LastUsedAt), Active: sh.Active(time.Now()),
		InTrash: sh.NodeTrashed}
}

// createShare answers the link's token and address once: only a hash of
// the token is kept.
func (s *Server) createShare(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	var req struct {
		Path         string `json:"path"`
		Kind         string `json:"kind"`
		Password     string `json:"password"`
		Expires      string `json:"expires"` // RFC 3339
		MaxDownloads int    `json:"max_downloads"`
		Label        string `json:"label"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	o := repo.ShareOptions{Kind: req.Kind, Password: req.Password, MaxDownloads: req.MaxDownloads, Label: req.Label}
	if o.Kind == "" {
		o.Kind = repo.ShareViewer
	}
	if req.Expires != "" {
		t, err := time.Parse(time.RFC3339, req.Expires)
		if err != nil {
			return fmt.Errorf("%w: expires must be an RFC 3339 time (2026-12-31T23:59:00+01:00)", errBadRequest)
		}
		o.ExpiresAt = t
	}
	sh, token, err := s.repo.Shares.CreateShare(c.UserContext(), principal(c), req.Path, o)
	if err != nil {
		return err
	}
	j := toShareJSON(sh)
	j.Token, j.URL = token, s.cfg.PublicURL()+"/s/"+token
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(j)
}

// listShares lists the links the caller manages; ?path= for one node's.
func (s *Server) listShares(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	shs, err := s.repo.Shares.Shares(c.UserContext(), principal(c), c.Query("path"))
	if err != nil {
		return err
	}
	out := make([]shareJSON, len(shs))
	for i, sh := range shs {
		out[i] = toShareJSON(sh)
	}
	return c.JSON(fiber.Map{"shares": out})
}

func shareID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("share link %q: %w", c.Params("id"), repo.ErrNotFound)
	}
	return id, nil
}

// getShare is one link with its history: creation, every use, refusals.
func (s *Server) getShare(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	id, err := shareID(c)
	if err != nil {
		return err
	}
	sh, err := s.repo.Shares.ShareByID(c.UserContext(), principal(c), id)
	if err != nil {
		return err
	}
	hist, err := s.repo.Shares.ShareHistory(c.UserContext(), principal(c), id, 200)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"share": toShareJSON(sh), "history": toEntriesJSON(hist)})
}

func (s *Server) revokeShare(c *fiber.Ctx) error {
	if err := requireUser(c); err != nil {
		return err
	}
	id, err := shareID(c)
	if err != nil {
		return err
	}
	if err := s.repo.Shares.RevokeShare(c.UserContext(), principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
