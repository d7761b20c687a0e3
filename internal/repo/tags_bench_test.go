package repo

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkTagsForMember lists the tags a member may see when 2 000
// documents in 20 folders carry them: each document's readability is
// checked (through mayRead, whatever the access rules become).
func BenchmarkTagsForMember(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	for d := 0; d < 20; d++ {
		dir := fmt.Sprintf("/D%02d", d)
		if _, err := e.s.Tree.Mkdir(ctx, e.admin, dir); err != nil {
			b.Fatal(err)
		}
		for f := 0; f < 100; f++ {
			p := fmt.Sprintf("%s/f%03d.txt", dir, f)
			e.put(b, e.admin, p, p)
			if _, err := e.s.Tree.SetTags(ctx, e.admin, p, []string{"budget", fmt.Sprintf("t%d", f%7)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		ts, err := e.s.Tags.Tags(ctx, e.member, "")
		if err != nil || len(ts) != 8 || ts[0].Count != 2000 {
			b.Fatalf("%+v %v", ts, err)
		}
	}
}
