package repo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"notreasso/internal/meta"
)

// TestChainReadsNodesByKey: loading a node's chain of ancestors (every
// stat by id: search facets, activity, shares) reads each node by its
// primary key on both engines, never every node; walking a path reads
// each level by its folder and name. PostgreSQL cannot tell
// how many rows a recursive query yields; joining the walk's ids to nodes
// afterwards made it scan the whole table, on every call.
func TestChainReadsNodesByKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, d := range []string{"/a", "/a/b", "/Été", "/Été/Comptes"} {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, d); err != nil {
			t.Fatal(err)
		}
	}
	// A tree of an association's size (10 000 folders, made directly:
	// through the repository it would take minutes on PostgreSQL), where a
	// scan of every node costs far more than a few lookups.
	b, err := e.s.Tree.Stat(ctx, e.admin, "/a/b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.db.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 10000)
		INSERT INTO nodes (parent_id, name, kind, mtime, created_at, updated_at) SELECT ?, 'd' || i, 'dir', 0, 0, 0 FROM seq`, b.ID); err != nil {
		t.Fatal(err)
	}
	var last Node
	for i := range 20 {
		last = e.put(t, e.admin, fmt.Sprintf("/a/b/f%03d.txt", i), "x")
	}
	first, err := e.s.Tree.Stat(ctx, e.admin, "/a/b/f000.txt")
	if err != nil {
		t.Fatal(err)
	}
	pg := e.s.db.Dialect() == meta.Postgres
	if pg {
		// What autovacuum does on a live database: the planner's figures.
		if _, err := e.s.db.W.ExecContext(ctx, `ANALYZE nodes, versions, users`); err != nil {
			t.Fatal(err)
		}
	}
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"chainByID":  {chainByIDQuery, []any{last.ID}},
		"chainsByID": {chainsByIDQuery(2), []any{last.ID, first.ID}},
		"walk":       {flatWalkSQL[3], []any{"a", "b", "f000.txt", RootID, "a", "b", "f000.txt"}},
		"deep walk":  {walkDeepSQL, []any{`["a","b","f000.txt"]`, RootID, `["a","b","f000.txt"]`}},
	} {
		plan := queryPlan(t, e, q.sql, q.args...)
		scan := slices.ContainsFunc(plan, func(l string) bool {
			return strings.Contains(l, "Seq Scan on nodes") || l == "SCAN n" || strings.HasPrefix(l, "SCAN n ") || strings.HasPrefix(l, "SCAN nodes")
		})
		if scan {
			t.Errorf("%s scans a whole table:\n%s", name, strings.Join(plan, "\n"))
		}
		// A level is found by its folder and its name, not by reading
		// the folder's 10 000 children.
		if slices.ContainsFunc(plan, byFolderOnly) {
			t.Errorf("%s reads a folder's children to find a name:\n%s", name, strings.Join(plan, "\n"))
		}
	}
	// Names are found exactly, capitals and accents included, by both
	// walks (the deep one from maxFlatWalk+1 names on).
	deep := make([]string, maxFlatWalk+1)
	for i := range deep {
		deep[i] = fmt.Sprintf("Étage %d", i)
	}
	for i := range deep {
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, "/"+strings.Join(deep[:i+1], "/")); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []struct {
		names []string
		found int
	}{
		{[]string{"a", "b", "f000.txt"}, 3},
		{[]string{"a", "B", "f000.txt"}, 1},
		{[]string{"Été", "Comptes"}, 2},
		{[]string{"été", "Comptes"}, 0},
		{[]string{"Été", "comptes"}, 1},
		{deep, len(deep)},
		{append(slices.Clone(deep[:len(deep)-1]), "étage 8"), len(deep) - 1},
	} {
		c, err := e.s.walk(ctx, e.s.db.R, "", w.names)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c) - 1; got != w.found {
			t.Errorf("walk %v: %d names found, want %d (names are exact)", w.names, got, w.found)
		}
	}

	// And the chains are right: root first, the node last.
	c, err := e.s.chainByID(ctx, e.s.db.R, last.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := "/" + strings.Join(namesOf(c), "/"); got != "/a/b/f019.txt" || c[0].id != RootID || c[len(c)-1].hash.String == "" {
		t.Errorf("chainByID: %s (root %d, content %q)", got, c[0].id, c[len(c)-1].hash.String)
	}
	cs, err := e.s.chainsByID(ctx, e.s.db.R, []int64{last.ID, first.ID})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{last.ID: "/a/b/f019.txt", first.ID: "/a/b/f000.txt"} {
		if got := "/" + strings.Join(namesOf(cs[id]), "/"); got != want {
			t.Errorf("chainsByID[%d]: %s, want %s", id, got, want)
		}
	}
}

// byFolderOnly reports a plan line that searches nodes by parent_id alone.
func byFolderOnly(l string) bool {
	return strings.HasSuffix(l, "(parent_id=?)") || // SQLite
		(strings.Contains(l, "Index Cond: (parent_id = ") && !strings.Contains(l, " AND ")) // PostgreSQL
}

// queryPlan is the database's plan for q, a line per step (SQLite's
// EXPLAIN QUERY PLAN details, PostgreSQL's EXPLAIN lines).
func queryPlan(t *testing.T, e *env, q string, args ...any) []string {
	t.Helper()
	pg := e.s.db.Dialect() == meta.Postgres
	explain := `EXPLAIN QUERY PLAN `
	if pg {
		explain = `EXPLAIN `
	}
	rows, err := e.s.db.R.QueryContext(context.Background(), explain+q, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		// SQLite: id, parent, notused, detail; PostgreSQL: one line.
		var line string
		if pg {
			err = rows.Scan(&line)
		} else {
			var id, parent, notused int
			err = rows.Scan(&id, &parent, &notused, &line)
		}
		if err != nil {
			t.Fatal(err)
		}
		plan = append(plan, strings.TrimSpace(line))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestEventsReadNewestFirst: feeds, digests and activity read the journal
// newest first and stop at their limit, on both engines; they never gather
// every entry of the feeds' actions to sort them (on SQLite, which keeps
// no statistics, the (action, seq) index led to a temporary sort of most
// of the journal: 220 ms at 500 000 entries, on every feed).
func TestEventsReadNewestFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A journal of a few years' work, written directly.
	if _, err := e.s.db.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20000)
		INSERT INTO journal (at, node_id, action, details) SELECT i, 1, CASE WHEN i % 3 = 0 THEN 'version' ELSE 'create' END, '{}' FROM seq`); err != nil {
		t.Fatal(err)
	}
	if e.s.db.Dialect() == meta.Postgres {
		// What autovacuum does on a live database: the planner's figures.
		if _, err := e.s.db.W.ExecContext(ctx, `ANALYZE journal, users`); err != nil {
			t.Fatal(err)
		}
	}
	for _, actions := range [][]string{nil, FeedActions} {
		q, args := eventsQuery(actions, false)
		plan := queryPlan(t, e, q, args...)
		if slices.ContainsFunc(plan, func(l string) bool {
			return strings.Contains(l, "TEMP B-TREE") || strings.Contains(l, "journal_action") || strings.HasPrefix(l, "Sort")
		}) {
			t.Errorf("actions %v: the journal is sorted, not read newest first:\n%s", actions, strings.Join(plan, "\n"))
		}
	}
}
