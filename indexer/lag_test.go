package indexer

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"notreasso/indexer/search"
	"notreasso/internal/repo"
	"notreasso/internal/testutil/repotest"
)

// TestLagWhileABurstSettles: while the indexer waits for a burst of
// uploads to pause, its lag (the metric, /readyz, the bench's wait for the
// index) is not 0: it counts the changes it knows of before it reads them;
// once they are indexed it is 0 and the files are found.
func TestLagWhileABurstSettles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := repotest.New(t, repo.Options{})
	x, err := Open(ctx, env.Repo, Options{Dir: filepath.Join(env.Dir, "index"), Settle: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	done := make(chan struct{})
	go func() { defer close(done); x.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); x.Ready(ctx) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the indexer never got ready")
		}
	}
	var maxLag int64
	for i := range 10 {
		body := fmt.Sprintf("procès-verbal numéro %d du conseil", i)
		if _, _, err := env.Repo.Tree.Put(ctx, env.Admin, fmt.Sprintf("/pv-%02d.txt", i), bytes.NewReader([]byte(body)), repo.PutOptions{Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
		maxLag = max(maxLag, x.Lag())
	}
	if maxLag == 0 {
		t.Error("the lag stayed 0 during a burst of uploads not yet indexed")
	}
	for deadline := time.Now().Add(10 * time.Second); x.Lag() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("lag still %d after the burst", x.Lag())
		}
	}
	res, err := x.Search(ctx, env.Admin, search.Query{Text: "conseil", Limit: 20})
	if err != nil || res.Total != 10 {
		t.Errorf("after the lag went to 0, a search finds %v (%v), want the 10 files", res, err)
	}
}
