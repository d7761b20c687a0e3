package indexer

import (
	"context"
	"fmt"
	"notreasso/internal/repo"
	"strconv"
	"strings"
	"time"
)

// Lag is the number of journal entries not yet applied to the index.
//
// While the indexer waits for a burst of changes to pause, the journal's
// head it last read is behind: a change it knows of counts as one entry,
// so the lag is never 0 while something waits to be indexed.
func (x *Indexer) Lag() int64 {
	lag := max(0, x.head.Load()-x.cursor.Load())
	if lag == 0 && x.pending.Load() {
		lag = 1
	}
	return lag
}

// report publishes the lag to the metrics.
func (x *Indexer) report() {
	if x.metrics.Lag != nil {
		x.metrics.Lag(x.Lag())
	}
}

// Ready reports whether the indexer has caught up with the journal once.
func (x *Indexer) Ready(ctx context.Context) error {
	if x.rebuild.Load() {
		return fmt.Errorf("building the search index from the repository: %d documents so far", x.built.Load())
	}
	if !x.ready.Load() {
		return fmt.Errorf("index catching up: %d journal entries behind", x.Lag())
	}
	return nil
}

// Run follows the journal until ctx is cancelled, after rebuilding a new
// or outdated index.
func (x *Indexer) Run(ctx context.Context) {
	backoff := time.Second
	for x.rebuild.Load() {
		start := time.Now()
		x.log.Info("building the search index from the repository")
		err := x.Rebuild(ctx, func(done int) { x.built.Store(int64(done)) })
		if err == nil {
			x.rebuild.Store(false)
			x.log.Info("search index built", "took", time.Since(start).Round(time.Millisecond))
			break
		}
		if ctx.Err() != nil {
			return
		}
		x.log.Error("building the search index failed; will retry", "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, time.Minute)
	}
	backoff = time.Second
	for {
		n, err := x.step(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			x.log.Error("indexing failed; will retry", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if n >= stepEntries {
			continue // a backlog: no need to let changes gather
		}
		if n == 0 {
			x.ready.Store(true)
			select {
			case <-ctx.Done():
				return
			case <-x.repo.Changed():
				x.pending.Store(true)
			case <-time.After(5 * time.Second): // changes made by other processes (CLI)
			}
		} else if len(x.repo.Changed()) > 0 {
			x.pending.Store(true) // changed during the step
		}
		x.report()
		if !repo.Settle(ctx, x.repo.Changed(), x.settle, repo.SettleAtMost) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// step applies the next journal entries; it returns how many it consumed.
// stepEntries is how many journal entries one step reads at most.
const stepEntries = 2000

func (x *Indexer) step(ctx context.Context) (int, error) {
	x.pending.Store(false) // the head read now counts every change made so far
	head, err := x.repo.Index.LastJournalSeq(ctx)
	if err != nil {
		x.pending.Store(true)
		return 0, err
	}
	x.head.Store(head)
	x.report()
	entries, err := x.repo.Index.JournalSince(ctx, x.cursor.Load(), stepEntries)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, e := range entries {
		if e.NodeID == 0 || seen[e.NodeID] || !indexable(e.Action) {
			continue
		}
		seen[e.NodeID] = true
		ids = append(ids, e.NodeID)
	}
	b := &batch{x: x, apply: x.ix.Apply}
	defer b.wait() // on errors: never leave an apply running behind
	for _, id := range ids {
		if err := b.addNode(ctx, id); err != nil {
			return 0, err
		}
	}
	if err := b.flush(ctx); err != nil {
		return 0, err
	}
	if err := b.wait(); err != nil {
		return 0, err
	}
	last := entries[len(entries)-1].Seq
	if err := x.repo.Index.SetWorkerState(ctx, x.cursorKey, strconv.FormatInt(last, 10)); err != nil {
		return 0, err
	}
	x.cursor.Store(last)
	return len(entries), nil
}

// indexable says which journal actions can change what the index holds.
// Unknown actions are re-indexed, which is safe; the known audit-only
// families are skipped (a grant on the root would otherwise re-index
// everything, and permissions are applied at query time anyway).
func indexable(action string) bool {
	switch action {
	case "mkdir", "label_version":
		return false
	}
	for _, p := range []string{"grant_", "share_", "user_", "group_", "app_password_", "login"} {
		if strings.HasPrefix(action, p) {
			return false
		}
	}
	return true
}
