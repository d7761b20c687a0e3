package repo

import (
	"os"
	"path/filepath"
	"strings"
)

// Creating a file is the costliest step of a small upload on some file
// systems (on ext4 without a journal, the allocator skips inodes freed in
// the last seconds, one lookup each), and the thousands of small uploads
// of a sync app's first run come one after another. So each upload takes
// a spool file made beforehand, and makes the next one while its own body
// is copied and committed: the creation leaves the path the client waits
// on. Spares are made in two folders of the spool in turn, so that making
// one never holds the folder (its lock) that the upload renames its own
// out of. Nothing outlives the upload (it waits for the file it makes
// before returning), so an idle server holds at most maxSpares empty
// files, removed at start-up by CleanupSpool.

// sparePrefix names the spool files made ahead and their folders, apart
// from partial uploads (spoolPrefix): an empty one waiting is no leftover.
const sparePrefix = "spare-"

// spareDirs are the spool's folders the spares are made in, in turn.
var spareDirs = [2]string{sparePrefix + "a", sparePrefix + "b"}

// maxSpares bounds the spool files made ahead: one per upload in flight is
// enough.
const maxSpares = 4

// makeSpareDirs makes the spares' folders (at New).
func makeSpareDirs(spool string) error {
	for _, d := range spareDirs {
		if err := os.MkdirAll(filepath.Join(spool, d), 0o750); err != nil {
			return err
		}
	}
	return nil
}

// inSpool says whether path is a file of the spool: directly in it, or a
// spare in one of its spare folders.
func (s *core) inSpool(path string) bool {
	dir, spool := filepath.Dir(path), filepath.Clean(s.opts.SpoolDir)
	return dir == spool || (filepath.Dir(dir) == spool && strings.HasPrefix(filepath.Base(dir), sparePrefix))
}

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
	dir := filepath.Join(s.opts.SpoolDir, spareDirs[s.spareTurn.Add(1)%2])
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.CreateTemp(dir, sparePrefix+"*")
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

// cleanupSpares removes the spares an earlier run left (at start-up).
func (s *core) cleanupSpares() {
	for _, d := range spareDirs {
		entries, _ := os.ReadDir(filepath.Join(s.opts.SpoolDir, d))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), sparePrefix) {
				os.Remove(filepath.Join(s.opts.SpoolDir, d, e.Name()))
			}
		}
	}
}
