package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"notreasso/internal/testutil/server"
)

// The ownCloud desktop client (owncloudcmd 2.11) speaks the same protocol:
// a first sync both ways, then a run with nothing to do is a handful of
// requests.
func TestSyncOwncloud(t *testing.T) {
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	syncMkcol(t, adm, "/Partagé")
	syncPut(t, adm, "/Partagé/ordre du jour.txt", "1. Accueil des bénévoles\n", nilTime())
	oc := newSyncClient(t, srv, "owncloudcmd", "admin", server.AdminPassword)
	// Debian's owncloud-client-cmd ships no system exclude list, without
	// which owncloudcmd aborts: give it the usual editor leftovers.
	exclude := filepath.Join(t.TempDir(), "sync-exclude.lst")
	if err := os.WriteFile(exclude, []byte("*~\n.~lock.*\n~$*\n.DS_Store\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oc.extra = []string{"--exclude", exclude}
	const n = 50
	for i := range n {
		oc.write(fmt.Sprintf("Comptes d'été/reçu n°%02d.txt", i), fmt.Sprintf("reçu %d\n", i), nilTime())
	}
	reqs := oc.run()
	if got := reqs.count("PUT", "/remote.php/"); got != n {
		t.Errorf("%d PUTs for %d files:\n%s", got, n, reqs)
	}
	if got, err := oc.read("Partagé/ordre du jour.txt"); err != nil || got != "1. Accueil des bénévoles\n" {
		t.Errorf("server file not synced down: %q %v", got, err)
	}
	if st, got := serverRead(t, adm, "/Comptes d'été/reçu n°07.txt"); st != 200 || got != "reçu 7\n" {
		t.Errorf("local file not on the server: %d %q", st, got)
	}
	oc.run() // lists the folders it created once
	reqs = oc.run()
	if len(reqs) > 6 || reqs.count("PROPFIND", "") != 1 {
		t.Errorf("a run with nothing to do made %d requests:\n%s", len(reqs), reqs)
	}
	t.Logf("owncloudcmd no-change run: %d requests", len(reqs))
}
