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

// BenchmarkSmallPut overwrites a 5 KB file, the save of an office file or
// a sync client's small upload: what the lock checks of every door add to
// a write shows here.
func BenchmarkSmallPut(b *testing.B) {
	e := newEnv(b, config.DAV{})
	body := strings.Repeat("x", 5<<10)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		e.must(b, 201, put(fmt.Sprintf("/dav/f%06d.txt", i), body))
	}
}
