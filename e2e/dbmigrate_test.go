package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"notreasso/internal/testutil/server"
	"notreasso/internal/testutil/testdb"
)

// `notreasso db migrate` moves a populated SQLite installation to
// PostgreSQL, and the API answers the same afterwards: listings, versions,
// grants, links, tags, collections, activity and search, for an
// administrator and for a guest who sees part of it.
func TestDBMigrateToPostgres(t *testing.T) {
	if testdb.Postgres() {
		t.Skip("starts on SQLite by design: runs in the SQLite pass")
	}
	wd := newWorld(t, server.Options{})
	srv := wd.srv
	for _, d := range []string{"Bureau", "Partenaires", "Partenaires/Conventions"} {
		wd.mustCall(201, "POST", "/api/v1/folders/"+d, nil)
	}
	wd.put("/Bureau/pv.txt", "Procès-verbal : la girafe a voté.")
	wd.put("/Bureau/pv.txt", "Procès-verbal, version 2 : la girafe a voté deux fois.")
	wd.put("/Partenaires/Conventions/convention.txt", "Convention de partenariat : la girafe prête son cou.")
	wd.put("/Partenaires/budget.txt", "Budget prévisionnel.")
	wd.trashed("/Bureau/brouillon.txt")
	wd.mustCall(200, "POST", "/api/v1/grants/Partenaires", map[string]any{"principal": "group:partenaires", "role": "viewer"})
	wd.mustCall(200, "PUT", "/api/v1/tags/Bureau/pv.txt", map[string]any{"tags": []string{"AG 2026", "statuts"}})
	wd.share(map[string]any{"path": "/Partenaires/budget.txt", "label": "financeurs"})
	col := wd.mustCall(201, "POST", "/api/v1/collections", map[string]any{"title": "Accueil", "audience": map[string]any{"members": true}})
	wd.mustCall(200, "PUT", fmt.Sprintf("/api/v1/collections/%d/items", int64(col["id"].(float64))), map[string]any{"items": []map[string]any{
		{"path": "/Bureau/pv.txt", "note": "à lire"}}})
	waitFound(t, wd.admin, "girafe", "/Partenaires/Conventions/convention.txt")
	// The index has caught up with the tags too.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, r := wd.admin.search("statuts"); len(r.Hits) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tag never reached the index")
		}
	}

	probes := []struct{ who, path string }{
		{"admin", "/api/v1/list/"}, {"admin", "/api/v1/list/Bureau"}, {"admin", "/api/v1/list/Partenaires/Conventions"},
		{"admin", "/api/v1/versions/Bureau/pv.txt"}, {"admin", "/api/v1/grants/Partenaires"}, {"admin", "/api/v1/tags"},
		{"admin", "/api/v1/shares"}, {"admin", "/api/v1/collections"}, {"admin", "/api/v1/trash"}, {"admin", "/api/v1/activity"},
		{"admin", "/api/v1/search?q=girafe"}, {"lea", "/api/v1/list/Partenaires"}, {"lea", "/api/v1/search?q=girafe"},
		{"paul", "/api/v1/search?q=girafe"}, {"admin", "/api/v1/search?q=statuts"}, {"admin", "/api/v1/admin/users"},
	}
	answers := func() []string {
		var out []string
		for _, p := range probes {
			var v any
			st := wd.users[p.who].call("GET", p.path, nil, &v)
			b, _ := json.Marshal(v)
			out = append(out, fmt.Sprintf("%s GET %s → %d %s", p.who, p.path, st, b))
		}
		return out
	}
	before := answers()
	srv.Stop()

	url := testdb.NewPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := srv.Run(ctx, nil, "db", "migrate", "--to", url)
	if err != nil || !strings.Contains(out, "every count verified") || !strings.Contains(out, "consistent") {
		t.Fatalf("db migrate: %v\n%s", err, out)
	}
	for _, table := range []string{"nodes", "versions", "grants", "share_links", "collections", "node_tags", "journal"} {
		if !strings.Contains(out, table) {
			t.Errorf("db migrate did not report %s:\n%s", table, out)
		}
	}
	// A second run refuses: the destination holds data.
	if out2, err := srv.Run(ctx, nil, "db", "migrate", "--to", url); err == nil || !strings.Contains(out2, "already holds data") {
		t.Errorf("second migrate into the same database: %v\n%s", err, out2)
	}

	pg := server.Start(t, server.Options{Data: srv.Data, Database: url})
	wd.srv = pg
	for _, c := range wd.users {
		c.base = pg.URL
	}
	if !strings.Contains(pg.Output(), "dialect=postgres") {
		t.Fatalf("the server did not open PostgreSQL:\n%s", pg.Output())
	}
	after := answers()
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("answer changed by the migration:\nbefore %s\nafter  %s", before[i], after[i])
		}
	}
	// And the installation goes on: a new file gets a fresh id.
	wd.put("/Bureau/nouveau.txt", "après la migration")
	var n node
	if st := wd.admin.call("GET", "/api/v1/stat/Bureau/nouveau.txt", nil, &n); st != 200 || n.ID == 0 {
		t.Errorf("new file after the migration: %d %+v", st, n)
	}
}
