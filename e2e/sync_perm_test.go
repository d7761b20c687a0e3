package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// A folder the account may only read syncs down; what the app changes in
// it is refused by the server, whose copy stays as it was.
func TestSyncReadOnlyFolder(t *testing.T) {
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	mustCall := func(want int, method, path string, in any) {
		t.Helper()
		if st := adm.call(method, path, in, nil); st != want {
			t.Fatalf("%s %s: %d, want %d", method, path, st, want)
		}
	}
	mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": "marie", "password": userPassword, "role": "member"})
	// Members read everything; marie edits /Travail only.
	mustCall(200, "POST", "/api/v1/grants", map[string]any{"principal": "members", "role": "viewer"})
	syncMkcol(t, adm, "/Lecture")
	syncMkcol(t, adm, "/Travail")
	mustCall(200, "POST", "/api/v1/grants/Travail", map[string]any{"principal": "user:marie", "role": "editor"})
	syncPut(t, adm, "/Lecture/statuts.txt", "Article 1 : l'association…\n", time.Time{})
	syncPut(t, adm, "/Lecture/règlement intérieur.txt", "Règlement adopté en 2019\n", time.Time{})

	nc := newSyncClient(t, srv, "nextcloudcmd", "marie", userPassword)
	nc.run()
	if got, err := nc.read("Lecture/statuts.txt"); err != nil || got != "Article 1 : l'association…\n" {
		t.Fatalf("read-only folder not synced down: %q %v", got, err)
	}

	nc.write("Lecture/règlement intérieur.txt", "réécrit sur l'ordinateur\n", time.Now().Add(-time.Minute))
	nc.write("Lecture/nouveau.txt", "ajouté sur l'ordinateur\n", time.Time{})
	if err := os.Remove(nc.local("Lecture/statuts.txt")); err != nil {
		t.Fatal(err)
	}
	nc.write("Travail/plan.txt", "ici, marie peut écrire\n", time.Time{})
	reqs := nc.runExpect(true)
	nc.runExpect(true) // the app restores what it may not delete
	t.Logf("requests:\n%s", reqs)

	for path, want := range map[string]string{
		"/Lecture/statuts.txt":             "Article 1 : l'association…\n",
		"/Lecture/règlement intérieur.txt": "Règlement adopté en 2019\n",
		"/Travail/plan.txt":                "ici, marie peut écrire\n",
	} {
		if st, got := serverRead(t, adm, path); st != 200 || got != want {
			t.Errorf("%s on the server: %d %q, want %q", path, st, got, want)
		}
	}
	if v := versionCount(t, adm, "/Lecture/règlement intérieur.txt"); v != 1 {
		t.Errorf("%d versions of the read-only file, want 1", v)
	}
	if st, _ := serverStat(t, adm, "/Lecture/nouveau.txt"); st != 404 {
		t.Errorf("a file added in a read-only folder reached the server: %d", st)
	}
	if got, err := nc.read("Lecture/statuts.txt"); err != nil || got != "Article 1 : l'association…\n" {
		t.Errorf("the app did not restore the read-only file it deleted: %q %v", got, err)
	}
	// Nor is the person's edit lost: the app keeps it in a conflict copy.
	copies, _ := filepath.Glob(nc.local("Lecture/règlement intérieur (conflicted copy*"))
	if len(copies) != 1 {
		t.Fatalf("no local conflict copy of the refused edit: %v", copies)
	}
	if got, _ := os.ReadFile(copies[0]); string(got) != "réécrit sur l'ordinateur\n" {
		t.Errorf("conflict copy has %q", got)
	}
}
