package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notreasso/internal/testutil/server"

	_ "modernc.org/sqlite"
)

// dumpDB is what a restore must bring back, read straight from the
// database file, in a stable text form.
func dumpDB(t *testing.T, data string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "meta.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, COALESCE(parent_id, 0), name, kind, mtime, deleted_at IS NOT NULL, COALESCE(current_version_id, 0) FROM nodes ORDER BY id`,
		`SELECT node_id, number, blob, size, mime, COALESCE(author, 0), created_at, label, pinned FROM versions ORDER BY node_id, number`,
		`SELECT nt.node_id, t.name FROM node_tags nt JOIN tags t ON t.id = nt.tag_id ORDER BY 1, 2`,
		`SELECT node_id, principal_kind, principal_id, role FROM grants ORDER BY 1, 2, 3`,
		`SELECT login, role, password_hash FROM users ORDER BY login`,
		`SELECT g.name, m.user_id FROM groups g JOIN group_members m ON m.group_id = g.id ORDER BY 1, 2`,
		`SELECT node_id, keep_all, max_versions, note FROM retention_rules ORDER BY 1`,
		`SELECT seq, action, details FROM journal ORDER BY seq`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

func execDB(t *testing.T, data string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "meta.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Backup, delete the data directory, restore: the same tree, versions,
// tags, grants, accounts and journal, and every version's content; to a
// directory with the local store, into the bucket itself with S3.
func TestBackupWipeRestore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, srv *server.Server) {
		ctx := context.Background()
		c := admin(t, srv)
		if out, err := srv.Run(ctx, strings.NewReader("mot de passe de marie\n"), "user", "add", "marie", "--password-stdin"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		mkdirParents(c, "/Bureau/AG 2026")
		mkdirParents(c, "/Trésorerie")
		for i := 1; i <= 3; i++ {
			c.put("/Bureau/AG 2026/procès-verbal.odt", []byte(fmt.Sprintf("procès-verbal, version %d", i)))
		}
		c.call("PATCH", "/api/v1/versions/"+escapePath("/Bureau/AG 2026/procès-verbal.odt"), map[string]any{"version": 2, "label": "voté par l'AG du 2026-06-12", "pinned": true}, nil)
		c.call("PUT", "/api/v1/tags/"+escapePath("/Bureau/AG 2026/procès-verbal.odt"), map[string]any{"tags": []string{"AG", "statuts"}}, nil)
		c.put("/Trésorerie/reçus 2026.pdf", []byte("%PDF-1.4 reçus"))
		c.put("/Bureau/ordre du jour.txt", []byte("Assemblée générale extraordinaire : modification des statuts."))
		c.put("/Trésorerie/brouillon.txt", []byte("à jeter"))
		c.call("DELETE", "/api/v1/files/"+escapePath("/Trésorerie/brouillon.txt"), nil, nil)
		if st := c.call("PUT", "/api/v1/retention/Bureau", map[string]any{"keep": "all", "note": "statuts et PV : tout garder"}, nil); st != 200 {
			t.Fatalf("retention rule: %d", st)
		}
		execDB(t, srv.Data, `INSERT INTO groups (id, name, created_at) VALUES (1, 'bureau', 0)`,
			`INSERT INTO group_members (group_id, user_id) SELECT 1, id FROM users WHERE login = 'marie'`,
			`INSERT INTO grants (node_id, principal_kind, principal_id, role, created_at) SELECT id, 'group', 1, 'manager', 0 FROM nodes WHERE name = 'Bureau'`)

		target := filepath.Join(t.TempDir(), "sauvegarde")
		args := []string{"backup", target}
		restoreArgs := []string{"restore", target}
		if srv.S3 != nil {
			args, restoreArgs = []string{"backup", "--bucket"}, []string{"restore", "--bucket"}
		}
		if out, err := srv.Run(ctx, nil, args...); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		want := dumpDB(t, srv.Data)
		keys := blobKeys(t, srv)
		srv.Stop()
		if err := os.RemoveAll(srv.Data); err != nil {
			t.Fatal(err)
		}
		out, err := srv.Run(ctx, nil, restoreArgs...)
		if err != nil || !strings.Contains(out, "every content present") || !strings.Contains(out, "index rebuilt") {
			t.Fatalf("restore (with the search index rebuilt): %v\n%s", err, out)
		}
		if got := dumpDB(t, srv.Data); got != want {
			t.Errorf("restored database differs:\n%s\nwant:\n%s", got, want)
		}
		if got := blobKeys(t, srv); len(got) != len(keys) {
			t.Errorf("%d blobs after restore, %d before", len(got), len(keys))
		}
		srv.Restart()
		waitFound(t, c, `"assemblée générale extraordinaire"`, "/Bureau/ordre du jour.txt")
		for i := 1; i <= 3; i++ {
			st, body, _ := c.get(escapePath("/Bureau/AG 2026/procès-verbal.odt")+fmt.Sprintf("?version=%d", i), nil)
			if st != 200 || string(body) != fmt.Sprintf("procès-verbal, version %d", i) {
				t.Errorf("version %d after restore: %d %q", i, st, body)
			}
		}
		marie := newClient(t, srv, "marie", "mot de passe de marie")
		var n node
		if st := marie.call("GET", "/api/v1/stat/"+escapePath("/Bureau/AG 2026/procès-verbal.odt"), nil, &n); st != 200 || n.Role != "manager" || len(n.Tags) != 2 {
			t.Errorf("marie (group bureau, manager) after restore: %d %+v", st, n)
		}
		var trash struct{ Items []node }
		if c.call("GET", "/api/v1/trash", nil, &trash); len(trash.Items) != 1 {
			t.Errorf("trash after restore: %+v", trash)
		}
		if out, err := srv.Run(ctx, nil, "check"); err != nil || !strings.Contains(out, "OK: no inconsistency") {
			t.Errorf("check after restore: %v\n%s", err, out)
		}
	})
}
