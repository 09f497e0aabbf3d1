package store

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"starling/message"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxBatch      = 256
	DefaultQueueSize     = 4096
	DefaultGCInterval    = 10 * time.Minute
	DefaultSweepInterval = time.Minute
	DefaultMemTableSize  = 16 << 20
	// MinMemTableSize is the smallest memtable Open uses. Badger sizes its
	// transactions at 15 % of the memtable; at 1 MiB that still holds the
	// largest envelope (64 KiB) with room to spare.
	MinMemTableSize = 1 << 20
	// MaxQueryLimit caps Query.Limit; DefaultQueryLimit replaces a zero one.
	MaxQueryLimit     = 10000
	DefaultQueryLimit = 100
)

// Config tunes a Store. Zero fields take the documented defaults.
type Config struct {
	// InMemory keeps everything in memory and ignores dir: for tests and
	// the simulator. Nothing survives Close.
	InMemory bool
	// Engine is the key-value engine under the store: EngineBadger (the
	// zero value), on disk or InMemory, or EngineMemory, which implies
	// InMemory.
	Engine Engine
	// Logger receives the store's and Badger's logs (Badger's Info goes to
	// Debug). Nil discards them.
	Logger *slog.Logger
	// MaxBatch is how many messages the writer puts in one transaction.
	// Zero or negative: DefaultMaxBatch.
	MaxBatch int
	// QueueSize is the capacity of the writer's queue. When it is full,
	// Put, PutOwn and Enqueue wait (until their context is done). Zero or
	// negative: DefaultQueueSize.
	QueueSize int
	// GCInterval is the period of value-log garbage collection. Zero:
	// DefaultGCInterval; negative: never. In-memory stores have none.
	GCInterval time.Duration
	// MemTableSize is Badger's memtable size, the main part of a store's
	// memory. Zero: DefaultMemTableSize; values below MinMemTableSize are
	// raised to it. The simulator runs a thousand stores, so small values
	// are expected.
	MemTableSize int64
	// NoCompaction never compacts. It suits short-lived in-memory stores,
	// like the simulator's thousand, where merging their few tables saves
	// nothing. Level-0 tables then pile up instead of stalling writes.
	// Otherwise the store compacts on demand (compact.go); Badger's own
	// compactors, which wake every 50 ms each, never run.
	NoCompaction bool
	// SweepInterval is how often groups past their expiry (ExpireGroup)
	// are purged from the store. Badger's TTL hides their entries at the
	// expiry whatever this is; the sweep deletes them, their tombstones
	// and the group's records, including those TTL does not cover. Zero:
	// DefaultSweepInterval; negative: never.
	SweepInterval time.Duration
	// OnStored, when set, is called from the writer goroutine after each
	// commit with the messages that were new, in commit order, before the
	// Puts that wrote them return. It must not
	// block and must not call the store's write methods (that would
	// deadlock the writer); the slice is the callee's to keep.
	OnStored func([]Stored)
	// OnDeleted, when set, is called from the writer goroutine after Delete
	// has committed, with the IDs of the messages whose content it removed
	// (not those it only left a tombstone for, and never for DeleteGroup or
	// expiry). The same rules as for OnStored apply.
	OnDeleted func([]message.ID)
	// Clock stamps ReceivedAt and default JoinedAt. Nil: time.Now.
	Clock func() time.Time
	// Disk sets the free-space floors (see Disk and DiskConfig). An
	// in-memory store has no floors unless Disk.FreeSpace is set.
	Disk DiskConfig
	// OnDisk, when set, is told when the disk state (Disk) changes: its
	// State or ReadOnly. It is called from whichever goroutine measured the
	// change and must not block or call the store's write methods.
	OnDisk func(Disk)
}

func (c Config) withDefaults() Config {
	if c.Engine == EngineMemory {
		c.InMemory = true
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.GCInterval == 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.InMemory {
		c.GCInterval = -1 // no value log
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.MemTableSize == 0 {
		c.MemTableSize = DefaultMemTableSize
	}
	c.MemTableSize = max(c.MemTableSize, MinMemTableSize)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Engine is a key-value engine under a store (see Config.Engine).
type Engine uint8

const (
	// EngineBadger is Badger: on disk, or in memory with InMemory. A
	// node's store.
	EngineBadger Engine = iota
	// EngineMemory is a copy-on-write B-tree in memory (memkv.go), for
	// the simulator's thousands of nodes: it holds what is stored and
	// little more, where an in-memory Badger reserves a memtable of at
	// least MinMemTableSize. It implies InMemory. It has no disk: no free
	// space, no floors, no reserve and no read-only state, so Disk must
	// be left zero, and Disk reports no floors. MemTableSize,
	// NoCompaction and GCInterval are Badger's and do not apply.
	EngineMemory
)

func (e Engine) String() string {
	switch e {
	case EngineBadger:
		return "badger"
	case EngineMemory:
		return "memory"
	}
	return fmt.Sprintf("engine(%d)", uint8(e))
}

// check refuses settings that make no sense together.
func (c Config) check() error {
	switch c.Engine {
	case EngineBadger:
	case EngineMemory:
		if d := c.Disk; d.Floor != 0 || d.FreeSpace != nil || d.CheckInterval != 0 || d.NoReserve {
			return errors.New("the memory engine has no disk: Disk settings (floors, free space, reserve) do not apply to it")
		}
	default:
		return fmt.Errorf("unknown storage engine %s", c.Engine)
	}
	return nil
}

// Store is a node's database. Its methods are safe for concurrent use.
type Store struct {
	// db is replaced only when a read-only store reopens for writing, on
	// the writer goroutine holding dbMu; other goroutines read it holding
	// dbMu for reading (view, update). dbErr says why db is nil, if it is.
	dbMu  sync.RWMutex
	db    kvEngine
	dbErr error
	opts  badger.Options
	cfg   Config
	log   *slog.Logger
	where string // for error messages
	disk  *diskGuard

	queue   *writeQueue
	closing chan struct{} // closed when Close starts

	mu     sync.RWMutex // guards closed and orders ops.Add before ops.Wait
	closed bool
	ops    sync.WaitGroup // public calls in flight

	writerDone chan struct{}
	maintDone  chan struct{} // nil when neither GC, the sweep nor compaction runs (yet)
	// compactKick wakes the maintenance goroutine to compact (compact.go);
	// nil with NoCompaction.
	compactKick chan struct{}
	diskDone    chan struct{} // nil when no disk monitor runs

	closeOnce sync.Once
	closeErr  error

	skips skips // damaged records reads skipped (skip.go)

	// outboxSeq is owned by the writer goroutine after Open.
	outboxSeq uint64

	// expiry holds every group's expiry record. Only the writer changes it
	// (holding expMu for writing while it also rewrites the group's
	// records); the writer and the group-record verbs read it.
	expMu  sync.RWMutex
	expiry map[message.GroupID]expiryRecord
}

// Open opens or creates the store in dir (ignored with cfg.InMemory) and
// starts its writer, garbage collector, expiry sweep and disk monitor. It
// fails with ErrLocked when another process holds dir. A new dir is created
// with mode 0700, since the store holds group secrets; Open warns through
// the Logger when an existing dir is open to other users.
//
// On a disk below the hard floor (see Disk) the store opens read-only:
// every read works, every write fails with ErrDiskFull, and it reopens for
// writing by itself once there is room.
func Open(dir string, cfg Config) (*Store, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cfg = cfg.withDefaults()
	where := dir
	if cfg.InMemory {
		where = "(in memory)"
	} else if err := prepareDir(dir, cfg.Logger); err != nil {
		return nil, err
	}
	opts := badgerOptions(dir, cfg)
	guard := newDiskGuard(dir, cfg, opts)
	var db kvEngine
	var ro bool
	if cfg.Engine == EngineMemory {
		db = newMemEngine()
	} else {
		bdb, readOnly, err := guard.openBadger(opts)
		if err != nil {
			if strings.Contains(err.Error(), "Cannot acquire directory lock") {
				return nil, fmt.Errorf("open store %s: %w: another process (probably a running node) holds it", dir, ErrLocked)
			}
			return nil, fmt.Errorf("open store %s: %w", where, err)
		}
		db, ro = newBadgerEngine(bdb), readOnly
	}
	var err error
	s := &Store{
		db:         db,
		opts:       opts,
		cfg:        cfg,
		log:        cfg.Logger,
		where:      where,
		disk:       guard,
		queue:      newWriteQueue(cfg.QueueSize),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if s.ownCompaction() {
		s.compactKick = make(chan struct{}, 1)
	}
	if ro {
		err = s.checkSchema()
	} else {
		err = s.prepareSchema()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if s.outboxSeq, err = s.lastOutboxSeq(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if s.expiry, err = s.loadExpiries(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	go s.runWriter()
	if !ro {
		s.startMaintenance()
	}
	if !guard.off {
		s.diskDone = make(chan struct{})
		go s.runDiskMonitor()
	}
	// Info only: the caller shows the state where it matters (`up` prints
	// it, status shows it, a refused write says it), and a command that
	// only reads should not warn.
	if d := s.Disk(); d.State != DiskOK {
		s.log.Info("store opened "+d.Label()+": "+d.Reason(), "dir", where)
	} else {
		s.log.Info("store opened", "dir", where)
	}
	return s, nil
}

// startMaintenance starts the maintenance goroutine if GC or the sweep is
// on. Open calls it, or the writer once a read-only store reopens for
// writing; Close reads maintDone only after the writer has stopped.
func (s *Store) startMaintenance() {
	if s.maintDone == nil && (s.cfg.GCInterval > 0 || s.cfg.SweepInterval > 0 || s.ownCompaction()) {
		s.maintDone = make(chan struct{})
		s.kickCompaction() // for what an earlier run left
		go s.runMaintenance()
	}
}

// runDiskMonitor measures the free space every CheckInterval until Close,
// so that a disk filled or freed by others is seen while the store is idle;
// it has the store reopened read-only below the hard floor, and for
// writing again once there is room.
func (s *Store) runDiskMonitor() {
	defer close(s.diskDone)
	t := time.NewTicker(s.disk.interval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			d := s.disk.measure()
			switch {
			case d.ReadOnly && (d.Free < 0 || d.Free >= s.disk.hard+s.disk.reserveSize+s.disk.hysteresis):
				s.requestTask(s.reopenWritable)
			case !d.ReadOnly && !s.cfg.InMemory && d.Free >= 0 && d.Free < s.disk.hard:
				s.requestTask(s.reopenReadOnly)
			}
		}
	}
}

// Close stops the garbage collector and the sweep, lets the writer commit what is already
// queued (callers still waiting to queue get ErrClosed), waits for calls in
// flight and closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		s.mu.Unlock()

		// No call can start now; the ones in flight finish (senders see
		// closing, waiters are answered by the still-running writer).
		s.ops.Wait()
		s.queue.close()
		<-s.writerDone
		if s.maintDone != nil {
			<-s.maintDone
		}
		if s.diskDone != nil {
			<-s.diskDone
		}
		s.closeErr = s.closeDB()
		s.log.Info("store closed", "dir", s.where)
	})
	return s.closeErr
}

// begin registers a public call so that Close waits for it; end ends it.
func (s *Store) begin() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.ops.Add(1)
	return nil
}

func (s *Store) end() { s.ops.Done() }

// view runs fn in a read transaction as a registered call.
func (s *Store) view(fn func(txn kvTxn) error) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return s.dbErr
	}
	return s.db.View(fn)
}

// recordCost bounds what one update writes: a record of at most
// MaxGroupStateSize, its key and the write-ahead log's pages.
const recordCost = MaxGroupStateSize + 8<<10

// update runs fn in a write transaction as a registered call, synced when
// sync is set, if the disk has room for a record (ErrDiskFull otherwise).
// Only small records outside the writer's keys use it.
func (s *Store) update(sync bool, fn func(txn kvTxn) error) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	if err := s.disk.take(writeOwn, recordCost); err != nil {
		return err
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return s.dbErr
	}
	if err := s.db.Update(fn); err != nil {
		return err
	}
	if sync {
		return s.db.Sync()
	}
	return nil
}

// closeDB closes the database. Closing flushes the memtables into tables
// about as large as their write-ahead logs, written through memory maps: on
// a disk that cannot take them (the reserve is released by now if the disk
// is below the hard floor) the store syncs the logs instead and leaves them
// for the next Open to replay, rather than let the flush crash the process.
func (s *Store) closeDB() error {
	if s.db == nil {
		return nil
	}
	d := s.disk.measure()
	if need := walBytes(s.opts.Dir) + diskSlack; !d.ReadOnly && !s.cfg.InMemory && d.Free >= 0 && d.Free < need {
		s.log.Error("the disk is too full to close the store cleanly; its write-ahead log is kept "+
			"and replayed at the next start", "free", Bytes(d.Free), "needs", Bytes(need))
		if err := s.db.Sync(); err != nil {
			return fmt.Errorf("close store %s: sync: %w", s.where, err)
		}
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.where, err)
	}
	return nil
}
