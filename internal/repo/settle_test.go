package repo

import (
	"context"
	"testing"
	"time"
)

// TestSettle: a follower woken by a change waits for changes to pause, so
// a burst is followed once after it; a burst that does not pause is still
// followed at the bound; a cancelled context ends the wait.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	const quiet, most = 150 * time.Millisecond, 900 * time.Millisecond

	changed := make(chan struct{}, 1)
	start := time.Now()
	if !Settle(ctx, changed, quiet, most) {
		t.Fatal("Settle ended without its context ending")
	}
	if d := time.Since(start); d < quiet || d >= most {
		t.Errorf("with no further change Settle took %v, want the pause %v", d, quiet)
	}

	// Changes every 50 ms for 450 ms, then none: Settle returns a pause
	// after the last one, not before.
	stop := make(chan struct{})
	go func() {
		for i := 0; i < 9; i++ {
			select {
			case changed <- struct{}{}:
			default:
			}
			time.Sleep(50 * time.Millisecond)
		}
		close(stop)
	}()
	start = time.Now()
	Settle(ctx, changed, quiet, most)
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("Settle returned %v into a burst of 450 ms", d)
	}
	<-stop

	// Changes that never pause: Settle returns at the bound.
	ctx2, cancel := context.WithCancel(ctx)
	go func() {
		for ctx2.Err() == nil {
			select {
			case changed <- struct{}{}:
			default:
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	start = time.Now()
	if !Settle(ctx, changed, quiet, most) {
		t.Fatal("Settle ended without its context ending")
	}
	if d := time.Since(start); d < most {
		t.Errorf("Settle returned after %v in a burst that never pauses, want the bound %v", d, most)
	}
	cancel()

	ctx3, cancel3 := context.WithCancel(ctx)
	cancel3()
	if Settle(ctx3, changed, quiet, most) {
		t.Error("Settle went on with its context ended")
	}
}
