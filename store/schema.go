package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// dirMode is the mode of a store directory Open creates: the store holds
// group secrets, so it is the user's alone.
const dirMode = 0o700

// prepareDir creates dir with dirMode if needed and warns when it is open to
// other users. It does not change an existing directory's mode: that is the
// user's choice, and the warning says how.
func prepareDir(dir string, log *slog.Logger) error {
	if dir == "" {
		return errors.New("open store: no directory given; pass one, or set Config.InMemory")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("open store %s: create the directory: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("open store %s: %w", dir, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("store directory is open to other users, and it holds group secrets; run chmod 700 on it",
			"dir", dir, "mode", fmt.Sprintf("%#o", perm))
	}
	return nil
}

// schemaVersion 2 added the kind index; Open upgrades a version 1 store.
const schemaVersion = 2

// prepareSchema writes the schema version into a new database, upgrades an
// older one and refuses one written by a newer version.
func (s *Store) prepareSchema() error {
	var version byte
	err := s.db.Update(func(txn kvTxn) error {
		item, err := txn.Get(keySchema)
		if errors.Is(err, errKeyNotFound) {
			if !isEmpty(txn) {
				return fmt.Errorf("%w: the database has data but no schema version; "+
					"it was not written by starling", ErrCorrupt)
			}
			version = schemaVersion
			return txn.Set(keySchema, []byte{schemaVersion})
		}
		if err != nil {
			return err
		}
		version, err = readVersion(item)
		return err
	})
	if err != nil || version == schemaVersion {
		return err
	}
	return s.upgradeFrom1()
}

// upgradeFrom1 builds the kind index of a version 1 store, then records
// version 2. A crash part way leaves version 1 and the upgrade runs again;
// its writes are idempotent. Records that do not decode are left for Check
// to report.
func (s *Store) upgradeFrom1() error {
	var units []unit
	err := s.db.View(func(txn kvTxn) error {
		return eachKey(txn, prefixMessage, func(item kvItem) error {
			id, ok := idFromKey(item.Key())
			if !ok {
				return nil
			}
			rec, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			st, err := parseRecord(id, rec)
			if err != nil {
				return nil
			}
			if k := kindKeyOf(st.Msg); k != nil {
				units = append(units, unit{{key: k, expiresAt: item.ExpiresAt()}})
			}
			return nil
		})
	})
	if err == nil {
		err = s.applyUnits(units)
	}
	if err == nil {
		err = s.db.Update(func(txn kvTxn) error { return txn.Set(keySchema, []byte{schemaVersion}) })
	}
	if err != nil {
		return fmt.Errorf("upgrade the store from schema version 1: %w", err)
	}
	s.log.Info("store upgraded to schema version 2", "dir", s.where, "indexed", len(units))
	return nil
}

func isEmpty(txn kvTxn) bool {
	it := txn.NewIterator(iterOptions{})
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// readVersion reads and checks a stored schema version.
func readVersion(item kvItem) (byte, error) {
	v, err := item.ValueCopy(nil)
	switch {
	case err != nil:
		return 0, err
	case len(v) != 1:
		return 0, fmt.Errorf("%w: schema version has %d bytes", ErrCorrupt, len(v))
	case v[0] > schemaVersion:
		return 0, fmt.Errorf("%w: it has schema version %d, this version of the store knows up to %d",
			ErrSchema, v[0], schemaVersion)
	case v[0] < 1:
		return 0, fmt.Errorf("%w: schema version %d is unknown", ErrCorrupt, v[0])
	}
	return v[0], nil
}

// checkSchema checks the schema version of a store opened read-only, which
// can neither record a version nor upgrade.
func (s *Store) checkSchema() error {
	return s.db.View(func(txn kvTxn) error {
		item, err := txn.Get(keySchema)
		if errors.Is(err, errKeyNotFound) {
			if isEmpty(txn) {
				return fmt.Errorf("%w: no room to create a store: %s", ErrDiskFull, s.disk.cur.Load().Reason())
			}
			return fmt.Errorf("%w: the database has data but no schema version; it was not written by starling", ErrCorrupt)
		}
		if err != nil {
			return err
		}
		version, err := readVersion(item)
		if err == nil && version < schemaVersion {
			err = fmt.Errorf("%w: the store must be upgraded from schema version %d, which writes to it: %s",
				ErrDiskFull, version, s.disk.cur.Load().Reason())
		}
		return err
	})
}
