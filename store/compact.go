package store

import (
	"github.com/dgraph-io/badger/v4"
)

// Compaction on demand. Badger's own compactors each wake every 50 ms to
// look for work, idle or not: on an idle laptop node they were about four
// fifths of its CPU time (measured: 0.29 s a minute with them, 0.055
// without, three `starling up` on 127.0.0.1 with no traffic). So the store
// runs Badger without compactors and compacts when a write leaves level 0
// holding level0Compact tables: the writer kicks the maintenance goroutine
// after each commit, and it runs Badger's Flatten (level 0 into the levels
// below, then each level into the last, a table at a time, as Badger's
// compactors would) until level 0 is below level0Compact again. Level 0
// reaching level0Stall stalls flushes as before, until it has run.
//
// Flatten holds dbMu for reading, so the writer cannot swap the database
// under it (readonly.go); a read-only database is never compacted.

// level0Compact is how many level-0 tables start a compaction: Badger's
// own default (NumLevelZeroTables), well below level0Stall.
const level0Compact = 5

// ownCompaction: the store compacts on demand, not Badger's compactors.
// The memory engine has nothing to compact.
func (s *Store) ownCompaction() bool { return !s.cfg.NoCompaction && s.cfg.Engine == EngineBadger }

// kickCompaction asks the maintenance goroutine to look at level 0. The
// writer calls it after each commit; it never blocks.
func (s *Store) kickCompaction() {
	if s.compactKick == nil {
		return
	}
	select {
	case s.compactKick <- struct{}{}:
	default:
	}
}

// level0Tables counts the database's level-0 tables.
func level0Tables(db *badger.DB) int {
	for _, l := range db.Levels() {
		if l.Level == 0 {
			return l.NumTables
		}
	}
	return 0
}

// compact flattens the tree while level 0 holds level0Compact tables or
// more, until Close starts.
func (s *Store) compact() {
	for {
		select {
		case <-s.closing:
			return
		default:
		}
		if !s.compactOnce() {
			return
		}
	}
}

// compactOnce runs one Flatten if level 0 needs it, and reports whether
// it ran.
func (s *Store) compactOnce() bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	db := badgerDB(s.db)
	if db == nil || db.Opts().ReadOnly || level0Tables(db) < level0Compact {
		return false
	}
	if err := db.Flatten(1); err != nil {
		s.log.Warn("compaction failed; it runs again after the next write", "err", err)
		return false
	}
	s.log.Debug("compacted", "level0_tables", level0Tables(db))
	return true
}
