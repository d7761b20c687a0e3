package repo

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"notreasso/internal/acl"
)

func TestShareViewerLink(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Asso/Comptes 2026/Factures")
	e.s.Tree.MkdirAll(ctx, e.admin, "/Asso/Secret")
	e.put(t, e.admin, "/Asso/Comptes 2026/bilan.txt", "bilan")
	e.put(t, e.admin, "/Asso/Comptes 2026/Factures/f1.txt", "f1")
	e.put(t, e.admin, "/Asso/Secret/s.txt", "s")

	// Only managers share.
	if _, _, err := e.s.Shares.CreateShare(ctx, e.member, "/Asso/Comptes 2026", ShareOptions{Kind: ShareViewer}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an editor created a link: %v", err)
	}
	sh, token, err := e.s.Shares.CreateShare(ctx, e.admin, "/Asso/Comptes 2026", ShareOptions{Kind: ShareViewer, Password: "cabinet-2026", MaxDownloads: 2, Label: "expert-comptable"})
	if err != nil || !ValidShareToken(token) || !sh.HasPassword || sh.Path != "/Asso/Comptes 2026" {
		t.Fatalf("create: %+v %q %v", sh, token, err)
	}
	var stored int
	e.s.db.R.QueryRow(`SELECT count(*) FROM share_links WHERE token_hash = ?`, token).Scan(&stored)
	if stored != 0 {
		t.Fatal("the token is stored in clear")
	}

	for _, tt := range []struct {
		name, token, pw string
		want            error
	}{
		{"junk", "../../etc/passwd", "", ErrNotFound},
		{"unknown token", strings.Repeat("A", 24), "", ErrNotFound},
		{"no password", token, "", ErrNeedPassword},
		{"wrong password", token, "cabinet-2025", ErrNeedPassword},
	} {
		if _, _, err := e.s.Shares.ShareAccess(ctx, tt.token, tt.pw, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	p, _, err := e.s.Shares.ShareAccess(ctx, token, "cabinet-2026", nil)
	if err != nil {
		t.Fatal(err)
	}

	dir, kids, err := e.s.Shares.ShareList(ctx, p, "/")
	if err != nil || dir.Path != "/" || len(kids) != 2 || kids[0].Path != "/Factures" || kids[1].Path != "/bilan.txt" {
		t.Fatalf("list: %+v %+v %v", dir, kids, err)
	}
	if _, kids, _ := e.s.Shares.ShareList(ctx, p, "/Factures"); len(kids) != 1 || kids[0].Path != "/Factures/f1.txt" {
		t.Errorf("list subfolder: %+v", kids)
	}
	// Nothing outside the link, whatever the path or the door.
	if _, _, err := e.s.Shares.ShareList(ctx, p, "/../Secret"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("climbing out: %v", err)
	}
	if _, err := e.s.History.Open(ctx, p, "/Asso/Secret/s.txt", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("link holder opened a file outside the link: %v", err)
	}
	if _, err := e.s.Tree.Stat(ctx, p, "/Asso/Secret"); !errors.Is(err, ErrNotFound) {
		t.Errorf("stat outside: %v", err)
	}
	if _, _, err := e.s.Tree.Put(ctx, p, "/Asso/Comptes 2026/x.txt", strings.NewReader("x"), PutOptions{Size: 1}); !errors.Is(err, ErrForbidden) {
		t.Errorf("link holder wrote: %v", err)
	}
	if err := e.s.Tree.Delete(ctx, p, "/Asso/Comptes 2026/bilan.txt"); !errors.Is(err, ErrForbidden) {
		t.Errorf("link holder deleted: %v", err)
	}
	if err := e.s.Shares.ShareDrop(ctx, p, "x.txt", strings.NewReader("x"), 1); !errors.Is(err, ErrForbidden) {
		t.Errorf("viewer link accepted an upload: %v", err)
	}
	if items, _ := e.s.History.Trash(ctx, p); len(items) != 0 {
		t.Errorf("link holder sees the trash: %+v", items)
	}

	// Two downloads, then the link is used up.
	for i := range 3 {
		f, err := e.s.Shares.ShareOpen(ctx, p, "/bilan.txt", true)
		if i == 2 {
			if !errors.Is(err, ErrExpired) {
				t.Errorf("third download: %v", err)
			}
			break
		}
		if err != nil || f.Node.Path != "/bilan.txt" {
			t.Fatalf("download %d: %+v %v", i, f, err)
		}
		rc, _ := f.Reader(ctx, 0, -1)
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "bilan" {
			t.Errorf("content %q", b)
		}
	}
	// Used up, the link still lists its folder (a listing is not a
	// download) but gives nothing more, not even the rest of a file.
	if _, _, err := e.s.Shares.ShareList(ctx, p, "/"); err != nil {
		t.Errorf("used-up link's listing: %v", err)
	}
	if _, err := e.s.Shares.ShareOpen(ctx, p, "/bilan.txt", false); !errors.Is(err, ErrExpired) {
		t.Errorf("used-up link, range request: %v", err)
	}

	hist, err := e.s.Shares.ShareHistory(ctx, e.admin, sh.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, h := range hist {
		actions = append(actions, h.Action)
	}
	slices.Reverse(actions)
	want := []string{"share_create", "share_denied", "share_view", "share_view", "share_download", "share_download", "share_view"}
	if !slices.Equal(actions, want) {
		t.Errorf("history %v, want %v", actions, want)
	}
	if _, err := e.s.Shares.ShareHistory(ctx, e.member, sh.ID, 100); !errors.Is(err, ErrNotFound) {
		t.Errorf("history for a non-manager: %v", err)
	}
}

func TestShareRevokeExpireAndList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.s.now = func() time.Time { return now }
	e.s.Tree.MkdirAll(ctx, e.admin, "/A")
	e.s.Tree.MkdirAll(ctx, e.admin, "/B")
	e.s.Access.Grant(ctx, e.admin, "/B", mustGrantee(t, "user:marie"), acl.Manager)
	e.put(t, e.admin, "/A/doc.txt", "d")

	if _, _, err := e.s.Shares.CreateShare(ctx, e.admin, "/A", ShareOptions{Kind: ShareViewer, ExpiresAt: now.Add(-time.Hour)}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("expiry in the past: %v", err)
	}
	if _, _, err := e.s.Shares.CreateShare(ctx, e.admin, "/A/doc.txt", ShareOptions{Kind: ShareDropBox}); !errors.Is(err, ErrNotDir) {
		t.Errorf("drop box on a file: %v", err)
	}
	a, ta, err := e.s.Shares.CreateShare(ctx, e.admin, "/A/doc.txt", ShareOptions{Kind: ShareViewer, ExpiresAt: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b, tb, err := e.s.Shares.CreateShare(ctx, e.member, "/B", ShareOptions{Kind: ShareDropBox})
	if err != nil {
		t.Fatal(err)
	}
	// A file link reaches the file only.
	p, _, _ := e.s.Shares.ShareAccess(ctx, ta, "", nil)
	if n, err := e.s.Shares.ShareStat(ctx, p, "/"); err != nil || n.Name != "doc.txt" || n.Path != "/" {
		t.Errorf("file link: %+v %v", n, err)
	}
	if _, err := e.s.Shares.ShareStat(ctx, p, "/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("below a file: %v", err)
	}

	if got, _ := e.s.Shares.Shares(ctx, e.admin, ""); len(got) != 2 {
		t.Errorf("admin sees %d links", len(got))
	}
	if got, _ := e.s.Shares.Shares(ctx, e.member, ""); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("marie sees %+v", got)
	}
	if err := e.s.Shares.RevokeShare(ctx, e.member, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking someone else's link: %v", err)
	}
	if err := e.s.Shares.RevokeShare(ctx, e.member, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.Shares.ShareAccess(ctx, tb, "", nil); !errors.Is(err, ErrExpired) {
		t.Errorf("revoked link: %v", err)
	}
	now = now.Add(25 * time.Hour)
	if _, _, err := e.s.Shares.ShareAccess(ctx, ta, "", nil); !errors.Is(err, ErrExpired) {
		t.Errorf("expired link: %v", err)
	}
	if _, err := e.s.Shares.ShareOpen(ctx, p, "/", true); !errors.Is(err, ErrExpired) {
		t.Errorf("download on a link that expired meanwhile: %v", err)
	}
}

func TestDropBox(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.MkdirAll(ctx, e.admin, "/Trésorerie/Reçus")
	e.put(t, e.admin, "/Trésorerie/Reçus/reçu.pdf", "original")
	e.put(t, e.admin, "/Trésorerie/Reçus/reçu (2).pdf", "second")
	_, token, err := e.s.Shares.CreateShare(ctx, e.admin, "/Trésorerie/Reçus", ShareOptions{Kind: ShareDropBox})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := e.s.Shares.ShareAccess(ctx, token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"reçu.pdf", `C:\fakepath\reçu.pdf`, "nouveau.pdf"} {
		if err := e.s.Shares.ShareDrop(ctx, p, name, strings.NewReader("envoi "+name), -1); err != nil {
			t.Fatalf("drop %s: %v", name, err)
		}
	}
	if err := e.s.Shares.ShareDrop(ctx, p, "..", strings.NewReader("x"), 1); !errors.Is(err, ErrInvalidName) {
		t.Errorf("drop ..: %v", err)
	}
	_, kids, _ := e.s.Tree.List(ctx, e.admin, "/Trésorerie/Reçus")
	var names []string
	for _, k := range kids {
		names = append(names, k.Name)
	}
	if want := []string{"nouveau.pdf", "reçu (2).pdf", "reçu (3).pdf", "reçu (4).pdf", "reçu.pdf"}; !slices.Equal(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
	if got := e.read(t, e.admin, "/Trésorerie/Reçus/reçu.pdf", 0); got != "original" {
		t.Errorf("existing file overwritten: %q", got)
	}
	// The sender sees nothing.
	if _, _, err := e.s.Shares.ShareList(ctx, p, "/"); !errors.Is(err, ErrNotFound) {
		t.Errorf("drop box listing: %v", err)
	}
	if _, err := e.s.Shares.ShareOpen(ctx, p, "/reçu.pdf", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("drop box read: %v", err)
	}
	var n int
	e.s.db.R.QueryRow(`SELECT count(*) FROM journal WHERE action = 'create' AND details LIKE '%"link":%'`).Scan(&n)
	if n != 3 {
		t.Errorf("%d uploads journalled with their link, want 3", n)
	}
}

func TestDropName(t *testing.T) {
	taken := map[string]bool{"reçu.pdf": true, "reçu (2).pdf": true, "notes": true, ".env": true}
	long := strings.Repeat("é", 126) + ".pdf" // 256 bytes once suffixed
	taken[long[:len(long)-4]+".pdf"] = true
	tests := []struct{ in, want string }{
		{"libre.pdf", "libre.pdf"},
		{"reçu.pdf", "reçu (3).pdf"},
		{"notes", "notes (2)"},
		{".env", ".env (2)"},
	}
	for _, tt := range tests {
		if got := DropName(tt.in, func(n string) bool { return taken[n] }); got != tt.want {
			t.Errorf("DropName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := DropName(long, func(n string) bool { return taken[n] }); len(got) > MaxNameBytes || !strings.HasSuffix(got, " (2).pdf") {
		t.Errorf("long name: %q (%d bytes)", got, len(got))
	}
}

// FuzzDropName: whatever the name and whatever is taken, the result is a
// valid free name, and the name itself when free.
func FuzzDropName(f *testing.F) {
	f.Add("reçu.pdf", true)
	f.Add(strings.Repeat("ü", 127)+".tar.gz", true)
	f.Add(".bashrc", false)
	f.Fuzz(func(t *testing.T, name string, busy bool) {
		name, err := CleanName(name)
		if err != nil {
			return
		}
		taken := func(n string) bool { return busy && (n == name || strings.HasSuffix(n, " (2)")) }
		got := DropName(name, taken)
		if taken(got) {
			t.Fatalf("DropName(%q) = %q, which is taken", name, got)
		}
		if c, err := CleanName(got); err != nil || c != got {
			t.Fatalf("DropName(%q) = %q: not a clean name (%v)", name, got, err)
		}
		if !busy && got != name {
			t.Fatalf("free name %q changed to %q", name, got)
		}
	})
}

// FuzzShareRelPath: a path inside a link never leaves the linked folder.
func FuzzShareRelPath(f *testing.F) {
	f.Add("/Asso/Comptes", "/Factures/f1.pdf")
	f.Add("/", "../etc/passwd")
	f.Add("/a", "/./..//b")
	f.Fuzz(func(t *testing.T, root, rel string) {
		base, err := SplitPath(root)
		if err != nil {
			return
		}
		abs, err := ShareRelPath(root, rel)
		if err != nil {
			return
		}
		names, err := SplitPath(abs)
		if err != nil || len(names) < len(base) || !slices.Equal(names[:len(base)], base) {
			t.Fatalf("ShareRelPath(%q, %q) = %q leaves the link", root, rel, abs)
		}
	})
}
