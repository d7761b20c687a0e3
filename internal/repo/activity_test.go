package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The activity feed shows each user only the changes to nodes they may
// read now, newest first, and account events to administrators only.
func TestActivityFilteredByPermission(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.s.Tree.Mkdir(ctx, e.admin, "/Partenaires")
	e.s.Tree.Mkdir(ctx, e.admin, "/Bureau")
	e.put(t, e.admin, "/Partenaires/bilan.txt", "v1")
	e.put(t, e.admin, "/Partenaires/bilan.txt", "v2")
	e.put(t, e.member, "/Bureau/secret.txt", "interne")
	e.s.Tree.Delete(ctx, e.member, "/Bureau/secret.txt")
	var pid int64
	e.s.db.R.QueryRow(`SELECT id FROM nodes WHERE name = 'Partenaires'`).Scan(&pid)
	e.s.db.W.Exec(`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) VALUES (?, 'user', ?, 'viewer', 0)`, pid, e.guest.UserID)
	e.s.db.W.Exec(`INSERT INTO journal (at, actor, action, details) VALUES (1, 1, 'user_add', '{"login":"paul"}')`)

	tests := []struct {
		name    string
		who     string
		limit   int
		actions []string // newest first
	}{
		{"admin sees all, account events included", "admin", 100, []string{"user_add", "delete", "create", "version", "create", "mkdir", "mkdir"}},
		{"member sees the tree, not account events", "member", 100, []string{"delete", "create", "version", "create", "mkdir", "mkdir"}},
		{"guest sees only the granted folder", "guest", 100, []string{"version", "create", "mkdir"}},
		{"limit", "member", 2, []string{"delete", "create"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.admin
			switch tt.who {
			case "member":
				p = e.member
			case "guest":
				p = e.guest
			}
			events, err := e.s.Activity.Activity(ctx, p, FeedScope{}, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range events {
				got = append(got, ev.Action)
			}
			if len(got) != len(tt.actions) {
				t.Fatalf("got %v, want %v", got, tt.actions)
			}
			for i := range got {
				if got[i] != tt.actions[i] {
					t.Fatalf("got %v, want %v", got, tt.actions)
				}
			}
		})
	}
	events, _ := e.s.Activity.Activity(ctx, e.guest, FeedScope{}, 1)
	if events[0].Path != "/Partenaires/bilan.txt" || events[0].Version != 2 || events[0].Actor != "admin" {
		t.Errorf("event: %+v", events[0])
	}
}

// PutSpooled records an assembled file like Put, consumes it, and checks
// rights and size again.
func TestPutSpooled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	spool := func(content string) string {
		f := filepath.Join(e.s.Maintenance.SpoolDir(), "upload-test.part")
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := spool("%PDF-1.4 contenu")
	n, created, err := e.s.Tree.PutSpooled(ctx, e.member, "/rapport.pdf", f, PutOptions{Size: 16})
	if err != nil || !created || n.Version != 1 || n.Mime != "application/pdf" {
		t.Fatalf("first: %+v %v %v", n, created, err)
	}
	if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spool file left: %v", err)
	}
	if got := e.read(t, e.member, "/rapport.pdf", 0); got != "%PDF-1.4 contenu" {
		t.Errorf("content %q", got)
	}
	n, created, err = e.s.Tree.PutSpooled(ctx, e.member, "/rapport.pdf", spool("v2"), PutOptions{Size: 2})
	if err != nil || created || n.Version != 2 {
		t.Fatalf("second: %+v %v %v", n, created, err)
	}
	if _, _, err := e.s.Tree.PutSpooled(ctx, e.member, "/court.txt", spool("abc"), PutOptions{Size: 10}); !errors.Is(err, ErrIncomplete) {
		t.Errorf("short file: %v", err)
	}
	if _, _, err := e.s.Tree.PutSpooled(ctx, e.guest, "/invité.txt", spool("abc"), PutOptions{Size: 3}); err == nil {
		t.Error("guest without rights committed a file")
	}
	if err := e.s.Tree.CheckPut(ctx, e.member, "/énorme.bin", 2<<30); !errors.Is(err, ErrTooLarge) {
		t.Errorf("CheckPut over the limit: %v", err)
	}
	if e.spoolCount(t) != 0 {
		t.Errorf("%d spool files left", e.spoolCount(t))
	}
}
