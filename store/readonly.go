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

// requestTask asks the writer to run one of the store's own tasks (reopening
// for writing, or read-only). It does not wait; when the queue is full the
// monitor asks again at its next measure.
func (s *Store) requestTask(task func() error) {
	s.queue.tryPush(&writeReq{task: task, internal: true}) // full or closed: dropped
}

// reopenReadOnly runs on the writer goroutine once the disk is below the
// hard floor: it closes the database, which flushes its memtables into the
// room the released reserve made, and opens it again read-only. From then
// on Badger writes nothing, not even in the background, and Close has
// nothing to flush, so the store stays readable and closes cleanly however
// full the disk gets. If the room is gone already, the database stays open
// (refusing writes) and Close leaves its write-ahead log (closeDB).
func (s *Store) reopenReadOnly() error {
	select {
	case <-s.closing:
		return nil
	default:
	}
	d := s.disk.measure()
	if d.ReadOnly || s.cfg.InMemory || d.Free < 0 || d.Free >= s.disk.hard {
		return nil
	}
	if need := walBytes(s.opts.Dir) + diskSlack; d.Free < need {
		s.log.Error("the disk is too full to flush the store and make it read-only; it stays open and saves nothing",
			"free", Bytes(d.Free), "needs", Bytes(need))
		return nil
	}
	if err := s.swapDB(true); err != nil {
		return err
	}
	s.disk.setReadOnly(true)
	s.disk.measure()
	s.log.Warn("the disk is full: the store is now read-only; it reopens for writing once there is room",
		"free", Bytes(d.Free))
	return nil
}

// swapDB closes the database and opens it again, read-only or not; if that
// fails it opens it as it was. It runs on the writer goroutine and holds
// dbMu, so no read or write runs meanwhile.
func (s *Store) swapDB(readOnly bool) error {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	var err error
	if s.db != nil {
		err = s.db.Close()
	}
	db, err2 := badger.Open(s.opts.WithReadOnly(readOnly))
	if err2 != nil {
		var err3 error
		if db, err3 = badger.Open(s.opts.WithReadOnly(!readOnly)); err3 != nil {
			// Nothing works until a later reopen for writing succeeds:
			// the monitor keeps asking, as for a read-only store.
			db = nil
			s.dbErr = fmt.Errorf("the store could not be reopened: %w", errors.Join(err, err2, err3))
			s.disk.setReadOnly(true)
		}
		s.db = newBadgerEngine(db)
		s.log.Error("could not reopen the store", "read_only", readOnly, "err", errors.Join(err, err2))
		return err2
	}
	s.db = newBadgerEngine(db)
	return nil
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
	if err := s.swapDB(false); err != nil {
		return err
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
