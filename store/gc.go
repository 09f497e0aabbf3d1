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

// runGC collects value-log garbage every interval until Close.
func (s *Store) runGC(interval time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			s.collectGarbage()
		}
	}
}

// collectGarbage rewrites value-log files until Badger reports nothing left
// to do. Badger runs one GC at a time and rejects overlapping calls.
func (s *Store) collectGarbage() {
	for round := 0; round < maxGCRounds; round++ {
		err := s.db.RunValueLogGC(gcDiscardRatio)
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
