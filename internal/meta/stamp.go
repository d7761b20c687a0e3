package meta

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// A Stamp tells every process using a SQLite database, for one system
// call, whether a value kept in the database (the authentication
// generation) may have changed since it was read, where reading it costs
// a read transaction: after any commit SQLite starts that from an empty
// page cache, so it reads pages and takes locks with a dozen system calls.
//
// The stamp is a symbolic link beside the database whose target is the
// value. Only a transaction that writes the value announces it, before it
// commits (while it holds SQLite's write lock, so announcements follow the
// order of commits). A reader remembers a value it read from the database
// only if the stamp then holds that same value, and trusts it afterwards
// only while the stamp still holds it:
//   - a change committed after the value was read announced a new random
//     value before its commit, so the stamp no longer matches;
//   - a change announced but not committed yet when the value was read
//     left a stamp that does not match what was read, so nothing is
//     remembered;
//   - a commit that failed after its announcement leaves a stamp no
//     value in the database matches: readers read the database every time,
//     as without a stamp, until the next change.
//
// A missing or unreadable stamp means « read the database ». Nothing but
// an announcing transaction ever writes the stamp (a reader that rewrote
// it could hide a change being committed). On PostgreSQL, shared by
// several machines, there is no stamp: the value is read every time.
type Stamp struct {
	path string
	mu   sync.Mutex
	val  string // the value last read from the database while the stamp held it; "" if none
}

// Stamp returns the stamp called name of a SQLite database kept in a
// file; nil otherwise (PostgreSQL, a database in memory).
func (db *DB) Stamp(name string) *Stamp {
	if db.dialect != SQLite || db.path == "" || strings.HasPrefix(db.path, "file:") || strings.Contains(db.path, ":memory:") {
		return nil
	}
	return &Stamp{path: db.path + "-" + name}
}

// Announce makes v the stamp's value; call it inside the transaction that
// writes v, before it commits. If the stamp cannot be made, it is removed
// (readers then read the database), and only if that fails too is the
// error returned: the transaction must not commit a value the stamp
// would contradict.
func (s *Stamp) Announce(v int64) error {
	if s == nil {
		return nil
	}
	var b [8]byte
	rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(s.path), "."+filepath.Base(s.path)+"-"+hex.EncodeToString(b[:]))
	err := os.Symlink(strconv.FormatInt(v, 10), tmp)
	if err == nil {
		if err = os.Rename(tmp, s.path); err == nil {
			return nil
		}
		os.Remove(tmp)
	}
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return errors.Join(err, rerr)
	}
	return nil
}

// Current returns the value remembered, if the stamp still holds it.
func (s *Stamp) Current() (int64, bool) {
	if s == nil {
		return 0, false
	}
	s.mu.Lock()
	val := s.val
	s.mu.Unlock()
	if val == "" {
		return 0, false
	}
	target, err := os.Readlink(s.path)
	if err != nil || target != val {
		return 0, false
	}
	v, err := strconv.ParseInt(val, 10, 64)
	return v, err == nil
}

// Remember keeps v, just read from the database, if the stamp holds it.
func (s *Stamp) Remember(v int64) {
	if s == nil {
		return
	}
	val := strconv.FormatInt(v, 10)
	target, err := os.Readlink(s.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && target == val {
		s.val = val
	} else {
		s.val = ""
	}
}
