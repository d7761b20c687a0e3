package dav_test

import (
	"fmt"
	"strings"
	"testing"

	"notreasso/internal/config"
	"notreasso/internal/meta"
)

// TestSmallFileStatements counts the SQL statements (and transactions, and
// the pages their commits write)
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
	// Pages each commit writes to the write-ahead log, 4 KiB each: its
	// share of the commit's cost grows with them (the log's writes and
	// checksums). A new small file: content, node, version, journal, each
	// table with its indexes, and the ancestors' ETags; a new version the
	// same but the node's indexes, plus a split now and then; a delete:
	// the node, its live names' index, the trash index, the journal.
	const maxPutPages, maxVersionPages, maxDeletePages = 9, 10, 4
	type cost struct{ stmts, pages int64 }
	count := func(r req, status int) cost {
		t.Helper()
		before, txs := e.db.Statements(), e.db.Transactions()
		pages := e.pages(t)
		e.must(t, status, r)
		if n := e.db.Transactions() - txs; n != 1 {
			t.Errorf("%s %s: %d write transactions, want 1", r.method, r.path, n)
		}
		return cost{e.db.Statements() - before, e.pages(t) - pages}
	}
	for _, who := range []string{"admin", "marie"} {
		dir := "/dav/sync/"
		if who == "marie" {
			dir += "marie/"
		}
		var created, replaced, deleted cost
		add := func(sum *cost, c cost) { sum.stmts += c.stmts; sum.pages = max(sum.pages, c.pages) }
		const n = 5
		for i := range n {
			path := fmt.Sprintf("%sf%d.txt", dir, i)
			add(&created, count(req{user: who, method: "PUT", path: path, body: body + fmt.Sprint(i)}, 201))
			add(&replaced, count(req{user: who, method: "PUT", path: path, body: body + fmt.Sprint(i, "bis")}, 204))
			add(&deleted, count(req{user: who, method: "DELETE", path: path}, 204))
		}
		t.Logf("%s: statements per new small file %d, per new version %d, per delete %d; pages written at most %d, %d, %d",
			who, created.stmts/n, replaced.stmts/n, deleted.stmts/n, created.pages, replaced.pages, deleted.pages)
		if created.stmts > maxPut*n || replaced.stmts > maxPut*n || deleted.stmts > maxDelete*n {
			t.Errorf("%s: more statements than %d per PUT or %d per DELETE", who, maxPut, maxDelete)
		}
		if created.pages > maxPutPages || replaced.pages > maxVersionPages || deleted.pages > maxDeletePages {
			t.Errorf("%s: more pages written than %d per new file, %d per new version or %d per DELETE", who, maxPutPages, maxVersionPages, maxDeletePages)
		}
	}
}

// pages is the database pages the writer has written so far.
func (e *env) pages(t testing.TB) int64 {
	t.Helper()
	n, err := e.db.PagesWritten(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
