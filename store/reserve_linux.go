package store

import (
	"os"
	"syscall"
)

// allocate gives f size bytes of real blocks (not a sparse hole), so that
// whoever frees them later gets exactly that much space back.
func allocate(f *os.File, size int64) error {
	return syscall.Fallocate(int(f.Fd()), 0, 0, size)
}
