package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"notreasso/internal/testutil/server"
)

// frenchTree lays out n small files in nested folders whose names have
// accents (NFC and NFD), spaces and apostrophes, each with its own past
// modification time. It returns the relative paths (NFC) and their times.
func frenchTree(c *syncClient, n int) map[string]time.Time {
	base := time.Date(2021, 3, 4, 10, 0, 0, 0, time.UTC)
	out := map[string]time.Time{}
	dirs := []string{"Comptes rendus", "Trésorerie/Reçus 2024", "L'été des bénévoles", "Événements/Fête d'hiver"}
	for i := range n {
		dir := dirs[i%len(dirs)]
		name := fmt.Sprintf("réunion d'équipe n°%04d.txt", i)
		if i%2 == 1 {
			name = norm.NFD.String(name) // as macOS writes names
		}
		rel := dir + "/" + name
		mt := base.Add(time.Duration(i) * time.Minute)
		c.write(rel, fmt.Sprintf("Compte rendu %d — « le trésor » %s\n", i, strings.Repeat("é", i%50)), mt)
		out[norm.NFC.String(rel)] = mt
	}
	return out
}

// One account, one local folder, a scenario in steps as a volunteer lives
// it: first sync, nothing to do, edits on each side, a conflict, renames
// and moves, deletes.
func TestSyncNextcloud(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	srv := server.Start(t, server.Options{})
	adm := admin(t, srv)
	nc := newSyncClient(t, srv, "nextcloudcmd", "admin", server.AdminPassword)

	// Already on the server before the first sync, with its own date.
	serverTime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	syncMkcol(t, adm, "/Du serveur")
	syncPut(t, adm, "/Du serveur/déjà là.txt", "écrit sur le serveur\n", serverTime)
	tree := frenchTree(nc, n)

	t.Run("first sync", func(t *testing.T) {
		reqs := nc.run()
		if got := reqs.count("PUT", "/remote.php/dav/files/admin/"); got != n {
			t.Errorf("%d PUTs for %d files", got, n)
		}
		for rel, mt := range tree {
			st, nd := serverStat(t, adm, "/"+rel)
			if st != 200 {
				t.Fatalf("%s not on the server: %d", rel, st)
			}
			if !nd.Modified.Equal(mt) {
				t.Fatalf("%s: server mtime %v, want %v", rel, nd.Modified, mt)
			}
		}
		fi, err := os.Stat(nc.local("Du serveur/déjà là.txt"))
		if err != nil {
			t.Fatalf("server file not synced down: %v", err)
		}
		if !fi.ModTime().Equal(serverTime) {
			t.Errorf("server file's local mtime %v, want %v", fi.ModTime(), serverTime)
		}
	})

	t.Run("no change", func(t *testing.T) {
		// The app leaves the ETag of folders it created empty, so the next
		// run lists each of them once (one PROPFIND per folder, no file).
		reqs := nc.run()
		if reqs.count("PUT", "") > 0 || reqs.count("GET", "/remote.php/") > 0 {
			t.Errorf("a run after the first sync transferred files:\n%s", reqs)
		}
		reqs = nc.run()
		if len(reqs) > 5 {
			t.Errorf("a run with nothing to do made %d requests:\n%s", len(reqs), reqs)
		}
		if reqs.count("PROPFIND", "") != 1 {
			t.Errorf("want only the root's PROPFIND:\n%s", reqs)
		}
		t.Logf("no-change run with %d files: %d requests", n, len(reqs))
	})

	t.Run("edits on each side", func(t *testing.T) {
		a, b := "Comptes rendus/réunion d'équipe n°0000.txt", "Comptes rendus/réunion d'équipe n°0004.txt"
		nc.write(a, "modifié sur l'ordinateur\n", time.Now().Add(-time.Minute))
		syncPut(t, adm, "/"+b, "modifié sur le serveur\n", time.Time{})
		reqs := nc.run()
		t.Logf("edits:\n%s", reqs)
		if _, got := serverRead(t, adm, "/"+a); got != "modifié sur l'ordinateur\n" {
			t.Errorf("local edit not on the server: %q", got)
		}
		if got, _ := nc.read(b); got != "modifié sur le serveur\n" {
			t.Errorf("server edit not local: %q", got)
		}
		for _, p := range []string{a, b} {
			if v := versionCount(t, adm, "/"+p); v != 2 {
				t.Errorf("%s: %d versions, want 2", p, v)
			}
		}
	})

	t.Run("conflict", func(t *testing.T) {
		c := "Trésorerie/Reçus 2024/réunion d'équipe n°0001.txt"
		nc.write(c, "version de l'ordinateur\n", time.Now().Add(-time.Minute))
		syncPut(t, adm, "/"+c, "version du serveur\n", time.Time{})
		nc.run()
		if got, _ := nc.read(c); got != "version du serveur\n" {
			t.Errorf("after a conflict the file has %q, want the server's", got)
		}
		dir := filepath.Dir(nc.local(c))
		ents, _ := os.ReadDir(dir)
		var copyName string
		for _, e := range ents {
			if strings.Contains(e.Name(), "conflicted copy") {
				copyName = e.Name()
			}
		}
		if copyName == "" {
			t.Fatalf("no conflict copy in %s", dir)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, copyName)); string(got) != "version de l'ordinateur\n" {
			t.Errorf("conflict copy has %q", got)
		}
		nc.run() // the app uploads its conflict copy: both texts kept on the server
		if st, got := serverRead(t, adm, "/Trésorerie/Reçus 2024/"+copyName); st != 200 || got != "version de l'ordinateur\n" {
			t.Errorf("conflict copy on the server: %d %q", st, got)
		}
		if v := versionCount(t, adm, "/"+c); v != 2 {
			t.Errorf("%d versions of the conflicting file, want 2", v)
		}
	})

	t.Run("rename and move", func(t *testing.T) {
		// On the computer: rename a folder, move another into a third.
		if err := os.Rename(nc.local("Comptes rendus"), nc.local("Comptes rendus 2024")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(nc.local("L'été des bénévoles"), nc.local("Événements/L'été des bénévoles")); err != nil {
			t.Fatal(err)
		}
		reqs := nc.run()
		if p := reqs.count("PUT", ""); p != 0 {
			t.Errorf("%d PUTs after local renames:\n%s", p, reqs)
		}
		if m := reqs.count("MOVE", ""); m != 2 {
			t.Errorf("%d MOVEs, want 2:\n%s", m, reqs)
		}
		if st, _ := serverStat(t, adm, "/Événements/L'été des bénévoles/réunion d'équipe n°0002.txt"); st != 200 {
			t.Errorf("moved folder not on the server: %d", st)
		}
		// On the server: the same, the other way.
		syncMove(t, adm, "/Comptes rendus 2024", "/Procès-verbaux")
		syncMove(t, adm, "/Événements/Fête d'hiver", "/Fête d'hiver")
		reqs = nc.run()
		if g, p := reqs.count("GET", "/remote.php/"), reqs.count("PUT", ""); g != 0 || p != 0 {
			t.Errorf("%d downloads and %d uploads after server renames:\n%s", g, p, reqs)
		}
		if _, err := os.Stat(nc.local("Procès-verbaux/réunion d'équipe n°0008.txt")); err != nil {
			t.Errorf("server rename not applied: %v", err)
		}
		if _, err := os.Stat(nc.local("Fête d'hiver")); err != nil {
			t.Errorf("server move not applied: %v", err)
		}
	})

	t.Run("deletes", func(t *testing.T) {
		e := "Procès-verbaux/réunion d'équipe n°0012.txt"
		f := "Procès-verbaux/réunion d'équipe n°0016.txt"
		if err := os.Remove(nc.local(e)); err != nil {
			t.Fatal(err)
		}
		if st := syncDav(t, adm, "DELETE", "/"+f, nil, nil); st != 204 {
			t.Fatalf("server delete: %d", st)
		}
		nc.run()
		if _, err := os.Stat(nc.local(f)); !os.IsNotExist(err) {
			t.Errorf("server delete not applied locally: %v", err)
		}
		trash := trashPaths(t, adm)
		for _, p := range []string{e, f} {
			if !trash["/"+p] {
				t.Errorf("%s not in the server's trash: %v", p, trash)
			}
		}
	})
}
