package meta

import "testing"

func TestRebindPostgres(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`SELECT ?2, x FROM json_each(?1) WHERE k = ?1`, `SELECT $2, x FROM json_each($1) WHERE k = $1`},
		{`SELECT ?2, ?`, `SELECT $2, $3`},
		{`SELECT '?' || ?, "a?b" FROM t -- why?
			WHERE x = ? /* ? */`, `SELECT '?' || $1, "a?b" FROM t -- why?
			WHERE x = $2 /* ? */`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`WHERE name LIKE ? ESCAPE '\' AND action NOT like 'like%'`, `WHERE name ILIKE $1 ESCAPE '\' AND action NOT ILIKE 'like%'`},
		{`SELECT likes, unlike, ilike FROM t`, `SELECT likes, unlike, ilike FROM t`},
	} {
		if got := rebindPostgres(c.in); got != c.want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
