package store

import (
	"errors"
)

// A write sets or deletes one key. expiresAt is Badger's TTL (Unix seconds,
// 0: never).
type write struct {
	key, value []byte
	// shared, if set, follows value: bytes other stores may hold too
	// (kvTxn.SetShared).
	shared    []byte
	expiresAt uint64
	del       bool
}

// A unit is the writes that must land in one transaction: every key of one
// message, so that a crash between the transactions of a long operation
// (deleting or expiring a group) leaves each message whole or gone, and
// Check content.
type unit []write

func (u unit) apply(txn kvTxn) error {
	for _, w := range u {
		var err error
		switch {
		case w.del:
			err = txn.Delete(w.key)
		case w.shared != nil:
			err = txn.SetShared(w.key, w.value, w.shared, w.expiresAt)
		default:
			err = txn.SetEntry(w.key, w.value, w.expiresAt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxUnitsPerTxn bounds a transaction of applyUnits, so that a long
// operation holds no huge transaction in memory.
const maxUnitsPerTxn = 256

// applyUnits writes units in as few transactions as Badger allows, never
// splitting a unit. Only the writer goroutine (or Open, before it starts)
// calls it: the units were computed from reads that nobody else's writes
// may invalidate.
func (s *Store) applyUnits(units []unit) error {
	for len(units) > 0 {
		n, err := s.applySome(units[:min(len(units), maxUnitsPerTxn)])
		if err != nil {
			return err
		}
		units = units[n:]
	}
	return nil
}

// applySome commits a prefix of units in one transaction and says how many
// it took: all of them, or those before the one Badger found too big.
func (s *Store) applySome(units []unit) (int, error) {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	for i, u := range units {
		if err := u.apply(txn); err != nil {
			if i > 0 && errors.Is(err, errTxnTooBig) {
				// txn holds part of u: write the units before it afresh.
				txn.Discard()
				_, err := s.applySome(units[:i])
				return i, err
			}
			return 0, err
		}
	}
	return len(units), txn.Commit()
}
