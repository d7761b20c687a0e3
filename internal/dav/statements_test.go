package dav_test

import (
	"fmt"
	"strings"
	"testing"

	"notreasso/internal/config"
	"notreasso/internal/meta"
)

// TestSmallFileStatements counts the SQL statements (and transactions)
// one small-file request of a sync app's first run costs through the
// whole stack (authentication, the drive, the repository): each is a
// parse-free but not free step on SQLite and a network round trip on
// PostgreSQL, so their number must not creep back up. The figures are
// counts, not times: the test is exact whatever the machine's load.
func TestSmallFileStatements(t *testing.T) {
	e := newEnv(t, config.DAV{})
	if e.db.Dialect() != meta.SQLite {
		t.Skip("statements are counted on SQLite")
	}
	body := strings.Repeat("x", 5<<10)
	e.must(t, 201, req{user: "admin", method: "MKCOL", path: "/dav/sync"})
	e.must(t, 201, req{user: "marie", method: "MKCOL", path: "/dav/sync/marie"})
	// Warm up: the first request of a credential is verified the slow way.
	e.must(t, 201, put("/dav/sync/warm.txt", body))
	e.must(t, 201, req{user: "marie", method: "PUT", path: "/dav/sync/marie/warm.txt", body: body})

	// Ceilings per request, for a member whose rights come from grants
	// (an administrator's skip the grants read): authentication 1 (the
	// account with its groups and roles), and
	// for a new small file or a new version one transaction that walks
	// the path, reads the grants, checks the name and the locks, leases
	// the content, writes node, version, then the version pointer with the
	// folder ETags (one statement up to the root) and the journal.
	const maxPut, maxDelete = 11, 7
	count := func(r req, status int) int64 {
		t.Helper()
		before, txs := e.db.Statements(), e.db.Transactions()
		e.must(t, status, r)
		if n := e.db.Transactions() - txs; n != 1 {
			t.Errorf("%s %s: %d write transactions, want 1", r.method, r.path, n)
		}
		return e.db.Statements() - before
	}
	for _, who := range []string{"admin", "marie"} {
		dir := "/dav/sync/"
		if who == "marie" {
			dir += "marie/"
		}
		var created, replaced, deleted int64
		const n = 5
		for i := range n {
			path := fmt.Sprintf("%sf%d.txt", dir, i)
			created += count(req{user: who, method: "PUT", path: path, body: body + fmt.Sprint(i)}, 201)
			replaced += count(req{user: who, method: "PUT", path: path, body: body + fmt.Sprint(i, "bis")}, 204)
			deleted += count(req{user: who, method: "DELETE", path: path}, 204)
		}
		t.Logf("%s: statements per new small file %d, per new version %d, per delete %d", who, created/n, replaced/n, deleted/n)
		if created > maxPut*n || replaced > maxPut*n || deleted > maxDelete*n {
			t.Errorf("%s: more statements than %d per PUT or %d per DELETE", who, maxPut, maxDelete)
		}
	}
}
