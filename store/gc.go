package store

import (
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// gcDiscardRatio rewrites a value-log file when half of it is garbage
// (Badger's recommendation: a lifetime write amplification of about 2).
const gcDiscardRatio = 0.5

// maxGCRounds bounds one collection, so Close never waits long for it.
const maxGCRounds = 16

// runMaintenance is the maintenance goroutine: it sweeps expired groups
// once at start (they may have expired while the store was closed) and
// every SweepInterval, collects value-log garbage every GCInterval, and
// compacts when the writer kicks it (compact.go), until Close.
func (s *Store) runMaintenance() {
	defer close(s.maintDone)
	var gcTick, sweepTick <-chan time.Time
	if s.cfg.GCInterval > 0 {
		t := time.NewTicker(s.cfg.GCInterval)
		defer t.Stop()
		gcTick = t.C
	}
	if s.cfg.SweepInterval > 0 {
		t := time.NewTicker(s.cfg.SweepInterval)
		defer t.Stop()
		sweepTick = t.C
		s.sweep()
	}
	for {
		select {
		case <-s.closing:
			return
		case <-gcTick:
			s.collectGarbage()
		case <-sweepTick:
			s.sweep()
			s.kickCompaction() // writes outside the writer (records, the sweep's) add up too
		case <-s.compactKick: // nil, so never, with NoCompaction
			s.compact()
		}
	}
}

// collectGarbage rewrites value-log files until Badger reports nothing left
// to do. Badger runs one GC at a time and rejects overlapping calls.
//
// A rewrite copies up to a value-log file's live values before it deletes
// the file, through Badger's own writes, which the floors do not see: so
// it runs only with that much room above Floor.
func (s *Store) collectGarbage() {
	for round := 0; round < maxGCRounds; round++ {
		if d := s.Disk(); d.State != DiskOK || (d.Free >= 0 && d.Free < d.Floor+2*valueLogFileSize) {
			s.log.Debug("value log garbage collection skipped: too little free disk space", "free", Bytes(d.Free))
			return
		}
		s.dbMu.RLock() // the writer may swap the database (readonly.go)
		err := badger.ErrNoRewrite
		if db := badgerDB(s.db); db != nil {
			err = db.RunValueLogGC(gcDiscardRatio)
		}
		s.dbMu.RUnlock()
		switch {
		case err == nil:
			s.log.Debug("value log rewritten", "round", round+1)
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			return
		default:
			s.log.Warn("value log garbage collection failed", "err", err)
			return
		}
		select {
		case <-s.closing:
			return
		default:
		}
	}
}
