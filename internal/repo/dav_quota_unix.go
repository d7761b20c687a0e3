//go:build unix

package repo

import "syscall"

// freeSpace is the space available to this process on dir's filesystem.
func freeSpace(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
