package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// fsTopdirFlag is FS_TOPDIR_FL (linux/fs.h, chattr +T).
const fsTopdirFlag = 0x00020000

// spreadSubdirs asks ext4 to place each folder made in dir in a block group
// of its own, as it does for folders made at the top of the file system.
// The servers measured side by side each get a data folder in dir; without
// it they share the work folder's block group, and on ext4 without a
// journal (this machine's) one server's deleted files slow another's new
// ones (the allocator skips inodes freed in the last seconds). Best effort:
// other file systems ignore or refuse the flag.
func spreadSubdirs(dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return
	}
	unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFlag))
}

// memDir is /dev/shm when it is a file system held in memory (tmpfs),
// else "".
func memDir() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		return ""
	}
	if unix.Access("/dev/shm", unix.W_OK) != nil {
		return ""
	}
	return "/dev/shm"
}
