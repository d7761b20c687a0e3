package web

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"notreasso/internal/acl"
	"notreasso/internal/auth"
	notice "notreasso/internal/mail"
	"notreasso/internal/repo"
)

// followBox is the « Suivre par e-mail » button of a page that offers an
// Atom feed (a folder, a tag, a collection, the activity page).
type followBox struct {
	Kind      string // folder, tag, collection
	Target    string // the folder's path, the tag, the collection's id
	Following bool
}

// followOf reads the page's feed address into what it would follow, and
// whether the visitor follows it already. Share-link visitors and
// anonymous readers get no button.
func (s *Server) followOf(c *fiber.Ctx, feed string) *followBox {
	p := principal(c)
	if s.mail == nil || p.Anonymous() || p.UserID == 0 || p.Share != nil || feed == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(feed, "/api/v1/feeds/")
	if !ok {
		return nil
	}
	var b followBox
	switch {
	case rest == "all.atom":
		b = followBox{Kind: notice.FollowFolder, Target: "/"}
	case strings.HasPrefix(rest, "folder/"):
		path, err := url.PathUnescape(strings.TrimPrefix(rest, "folder/"))
		if err != nil {
			return nil
		}
		b = followBox{Kind: notice.FollowFolder, Target: "/" + strings.TrimPrefix(path, "/")}
	case strings.HasPrefix(rest, "tag/"):
		tag, err := url.PathUnescape(strings.TrimPrefix(rest, "tag/"))
		if err != nil {
			return nil
		}
		b = followBox{Kind: notice.FollowTag, Target: tag}
	case strings.HasPrefix(rest, "collection/"):
		b = followBox{Kind: notice.FollowCollection, Target: strings.TrimPrefix(rest, "collection/")}
	default:
		return nil
	}
	key, err := s.followKey(c.UserContext(), p, b.Kind, b.Target)
	if err != nil {
		return nil
	}
	b.Following, _ = s.mail.Follows.Following(c.UserContext(), p.UserID, b.Kind, key)
	return &b
}

// followKey is what a follow is stored under: a folder by its node id
// (renames keep it), checked readable by p; a tag by its clean name; a
// collection by its id, checked visible to p.
func (s *Server) followKey(ctx context.Context, p acl.Principal, kind, target string) (string, error) {
	switch kind {
	case notice.FollowFolder:
		n, err := s.repo.Tree.Stat(ctx, p, target)
		if err != nil {
			return "", err
		}
		if !n.Dir {
			return "", repo.ErrNotDir
		}
		// A folder seen only on the way to a deeper grant is not
		// followed, but the whole repository is (what it tells is
		// filtered document by document).
		if n.Role < acl.Viewer && n.Path != "/" {
			return "", repo.ErrNotFound
		}
		return strconv.FormatInt(n.ID, 10), nil
	case notice.FollowTag:
		return repo.CleanTag(target)
	case notice.FollowCollection:
		id, err := strconv.ParseInt(target, 10, 64)
		if err != nil {
			return "", repo.ErrNotFound
		}
		if _, err := s.repo.Collections.Collection(ctx, p, id); err != nil {
			return "", err
		}
		return target, nil
	}
	return "", notice.ErrInvalid
}

// followForm follows or stops following what a page shows.
func (s *Server) followForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() || p.UserID == 0 {
		return loginRedirect(c)
	}
	kind, target := c.FormValue("kind"), c.FormValue("target")
	key, err := s.followKey(c.UserContext(), p, kind, target)
	if err != nil {
		return done(c, err, "")
	}
	if c.FormValue("on") == "1" {
		err = s.mail.Follows.Follow(c.UserContext(), p.UserID, kind, key)
		return done(c, err, "followed")
	}
	err = s.mail.Follows.Unfollow(c.UserContext(), p.UserID, kind, key)
	return done(c, err, "unfollowed")
}

// mailPrefsForm saves « Mon compte »'s e-mail choices.
func (s *Server) mailPrefsForm(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() || p.UserID == 0 {
		return loginRedirect(c)
	}
	err := s.mail.Follows.SetPrefs(c.UserContext(), p.UserID, notice.Prefs{Digest: c.FormValue("digest"),
		NotifyShares: c.FormValue("shares") != "", NotifyDrops: c.FormValue("drops") != ""})
	if errors.Is(err, notice.ErrInvalid) {
		return redirectMsg(c, "/account#mail", "err", "invalid")
	}
	return doneTo(c, "/account#mail", err, "mail_prefs_saved")
}

// followRow is one follow as « Mon compte » lists it: only what the
// person may still see is named.
type followRow struct {
	Kind, Target, Title, Link string
}

// accountMail is « Mon compte »'s e-mail section.
type accountMail struct {
	Prefs   notice.Prefs
	Follows []followRow
	Hidden  int    // follows of things no longer visible
	Pending string // an address waiting for confirmation
	Ready   bool   // a relay is configured
}

func (s *Server) accountMailData(ctx context.Context, p acl.Principal) (*accountMail, error) {
	if s.mail == nil {
		return nil, nil
	}
	d := &accountMail{Ready: s.mailReady(ctx)}
	var err error
	if d.Prefs, err = s.mail.Follows.Prefs(ctx, p.UserID); err != nil {
		return nil, err
	}
	if d.Pending, err = s.auth.PendingEmail(ctx, p.UserID); err != nil {
		return nil, err
	}
	fl, err := s.mail.Follows.List(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	for _, f := range fl {
		row := followRow{Kind: f.Kind}
		switch f.Kind {
		case notice.FollowFolder:
			id, _ := strconv.ParseInt(f.Target, 10, 64)
			path, err := s.repo.Activity.FolderPath(ctx, p, id)
			if err != nil {
				d.Hidden++
				continue
			}
			row.Target, row.Title, row.Link = path, path, "/browse/"+escapePath(strings.TrimPrefix(path, "/"))
		case notice.FollowTag:
			row.Target, row.Title, row.Link = f.Target, "#"+f.Target, "/tags/"+url.PathEscape(f.Target)
		case notice.FollowCollection:
			id, _ := strconv.ParseInt(f.Target, 10, 64)
			col, err := s.repo.Collections.Collection(ctx, p, id)
			if err != nil {
				d.Hidden++
				continue
			}
			row.Target, row.Title, row.Link = f.Target, col.Title, "/collections/"+f.Target
		}
		d.Follows = append(d.Follows, row)
	}
	return d, nil
}

// changeOwnEmail sends a confirmation link to a new address; the address
// changes when it is opened. Without a relay, nothing could confirm it:
// the address is set at once, as before mail existed.
func (s *Server) changeOwnEmail(c *fiber.Ctx, u auth.User, email string) (confirm bool, err error) {
	if email == "" || strings.EqualFold(email, u.Email) || !s.mailReady(c.UserContext()) {
		return false, nil
	}
	ctx := c.UserContext()
	token, exp, err := s.auth.RequestEmailChange(ctx, u.ID, email, auth.EmailLinkTTL)
	if err != nil {
		return false, err
	}
	to := recipient(u)
	to.Email = email
	return true, s.mail.Mailer.Notify(ctx, to, notice.EmailChange{Login: u.Login, Token: token, Expires: exp})
}

// notifyGrant tells the people a grant reaches — one person, or each
// member of a group — that they can now open the folder or document.
func (s *Server) notifyGrant(ctx context.Context, by acl.Principal, path string, to repo.Grantee, role acl.Role) {
	if s.mail == nil {
		return
	}
	var logins []string
	switch to.Kind {
	case acl.KindUser:
		logins = []string{to.Name}
	case acl.KindGroup:
		groups, err := s.auth.Groups(ctx)
		if err != nil {
			return
		}
		for _, g := range groups {
			if g.Name == to.Name {
				logins = g.Members
			}
		}
	default:
		return // members and public: no one in particular
	}
	name := s.actorName(ctx, by)
	for _, login := range logins {
		if login == by.Login {
			continue
		}
		p, u, err := s.auth.PrincipalOf(ctx, login)
		if err != nil || u.Disabled {
			continue
		}
		// Told only what they can open now (a restricted folder below the
		// grant, a grant on a trashed node: nothing to say).
		n, err := s.repo.Tree.Stat(ctx, p, path)
		if err != nil || n.Role < acl.Viewer {
			continue
		}
		s.notify(ctx, recipient(u), notice.Shared{By: name, Path: n.Path, Dir: n.Dir, Role: role.String()})
	}
}

// notifyDrop tells a drop box's creator what was dropped, if they can
// still read its folder.
func (s *Server) notifyDrop(ctx context.Context, sh repo.Share, sender string, names []string) {
	if s.mail == nil || sh.CreatedBy == "" || len(names) == 0 {
		return
	}
	p, u, err := s.auth.PrincipalOf(ctx, sh.CreatedBy)
	if err != nil || u.Disabled {
		return
	}
	n, err := s.repo.Tree.Stat(ctx, p, sh.Path)
	if err != nil || n.Role < acl.Viewer {
		return
	}
	label := sh.Label
	if label == "" {
		label = n.Name
	}
	s.notify(ctx, recipient(u), notice.Dropped{Folder: n.Path, Names: names, Sender: sender, Link: label})
}
