// Package acl decides who may do what on which node. The model is
// grant-only: a grant gives a principal a role on a node and its whole
// subtree; there are no deny rules, because they surprise people. The
// effective role on a node is the strongest role granted on it or on any
// ancestor — up to the nearest restricted folder (« accès restreint »),
// whose ancestors' grants stop at it: a private folder is made in one step,
// without removing the grants that keep the rest of the tree open.
package acl

import (
	"fmt"
	"notreasso/internal/errkind"
	"slices"
	"time"
)

// ErrForbidden means the principal may see the node but not do this to it.
var ErrForbidden = errkind.New(errkind.Forbidden, "forbidden")

// Role is what a grant allows, ordered from weakest to strongest.
type Role int

const (
	None    Role = iota
	Viewer       // read and download
	Editor       // Viewer + write, move, delete to trash, restore, tag
	Manager      // Editor + manage grants and share links
)

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Editor:
		return "editor"
	case Manager:
		return "manager"
	}
	return "none"
}

// ParseRole is the inverse of Role.String for grantable roles.
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return Viewer, nil
	case "editor":
		return Editor, nil
	case "manager":
		return Manager, nil
	}
	return None, fmt.Errorf("unknown role %q (want viewer, editor or manager)", s)
}

// UserRole is an account's role in the whole instance.
type UserRole string

const (
	Admin  UserRole = "admin"  // everything, everywhere
	Member UserRole = "member" // covered by grants to "members"
	Guest  UserRole = "guest"  // only what is granted to them (or their groups) explicitly
)

// Principal is who is acting. The zero value is an anonymous visitor.
type Principal struct {
	UserID int64
	Login  string
	Role   UserRole
	Groups []int64
	// Offices are the roles (« Trésorier·e ») p holds a term of office for
	// at the moment the principal was made; see Until.
	Offices []int64
	// Until is when p's offices next change (a term ends or one begins);
	// zero if none is scheduled. Whatever keeps a principal or something
	// computed from it (a visible set, a search filter) must not use it at
	// or after Until: the rights a term gave end at its date.
	Until time.Time
	// System is the command line run by whoever holds the data directory:
	// an administrator without an account (journalled with no actor).
	System bool
	// Share is set for a share-link holder: no grant applies to them, only
	// the link's scope (see ShareScope.RoleOn).
	Share *ShareScope
	// MailFrom is set for the mail intake (a System principal): the sender
	// of the message being imported, recorded as « reçu par e-mail de … ».
	MailFrom string
}

// SystemPrincipal is the identity of administration commands (the CLI).
func SystemPrincipal() Principal { return Principal{Login: "system", Role: Admin, System: true} }

// Anonymous reports whether nobody is logged in (visitors and link holders).
func (p Principal) Anonymous() bool { return p.UserID == 0 && !p.System }

// IsAdmin reports whether the principal is an instance administrator.
func (p Principal) IsAdmin() bool {
	return p.Share == nil && (p.System || (p.UserID != 0 && p.Role == Admin))
}

// ShareScope is what a share link reaches: the linked node and its subtree,
// read-only, or nothing readable at all for an upload-only drop box.
type ShareScope struct {
	LinkID  int64
	NodeID  int64
	DropBox bool
	// Sender is the name a drop-box visitor typed (« votre nom »), kept as
	// the author of what they send; may be empty.
	Sender string
}

// RoleOn is a link holder's role on a node, given the ids of the node and
// its ancestors (root first) and which of them are restricted: viewer
// inside the linked subtree (none for drop boxes, whose uploads are checked
// separately), none anywhere else. A restricted folder below the linked
// node stops the link like it stops grants: whoever made the folder private
// did not mean an older link above it to reach in. restricted may be nil
// (nothing restricted).
func (sc ShareScope) RoleOn(chain []int64, restricted []bool) Role {
	if sc.DropBox || sc.NodeID == 0 {
		return None
	}
	i := slices.Index(chain, sc.NodeID)
	if i < 0 {
		return None
	}
	if from := ReachFrom(restricted); from > i {
		return None
	}
	return Viewer
}

// ReachFrom returns, for a chain of nodes root first where restricted[i]
// says whether node i is restricted, the index of the first node whose
// grants reach the last node: the deepest restricted node, or 0 (the
// root) when none is. Grants on nodes before it do not apply.
func ReachFrom(restricted []bool) int {
	for i := len(restricted) - 1; i > 0; i-- {
		if restricted[i] {
			return i
		}
	}
	return 0
}

// PrincipalKind names who a grant is for.
type PrincipalKind string

const (
	KindUser    PrincipalKind = "user"
	KindGroup   PrincipalKind = "group"
	KindRole    PrincipalKind = "role"    // whoever holds a term of office for the role now
	KindMembers PrincipalKind = "members" // every admin and member, not guests
	KindPublic  PrincipalKind = "public"  // anyone, logged in or not
)

// Grant gives a principal a role on a node and its subtree.
type Grant struct {
	ID     int64
	NodeID int64
	Kind   PrincipalKind
	Who    int64 // user, group or role id; 0 for members and public
	Role   Role
}

// Matches reports whether the grant applies to p. No grant applies to a
// link holder: a link gives exactly its own scope, not what is public.
func (g Grant) Matches(p Principal) bool {
	if p.Share != nil {
		return false
	}
	switch g.Kind {
	case KindPublic:
		return true
	case KindMembers:
		return !p.Anonymous() && (p.Role == Member || p.Role == Admin)
	case KindUser:
		return !p.Anonymous() && g.Who == p.UserID
	case KindGroup:
		return !p.Anonymous() && slices.Contains(p.Groups, g.Who)
	case KindRole:
		return !p.Anonymous() && slices.Contains(p.Offices, g.Who)
	}
	return false
}

// Effective returns p's role given the grants found on a node and all its
// ancestors, and the grants that produced it (for "why can X see this?").
func Effective(p Principal, grants []Grant) (Role, []Grant) {
	if p.IsAdmin() {
		return Manager, nil
	}
	best := None
	var why []Grant
	for _, g := range grants {
		if !g.Matches(p) {
			continue
		}
		why = append(why, g)
		if g.Role > best {
			best = g.Role
		}
	}
	return best, why
}
