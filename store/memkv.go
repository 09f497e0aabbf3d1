package store

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/tidwall/btree"
)

// memEngine is the in-memory engine (EngineMemory): one copy-on-write
// B-tree of entries. It costs what it holds, where an in-memory Badger
// reserves a memtable arena of at least MinMemTableSize (1 MiB) and starts
// goroutines of its own; the simulator runs thousands of stores.
//
// Transactions: one write transaction at a time (the next one waits for
// Commit or Discard), working on its own copy of the committed tree, which
// shares every node until written; Commit publishes that copy. A read
// transaction takes the published tree, which is never written again (the
// next write copies it first), so readers neither lock nor wait, and see
// one snapshot throughout. Nothing is ever too big for a transaction, Sync
// has nothing to do, and nothing survives Close.
type memEngine struct {
	// writeMu is held by the write transaction in progress. w is the
	// committed tree; only the holder of writeMu touches it.
	writeMu sync.Mutex
	w       *btree.BTreeG[*memEntry]
	// snap is a copy of w that nobody writes: what transactions start from.
	snap   atomic.Pointer[btree.BTreeG[*memEntry]]
	closed atomic.Bool
}

// memEntry is a key and its value: buf[:klen] is the key and the value is
// buf[klen:] followed by shared. The tree holds pointers to entries, never
// written once set: every write transaction copies the nodes it changes
// (the published snapshot shares them), and a node of 8-byte pointers
// copies in a sixth of the bytes of one of 48-byte entries. Storing a
// message copied about 6.5 KB of nodes; now 1.5 KB (BenchmarkMemPut).
type memEntry struct {
	buf       []byte
	klen      uint32
	expiresAt uint64
	// shared is the value's shared part (SetShared), kept once in the
	// process for every engine that holds it (package unique): the
	// simulator's stores each hold every message of their groups.
	shared unique.Handle[string]
}

func (e *memEntry) key() []byte { return e.buf[:e.klen:e.klen] }

// value is the entry's value: a slice of the entry's own bytes, or, for a
// value with a shared part, a new copy.
func (e *memEntry) value() []byte {
	if e.shared == (unique.Handle[string]{}) {
		return e.buf[e.klen:]
	}
	return append(e.buf[e.klen:len(e.buf):len(e.buf)], e.shared.Value()...)
}

func (e *memEntry) valueSize() int {
	n := len(e.buf) - int(e.klen)
	if e.shared != (unique.Handle[string]{}) {
		n += len(e.shared.Value())
	}
	return n
}

// live reports whether e has not expired at now (Unix seconds), as Badger
// decides: an entry expires at the second its expiresAt names.
func (e *memEntry) live(now uint64) bool { return e.expiresAt == 0 || e.expiresAt > now }

// memTreeOptions: every write transaction copies the nodes on the path to
// each key it writes, so smaller nodes than the default degree (32: up to
// 63 entries) copy fewer bytes: with 16, storing a message allocates
// 3.2 KB instead of 3.7 KB (BenchmarkMemPut), for a tree about one level
// deeper.
var memTreeOptions = btree.Options{NoLocks: true, Degree: 16}

func memLess(a, b *memEntry) bool { return bytes.Compare(a.key(), b.key()) < 0 }

// errEngineClosed: the engine was used after Close.
var errEngineClosed = errors.New("the in-memory engine is closed")

func newMemEngine() *memEngine {
	e := &memEngine{w: btree.NewBTreeGOptions(memLess, memTreeOptions)}
	e.snap.Store(e.w.Copy())
	return e
}

func (e *memEngine) View(fn func(kvTxn) error) error {
	txn := e.NewTransaction(false)
	defer txn.Discard()
	return fn(txn)
}

func (e *memEngine) Update(fn func(kvTxn) error) error {
	txn := e.NewTransaction(true)
	defer txn.Discard()
	if err := fn(txn); err != nil {
		return err
	}
	return txn.Commit()
}

func (e *memEngine) NewTransaction(update bool) kvTxn {
	t := &memTxn{e: e, update: update, now: uint64(time.Now().Unix())}
	if e.closed.Load() {
		t.done = true
		return t
	}
	if update {
		e.writeMu.Lock()
		t.tree = e.w.Copy()
	} else {
		t.tree = e.snap.Load()
	}
	return t
}

func (e *memEngine) Sync() error { return nil }

// Close drops the entries once the write in progress, if any, is over.
func (e *memEngine) Close() error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	e.w = btree.NewBTreeGOptions(memLess, memTreeOptions)
	e.snap.Store(e.w.Copy())
	return nil
}

// memTxn is a transaction on a memEngine.
type memTxn struct {
	e      *memEngine
	tree   *btree.BTreeG[*memEntry] // the snapshot, or the write's own copy
	update bool
	done   bool   // committed or discarded (or the engine was closed)
	now    uint64 // Unix seconds when it started, for expiry
}

func (t *memTxn) check(write bool) error {
	switch {
	case t.done && t.e.closed.Load():
		return errEngineClosed
	case t.done:
		return errors.New("the transaction has ended")
	case write && !t.update:
		return errReadOnlyTxn
	}
	return nil
}

func (t *memTxn) Get(key []byte) (kvItem, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	e, ok := t.tree.Get(&memEntry{buf: key, klen: uint32(len(key))})
	if !ok || !e.live(t.now) {
		return nil, errKeyNotFound
	}
	return &memItem{e}, nil
}

// NewIterator iterates over the transaction as it is now: a write
// transaction's later writes do not disturb it (Badger's iterators do not
// see them either).
func (t *memTxn) NewIterator(opt iterOptions) kvIterator {
	it := &memIter{opt: opt, now: t.now}
	if t.check(false) != nil {
		return it // never valid
	}
	tree := t.tree
	if t.update {
		tree = tree.Copy()
	}
	it.it = tree.Iter()
	it.open = true
	return it
}

func (t *memTxn) Set(key, value []byte) error { return t.SetEntry(key, value, 0) }

func (t *memTxn) SetEntry(key, value []byte, expiresAt uint64) error {
	if err := t.check(true); err != nil {
		return err
	}
	if len(key) == 0 {
		return errors.New("empty key")
	}
	t.tree.Set(newMemEntry(key, value, expiresAt))
	return nil
}

func (t *memTxn) SetShared(key, head, shared []byte, expiresAt uint64) error {
	if err := t.check(true); err != nil {
		return err
	}
	if len(key) == 0 {
		return errors.New("empty key")
	}
	e := newMemEntry(key, head, expiresAt)
	if len(shared) > 0 {
		e.shared = unique.Make(string(shared))
	}
	t.tree.Set(e)
	return nil
}

func newMemEntry(key, value []byte, expiresAt uint64) *memEntry {
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	return &memEntry{buf: buf, klen: uint32(len(key)), expiresAt: expiresAt}
}

func (t *memTxn) Delete(key []byte) error {
	if err := t.check(true); err != nil {
		return err
	}
	t.tree.Delete(&memEntry{buf: key, klen: uint32(len(key))})
	return nil
}

func (t *memTxn) Commit() error {
	if err := t.check(false); err != nil {
		return err
	}
	if t.update {
		t.e.w = t.tree
		t.e.snap.Store(t.tree.Copy())
	}
	t.Discard()
	return nil
}

func (t *memTxn) Discard() {
	if t.done {
		return
	}
	t.done = true
	t.tree = nil
	if t.update {
		t.e.writeMu.Unlock()
	}
}

// memItem is an entry. Its bytes are never written again, but an
// iterator's item is overwritten when the iterator moves, as Badger's is.
type memItem struct{ e *memEntry }

func (i *memItem) Key() []byte                         { return i.e.key() }
func (i *memItem) KeyCopy(dst []byte) []byte           { return append(dst[:0], i.e.key()...) }
func (i *memItem) Value(fn func(v []byte) error) error { return fn(i.e.value()) }
func (i *memItem) ValueSize() int64                    { return int64(i.e.valueSize()) }
func (i *memItem) ExpiresAt() uint64                   { return i.e.expiresAt }

func (i *memItem) ValueCopy(dst []byte) ([]byte, error) {
	return append(dst[:0], i.e.value()...), nil
}

// memIter is an iterator over a tree that nobody writes.
type memIter struct {
	it    btree.IterG[*memEntry]
	opt   iterOptions
	now   uint64
	open  bool // it holds a tree and needs Release
	valid bool
	item  memItem
}

func (i *memIter) Rewind() { i.Seek(nil) }

func (i *memIter) Seek(key []byte) {
	if !i.open {
		return
	}
	if len(key) == 0 {
		key = i.opt.Prefix
	}
	pivot := &memEntry{buf: key, klen: uint32(len(key))}
	switch {
	case !i.opt.Reverse && len(key) == 0:
		i.valid = i.it.First()
	case !i.opt.Reverse:
		i.valid = i.it.Seek(pivot)
	case len(key) == 0:
		i.valid = i.it.Last()
	default:
		// The last key at or before key: the first at or after it, or the
		// one before that if it is after key.
		if i.valid = i.it.Seek(pivot); !i.valid {
			i.valid = i.it.Last()
		} else if memLess(pivot, i.it.Item()) {
			i.valid = i.it.Prev()
		}
	}
	i.settle()
}

func (i *memIter) Next() {
	if !i.valid {
		return
	}
	i.step()
	i.settle()
}

func (i *memIter) step() {
	if i.opt.Reverse {
		i.valid = i.it.Prev()
	} else {
		i.valid = i.it.Next()
	}
}

// settle moves past expired entries and loads the current item.
func (i *memIter) settle() {
	for i.valid && !i.it.Item().live(i.now) {
		i.step()
	}
	if i.valid {
		i.item = memItem{i.it.Item()}
	} else {
		i.item = memItem{}
	}
}

func (i *memIter) Valid() bool {
	return i.valid && bytes.HasPrefix(i.item.e.key(), i.opt.Prefix)
}

func (i *memIter) ValidForPrefix(prefix []byte) bool {
	return i.Valid() && bytes.HasPrefix(i.item.e.key(), prefix)
}

// Item is the current entry, valid while Valid.
func (i *memIter) Item() kvItem { return &i.item }

func (i *memIter) Close() {
	if i.open {
		i.it.Release()
		i.open = false
		i.valid = false
	}
}
