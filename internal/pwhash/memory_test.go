package pwhash

import (
	"context"
	"runtime/metrics"
	"testing"
	"time"
)

// freeHeap is heap memory the process holds but does not use: what a
// resting server keeps resident for nothing.
func freeHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHashMemoryIsReleased: the 19 MiB work area of a password check goes
// back to the system within a few seconds, not at the runtime's leisure.
func TestHashMemoryIsReleased(t *testing.T) {
	hash, err := Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(releaseDelay + time.Second) // the release Hash scheduled
	before := freeHeap()
	if ok, err := Check(context.Background(), hash, "correct horse battery"); err != nil || !ok {
		t.Fatalf("Check = %v, %v", ok, err)
	}
	const workArea = argonMemory * 1024
	deadline := time.Now().Add(releaseDelay + 3*time.Second)
	for {
		free := freeHeap()
		if free < workArea/2 {
			t.Logf("free heap %d KiB before the check, %d KiB after the release", before>>10, free>>10)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("free heap still %d KiB %s after a password check (work area %d KiB)", free>>10, releaseDelay+3*time.Second, workArea>>10)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
