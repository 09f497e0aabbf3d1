//go:build !linux

package store

import (
	"io"
	"os"
)

// allocate gives f size bytes by writing zeros, where fallocate is missing.
func allocate(f *os.File, size int64) error {
	zero := make([]byte, 1<<20)
	for left := size; left > 0; {
		n, err := f.Write(zero[:min(left, int64(len(zero)))])
		if err != nil {
			return err
		}
		left -= int64(n)
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}
