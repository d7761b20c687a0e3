package repo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/errkind"
)

// Uploads: resumable uploads, one path for every door. A large file
// arrives in parts over several requests — appended at an offset (the web
// UI's resumable uploads) or as numbered chunks (the sync apps' chunking
// v2) — and becomes a file, or a new version, only at Commit, through the
// same checks and transaction as Tree.Put. Parts are written to the spool
// directory under a temporary name and renamed once complete, so a cut
// leaves only whole parts and the client resumes from what is listed.
// An upload belongs to the account that created it: another account sees
// it as not found. Uploads idle for longer than UploadIdle are swept.
type Uploads struct {
	*core
	mu   sync.Mutex
	busy map[string]bool // upload directories a request is writing to
}

// UploadIdle is how long an upload may sit without a new part before the
// sweep removes it (the sync apps' servers use the same day).
const UploadIdle = 24 * time.Hour

// Upload is a resumable upload's state.
type Upload struct {
	ID       string
	Path     string    // destination, once known ("" until Commit names it)
	Size     int64     // announced total size; -1 when unknown
	ModTime  time.Time // the document's modification time, if the client gave one
	Created  time.Time
	Updated  time.Time // last part received
	Received int64     // bytes in complete parts
	Parts    []UploadPart
}

// UploadPart is one complete part, in assembly order.
type UploadPart struct {
	Name    string
	Size    int64
	ModTime time.Time
	key     uint64
}

// UploadSpec starts an upload.
type UploadSpec struct {
	// ID is the client's name for the upload (the sync apps choose it); ""
	// draws a random one.
	ID      string
	Path    string // destination if known now: checked at once (rights, name, size)
	Size    int64  // total size if known, else -1
	ModTime time.Time
}

// UploadCommit finishes an upload.
type UploadCommit struct {
	Path    string    // destination; "" keeps the one given at Create
	ModTime time.Time // overrides the one given at Create
	IfMatch string    // as PutOptions.IfMatch
	// Size, if ≥ 0, is the total the client says it sent: a mismatch is
	// ErrIncomplete and keeps the parts.
	Size int64
	// Check, if set, wraps the assembled content on its way in (a checksum
	// the client sent); the returned verify is PutOptions.Verify.
	Check func(io.Reader) (io.Reader, func() error)
}

// OffsetError refuses a part that does not start where the received bytes
// end; Offset says where the client must go on from.
type OffsetError struct{ Offset int64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("expected a part starting at byte %d", e.Offset)
}

// Unwrap makes the refusal a conflict for the error tables.
func (e *OffsetError) Unwrap() error { return errkind.Conflict }

// ErrUploadBusy: another request is writing to the same upload.
var ErrUploadBusy = errkind.New(errkind.Conflict, "another request is writing to this upload; retry shortly")

var (
	uploadIDRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,120}$`)
	uploadPartRE = regexp.MustCompile(`^[0-9]{1,20}(-[0-9]{1,20})?$`)
)

const uploadMetaFile = ".upload.json"

// uploadMeta is what an upload directory records about itself.
type uploadMeta struct {
	Path    string `json:"path,omitempty"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime,omitempty"` // Unix nanoseconds
	Created int64  `json:"created"`         // Unix nanoseconds
}

func (s *Uploads) root() string { return filepath.Join(s.opts.SpoolDir, "uploads") }

// dir is the upload's directory, after checking the caller and the id.
func (s *Uploads) dir(p acl.Principal, id string) (string, error) {
	if p.Anonymous() || p.UserID == 0 {
		return "", fmt.Errorf("upload %q: %w", id, ErrNotFound)
	}
	if !uploadIDRE.MatchString(id) || strings.Trim(id, ".") == "" {
		return "", fmt.Errorf("%w: upload name %q", ErrInvalidName, id)
	}
	return filepath.Join(s.root(), strconv.FormatInt(p.UserID, 10), id), nil
}

// Create starts an upload. A known destination is checked at once, so an
// upload that could not be committed is refused before any byte is sent.
// An id already in use is ErrExists.
func (s *Uploads) Create(ctx context.Context, p acl.Principal, spec UploadSpec) (Upload, error) {
	if spec.ID == "" {
		var raw [16]byte
		rand.Read(raw[:])
		spec.ID = hex.EncodeToString(raw[:])
	}
	dir, err := s.dir(p, spec.ID)
	if err != nil {
		return Upload{}, err
	}
	if spec.Path != "" {
		if err := s.svc.Tree.CheckPut(ctx, p, spec.Path, spec.Size); err != nil {
			return Upload{}, err
		}
	}
	err = os.ErrNotExist
	for try := 0; try < 3 && errors.Is(err, os.ErrNotExist); try++ {
		// The account's folder may be removed by a concurrent end of its
		// last upload between the two calls: make it again.
		if err = os.MkdirAll(filepath.Dir(dir), 0o750); err == nil {
			err = os.Mkdir(dir, 0o750)
		}
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return Upload{}, fmt.Errorf("upload %s: %w", spec.ID, ErrExists)
		}
		return Upload{}, fmt.Errorf("create upload: %w", err)
	}
	m := uploadMeta{Path: spec.Path, Size: spec.Size, Created: s.now().UnixNano()}
	if !spec.ModTime.IsZero() {
		m.ModTime = spec.ModTime.UnixNano()
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, uploadMetaFile), b, 0o640); err != nil {
		s.remove(dir)
		return Upload{}, fmt.Errorf("create upload: %w", err)
	}
	return s.read(spec.ID, dir)
}

// Get is the upload's state: what was received, in which parts.
func (s *Uploads) Get(ctx context.Context, p acl.Principal, id string) (Upload, error) {
	dir, err := s.dir(p, id)
	if err != nil {
		return Upload{}, err
	}
	return s.read(id, dir)
}

// List is the caller's uploads in progress.
func (s *Uploads) List(ctx context.Context, p acl.Principal) ([]Upload, error) {
	if p.Anonymous() || p.UserID == 0 {
		return nil, nil
	}
	base := filepath.Join(s.root(), strconv.FormatInt(p.UserID, 10))
	ents, err := os.ReadDir(base)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	var out []Upload
	for _, e := range ents {
		if u, err := s.read(e.Name(), filepath.Join(base, e.Name())); err == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Uploads) read(id, dir string) (Upload, error) {
	b, err := os.ReadFile(filepath.Join(dir, uploadMetaFile))
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	var m uploadMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return Upload{}, fmt.Errorf("upload %s: damaged record: %w", id, err)
	}
	u := Upload{ID: id, Path: m.Path, Size: m.Size, Created: time.Unix(0, m.Created)}
	u.Updated = u.Created
	if m.ModTime != 0 {
		u.ModTime = time.Unix(0, m.ModTime)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return Upload{}, fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	for _, e := range ents {
		if !uploadPartRE.MatchString(e.Name()) {
			continue // the record, and parts still being received
		}
		fi, err := e.Info()
		if err != nil {
			return Upload{}, fmt.Errorf("upload %s: %w", id, err)
		}
		num, _, _ := strings.Cut(e.Name(), "-")
		key, _ := strconv.ParseUint(num, 10, 64)
		u.Parts = append(u.Parts, UploadPart{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime(), key: key})
		u.Received += fi.Size()
		if fi.ModTime().After(u.Updated) {
			u.Updated = fi.ModTime()
		}
	}
	slices.SortFunc(u.Parts, func(a, b UploadPart) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return u, nil
}

// claim marks an upload as being written to, or says it already is.
func (s *Uploads) claim(dir string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[dir] {
		return nil, ErrUploadBusy
	}
	s.busy[dir] = true
	return func() {
		s.mu.Lock()
		delete(s.busy, dir)
		s.mu.Unlock()
	}, nil
}

// Append adds the bytes from offset on, as the web UI sends them, to one
// growing part: a part that does not start where the received bytes end is
// an *OffsetError, and a request cut by the network keeps what arrived (Get
// says where to go on from). n is the part's length. Appending to an
// upload that has numbered parts is a conflict.
func (s *Uploads) Append(ctx context.Context, p acl.Principal, id string, offset int64, r io.Reader, n int64) (Upload, error) {
	dir, err := s.dir(p, id)
	if err != nil {
		return Upload{}, err
	}
	release, err := s.claim(dir)
	if err != nil {
		return Upload{}, err
	}
	defer release()
	u, err := s.read(id, dir)
	if err != nil {
		return Upload{}, err
	}
	if len(u.Parts) > 1 || (len(u.Parts) == 1 && u.Parts[0].Name != appendPart) {
		return u, fmt.Errorf("%w: this upload is sent in numbered parts", ErrConflict)
	}
	if offset != u.Received {
		return u, &OffsetError{Offset: u.Received}
	}
	if u.Size >= 0 && offset+n > u.Size {
		return u, fmt.Errorf("%w: bytes %d to %d are past the announced %d", ErrInvalid, offset, offset+n-1, u.Size)
	}
	if u.Path != "" {
		if err := s.svc.Tree.CheckPut(ctx, p, u.Path, offset+n); err != nil {
			return u, err
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, appendPart), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", id, err)
	}
	got, err := io.Copy(f, io.LimitReader(r, n))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && got < n {
		err = fmt.Errorf("received %d of %d bytes", got, n)
	}
	if err != nil {
		return u, fmt.Errorf("upload %s part at %d: %w", id, offset, errors.Join(ErrIncomplete, err))
	}
	now := s.now()
	os.Chtimes(filepath.Join(dir, appendPart), now, now)
	os.Chtimes(dir, now, now) // the upload is active
	return s.read(id, dir)
}

// appendPart is the one part Append grows.
const appendPart = "0"

// PutPart stores a numbered part, as the sync apps send them ("00001", or
// "START-END"); a part sent again replaces the earlier one. n is its
// length, -1 if unknown.
func (s *Uploads) PutPart(ctx context.Context, p acl.Principal, id, name string, r io.Reader, n int64) error {
	dir, err := s.dir(p, id)
	if err != nil {
		return err
	}
	if !uploadPartRE.MatchString(name) {
		return fmt.Errorf("%w: parts are numbered (%q)", ErrInvalidName, name)
	}
	u, err := s.read(id, dir)
	if err != nil {
		return err
	}
	return s.writePart(ctx, p, u, dir, name, r, n)
}

func (s *Uploads) writePart(ctx context.Context, p acl.Principal, u Upload, dir, name string, r io.Reader, n int64) error {
	// Where the destination is known, every part is checked against the
	// rights and the size limit before it is received.
	if u.Path != "" {
		total := max(n, 0)
		for _, part := range u.Parts {
			if part.Name != name {
				total += part.Size
			}
		}
		if err := s.svc.Tree.CheckPut(ctx, p, u.Path, total); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, ".part-*")
	if err != nil {
		return fmt.Errorf("store part: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	src := r
	if n >= 0 {
		src = io.LimitReader(r, n)
	}
	got, err := io.Copy(tmp, src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: part %s cut after %d bytes: %v", ErrIncomplete, name, got, err)
	}
	if n >= 0 && got != n {
		return fmt.Errorf("%w: part %s has %d of %d bytes", ErrIncomplete, name, got, n)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("store part: %w", err)
	}
	now := s.now()
	os.Chtimes(filepath.Join(dir, name), now, now)
	os.Chtimes(dir, now, now) // the upload is active
	return nil
}

// Commit makes the parts, in order, the file at the destination — a new
// file (created) or a new version — exactly as Tree.Put would, and ends
// the upload. An upload whose parts do not add up to its size keeps them
// and is ErrIncomplete, so the client can send what is missing; any other
// refusal ends the upload.
func (s *Uploads) Commit(ctx context.Context, p acl.Principal, id string, c UploadCommit) (Node, bool, error) {
	dir, err := s.dir(p, id)
	if err != nil {
		return Node{}, false, err
	}
	release, err := s.claim(dir)
	if err != nil {
		return Node{}, false, err
	}
	defer release()
	u, err := s.read(id, dir)
	if err != nil {
		return Node{}, false, err
	}
	want := u.Size
	if c.Size >= 0 {
		want = c.Size
	}
	if want >= 0 && u.Received != want {
		return Node{}, false, fmt.Errorf("%w: %d of %d bytes received", ErrIncomplete, u.Received, want)
	}
	path := u.Path
	if c.Path != "" {
		path = c.Path
	}
	if path == "" {
		return Node{}, false, fmt.Errorf("%w: the upload has no destination", ErrInvalid)
	}
	opts := PutOptions{Size: u.Received, ModTime: u.ModTime, IfMatch: c.IfMatch}
	if !c.ModTime.IsZero() {
		opts.ModTime = c.ModTime
	}
	if c.Check == nil && len(u.Parts) == 1 && opts.IfMatch == "" {
		// One part is already the whole file: commit it by renaming. The
		// part is consumed whatever happens, so the upload ends here.
		defer s.remove(dir)
		return s.svc.Tree.PutSpooled(ctx, p, path, filepath.Join(dir, u.Parts[0].Name), opts)
	}
	pr := &partReader{dir: dir, parts: u.Parts}
	body := io.Reader(pr)
	badSum := false
	if c.Check != nil {
		var verify func() error
		body, verify = c.Check(body)
		opts.Verify = func() error {
			err := verify()
			badSum = err != nil
			return err
		}
	}
	n, created, err := s.svc.Tree.Put(ctx, p, path, body, opts)
	pr.Close()
	if err == nil || badSum {
		// Done, or parts that do not match their checksum: start again.
		s.remove(dir)
	}
	return n, created, err
}

// Cancel gives the upload up.
func (s *Uploads) Cancel(ctx context.Context, p acl.Principal, id string) error {
	dir, err := s.dir(p, id)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, uploadMetaFile)); err != nil {
		return fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	return s.remove(dir)
}

// Sweep removes uploads with no new part for UploadIdle, and says how
// many. It is the server's "uploads.sweep" job.
func (s *Uploads) Sweep(ctx context.Context) (int, error) {
	limit := s.now().Add(-UploadIdle)
	users, err := os.ReadDir(s.root())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("sweep uploads: %w", err)
	}
	n := 0
	for _, usr := range users {
		base := filepath.Join(s.root(), usr.Name())
		ups, _ := os.ReadDir(base)
		for _, up := range ups {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			// Activity is the record's creation and its parts' times, all
			// on the repository's clock; a damaged upload goes by its
			// folder's time.
			u, err := s.read(up.Name(), filepath.Join(base, up.Name()))
			last := u.Updated
			if err != nil {
				if fi, err := up.Info(); err == nil {
					last = fi.ModTime()
				}
			}
			if last.Before(limit) {
				s.remove(filepath.Join(base, up.Name()))
				n++
			}
		}
	}
	return n, nil
}

// remove ends an upload: its directory goes, and the account's and the
// uploads' folders too once empty, so an idle spool directory is empty.
func (s *Uploads) remove(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove upload: %w", err)
	}
	if os.Remove(filepath.Dir(dir)) == nil {
		os.Remove(s.root())
	}
	return nil
}

// partReader reads the parts one after the other, opening each only when
// it is reached (an upload may have thousands).
type partReader struct {
	dir   string
	parts []UploadPart
	cur   *os.File
}

func (r *partReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(filepath.Join(r.dir, r.parts[0].Name))
			if err != nil {
				return 0, fmt.Errorf("read upload part: %w", err)
			}
			r.cur, r.parts = f, r.parts[1:]
		}
		n, err := r.cur.Read(p)
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (r *partReader) Close() error {
	if r.cur != nil {
		return r.cur.Close()
	}
	return nil
}
