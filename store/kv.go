package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// The storage-engine seam. The store's records, indexes and tombstones are
// keys and values in one ordered key-value engine; these interfaces are what
// the store needs of it, shaped after Badger's API (which satisfies them
// through the thin adapter below), so that the simulator's thousands of
// nodes can run the same store code on a small in-memory engine (memkv.go).
//
// Semantics every engine keeps, as Badger does:
//   - a read transaction sees one snapshot, taken when it starts; a write
//     transaction sees that snapshot plus its own writes, and its writes
//     become visible to others all at once when it commits;
//   - an entry whose expiresAt (Unix seconds, 0 for never) is not after
//     time.Now is gone: Get and iterators do not see it;
//   - an iterator with a Prefix is Valid only on keys with that prefix;
//     Seek goes to the first key at or after its argument, or in Reverse
//     to the last key at or before it; Rewind is Seek(Prefix);
//   - an item, and the slices Key and Value pass, are valid until the
//     iterator moves or the transaction ends: keep them with KeyCopy and
//     ValueCopy.

// kvEngine is an open key-value engine.
type kvEngine interface {
	// View runs fn in a read transaction.
	View(fn func(txn kvTxn) error) error
	// Update runs fn in a write transaction and commits it if fn succeeds.
	Update(fn func(txn kvTxn) error) error
	// NewTransaction starts a transaction; the caller must Discard it
	// (after Commit too: Discard is then a no-op).
	NewTransaction(update bool) kvTxn
	// Sync makes the commits so far durable.
	Sync() error
	Close() error
}

// kvTxn is a transaction. Set, SetEntry and Delete fail in a read
// transaction, and may fail with errTxnTooBig when the engine cannot take
// more in one transaction.
type kvTxn interface {
	// Get fails with errKeyNotFound when key has no live entry.
	Get(key []byte) (kvItem, error)
	NewIterator(opt iterOptions) kvIterator
	Set(key, value []byte) error
	// SetEntry sets key to value until expiresAt (Unix seconds; 0: never).
	SetEntry(key, value []byte, expiresAt uint64) error
	// SetShared is SetEntry of the value head followed by shared: bytes
	// that other stores in the process may hold too (a message's signed
	// envelope), which an engine may keep once for all of them.
	SetShared(key, head, shared []byte, expiresAt uint64) error
	Delete(key []byte) error
	Commit() error
	Discard()
}

// kvItem is an entry read from a transaction.
type kvItem interface {
	Key() []byte
	KeyCopy(dst []byte) []byte
	Value(fn func(v []byte) error) error
	ValueCopy(dst []byte) ([]byte, error)
	ValueSize() int64
	ExpiresAt() uint64
}

// kvIterator walks a transaction's keys in order (Reverse: backwards). It
// must be closed before its transaction ends.
type kvIterator interface {
	Seek(key []byte)
	Rewind()
	Valid() bool
	ValidForPrefix(prefix []byte) bool
	Next()
	Item() kvItem
	Close()
}

// iterOptions are an iterator's options.
type iterOptions struct {
	Prefix  []byte
	Reverse bool
	// PrefetchValues is a hint: Badger reads values ahead of the iterator.
	PrefetchValues bool
}

var (
	errKeyNotFound = errors.New("key not found")
	errTxnTooBig   = errors.New("transaction too big")
	errReadOnlyTxn = errors.New("write in a read transaction")
)

// badgerEngine is Badger behind the seam.
type badgerEngine struct{ db *badger.DB }

// newBadgerEngine wraps db; a nil db gives a nil engine.
func newBadgerEngine(db *badger.DB) kvEngine {
	if db == nil {
		return nil
	}
	return badgerEngine{db}
}

// badgerDB returns the Badger database under e, or nil when e is another
// engine (or nil): for what only Badger has (compaction, value-log
// garbage collection, read-only reopening).
func badgerDB(e kvEngine) *badger.DB {
	if b, ok := e.(badgerEngine); ok {
		return b.db
	}
	return nil
}

func (e badgerEngine) View(fn func(kvTxn) error) error {
	return e.db.View(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) })
}

func (e badgerEngine) Update(fn func(kvTxn) error) error {
	return badgerErr(e.db.Update(func(txn *badger.Txn) error { return fn(badgerTxn{txn}) }))
}

func (e badgerEngine) NewTransaction(update bool) kvTxn {
	return badgerTxn{e.db.NewTransaction(update)}
}

func (e badgerEngine) Sync() error  { return e.db.Sync() }
func (e badgerEngine) Close() error { return e.db.Close() }

type badgerTxn struct{ t *badger.Txn }

func (t badgerTxn) Get(key []byte) (kvItem, error) {
	item, err := t.t.Get(key)
	if err != nil {
		return nil, badgerErr(err)
	}
	return item, nil
}

func (t badgerTxn) NewIterator(opt iterOptions) kvIterator {
	return badgerIter{t.t.NewIterator(badger.IteratorOptions{
		Prefix: opt.Prefix, Reverse: opt.Reverse, PrefetchValues: opt.PrefetchValues,
	})}
}

func (t badgerTxn) Set(key, value []byte) error { return badgerErr(t.t.Set(key, value)) }

func (t badgerTxn) SetEntry(key, value []byte, expiresAt uint64) error {
	return badgerErr(t.t.SetEntry(&badger.Entry{Key: key, Value: value, ExpiresAt: expiresAt}))
}

func (t badgerTxn) SetShared(key, head, shared []byte, expiresAt uint64) error {
	return t.SetEntry(key, append(head[:len(head):len(head)], shared...), expiresAt)
}

func (t badgerTxn) Delete(key []byte) error { return badgerErr(t.t.Delete(key)) }
func (t badgerTxn) Commit() error           { return badgerErr(t.t.Commit()) }
func (t badgerTxn) Discard()                { t.t.Discard() }

type badgerIter struct{ it *badger.Iterator }

func (i badgerIter) Seek(key []byte)                   { i.it.Seek(key) }
func (i badgerIter) Rewind()                           { i.it.Rewind() }
func (i badgerIter) Valid() bool                       { return i.it.Valid() }
func (i badgerIter) ValidForPrefix(prefix []byte) bool { return i.it.ValidForPrefix(prefix) }
func (i badgerIter) Next()                             { i.it.Next() }
func (i badgerIter) Item() kvItem                      { return i.it.Item() }
func (i badgerIter) Close()                            { i.it.Close() }

// badgerErr maps Badger's sentinel errors to the seam's, keeping Badger's
// text and the rest of the chain.
func badgerErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return errKeyNotFound
	case errors.Is(err, badger.ErrTxnTooBig):
		return fmt.Errorf("%w (%v)", errTxnTooBig, err)
	}
	return err
}
