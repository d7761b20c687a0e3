package repo

// Who made a change, as the journal and the tree record it: the acting
// account, or a share link's visitor, or the mail intake's sender.

import (
	"context"
	"strings"

	"notreasso/internal/acl"
	"notreasso/internal/clientip"
	"notreasso/internal/meta"
)

// journal appends an entry in the caller's transaction. Changes made
// through a share link or the command line say so, since they have no
// actor.
func (s *core) journal(ctx context.Context, tx querier, p acl.Principal, nodeID int64, action string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	if p.Share != nil {
		details["link"] = p.Share.LinkID
		if p.Share.DropBox {
			details["sender"] = p.Share.Sender
		}
		if ip := clientip.From(ctx); ip != "" {
			details["ip"] = ip
		}
	}
	if p.System {
		details["via"] = systemVia(ctx)
	}
	if p.MailFrom != "" {
		details["mail_from"] = p.MailFrom
	}
	return meta.AppendJournal(ctx, tx, meta.JournalEntry{At: s.now(), Actor: p.UserID, NodeID: nodeID, Action: action, Details: details})
}

// viaArg is what nodes.updated_via and versions.author_via record for p:
// "link:NAME" for a drop-box visitor, "mail:ADDRESS" for the mail
// intake, "" for everyone else.
func viaArg(p acl.Principal) string {
	if p.MailFrom != "" && p.Share == nil {
		return "mail:" + p.MailFrom
	}
	if p.Share == nil {
		return ""
	}
	return "link:" + p.Share.Sender
}

// DropSender reads an updated_via/author_via value: the name a drop-box
// visitor gave, and whether the change came through a link at all.
func DropSender(via string) (string, bool) {
	if strings.HasPrefix(via, "mail:") {
		return "", false
	}
	name, ok := strings.CutPrefix(via, "link:")
	return name, ok
}

// MailSender reads an updated_via/author_via value: the sender of the
// message the mail intake imported the content from, or "".
func MailSender(via string) string {
	addr, _ := strings.CutPrefix(via, "mail:")
	if addr == via {
		return ""
	}
	return addr
}

func actorArg(p acl.Principal) any {
	if p.UserID == 0 {
		return nil
	}
	return p.UserID
}
