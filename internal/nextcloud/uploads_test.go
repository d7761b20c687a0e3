package nextcloud

import (
	"context"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
	"notreasso/internal/repo"
)

// Chunks are assembled in the order of their numbers (10 after 2), only
// when OC-Total-Length matches, and the upload folder goes once done.
func TestChunkedUpload(t *testing.T) {
	e := newEnv(t)
	const up = "/remote.php/dav/uploads/marie/essai-1"
	dest := e.url + "/remote.php/dav/files/marie/gros fichier.bin"
	if st, _, _ := e.do("marie", "MKCOL", up, nil, map[string]string{"Destination": dest}); st != 201 {
		t.Fatalf("MKCOL: %d", st)
	}
	if st, _, _ := e.do("marie", "MKCOL", up, nil, nil); st != 405 {
		t.Errorf("MKCOL again: %d, want 405", st)
	}
	parts := map[string]string{"2": "deux-", "10": "dix.", "1": "un-"}
	for name, body := range parts {
		if st, _, _ := e.do("marie", "PUT", up+"/"+name, strings.NewReader(body), nil); st != 201 {
			t.Fatalf("PUT chunk %s: %d", name, st)
		}
	}
	if st, body, _ := e.do("marie", "PROPFIND", up, nil, map[string]string{"Depth": "1"}); st != 207 || strings.Count(body, "<d:getcontentlength>") != 3 {
		t.Errorf("listing the chunks (the app resumes from it): %d %s", st, body)
	}
	move := map[string]string{"Destination": dest, "OC-Total-Length": "99"}
	if st, _, _ := e.do("marie", "MOVE", up+"/.file", nil, move); st != 400 {
		t.Fatalf("MOVE with a wrong total: %d, want 400", st)
	}
	move["OC-Total-Length"] = "12"
	move["X-OC-Mtime"] = "1700000000"
	st, body, hdr := e.do("marie", "MOVE", up+"/.file", nil, move)
	if st != 201 || hdr.Get("OC-FileId") == "" {
		t.Fatalf("MOVE .file: %d %s %v", st, body, hdr)
	}
	f, err := e.repo.History.Open(context.Background(), acl.SystemPrincipal(), "/gros fichier.bin", 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.Reader(context.Background(), 0, f.Version.Size)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := rc.Read(b)
	rc.Close()
	if got := string(b[:n]); got != "un-deux-dix." || !f.Version.ModTime.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("assembled %q, mtime %v", got, f.Version.ModTime)
	}
	if st, _, _ := e.do("marie", "PROPFIND", up, nil, map[string]string{"Depth": "0"}); st != 404 {
		t.Errorf("upload folder after the MOVE: %d, want 404", st)
	}

	// DELETE gives up an upload.
	e.do("marie", "MKCOL", up+"b", nil, nil)
	e.do("marie", "PUT", up+"b/1", strings.NewReader("x"), nil)
	if st, _, _ := e.do("marie", "DELETE", up+"b", nil, nil); st != 204 {
		t.Errorf("DELETE: %d", st)
	}
	if st, _, _ := e.do("marie", "PROPFIND", up+"b", nil, map[string]string{"Depth": "0"}); st != 404 {
		t.Errorf("after DELETE: %d", st)
	}
	// Names that could leave the folder are refused.
	if st, _, _ := e.do("marie", "PUT", up+"c/..%2F..%2Fx", strings.NewReader("x"), nil); st < 400 {
		t.Errorf("a chunk named ../../x: %d", st)
	}
}

// An upload to a folder the account may only read is refused at MKCOL,
// before any chunk is sent.
func TestChunkedUploadRefusedEarly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.repo.Tree.Mkdir(ctx, acl.SystemPrincipal(), "/Lecture"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.repo.Access.Grant(ctx, acl.SystemPrincipal(), "/", repo.Grantee{Kind: acl.KindMembers}, acl.Viewer); err != nil {
		t.Fatal(err)
	}
	st, _, _ := e.do("marie", "MKCOL", "/remote.php/dav/uploads/marie/x", nil,
		map[string]string{"Destination": e.url + "/remote.php/dav/files/marie/Lecture/a.bin"})
	if st != 403 {
		t.Errorf("MKCOL towards a read-only folder: %d, want 403", st)
	}
	// Over the upload limit (1 MiB here): refused at MKCOL when announced,
	// else at the chunk that crosses it.
	dest := map[string]string{"Destination": e.url + "/remote.php/dav/files/admin/gros.bin", "OC-Total-Length": "2000000"}
	if st, _, _ := e.do("admin", "MKCOL", "/remote.php/dav/uploads/admin/y", nil, dest); st != 413 {
		t.Errorf("MKCOL announcing 2 MB: %d, want 413", st)
	}
	delete(dest, "OC-Total-Length")
	if st, _, _ := e.do("admin", "MKCOL", "/remote.php/dav/uploads/admin/y", nil, dest); st != 201 {
		t.Fatalf("MKCOL: %d", st)
	}
	// The crossing chunk is small: refused before its body is read, a
	// large one could meet a closed connection instead of the 413.
	if st, _, _ := e.do("admin", "PUT", "/remote.php/dav/uploads/admin/y/1", strings.NewReader(strings.Repeat("x", 1_040_000)), nil); st != 201 {
		t.Errorf("first chunk: %d", st)
	}
	if st, _, _ := e.do("admin", "PUT", "/remote.php/dav/uploads/admin/y/2", strings.NewReader(strings.Repeat("x", 10_000)), nil); st != 413 {
		t.Errorf("chunk crossing the limit: %d, want 413", st)
	}
}
