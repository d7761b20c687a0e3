package pwhash

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argonKey computes an argon2id key; the caller holds a hashing slot.
//
// The work area is dead once the key is computed, but the collector only
// runs when the heap has doubled: under a flood of password checks each
// hash would take fresh pages while the dead areas of the previous ones
// wait for it. Collecting at once, still in the slot, lets the next hash
// reuse those pages; on a small heap that costs far less than the hash
// (e2e TestPasswordFloodMemory holds the bound).
func argonKey(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	key := argon2.IDKey(pw, salt, time, memory, threads, keyLen)
	runtime.GC()
	releaseSoon()
	return key
}

// Each argon2id hash allocates a 19 MiB work area that is garbage as soon
// as the hash is computed. Go hands freed memory back to the system
// lazily: on a server at rest the next collection can be minutes away, and
// the first login's work area would stay resident meanwhile (about a
// quarter of an idle server's memory). A short while after a burst of
// hashes, release it at once.

// releaseDelay groups the hashes of a burst (a WebDAV client's first
// parallel requests) into one release, and bounds the cost of a release (a
// collection of a small heap: milliseconds) to a few percent of a core
// even during a storm of logins.
const releaseDelay = 250 * time.Millisecond

var release struct {
	sync.Mutex
	pending bool
}

// releaseSoon schedules one debug.FreeOSMemory (a collection and a return
// of free pages to the system) unless one is already scheduled.
func releaseSoon() {
	release.Lock()
	defer release.Unlock()
	if release.pending {
		return
	}
	release.pending = true
	time.AfterFunc(releaseDelay, func() {
		release.Lock()
		release.pending = false
		release.Unlock()
		debug.FreeOSMemory()
	})
}
