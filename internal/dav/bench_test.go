package dav_test

import (
	"fmt"
	"strings"
	"testing"

	"notreasso/internal/acl"
	"notreasso/internal/config"
)

// BenchmarkPropfindDepth1 answers PROPFIND Depth 1 on a folder of 10 000
// files in process (the server over loopback HTTP), with the properties
// file managers ask for. The e2e benchmark measures the same through the
// real binary; this one is for profiles:
//
//	go test ./internal/dav -run XXX -bench Propfind -cpuprofile cpu.out
func BenchmarkPropfindDepth1(b *testing.B) {
	e := newEnv(b, config.DAV{})
	admin := acl.Principal{UserID: 1, Login: "admin", Role: acl.Admin}
	ctx := b.Context()
	if _, err := e.repo.Tree.Mkdir(ctx, admin, "/many"); err != nil {
		b.Fatal(err)
	}
	e.must(b, 201, put("/dav/many/f00000.txt", "hello"))
	const files = 10000
	for i := 1; i < files; i++ {
		if _, err := e.repo.Tree.Copy(ctx, admin, "/many/f00000.txt", fmt.Sprintf("/many/f%05d.txt", i), false); err != nil {
			b.Fatal(err)
		}
	}
	r := propfind("/dav/many/", "1", `<D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/><D:getcontenttype/><D:displayname/><D:creationdate/>`)
	b.ResetTimer()
	for b.Loop() {
		_, body := e.must(b, 207, r)
		if n := strings.Count(body, "<D:response>"); n != files+1 {
			b.Fatalf("%d responses, want %d", n, files+1)
		}
	}
}

// BenchmarkSmallPut uploads new 5 KB files, a sync client's first run:
// authentication, the drive and the repository's one transaction per
// file, with the SQL statements each costs (stmts/op). The bench's
// « small » section measures the same through the real binary against
// Apache; this one is for profiles:
//
//	go test ./internal/dav -run XXX -bench SmallPut -benchmem -cpuprofile cpu.out
func BenchmarkSmallPut(b *testing.B) {
	e := newEnv(b, config.DAV{})
	body := strings.Repeat("x", 5<<10)
	i := 0
	stmts := e.db.Statements()
	for b.Loop() {
		i++
		e.must(b, 201, put(fmt.Sprintf("/dav/f%06d.txt", i), fmt.Sprint(body, i)))
	}
	b.ReportMetric(float64(e.db.Statements()-stmts)/float64(i), "stmts/op")
}

// BenchmarkSmallDelete deletes small files into the trash, one request
// each, the other half of a sync client's churn.
func BenchmarkSmallDelete(b *testing.B) {
	e := newEnv(b, config.DAV{})
	body := strings.Repeat("x", 5<<10)
	const files = 2000
	for i := range files {
		e.must(b, 201, put(fmt.Sprintf("/dav/f%06d.txt", i), fmt.Sprint(body, i)))
	}
	i := 0
	stmts := e.db.Statements()
	for b.Loop() {
		if i == files {
			b.Fatalf("more than %d rounds: raise files", files)
		}
		e.must(b, 204, req{user: "admin", method: "DELETE", path: fmt.Sprintf("/dav/f%06d.txt", i)})
		i++
	}
	b.ReportMetric(float64(e.db.Statements()-stmts)/float64(i), "stmts/op")
}
