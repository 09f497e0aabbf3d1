//go:build !(linux || darwin || freebsd)

package store

import "os"

// statfsFree cannot measure free space on this system: -1 (unknown) turns
// the floors off.
func statfsFree(string) (int64, error) { return -1, nil }

// allocated is the space a file takes on disk: its size, here.
func allocated(fi os.FileInfo) int64 { return fi.Size() }
