package e2e

import (
	"testing"
	"time"

	"notreasso/internal/testutil/server"
)

// The permission matrix for roles and terms of office: every door of
// perms_test.go on /Bureau, granted (viewer) to the role « Secrétaire »
// instead of a group. Whoever holds the role now must get exactly what the
// group member gets there; whoever held it until today, or will from
// tomorrow, exactly what a guest without any grant gets.
func TestPermissionMatrixTerms(t *testing.T) {
	wd := newWorld(t, server.Options{})
	wd.mustCall(201, "POST", "/api/v1/folders/Bureau", nil)
	wd.put("/Bureau/doc.txt", bureauDoc)
	wd.put("/Bureau/photo.png", string(posterPNG(t, 64, 48))) // the preview door's thumbnail
	wd.put("/Bureau/doc.txt", "version 2")
	wd.mustCall(200, "POST", "/api/v1/restore-version", map[string]any{"path": "/Bureau/doc.txt", "version": 1})
	wd.mustCall(200, "POST", "/api/v1/grants/Bureau", map[string]any{"principal": "role:secretary", "role": "viewer"})
	today := time.Now().Format("2006-01-02")
	terms := []struct {
		login, start, end string
		as                string // the matrix row they must match
	}{
		{"titulaire", time.Now().AddDate(-1, 0, 0).Format("2006-01-02"), "", "group member"},
		{"ancienne", time.Now().AddDate(-2, 0, 0).Format("2006-01-02"), today, "guest"}, // ended at 0:00 today
		{"futur", time.Now().AddDate(0, 0, 1).Format("2006-01-02"), "", "guest"},
	}
	var people []who
	as := map[string]string{}
	for _, tm := range terms {
		wd.mustCall(201, "POST", "/api/v1/admin/users", map[string]any{"login": tm.login, "password": userPassword, "role": "guest"})
		wd.users[tm.login] = newClient(t, wd.srv, tm.login, userPassword)
		req := map[string]any{"role": "Secrétaire", "login": tm.login, "start": tm.start}
		if tm.end != "" {
			req["end"] = tm.end
		}
		wd.mustCall(201, "POST", "/api/v1/admin/terms", req)
		people = append(people, who{name: tm.login, c: wd.users[tm.login], logged: true})
		as[tm.login] = tm.as
	}
	wd.trash = map[string]int64{}
	for _, w := range people {
		wd.put("/Bureau/bouge-"+w.name+".txt", "x")
		wd.put("/Bureau/efface-"+w.name+".txt", "x")
		wd.put("/Bureau/bouge-dav-"+w.name+".txt", "x")
		wd.put("/Bureau/efface-dav-"+w.name+".txt", "x")
		wd.trash[w.name] = wd.trashed("/Bureau/jeté-" + w.name + ".txt")
	}
	doorByName := map[string]door{}
	for _, d := range doors {
		doorByName[d.name] = d
	}
	rows := 0
	for _, row := range matrix {
		if row.door == "share link" { // through a link only the link counts: not about roles
			continue
		}
		for _, w := range people {
			if as[w.name] != row.who {
				continue
			}
			rows++
			d := doorByName[row.door]
			for i, name := range opNames {
				run, ok := d.ops[name]
				if !ok {
					continue
				}
				want := row.want[i]
				t.Run(row.door+"/"+w.name+"/"+name, func(t *testing.T) {
					st := run(t, wd, w)
					if got := classify(st, row.door, w); got != want {
						t.Errorf("status %d (%v), want %v (as the %s)", st, got, want, row.who)
					}
				})
			}
		}
	}
	if rows != 3*(len(doors)-1) {
		t.Fatalf("checked %d door × person rows, want %d", rows, 3*(len(doors)-1))
	}
}
