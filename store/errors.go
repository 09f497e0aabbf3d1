package store

import "errors"

// Sentinel errors. Every error the store returns for these conditions wraps
// one of them, so callers test with errors.Is.
var (
	// ErrNotFound: no such message, group or peer.
	ErrNotFound = errors.New("not found in the store")
	// ErrLocked: another process holds the store directory.
	ErrLocked = errors.New("store directory is locked")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store is closed")
	// ErrBadCursor: a History cursor this store did not hand out for that
	// group and direction.
	ErrBadCursor = errors.New("bad history cursor")
	// ErrCorrupt: the database holds something this package never writes.
	ErrCorrupt = errors.New("store is corrupt")
	// ErrSchema: the database was written by a newer, incompatible version.
	ErrSchema = errors.New("store schema is not supported")
)
