package repo

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
)

func readAll(t *testing.T, e *env, p acl.Principal, path string) string {
	t.Helper()
	f, err := e.s.History.Open(context.Background(), p, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.Reader(context.Background(), 0, f.Version.Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Appended parts must follow each other; a cut part keeps what arrived and
// the client goes on from the offset it is told; the commit is one version.
func TestUploadAppendResume(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.s.Uploads.Create(ctx, e.admin, UploadSpec{Path: "/rapport.txt", Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Uploads.Append(ctx, e.admin, u.ID, 3, strings.NewReader("abc"), 3); !isOffset(err, 0) {
		t.Fatalf("a part past the received bytes: %v, want an offset error at 0", err)
	}
	// The network cuts the first request after 4 of 6 bytes.
	_, err = e.s.Uploads.Append(ctx, e.admin, u.ID, 0, io.MultiReader(strings.NewReader("0123"), errReader{}), 6)
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("cut part: %v, want ErrIncomplete", err)
	}
	if u, _ = e.s.Uploads.Get(ctx, e.admin, u.ID); u.Received != 4 {
		t.Fatalf("received %d after the cut, want 4", u.Received)
	}
	if _, _, err := e.s.Uploads.Commit(ctx, e.admin, u.ID, UploadCommit{Size: -1}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("commit of a partial upload: %v", err)
	}
	if _, err := e.s.Uploads.Append(ctx, e.admin, u.ID, 4, strings.NewReader("456789"), 6); err != nil {
		t.Fatal(err)
	}
	n, created, err := e.s.Uploads.Commit(ctx, e.admin, u.ID, UploadCommit{Size: -1})
	if err != nil || !created || n.Version != 1 {
		t.Fatalf("commit: %+v %v %v", n, created, err)
	}
	if got := readAll(t, e, e.admin, "/rapport.txt"); got != "0123456789" {
		t.Errorf("content %q", got)
	}
	if _, err := e.s.Uploads.Get(ctx, e.admin, u.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the upload outlives its commit: %v", err)
	}
}

// Numbered parts are assembled in number order (10 after 2), a checksum
// that does not match ends the upload and stores nothing, and another
// account never sees the upload.
func TestUploadNumberedParts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.s.Uploads.Create(ctx, e.member, UploadSpec{ID: "essai-1", Size: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Uploads.Create(ctx, e.member, UploadSpec{ID: "essai-1", Size: -1}); !errors.Is(err, ErrExists) {
		t.Errorf("the same id twice: %v", err)
	}
	for name, body := range map[string]string{"2": "deux-", "10": "dix.", "1": "un-"} {
		if err := e.s.Uploads.PutPart(ctx, e.member, "essai-1", name, strings.NewReader(body), int64(len(body))); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.Uploads.PutPart(ctx, e.member, "essai-1", "../x", strings.NewReader("x"), 1); !errors.Is(err, ErrInvalidName) {
		t.Errorf("a part named ../x: %v", err)
	}
	if _, err := e.s.Uploads.Get(ctx, e.admin, "essai-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another account reads the upload: %v", err)
	}
	if ups, _ := e.s.Uploads.List(ctx, e.admin); len(ups) != 0 {
		t.Errorf("another account lists %d uploads", len(ups))
	}
	if _, err := e.s.Uploads.Append(ctx, e.member, "essai-1", 12, strings.NewReader("x"), 1); !errors.Is(err, ErrConflict) {
		t.Errorf("appending to numbered parts: %v", err)
	}
	_, _, err := e.s.Uploads.Commit(ctx, e.member, "essai-1", UploadCommit{Path: "/a.txt", Size: 12,
		Check: func(r io.Reader) (io.Reader, func() error) {
			return r, func() error { return errors.New("checksum mismatch") }
		}})
	if err == nil {
		t.Fatal("a bad checksum was committed")
	}
	if _, err := e.s.Tree.Stat(ctx, e.member, "/a.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a file exists after a bad checksum: %v", err)
	}
	if _, err := e.s.Uploads.Get(ctx, e.member, "essai-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("parts kept after a bad checksum: %v", err)
	}
	if _, err := e.s.Uploads.Create(ctx, e.member, UploadSpec{ID: "essai-2", Size: -1}); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"2": "deux-", "10": "dix.", "1": "un-"} {
		e.s.Uploads.PutPart(ctx, e.member, "essai-2", name, strings.NewReader(body), -1)
	}
	if _, _, err := e.s.Uploads.Commit(ctx, e.member, "essai-2", UploadCommit{Path: "/a.txt", Size: 99}); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("a wrong total: %v", err)
	}
	if _, _, err := e.s.Uploads.Commit(ctx, e.member, "essai-2", UploadCommit{Path: "/a.txt", Size: 12}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, e, e.member, "/a.txt"); got != "un-deux-dix." {
		t.Errorf("assembled %q", got)
	}
}

// A destination the account may not write to is refused at Create, before
// any byte is sent; past the size limit, at the part that crosses it.
func TestUploadRefusedEarly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.s.Tree.Mkdir(ctx, e.admin, "/Lecture")
	if _, err := e.s.Access.Grant(ctx, e.admin, "/", Grantee{Kind: acl.KindMembers}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Uploads.Create(ctx, e.member, UploadSpec{Path: "/Lecture/a.bin", Size: 3}); !errors.Is(err, acl.ErrForbidden) {
		t.Errorf("upload into a read-only folder: %v", err)
	}
	if _, err := e.s.Uploads.Create(ctx, e.guest, UploadSpec{Size: 3}); err != nil {
		t.Fatalf("a guest starts an upload: %v", err)
	}
	if _, err := e.s.Uploads.Create(ctx, acl.Principal{}, UploadSpec{Size: 3}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an anonymous upload: %v", err)
	}
}

// Uploads idle for longer than UploadIdle go; active ones stay.
func TestUploadSweep(t *testing.T) {
	e := newEnv(t)
	clk := e.withClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	ctx := context.Background()
	for _, id := range []string{"vieux", "recent"} {
		if _, err := e.s.Uploads.Create(ctx, e.admin, UploadSpec{ID: id, Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(clk.now().Add(UploadIdle - time.Hour))
	if err := e.s.Uploads.PutPart(ctx, e.admin, "recent", "1", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if n, err := e.s.Uploads.Sweep(ctx); n != 0 || err != nil {
		t.Fatalf("swept %d (%v) before any upload was idle a day", n, err)
	}
	clk.set(clk.now().Add(2 * time.Hour))
	if n, err := e.s.Uploads.Sweep(ctx); n != 1 || err != nil {
		t.Fatalf("swept %d (%v), want 1", n, err)
	}
	if _, err := e.s.Uploads.Get(ctx, e.admin, "vieux"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the idle upload is still there: %v", err)
	}
	if _, err := e.s.Uploads.Get(ctx, e.admin, "recent"); err != nil {
		t.Errorf("the active upload was swept: %v", err)
	}
}

func isOffset(err error, at int64) bool {
	var off *OffsetError
	return errors.As(err, &off) && off.Offset == at
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
