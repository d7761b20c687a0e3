//go:build unix

package transfer

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// openNoFollow opens rel inside the root: its folders through the root
// (which refuses links that lead out of it), the file itself relative to
// its folder's descriptor with O_NOFOLLOW (a link fails with ELOOP) and
// O_NONBLOCK (a pipe or device cannot hold the import in open()).
func (s *source) openNoFollow(rel string) (*os.File, error) {
	dir, base := filepath.Split(rel)
	if dir == "" {
		dir = "."
	}
	d, err := s.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	sc, err := d.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var oerr error
	cerr := sc.Control(func(dfd uintptr) {
		for {
			fd, oerr = unix.Openat(int(dfd), base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			if !errors.Is(oerr, unix.EINTR) {
				return
			}
		}
	})
	if cerr != nil {
		return nil, cerr
	}
	if oerr != nil {
		return nil, &os.PathError{Op: "open", Path: rel, Err: oerr}
	}
	// Regular files ignore O_NONBLOCK, but clear it so that nothing else
	// (os.NewFile's poller registration) depends on that.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		unix.SetNonblock(fd, false)
	}
	return os.NewFile(uintptr(fd), rel), nil
}

func isLinkLoop(err error) bool { return errors.Is(err, unix.ELOOP) }
