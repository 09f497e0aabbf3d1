//go:build linux || darwin || freebsd

package store

import (
	"os"
	"syscall"
)

// statfsFree returns the bytes of the filesystem holding dir that an
// unprivileged process may still allocate (f_bavail): what Badger can use.
func statfsFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert // the field types differ between systems
}

// allocated is the space a file takes on disk, holes excluded.
func allocated(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512 //nolint:unconvert // the field types differ between systems
	}
	return fi.Size()
}
