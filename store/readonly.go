package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// openBadger opens the database for writing, or read-only when its disk is
// below the hard floor even after the reserve is released: a read-only
// Badger creates and maps nothing for writing. ro reports which.
func (g *diskGuard) openBadger(opts badger.Options) (db *badger.DB, ro bool, err error) {
	if g.off || opts.InMemory {
		db, err = badger.Open(opts)
		return db, false, err
	}
	g.opening = true
	defer func() { g.opening = false }()
	g.loadReserve()
	d := g.measure() // below the hard floor, this releases the reserve
	if d.Free < 0 || d.Free >= g.hard {
		db, err = badger.Open(opts)
		return db, false, err
	}
	if !fileExists(filepath.Join(opts.Dir, badger.ManifestFilename)) {
		return nil, false, fmt.Errorf("%w: no room to create a store: only %s free on the disk holding %s, and the database "+
			"needs %s to write safely; free some space, or use a home on a larger disk", ErrDiskFull, Bytes(d.Free), g.dir, Bytes(g.hard))
	}
	db, err = badger.Open(opts.WithReadOnly(true))
	if err != nil && strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()) {
		// The last run stopped without closing the store, and a read-only
		// Badger cannot replay its write-ahead log. Replaying it writes
		// its content into a table, about as large as the log.
		need := walBytes(opts.Dir) + diskSlack
		if d.Free < need {
			return nil, false, fmt.Errorf("%w: %s; the store was not closed cleanly last time, and reading it "+
				"means replaying its write-ahead log, which needs %s free", ErrDiskFull, d.Reason(), Bytes(need))
		}
		g.log.Warn("the store was not closed cleanly: replaying its write-ahead log before anything else",
			"free", Bytes(d.Free), "needs", Bytes(need))
		db, err = badger.Open(opts)
		return db, false, err
	}
	if err != nil {
		return nil, false, err
	}
	g.setReadOnly(true)
	g.measure()
	return db, true, nil
}

// walBytes is the space the write-ahead logs (.mem files) in dir take.
func walBytes(dir string) int64 {
	files, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += allocated(fi)
		}
	}
	return n
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// requestReopen asks the writer to reopen a read-only store for writing,
// once the monitor finds room. It does not wait.
func (s *Store) requestReopen() {
	select {
	case s.queue <- &writeReq{task: s.reopenWritable, internal: true}:
	case <-s.closing:
	default: // the queue is full; the next measure asks again
	}
}

// reopenWritable runs on the writer goroutine, so no write runs meanwhile;
// dbMu keeps readers out while the database changes.
func (s *Store) reopenWritable() error {
	select {
	case <-s.closing:
		return nil
	default:
	}
	if !s.Disk().ReadOnly {
		return nil
	}
	if d := s.disk.measure(); d.Free >= 0 && d.Free < s.disk.hard+s.disk.reserveSize+s.disk.hysteresis {
		return nil
	}
	s.dbMu.Lock()
	err := s.db.Close()
	db, err2 := badger.Open(s.opts)
	if err2 != nil {
		// Back to read-only, as it was.
		var err3 error
		if db, err3 = badger.Open(s.opts.WithReadOnly(true)); err3 != nil {
			db = nil
			s.dbErr = fmt.Errorf("the store could not be reopened: %w", errors.Join(err, err2, err3))
		}
	}
	s.db = db
	s.dbMu.Unlock()
	if err2 != nil {
		s.log.Error("could not reopen the store for writing", "err", errors.Join(err, err2))
		return err2
	}
	if err := s.prepareSchema(); err != nil {
		s.log.Error("store reopened for writing, but its schema could not be prepared", "err", err)
	}
	s.disk.setReadOnly(false)
	d := s.disk.measure()
	s.startMaintenance()
	s.log.Info("there is room on the disk again: the store is open for writing", "free", Bytes(d.Free))
	return nil
}
