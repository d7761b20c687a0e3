package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	blobfs "notreasso/storage/fs"
)

// The accounts a snapshot brings are compared with the running instance's
// before anything is replaced; a current database too damaged to be read
// is replaced with --force all the same (that is often why one restores).
func TestRestoreComparesAccounts(t *testing.T) {
	ctx := context.Background()
	in := open(t, t.TempDir())
	in.db.W.Exec(`INSERT INTO users (id, login, role, password_hash, created_at) VALUES (1, 'admin', 'admin', 'h1', 0), (2, 'mallory', 'admin', 'h2', 0), (3, 'marie', 'member', 'h3', 0)`)
	in.put(t, "/a.txt", "a")
	dir, _ := OpenDir(t.TempDir())
	if _, err := Backup(ctx, in.r, dir, Options{TempDir: in.data}); err != nil {
		t.Fatal(err)
	}
	// The running instance: no mallory, marie disabled with another
	// password, and paul.
	in.db.W.Exec(`DELETE FROM users WHERE login = 'mallory'`)
	in.db.W.Exec(`UPDATE users SET disabled = 1, password_hash = 'h4' WHERE login = 'marie'`)
	in.db.W.Exec(`INSERT INTO users (id, login, role, created_at) VALUES (4, 'paul', 'guest', 0)`)
	in.db.Close()

	rep, err := Restore(ctx, dir, RestoreOptions{Data: in.data, Blobs: in.blobs})
	var ae *AccountsError
	if !errors.As(err, &ae) {
		t.Fatalf("restore without --force over other accounts: %v", err)
	}
	want := []string{
		"+ mallory (admin): an administrator account the running instance does not have",
		"~ marie: disabled → enabled, a different password",
		"- paul (guest): not in the snapshot, would be removed",
	}
	if strings.Join(ae.Changes, "\n") != strings.Join(want, "\n") || rep.InPlace {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(ae.Changes, "\n"), strings.Join(want, "\n"))
	}
	if got := Admins(rep.Accounts); strings.Join(got, ",") != "admin,mallory" {
		t.Errorf("administrators in the snapshot: %v", got)
	}

	// A current database that cannot be read: refused without --force,
	// replaced with it.
	db := filepath.Join(in.data, "meta.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
	}
	os.WriteFile(db, []byte("not a database"), 0o640)
	bs, _ := blobfs.New(filepath.Join(in.data, "blobs"))
	if _, err := Restore(ctx, dir, RestoreOptions{Data: in.data, Blobs: bs}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over a damaged database without --force: %v", err)
	}
	rep, err = Restore(ctx, dir, RestoreOptions{Data: in.data, Blobs: bs, Force: true})
	if err != nil || !rep.InPlace || len(rep.AccountChanges) != 1 || !strings.HasPrefix(rep.AccountChanges[0], "? ") {
		t.Errorf("restore --force over a damaged database: %+v %v", rep.AccountChanges, err)
	}
}
