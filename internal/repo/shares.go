package repo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"notreasso/internal/pwhash"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"notreasso/internal/acl"
	"notreasso/internal/meta"
)

// Kinds of share links.
const (
	ShareViewer  = "viewer"  // read and download the linked file or folder
	ShareDropBox = "dropbox" // upload into the linked folder, see nothing
)

// ShareOptions describes a new share link.
type ShareOptions struct {
	Kind         string    // ShareViewer or ShareDropBox
	Password     string    // optional; stored as an argon2id hash
	ExpiresAt    time.Time // zero: never
	MaxDownloads int       // 0: unlimited
	Label        string    // for its managers: "pour le cabinet comptable"
}

// Share is a share link as its managers see it. The token is never stored,
// only its SHA-256: it is shown once, at creation.
type Share struct {
	ID           int64
	NodeID       int64
	Path         string // where it points (its original place if in the trash)
	Dir          bool
	Kind         string
	Label        string
	HasPassword  bool
	ExpiresAt    time.Time
	MaxDownloads int
	Downloads    int
	CreatedAt    time.Time
	CreatedBy    string
	RevokedAt    time.Time
	LastUsedAt   time.Time
	NodeTrashed  bool

	passwordHash string
}

// Active reports whether the link still works at now (managers' lists):
// not revoked, not expired, and downloads left.
func (sh Share) Active(now time.Time) bool {
	return sh.Open(now) && !sh.UsedUp()
}

// Open reports whether the link may still be opened at now: not revoked,
// not expired, its node not in the trash. A folder link whose downloads
// are used up still lists its folder (a listing is not a download);
// ShareOpen refuses the downloads themselves.
func (sh Share) Open(now time.Time) bool {
	return sh.RevokedAt.IsZero() && !sh.NodeTrashed && (sh.ExpiresAt.IsZero() || now.Before(sh.ExpiresAt))
}

// UsedUp reports whether a download limit is set and reached.
func (sh Share) UsedUp() bool { return sh.MaxDownloads > 0 && sh.Downloads >= sh.MaxDownloads }

// shareTokenBytes is 144 bits of randomness: 24 URL-safe characters.
const shareTokenBytes = 18

func newShareToken() (string, error) {
	b := make([]byte, shareTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate share token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidShareToken reports whether t has the shape of a token, so that
// junk is refused before touching the database.
func ValidShareToken(t string) bool {
	if len(t) != base64.RawURLEncoding.EncodedLen(shareTokenBytes) {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

const shareCols = `s.id, s.node_id, s.kind, s.label, s.password_hash, s.expires_at, s.max_downloads, s.downloads,
	s.created_at, COALESCE(u.login, ''), s.revoked_at, s.last_used_at`
const shareFrom = ` FROM share_links s LEFT JOIN users u ON u.id = s.created_by `

func scanShare(sc interface{ Scan(...any) error }) (Share, error) {
	var sh Share
	var expires, revoked, used sql.NullInt64
	var created int64
	err := sc.Scan(&sh.ID, &sh.NodeID, &sh.Kind, &sh.Label, &sh.passwordHash, &expires, &sh.MaxDownloads, &sh.Downloads,
		&created, &sh.CreatedBy, &revoked, &used)
	sh.HasPassword = sh.passwordHash != ""
	sh.ExpiresAt, sh.CreatedAt, sh.RevokedAt, sh.LastUsedAt = meta.NullTime(expires), meta.Time(created), meta.NullTime(revoked), meta.NullTime(used)
	return sh, err
}

// withNode fills in where the link points.
func (sh *Share) withNode(c chain) {
	sh.Path, sh.Dir, sh.NodeTrashed = c.path(), c.last().dir, !c.live()
}

// CreateShare makes a share link to the node at path and returns it with
// its token (shown once). Managers of the node only; drop boxes are folders.
func (s *Shares) CreateShare(ctx context.Context, p acl.Principal, path string, o ShareOptions) (Share, string, error) {
	o.Label = strings.TrimSpace(o.Label)
	switch {
	case o.Kind != ShareViewer && o.Kind != ShareDropBox:
		return Share{}, "", fmt.Errorf("%w: a share link is %q or %q", ErrInvalidName, ShareViewer, ShareDropBox)
	case o.MaxDownloads < 0:
		return Share{}, "", fmt.Errorf("%w: negative download limit", ErrInvalidName)
	case !o.ExpiresAt.IsZero() && !o.ExpiresAt.After(s.now()):
		return Share{}, "", fmt.Errorf("%w: the expiry date is in the past", ErrInvalidName)
	case utf8.RuneCountInString(o.Label) > 200 || strings.IndexFunc(o.Label, unicode.IsControl) >= 0:
		return Share{}, "", fmt.Errorf("%w: a label has at most 200 characters, no control characters", ErrInvalidName)
	case o.Password != "" && len(o.Password) < 6:
		return Share{}, "", fmt.Errorf("%w: a link password has at least 6 characters", ErrInvalidName)
	}
	var pwHash string
	if o.Password != "" {
		var err error
		if pwHash, err = pwhash.Hash(ctx, o.Password); err != nil {
			return Share{}, "", err
		}
	}
	token, err := newShareToken()
	if err != nil {
		return Share{}, "", err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx meta.Tx) error {
		c, err := s.resolve(ctx, tx, path)
		if err != nil {
			return err
		}
		if _, err := s.need(ctx, tx, p, c, acl.Manager); err != nil {
			return err
		}
		if o.Kind == ShareDropBox && !c.last().dir {
			return fmt.Errorf("%s: a drop box is a folder: %w", c.path(), ErrNotDir)
		}
		var expires any
		if !o.ExpiresAt.IsZero() {
			expires = o.ExpiresAt.UnixNano()
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO share_links (token_hash, node_id, kind, label, password_hash, expires_at, max_downloads, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, hashToken(token), c.last().id, o.Kind, o.Label, pwHash, expires, o.MaxDownloads,
			s.now().UnixNano(), actorArg(p)).Scan(&id); err != nil {
			return fmt.Errorf("create share link: %w", err)
		}
		details := map[string]any{"path": c.path(), "link": id, "kind": o.Kind, "password": pwHash != "", "max_downloads": o.MaxDownloads, "label": o.Label}
		if !o.ExpiresAt.IsZero() {
			details["expires"] = o.ExpiresAt.UTC()
		}
		return s.journal(ctx, tx, p, c.last().id, "share_create", details)
	})
	if err != nil {
		return Share{}, "", fmt.Errorf("share %s: %w", path, err)
	}
	sh, err := s.shareByID(ctx, s.db.R, id)
	return sh, token, err
}

func (s *core) shareByID(ctx context.Context, q querier, id int64) (Share, error) {
	sh, err := scanShare(q.QueryRowContext(ctx, `SELECT `+shareCols+shareFrom+`WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Share{}, fmt.Errorf("share link %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Share{}, fmt.Errorf("share link %d: %w", id, err)
	}
	c, err := s.chainByID(ctx, q, sh.NodeID)
	if err != nil {
		return Share{}, err
	}
	sh.withNode(c)
	return sh, nil
}

// Shares lists the links the caller manages (all of them for admins),
// newest first; with path set, only the links to that node.
func (s *Shares) Shares(ctx context.Context, p acl.Principal, path string) ([]Share, error) {
	where, args := ``, []any{}
	if path != "" {
		c, err := s.resolve(ctx, s.db.R, path)
		if err != nil {
			return nil, err
		}
		if _, err := s.need(ctx, s.db.R, p, c, acl.Manager); err != nil {
			return nil, fmt.Errorf("share links of %s: %w", path, err)
		}
		where, args = `WHERE s.node_id = ?`, append(args, c.last().id)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+shareCols+shareFrom+where+` ORDER BY s.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	var all []Share
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list share links: %w", err)
		}
		all = append(all, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Share{}
	for _, sh := range all {
		c, err := s.chainByID(ctx, s.db.R, sh.NodeID)
		if err != nil {
			continue
		}
		if role, err := s.roleOn(ctx, s.db.R, p, c); err != nil {
			return nil, err
		} else if role < acl.Manager {
			continue
		}
		sh.withNode(c)
		out = append(out, sh)
	}
	return out, nil
}

// ShareByID returns one link, for its managers.
func (s *Shares) ShareByID(ctx context.Context, p acl.Principal, id int64) (Share, error) {
	sh, err := s.shareByID(ctx, s.db.R, id)
	if err != nil {
		return Share{}, err
	}
	if err := s.manages(ctx, s.db.R, p, sh); err != nil {
		return Share{}, err
	}
	return sh, nil
}

// manages checks that p manages the link's node; anyone else learns
// nothing about it.
func (s *core) manages(ctx context.Context, q querier, p acl.Principal, sh Share) error {
	c, err := s.chainByID(ctx, q, sh.NodeID)
	if err != nil {
		return err
	}
	if role, err := s.roleOn(ctx, q, p, c); err != nil {
		return err
	} else if role < acl.Manager {
		return fmt.Errorf("share link %d: %w", sh.ID, ErrNotFound)
	}
	return nil
}

// RevokeShare ends a link at once. Managers of its node only.
func (s *Shares) RevokeShare(ctx context.Context, p acl.Principal, id int64) error {
	err := s.db.Tx(ctx, func(tx meta.Tx) error {
		sh, err := s.shareByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.manages(ctx, tx, p, sh); err != nil {
			return err
		}
		if !sh.RevokedAt.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE share_links SET revoked_at = ?, revoked_by = ? WHERE id = ?`,
			s.now().UnixNano(), actorArg(p), id); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		return s.journal(ctx, tx, p, sh.NodeID, "share_revoke", map[string]any{"path": sh.Path, "link": id})
	})
	if err != nil {
		return fmt.Errorf("revoke share link %d: %w", id, err)
	}
	return nil
}

// ShareHistory is the link's journal: creation, uses, refusals, revocation,
// newest first. Managers of its node only.
func (s *Shares) ShareHistory(ctx context.Context, p acl.Principal, id int64, limit int) ([]Entry, error) {
	sh, err := s.ShareByID(ctx, p, id)
	if err != nil {
		return nil, err
	}
	entries, err := s.entries(ctx, `WHERE j.node_id = ? AND j.action LIKE 'share\_%' ESCAPE '\'`, []any{sh.NodeID}, 1000)
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for _, e := range entries {
		if link, ok := e.Details["link"].(float64); ok && int64(link) == id && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// feedTokenLen is the length of a feed token as text.
var feedTokenLen = base64.RawURLEncoding.EncodedLen(feedTokenBytes)

// newToken returns n random bytes as URL-safe text.
func newToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
