package auth

import (
	"runtime/debug"
	"sync"
	"time"
)

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
