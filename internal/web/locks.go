package web

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/repo"
)

// Locks on the web side. The lock model is the repository's (one for every
// door): a document locked by someone's WebDAV client refuses writes made
// here (423 on the API, a sentence on the pages), and the file page shows
// the lock with « Déverrouiller » to those who may break it.

// lockTokens hands the API's Lock-Token header (`<token>`, several
// separated by commas) to the repository, which lets the lock's holder
// write with it, as WebDAV's If header does.
func lockTokens(c *fiber.Ctx) error {
	if h := c.Get("Lock-Token"); h != "" && strings.HasPrefix(c.Path(), "/api/") {
		var toks []string
		for _, t := range strings.Split(h, ",") {
			if t = strings.Trim(strings.TrimSpace(t), "<>"); t != "" {
				toks = append(toks, t)
			}
		}
		c.SetUserContext(repo.WithLockTokens(c.UserContext(), toks...))
	}
	return c.Next()
}

func (s *Server) lockRoutes(api fiber.Router) {
	api.Get("/locks/*", s.locksAPI)
	api.Delete("/locks/*", s.unlockAPI)
	s.app.Post("/do/unlock", s.identify, s.csrf(), s.doUnlock)
}

type lockJSON struct {
	Token    string    `json:"token"`
	Root     string    `json:"root"`
	Infinite bool      `json:"infinite"`
	Shared   bool      `json:"shared"`
	Holder   string    `json:"holder"`
	Until    time.Time `json:"until"`
	Mine     bool      `json:"mine"`
	CanBreak bool      `json:"can_break"`
}

// locksAPI: GET /api/v1/locks/{path}: the locks protecting the document.
func (s *Server) locksAPI(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	ls, err := s.repo.DAV.LocksOn(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	out := make([]lockJSON, len(ls))
	for i, l := range ls {
		out[i] = lockJSON{l.Token, l.Root, l.Infinite, l.Shared, l.Holder, l.Expires, l.Mine, l.CanBreak}
	}
	return c.JSON(fiber.Map{"locks": out})
}

// unlockAPI: DELETE /api/v1/locks/{path}?token=: drop the lock (its
// holder), or break it (a manager of the document, an administrator).
func (s *Server) unlockAPI(c *fiber.Ctx) error {
	p, err := pathParam(c)
	if err != nil {
		return err
	}
	if err := s.unlock(c, p, c.Query("token")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) doUnlock(c *fiber.Ctx) error {
	return done(c, s.unlock(c, c.FormValue("path"), c.FormValue("token")), "unlocked")
}

// unlock drops the lock with this token if it protects the document at p
// (someone who may not read p learns nothing: not found).
func (s *Server) unlock(c *fiber.Ctx, p, token string) error {
	ls, err := s.repo.DAV.LocksOn(c.UserContext(), principal(c), p)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l.Token == token {
			return s.repo.DAV.Unlock(c.UserContext(), principal(c), token)
		}
	}
	return fmt.Errorf("no such lock on %s: %w", p, repo.ErrNotFound)
}

// lockSentence tells who holds a lock and until when, in the reader's
// language: « verrouillé par Marie jusqu'à 14:05 ».
func lockSentence(l *Locale, holder string, until time.Time) string {
	return l.T("lock.held", "Holder", holder, "Until", clock(l, until))
}

// clock is a time of day, with the date when it is not today.
func clock(l *Locale, t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y != time.Now().Year() || m != time.Now().Month() || d != time.Now().Day() {
		return l.Date(t)
	}
	if b, _ := l.Tag.Base(); b.String() == "fr" {
		return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
	}
	return t.Format("3:04 PM")
}

// backLocked redirects a form to its page naming the locked path, which
// newPage turns into the sentence with the lock's holder and expiry as
// they are then (nothing in the address is shown as such: a crafted link
// cannot make the page claim a lock by anyone).
func backLocked(c *fiber.Ctx, le *repo.LockedError) error {
	u, err := url.Parse(safeNext(c.FormValue("back")))
	if err != nil {
		u = &url.URL{Path: "/browse/"}
	}
	q := u.Query()
	q.Del("ok")
	q.Set("err", "locked")
	if le.Root != "" {
		q.Set("locked", le.Root)
	}
	u.RawQuery = q.Encode()
	return c.Redirect(u.String(), fiber.StatusSeeOther)
}

// lockedFlash is the error sentence of a page reached by backLocked.
func (s *Server) lockedFlash(c *fiber.Ctx, l *Locale) string {
	if p := c.Query("locked"); p != "" {
		if ls, err := s.repo.DAV.LocksOn(c.UserContext(), principal(c), p); err == nil && len(ls) > 0 {
			return lockSentence(l, ls[0].Holder, ls[0].Expires)
		}
	}
	return l.T("err.locked")
}

// lockedAPIMessage is the message of a 423 answer, in the caller's
// language, with who holds the lock and until when.
func (s *Server) lockedAPIMessage(c *fiber.Ctx, err error) (string, *repo.LockedError) {
	var le *repo.LockedError
	if !errors.As(err, &le) {
		return err.Error(), nil
	}
	return lockSentence(s.views.cat.locale(pickLanguage(c)), le.Holder, le.Until), le
}

// fileLock is a lock as the file page shows it.
type fileLock struct {
	Token    string
	Sentence string
	Mine     bool
	CanBreak bool
}

// fileLocks are the locks shown on the file page of p.
func (s *Server) fileLocks(c *fiber.Ctx, l *Locale, p string) ([]fileLock, error) {
	ls, err := s.repo.DAV.LocksOn(c.UserContext(), principal(c), p)
	if err != nil {
		return nil, err
	}
	out := make([]fileLock, len(ls))
	for i, lk := range ls {
		out[i] = fileLock{Token: lk.Token, Sentence: lockSentence(l, lk.Holder, lk.Expires), Mine: lk.Mine, CanBreak: lk.CanBreak}
	}
	return out, nil
}
