package repo

import (
	"context"
	"time"
)

// Service is the repository, reached through focused services that share one
// transaction core. Each service's methods take ctx and the acting
// principal, check permissions, and write metadata and the journal in one
// transaction before reporting success; what differs is the part of the
// model they own:
//
//   - Tree: folders and files as they are now — read, list, create, write,
//     move, copy, delete, tag, restrict; the write checks (locks, quota).
//   - History: a document's past — versions, the trash, retention rules and
//     the purges they decide.
//   - Access: grants — who may do what where, and why.
//   - Shares: share links and what a link holder may see or drop.
//   - Collections: curated collections and the welcome path for newcomers.
//   - Tags: the tag catalogue (counts, colours, renames, tagged documents).
//   - Activity: the journal as people read it — activity, feeds, feed tokens.
//   - DAV: what WebDAV alone needs — locks, dead properties, quota, Depth
//     listings and tree copies.
//   - Index: what the search indexer reads and records — the journal since a
//     sequence, files to index, extractions, content.
//   - Uploads: resumable uploads, appended or in numbered parts, committed
//     as one Put — the web UI's and the sync apps' large files alike.
//   - Intake: the mail intake — the IMAP mailboxes administrators set up,
//     and the ledger that makes each message imported once (the system).
//   - Previews: renderings cached by content hash (thumbnails, PDFs of
//     office documents, page images, tables) and their reading through the
//     file's permission check.
//   - Maintenance: the operator's side — consistency check, the sweep of
//     unreferenced blobs, repairs, snapshots and principal exports.
//
// The zero value is not usable; build one with New.
type Service struct {
	*core

	Tree        *Tree
	History     *History
	Access      *Access
	Shares      *Shares
	Collections *Collections
	Tags        *Tags
	Activity    *Activity
	DAV         *DAV
	Index       *Index
	Maintenance *Maintenance
	Uploads     *Uploads
	Intake      *Intake
	Previews    *Previews
}

// Tree: folders and files as they are now. Paths are slash-separated,
// relative to the root; names follow the portable naming rules (names.go).
// Writes refuse with ErrLocked when another holder's WebDAV lock covers the
// node, and with ErrQuota past the space limit.
type Tree struct{ *core }

// History: versions of documents, the trash and retention. Every save is a
// version; a delete moves to the trash; only retention and explicit purges
// remove content, and never the current version.
type History struct{ *core }

// Access: grants of roles to principals on folders and files, and the
// explanation of a principal's effective role.
type Access struct{ *core }

// Shares: share links (read, upload-only drop boxes), their history, and the
// reads and drops a link holder makes. Link holders act as the anonymous
// principal scoped to the link's node.
type Shares struct{ *core }

// Collections: curated, ordered lists of documents for onboarding, and each
// reader's progress through them. A reader only ever sees the items they may
// read.
type Collections struct{ *core }

// Tags: the tag catalogue across documents, filtered by what the reader may
// read.
type Tags struct{ *core }

// Activity: the journal as people read it — the activity page, Atom feeds
// and their tokens. Entries about nodes the reader may not read never appear.
type Activity struct{ *core }

// DAV: locks, dead properties, quota and listings in the shapes WebDAV
// needs. Locks are honoured by every door (see CheckWrite).
type DAV struct{ *core }

// Index: the search indexer's view of the repository — the journal since a
// sequence, the files to (re)index, extractions cached by content hash, and
// read-only access to content.
type Index struct{ *core }

// Intake: the mail intake (internal/intake). Accounts, their rules, the
// messages handled and the errors met are for administrators only (they
// name quarantined mail); the ledger and the imports are for the system
// principal the intake acts as (IntakePrincipal).
type Intake struct{ *core }

// Previews: renderings derived from a content, cached by its hash (see
// previews.go).
type Previews struct{ *core }

// Maintenance: the operator's side — consistency check, the sweep of
// unreferenced blobs, repairs after a crash, database snapshots for backups
// and exports of principals for transfers.
type Maintenance struct{ *core }

func newService(c *core) *Service {
	s := &Service{
		core:        c,
		Tree:        &Tree{c},
		History:     &History{c},
		Access:      &Access{c},
		Shares:      &Shares{c},
		Collections: &Collections{c},
		Tags:        &Tags{c},
		Activity:    &Activity{c},
		DAV:         &DAV{c},
		Index:       &Index{c},
		Maintenance: &Maintenance{c},
		Uploads:     &Uploads{core: c, busy: map[string]bool{}},
		Intake:      &Intake{c},
		Previews:    &Previews{c},
	}
	c.svc = s
	return s
}

// Changed is signalled (without blocking, coalesced) after each committed
// change, so followers of the journal need not poll tightly.
func (s *Service) Changed() <-chan struct{} { return s.changed }

// SettleAtMost is the longest a follower of the journal (the search
// indexer, the preview worker) waits for a burst of changes to pause: what
// was uploaded during a long burst is followed at most this long after.
const SettleAtMost = 5 * time.Second

// Settle is how a follower of the journal waits after a change woke it:
// until a whole period of quiet has passed without a change, or most has
// passed, whichever comes first. A burst of uploads (a sync app's first
// run, a folder dropped in the browser) is then followed in one pass once
// it pauses, instead of in passes that compete with its requests for the
// processor while it lasts; a steady stream of changes is still followed
// every most. changed is the follower's signal (Changed or Watch), a
// channel of one: it is looked at once per period rather than waited on,
// so the uploads of a burst do not wake the follower one by one (each
// wake-up a switch of the processor to it and back); the pause is then
// between quiet and twice quiet after the last change. It returns false
// when ctx ends.
func Settle(ctx context.Context, changed <-chan struct{}, quiet, most time.Duration) bool {
	if quiet <= 0 {
		return ctx.Err() == nil
	}
	deadline := time.Now().Add(max(most, quiet))
	t := time.NewTimer(quiet)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		select {
		case <-changed: // a change during the period: wait another
			t.Reset(min(quiet, left))
		default:
			return true
		}
	}
}

// ExternalChange wakes the followers of Changed when another server
// committed a change (meta.DB.Listen on PostgreSQL).
func (s *Service) ExternalChange() { s.notify() }
