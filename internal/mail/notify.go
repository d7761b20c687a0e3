package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Mailer composes notices in the recipient's language and queues them.
// It is what the rest of the server calls:
//
//	err := mailer.Notify(ctx, mail.Recipient{UserID: u.ID, Email: u.Email, Lang: u.Lang},
//		mail.TermEnding{Role: "Trésorier·e", Ends: end, Key: fmt.Sprint(termID)})
type Mailer struct {
	Outbox  *Outbox
	r       *Renderer
	tokens  *Tokens
	follows *Follows // preferences: shares and drops may be turned off
}

// NewMailer returns a mailer queueing into out, rendering with r and
// signing unsubscribe links with tokens.
func NewMailer(out *Outbox, r *Renderer, tokens *Tokens) *Mailer {
	return &Mailer{Outbox: out, r: r, tokens: tokens}
}

// Recipient is whom a notice goes to.
type Recipient struct {
	UserID int64  // 0 for an address without an account (a new address to confirm)
	Login  string // for greetings when there is no display name
	Name   string // display name
	Email  string
	Lang   string // "fr" or "en"; anything else is French
}

// Greeting is the name to address the person by.
func (r Recipient) Greeting() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Login
}

// Notice is one kind of message: Invitation, PasswordReset, EmailChange,
// Shared, Dropped, TermEnding, Test (and digests, made by the digest job).
type Notice interface {
	// kind is the template name; dedup the key that makes a second
	// Notify of the same notice a no-op ("" for none).
	describe(to Recipient) (kind string, subject []any, dedup string)
}

// Invitation: an administrator created an account for the person, who
// chooses a password through the link (a password-reset token).
type Invitation struct {
	By      string // the administrator's name
	Login   string
	Token   string
	Expires time.Time
}

// PasswordReset: the person asked for a new password (« Mot de passe
// oublié ? ») or an administrator sent a link.
type PasswordReset struct {
	Login   string
	Token   string
	Expires time.Time
}

// EmailChange asks the new address to confirm it.
type EmailChange struct {
	Login   string
	Token   string
	Expires time.Time
}

// Shared: someone gave the person access to a folder or document.
type Shared struct {
	By   string
	Path string // the folder or file, which the recipient may read
	Dir  bool
	Role string // viewer, editor or manager
}

// Dropped: a visitor dropped files through the person's drop-box link.
type Dropped struct {
	Folder string   // the drop box's folder, which the recipient may read
	Names  []string // the files' names as sent
	Sender string   // the name the visitor gave ("" if none)
	Link   string   // the link's label or folder, to tell several apart
}

// TermEnding: the person's term of office ends soon (to the holder), or a
// term someone holds ends soon (to the administrators, with Holder set).
type TermEnding struct {
	Role   string    // the role's name
	Ends   time.Time // the last day of the term
	Holder string    // "" when the recipient holds the term
	// Key identifies the term, so each reminder is queued once per person.
	Key string
}

// Test is the admin page's « Envoyer un e-mail de test ».
type Test struct{ By string }

func (n Invitation) describe(Recipient) (string, []any, string) { return "invitation", nil, "" }
func (n PasswordReset) describe(Recipient) (string, []any, string) {
	return "reset", nil, ""
}
func (n EmailChange) describe(Recipient) (string, []any, string) { return "email_change", nil, "" }
func (n Shared) describe(Recipient) (string, []any, string) {
	return "share", []any{"By", n.By, "Name", baseName(n.Path)}, ""
}
func (n Dropped) describe(Recipient) (string, []any, string) {
	return "drop", []any{"Count", len(n.Names), "Name", baseName(n.Folder)}, ""
}
func (n TermEnding) describe(to Recipient) (string, []any, string) {
	dedup := ""
	if n.Key != "" {
		dedup = fmt.Sprintf("term_end:%s:%d:%s", n.Key, to.UserID, strings.ToLower(to.Email))
	}
	return "term_end", []any{"Role", n.Role, "Holder", n.Holder}, dedup
}
func (n Test) describe(Recipient) (string, []any, string) { return "test", nil, "" }

func baseName(p string) string {
	p = strings.TrimSuffix(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// noticeData is what a notice's templates see as .D.
type noticeData struct {
	To     Recipient
	Notice Notice
	Link   string // the action's link, absolute
}

// Notify renders n for the person and queues it. Invitations, password
// and address links are sent whatever the person's preferences; shares
// and drops only if the person has not turned them off (ShareNotices).
func (m *Mailer) Notify(ctx context.Context, to Recipient, n Notice) error {
	if to.Email == "" {
		return nil // nobody to write to: the notice is dropped, not an error
	}
	if err := m.wanted(ctx, to, n); err != nil {
		if err == errUnwanted {
			return nil
		}
		return err
	}
	kind, subject, dedup := n.describe(to)
	base := m.r.base
	var link, why, unsub string
	switch n := n.(type) {
	case Invitation:
		link, why = base+"/reset/"+n.Token, "invitation"
	case PasswordReset:
		link, why = base+"/reset/"+n.Token, "reset"
	case EmailChange:
		link, why = base+"/account/email/"+n.Token, "email_change"
	case Shared:
		link, why = base+pageFor(n.Path, n.Dir), "share"
		unsub = m.unsubscribeURL(to.UserID, ScopeShares)
	case Dropped:
		link, why = base+pageFor(n.Folder, true), "drop"
		unsub = m.unsubscribeURL(to.UserID, ScopeDrops)
	case TermEnding:
		link, why = base+"/account", "term_end"
	case Test:
		link, why = base+"/admin/mail", "test"
	}
	out, err := m.r.render(to.Lang, kind, subject, noticeData{To: to, Notice: n, Link: link}, why, unsub)
	if err != nil {
		return err
	}
	msg := Message{Kind: kind, To: to.Email, UserID: to.UserID, Subject: out.Subject, Text: out.Text, HTML: out.HTML, DedupKey: dedup}
	if unsub != "" {
		msg.Headers = unsubscribeHeaders(unsub)
	}
	_, err = m.Outbox.Enqueue(ctx, msg)
	return err
}

var errUnwanted = errors.New("the person turned this notice off")

// wanted checks the person's preferences for notices they may turn off.
func (m *Mailer) wanted(ctx context.Context, to Recipient, n Notice) error {
	if m.follows == nil || to.UserID == 0 {
		return nil
	}
	switch n.(type) {
	case Shared, Dropped:
	default:
		return nil
	}
	p, err := m.follows.Prefs(ctx, to.UserID)
	if err != nil {
		return err
	}
	if _, ok := n.(Shared); ok && !p.NotifyShares {
		return errUnwanted
	}
	if _, ok := n.(Dropped); ok && !p.NotifyDrops {
		return errUnwanted
	}
	return nil
}

func (m *Mailer) unsubscribeURL(uid int64, scope string) string {
	if uid == 0 || m.tokens == nil {
		return ""
	}
	return m.r.base + "/mail/unsubscribe/" + m.tokens.Sign(uid, scope)
}

// unsubscribeHeaders are RFC 2369's List-Unsubscribe and RFC 8058's
// one-click List-Unsubscribe-Post: mail programs show an « unsubscribe »
// button that POSTs to the link, with no login.
func unsubscribeHeaders(link string) map[string]string {
	return map[string]string{"List-Unsubscribe": "<" + link + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
}

// pageFor is the web page of a path: /browse/… for folders, /file/… for files.
func pageFor(p string, dir bool) string {
	kind := "/file"
	if dir {
		kind = "/browse"
	}
	return kind + "/" + escapePath(strings.TrimPrefix(p, "/"))
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
