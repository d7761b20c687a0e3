package repo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
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
// same checks and transaction as Tree.Put. A part is received into a
// temporary file and stored once complete (uploadstore.go: in the bucket
// with an object store, so any server goes on with the upload; in the
// spool directory with the local store), so the client resumes from what
// is listed. An upload belongs to the account that created it: another
// account sees it as not found. Uploads idle for longer than UploadIdle
// are swept.
type Uploads struct {
	*core
	mu   sync.Mutex
	busy map[string]bool // uploads a request of this server is writing to
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

// uploadMeta is what an upload records about itself. Times are on the
// repository's clock, so the sweep goes by them.
type uploadMeta struct {
	Path    string `json:"path,omitempty"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime,omitempty"`   // Unix nanoseconds
	Created int64  `json:"created"`           // Unix nanoseconds
	Updated int64  `json:"updated,omitempty"` // last part received, Unix nanoseconds
}

// key names the upload in the store, after checking the caller and the id.
func (s *Uploads) key(p acl.Principal, id string) (string, error) {
	if p.Anonymous() || p.UserID == 0 {
		return "", fmt.Errorf("upload %q: %w", id, ErrNotFound)
	}
	if !uploadIDRE.MatchString(id) || strings.Trim(id, ".") == "" {
		return "", fmt.Errorf("%w: upload name %q", ErrInvalidName, id)
	}
	return strconv.FormatInt(p.UserID, 10) + "/" + id, nil
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
	key, err := s.key(p, spec.ID)
	if err != nil {
		return Upload{}, err
	}
	if spec.Path != "" {
		if err := s.svc.Tree.CheckPut(ctx, p, spec.Path, spec.Size); err != nil {
			return Upload{}, err
		}
	}
	m := uploadMeta{Path: spec.Path, Size: spec.Size, Created: s.now().UnixNano()}
	if !spec.ModTime.IsZero() {
		m.ModTime = spec.ModTime.UnixNano()
	}
	b, _ := json.Marshal(m)
	if err := s.store().create(ctx, key, b); err != nil {
		return Upload{}, err
	}
	return s.read(ctx, spec.ID, key)
}

// Get is the upload's state: what was received, in which parts.
func (s *Uploads) Get(ctx context.Context, p acl.Principal, id string) (Upload, error) {
	key, err := s.key(p, id)
	if err != nil {
		return Upload{}, err
	}
	return s.read(ctx, id, key)
}

// List is the caller's uploads in progress.
func (s *Uploads) List(ctx context.Context, p acl.Principal) ([]Upload, error) {
	if p.Anonymous() || p.UserID == 0 {
		return nil, nil
	}
	keys, err := s.store().keys(ctx, strconv.FormatInt(p.UserID, 10))
	if err != nil {
		return nil, err
	}
	var out []Upload
	for key := range keys {
		_, id, _ := strings.Cut(key, "/")
		if u, err := s.read(ctx, id, key); err == nil {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b Upload) int { return a.Created.Compare(b.Created) })
	return out, nil
}

func (s *Uploads) read(ctx context.Context, id, key string) (Upload, error) {
	st := s.store()
	b, err := st.record(ctx, key)
	if err != nil {
		return Upload{}, err
	}
	var m uploadMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return Upload{}, fmt.Errorf("upload %s: damaged record: %w", id, err)
	}
	u := Upload{ID: id, Path: m.Path, Size: m.Size, Created: time.Unix(0, m.Created)}
	u.Updated = u.Created
	if m.Updated > m.Created {
		u.Updated = time.Unix(0, m.Updated)
	}
	if m.ModTime != 0 {
		u.ModTime = time.Unix(0, m.ModTime)
	}
	parts, err := st.parts(ctx, key)
	if err != nil {
		return Upload{}, err
	}
	for _, sp := range parts {
		num, _, _ := strings.Cut(strings.TrimPrefix(sp.name, appendPrefix), "-")
		k, _ := strconv.ParseUint(num, 10, 64)
		u.Parts = append(u.Parts, UploadPart{Name: sp.name, Size: sp.size, ModTime: sp.modTime, key: k})
		u.Received += sp.size
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

// touch records that a part arrived now.
func (s *Uploads) touch(ctx context.Context, key string, now time.Time) error {
	st := s.store()
	b, err := st.record(ctx, key)
	if err != nil {
		return err
	}
	var m uploadMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("upload %s: damaged record: %w", key, err)
	}
	m.Updated = now.UnixNano()
	b, _ = json.Marshal(m)
	return st.setRecord(ctx, key, b)
}

// claim marks an upload as being written to, or says it already is.
// Uploads kept in the object store are shared by every server: there the
// mark is also a lock in the database (namedLock), so that a client whose
// retry reaches another server while its first request still writes is
// told to wait instead of both writing the same range.
func (s *Uploads) claim(ctx context.Context, key string) (release func(), err error) {
	s.mu.Lock()
	if s.busy[key] {
		s.mu.Unlock()
		return nil, ErrUploadBusy
	}
	s.busy[key] = true
	s.mu.Unlock()
	local := func() {
		s.mu.Lock()
		delete(s.busy, key)
		s.mu.Unlock()
	}
	if _, shared := s.store().(objectUploads); !shared {
		return local, nil
	}
	token := make([]byte, 8)
	rand.Read(token)
	unlock, _, _, err := s.namedLock(ctx, "upload:"+key, hex.EncodeToString(token))
	switch {
	case err != nil:
		local()
		return nil, fmt.Errorf("claim upload: %w", err)
	case unlock == nil:
		local()
		return nil, ErrUploadBusy
	}
	return func() { unlock(); local() }, nil
}

// Append adds the bytes from offset on, as the web UI sends them: a part
// that does not start where the received bytes end is an *OffsetError,
// and a request cut by the network keeps what arrived (Get says where to
// go on from). n is the part's length. Each request's bytes are a part of
// their own, named by their offset. Appending to an upload that has
// numbered parts is a conflict.
func (s *Uploads) Append(ctx context.Context, p acl.Principal, id string, offset int64, r io.Reader, n int64) (Upload, error) {
	key, err := s.key(p, id)
	if err != nil {
		return Upload{}, err
	}
	release, err := s.claim(ctx, key)
	if err != nil {
		return Upload{}, err
	}
	defer release()
	u, err := s.read(ctx, id, key)
	if err != nil {
		return Upload{}, err
	}
	for _, part := range u.Parts {
		if !strings.HasPrefix(part.Name, appendPrefix) {
			return u, fmt.Errorf("%w: this upload is sent in numbered parts", ErrConflict)
		}
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
	// Another server may have received this range meanwhile: check again
	// before storing (claim already refuses a second writer as busy).
	still := func(ctx context.Context) error {
		now, err := s.read(ctx, id, key)
		if err == nil && now.Received != offset {
			err = &OffsetError{Offset: now.Received}
		}
		return err
	}
	got, err := s.receive(ctx, key, fmt.Sprintf("%s%020d", appendPrefix, offset), r, n, still)
	if err != nil {
		return u, fmt.Errorf("upload %s part at %d: %w", id, offset, err)
	}
	if got < n {
		return u, fmt.Errorf("upload %s part at %d: %w", id, offset, fmt.Errorf("%w: received %d of %d bytes", ErrIncomplete, got, n))
	}
	return s.read(ctx, id, key)
}

// appendPrefix starts the names of the parts Append stores, followed by
// their offset; numbered parts are digits only.
const appendPrefix = "@"

// validPartName reports whether a stored file is a complete part.
func validPartName(name string) bool {
	if rest, ok := strings.CutPrefix(name, appendPrefix); ok {
		return len(rest) == 20 && strings.Trim(rest, "0123456789") == ""
	}
	return uploadPartRE.MatchString(name)
}

// receive streams a part's bytes into a local temporary file, then stores
// it as the part name. For an appended part (still not nil), a request cut
// by the network stores what arrived, if still — checked just before — has
// no objection; a numbered part cut stores nothing. got is the bytes
// stored; a cut is an ErrIncomplete error, after storing.
func (s *Uploads) receive(ctx context.Context, key, name string, r io.Reader, n int64, still func(context.Context) error) (int64, error) {
	keepCut := still != nil
	st := s.store()
	tmp, err := st.temp(key)
	if err != nil {
		return 0, fmt.Errorf("store part: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once stored
	src := r
	if n >= 0 {
		src = io.LimitReader(r, n)
	}
	got, cut := io.Copy(tmp, src)
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("store part: %w", err)
	}
	if cut == nil && n >= 0 && got != n {
		cut = fmt.Errorf("part %s has %d of %d bytes", name, got, n)
	}
	if cut != nil && (!keepCut || got == 0) {
		return 0, fmt.Errorf("%w: part %s cut after %d bytes: %v", ErrIncomplete, name, got, cut)
	}
	// The part is stored even if the client went away meanwhile.
	ctx = context.WithoutCancel(ctx)
	if still != nil {
		if err := still(ctx); err != nil {
			return 0, err
		}
	}
	now := s.now()
	if err := st.putPart(ctx, key, name, tmp.Name(), got, now); err != nil {
		return 0, err
	}
	if err := s.touch(ctx, key, now); err != nil {
		return got, err
	}
	if cut != nil {
		return got, fmt.Errorf("%w: part %s cut after %d bytes: %v", ErrIncomplete, name, got, cut)
	}
	return got, nil
}

// PutPart stores a numbered part, as the sync apps send them ("00001", or
// "START-END"); a part sent again replaces the earlier one. n is its
// length, -1 if unknown.
func (s *Uploads) PutPart(ctx context.Context, p acl.Principal, id, name string, r io.Reader, n int64) error {
	key, err := s.key(p, id)
	if err != nil {
		return err
	}
	if !uploadPartRE.MatchString(name) {
		return fmt.Errorf("%w: parts are numbered (%q)", ErrInvalidName, name)
	}
	u, err := s.read(ctx, id, key)
	if err != nil {
		return err
	}
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
	_, err = s.receive(ctx, key, name, r, n, nil)
	return err
}

// Commit makes the parts, in order, the file at the destination — a new
// file (created) or a new version — exactly as Tree.Put would, and ends
// the upload. An upload whose parts do not add up to its size keeps them
// and is ErrIncomplete, so the client can send what is missing; any other
// refusal ends the upload.
func (s *Uploads) Commit(ctx context.Context, p acl.Principal, id string, c UploadCommit) (Node, bool, error) {
	key, err := s.key(p, id)
	if err != nil {
		return Node{}, false, err
	}
	release, err := s.claim(ctx, key)
	if err != nil {
		return Node{}, false, err
	}
	defer release()
	u, err := s.read(ctx, id, key)
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
	st := s.store()
	end := func() { st.remove(context.WithoutCancel(ctx), key) }
	if c.Check == nil && len(u.Parts) == 1 && opts.IfMatch == "" {
		if file, ok := st.localPart(key, u.Parts[0].Name); ok {
			// One local part is already the whole file: commit it by
			// renaming. The part is consumed whatever happens, so the
			// upload ends here.
			defer end()
			return s.svc.Tree.PutSpooled(ctx, p, path, file, opts)
		}
	}
	pr := &partReader{ctx: ctx, st: st, key: key, parts: u.Parts}
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
		end()
	}
	return n, created, err
}

// Cancel gives the upload up.
func (s *Uploads) Cancel(ctx context.Context, p acl.Principal, id string) error {
	key, err := s.key(p, id)
	if err != nil {
		return err
	}
	st := s.store()
	if _, err := st.record(ctx, key); err != nil {
		return fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	return st.remove(ctx, key)
}

// Sweep removes uploads with no new part for UploadIdle, and says how
// many. It is the server's "uploads.sweep" job; with uploads in the
// shared store, one server runs it per period.
func (s *Uploads) Sweep(ctx context.Context) (int, error) {
	limit := s.now().Add(-UploadIdle)
	st := s.store()
	keys, err := st.keys(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("sweep uploads: %w", err)
	}
	n := 0
	for key, stored := range keys {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		// Activity is the record's creation and its last part's time, on
		// the repository's clock; a damaged upload goes by the time of its
		// newest file.
		_, id, _ := strings.Cut(key, "/")
		last := stored
		if u, err := s.read(ctx, id, key); err == nil {
			last = u.Updated
		}
		if last.Before(limit) {
			if err := st.remove(ctx, key); err != nil {
				return n, fmt.Errorf("sweep uploads: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// partReader reads the parts one after the other, opening each only when
// it is reached (an upload may have thousands).
type partReader struct {
	ctx   context.Context
	st    uploadStore
	key   string
	parts []UploadPart
	cur   io.ReadCloser
}

func (r *partReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			rc, err := r.st.openPart(r.ctx, r.key, r.parts[0].Name)
			if err != nil {
				return 0, fmt.Errorf("read upload part: %w", err)
			}
			r.cur, r.parts = rc, r.parts[1:]
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
