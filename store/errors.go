package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the store returns for these conditions wraps
// one of them, so callers test with errors.Is.
var (
	// ErrNotFound: no such message, group, group state or peer.
	ErrNotFound = errors.New("not found in the store")
	// ErrDeleted: the message was deleted here (Delete left a tombstone).
	// It wraps ErrNotFound, so callers that only care whether a message can
	// be read test for that, and callers that must tell "gone" from "never
	// had" test for ErrDeleted.
	ErrDeleted = fmt.Errorf("%w: the message was deleted", ErrNotFound)
	// ErrExpired: the group's expiry (ExpireGroup) has passed; the store
	// keeps nothing of it any more.
	ErrExpired = errors.New("group has expired")
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
	// ErrDiskFull: the store refused a write because its filesystem has
	// too little free space (see Disk), or because it was opened read-only
	// on a full disk. Nothing already stored is affected.
	ErrDiskFull = errors.New("not enough free disk space")
)
