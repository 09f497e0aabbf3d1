package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The reserve file holds reserveSize bytes of real blocks while the disk has
// room, so that the store can hand them to Badger when something else fills
// the disk (see disk.go). It lives in the store directory; Badger ignores it.

func (g *diskGuard) reservePath() string { return filepath.Join(g.dir, reserveName) }

// loadReserve notes whether the reserve file exists, at Open. One of
// another size (from another MemTableSize) is removed, to be made again at
// the right size when there is room.
func (g *diskGuard) loadReserve() {
	if g.reserveSize == 0 {
		return
	}
	fi, err := os.Stat(g.reservePath())
	switch {
	case err == nil && fi.Size() == g.reserveSize:
		g.holding = true
	case err == nil:
		g.releaseReserve()
	case !errors.Is(err, fs.ErrNotExist):
		g.log.Warn("cannot read the store's reserve file", "err", err)
	}
}

// takeReserve creates the reserve file with real blocks. It fails quietly
// (and is tried again at a later measure) when the space is not there.
func (g *diskGuard) takeReserve() {
	tmp := g.reservePath() + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		g.log.Warn("cannot create the store's reserve file", "err", err)
		return
	}
	err = allocate(f, g.reserveSize)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, g.reservePath())
	}
	if err != nil {
		os.Remove(tmp)
		g.log.Debug("no room for the store's reserve file yet", "size", Bytes(g.reserveSize), "err", err)
		return
	}
	g.holding, g.released = true, false
	g.log.Debug("store reserve file made", "size", Bytes(g.reserveSize))
}

// releaseReserve deletes the reserve file, giving its blocks back to the
// filesystem.
func (g *diskGuard) releaseReserve() {
	err := os.Remove(g.reservePath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		g.log.Error("cannot delete the store's reserve file", "err", err)
		return
	}
	if g.holding {
		g.log.Warn("the disk is full: the store released its reserve file so that the database can finish its writes",
			"size", Bytes(g.reserveSize))
	}
	g.holding = false
}
