package repo

import "os"

// Creating a file is the costliest step of a small upload on some file
// systems (on ext4 without a journal, the allocator skips inodes freed in
// the last seconds, one lookup each), and the thousands of small uploads
// of a sync app's first run come one after another. So each upload takes
// a spool file made beforehand, and makes the next one while its own body
// is copied and committed: the creation leaves the path the client waits
// on. Nothing outlives the upload (it waits for the file it makes before
// returning), so an idle server holds at most maxSpares empty spool files,
// removed at start-up by CleanupSpool.

// sparePrefix names the spool files made ahead, apart from partial uploads
// (spoolPrefix): an empty one waiting is no leftover.
const sparePrefix = "spare-"

// maxSpares bounds the spool files made ahead: one per upload in flight is
// enough.
const maxSpares = 4

// takeSpare returns a spool file made beforehand, or nil.
func (s *core) takeSpare() *os.File {
	select {
	case f := <-s.spares:
		return f
	default:
		return nil
	}
}

// makeSpare starts making a spool file for a later upload, unless enough
// are waiting; the caller calls the function it returns before it
// returns, which waits for the file.
func (s *core) makeSpare() func() {
	if len(s.spares) >= maxSpares {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.CreateTemp(s.opts.SpoolDir, sparePrefix+"*")
		if err != nil {
			return // the upload that needs one makes it and reports
		}
		select {
		case s.spares <- f:
		default:
			f.Close()
			os.Remove(f.Name())
		}
	}()
	return func() { <-done }
}
