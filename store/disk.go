package store

import (
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Free disk space.
//
// Badger writes four kinds of files through writable memory maps of files
// it sizes with ftruncate, which reserves no blocks (ristretto's
// z.OpenMmapFileUsing and MmapFile.Truncate): the memtable's write-ahead
// log, NNNNN.mem, mapped at twice MemTableSize (memtable.go, openMemTable
// and logFile.writeEntry); the value log, NNNNNN.vlog, mapped at twice
// ValueLogFileSize (value.go, createVlogFile and valueLog.write); every
// table a flush or a compaction builds, NNNNNN.sst (table.CreateTable); and
// the 1 MiB DISCARD file (discard.go). A page of such a file gets its block
// when it is first written. When the filesystem has none left, the kernel
// answers the write with SIGBUS, and since the writing goroutine is
// Badger's the Go runtime cannot make it an error: the process dies. It
// dies again at the next Open, which writes the header of a new .mem and
// .vlog file the same way, and so does every command that opens the store.
// Badger has no option to preallocate these files.
//
// So the store keeps Badger away from a full disk:
//
//   - The hard floor (hardFloor) is what Badger may still write on its own
//     once the store's writes stop: both write-ahead logs a write can fill,
//     flushing every memtable, and the largest compactions that flushes can
//     set off. Below it nothing is written (DiskFull); below Floor, which
//     leaves room above it for the user's own messages, received messages
//     are refused (DiskLow).
//   - The writer measures the free space (statfs) before a batch once the
//     bytes written since the last measure could have used half the margin
//     above the hard floor, or CheckInterval has passed; a monitor measures
//     every CheckInterval, so a disk freed or filled by someone else is
//     seen. Between measures, refusals cost an atomic load.
//   - A reserve file of reserveSize (the memtables' flushes) is held while
//     there is room. When the disk falls below the hard floor anyway
//     (another program filled it), the store deletes it, so that Badger's
//     pending flushes have room, and reopens the database read-only, which
//     flushes its memtables into that room: from then on Badger writes
//     nothing, and Close has nothing to flush, however full the disk gets.
//     Once there is room for the reserve again the store takes it back and
//     reopens for writing; it stays DiskFull until then.
//   - Open below the hard floor (after releasing the reserve) opens Badger
//     read-only too, which creates and maps nothing for writing.
//
// What remains: another program that fills the disk while Badger flushes or
// compacts, and takes the released reserve too before the store is
// read-only, can still make a page fault fail; and if it takes the room
// before the store could flush, Close leaves the write-ahead log, which
// the next Open must replay with that much room. Only a preallocating
// Badger would close those.

// Disk sizes.
const (
	// diskSlack covers what the floors do not count: MANIFEST, DISCARD,
	// KEYREGISTRY, the headers of new files and rounding to pages.
	diskSlack = 8 << 20
	// DefaultOwnRoom is how far Floor lies above the hard floor by
	// default: room for the user's own messages once received ones are
	// refused.
	DefaultOwnRoom = 32 << 20
	// minOwnRoom is the least room between the two floors.
	minOwnRoom = 1 << 20
	// DefaultCheckInterval is the monitor's period.
	DefaultCheckInterval = time.Second
	// writeOverhead estimates the bytes on disk a message costs beyond its
	// envelope: its record header and keys in the write-ahead log, and its
	// index entries.
	writeOverhead = 512
	// reserveName is the reserve file, inside the store directory; Badger
	// ignores files it does not know.
	reserveName = "starling.reserve"
)

// DiskConfig sets the store's free-space floors. Zero fields take the
// documented defaults.
type DiskConfig struct {
	// Floor is the free space, in bytes, below which received messages
	// are refused. Zero: the hard floor plus DefaultOwnRoom. A value below
	// the hard floor plus 1 MiB is raised to that: the hard floor is what
	// Badger needs, not a choice.
	Floor int64
	// FreeSpace measures the bytes free to this process on the filesystem
	// holding dir; a negative answer means unknown and turns the floors
	// off. Nil: statfs. Tests pass their own to simulate a full disk.
	FreeSpace func(dir string) (int64, error)
	// CheckInterval is how often the free space is measured when the
	// store writes little. Zero or negative: DefaultCheckInterval.
	CheckInterval time.Duration
	// NoReserve keeps no reserve file (tests of the floors alone).
	NoReserve bool
}

// DiskState is what a store accepts, given the free space of its disk.
type DiskState uint8

// Disk states.
const (
	// DiskOK: everything is written.
	DiskOK DiskState = iota
	// DiskLow: the free space is below Floor. Received messages (Put,
	// Enqueue) are refused with ErrDiskFull; the user's own messages,
	// records and deletions are still written.
	DiskLow
	// DiskFull: the free space is below the hard floor, or the store is
	// read-only. Nothing is written.
	DiskFull
)

func (s DiskState) String() string {
	switch s {
	case DiskOK:
		return "ok"
	case DiskLow:
		return "low"
	case DiskFull:
		return "full"
	default:
		return fmt.Sprintf("disk(%d)", uint8(s))
	}
}

// Disk is a store's view of its disk, as last measured.
type Disk struct {
	State DiskState
	// ReadOnly: the disk was below the hard floor at Open, so the store
	// opened Badger read-only. It reopens for writing by itself once there
	// is room (State stays DiskFull until then).
	ReadOnly bool
	// Free is the bytes free on the store's filesystem; -1 when unknown
	// (in memory, or on a system without statfs): the floors are off then.
	Free int64
	// Floor and HardFloor are the limits: received messages are refused
	// below Floor, everything below HardFloor.
	Floor, HardFloor int64
	// Reserve is the size of the reserve file held for Badger's
	// emergencies; 0 when none is held.
	Reserve int64
	// Refused counts the writes refused for want of space since Open.
	Refused uint64
	// Dir is the store's directory; At is when Free was measured.
	Dir string
	At  time.Time
}

// Label is the state as status shows it: "ok", "low", "full" or
// "read-only".
func (d Disk) Label() string {
	if d.ReadOnly {
		return "read-only"
	}
	return d.State.String()
}

// Reason says in one line why the store refuses writes; "" when it does
// not.
func (d Disk) Reason() string {
	where := fmt.Sprintf("only %s free on the disk holding %s", Bytes(d.Free), d.Dir)
	switch {
	case d.ReadOnly:
		return fmt.Sprintf("%s, under the %s the database needs to write safely: opened read-only; "+
			"everything stored can be read, nothing new is saved until space is freed", where, Bytes(d.HardFloor))
	case d.State == DiskFull:
		return fmt.Sprintf("%s, under the %s the database needs to write safely: nothing new is saved until space is freed",
			where, Bytes(d.HardFloor))
	case d.State == DiskLow:
		return fmt.Sprintf("%s, under the %s floor: messages from others are refused until space is freed; "+
			"your own are still saved", where, Bytes(d.Floor))
	default:
		return ""
	}
}

// Bytes formats a size for people: "512 B", "12.3 MiB", "1.5 GiB".
func Bytes(n int64) string {
	switch {
	case n < 0:
		return "an unknown amount"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
}

// Disk returns the store's view of its disk, as last measured (at most
// CheckInterval ago).
func (s *Store) Disk() Disk {
	d := *s.disk.cur.Load()
	d.Refused = s.disk.refused.Load()
	return d
}

// DiskWatched reports whether the store watches a disk's free space. When
// it does not (in memory without Disk.FreeSpace, or on the memory engine),
// Disk never changes and OnDisk is never called.
func (s *Store) DiskWatched() bool { return !s.disk.off }

// hardFloor is what Badger with options o may write on its own once the
// store's writes stop, following what it maps and builds (see the comment
// at the top of this file):
//
//   - the current memtable's write-ahead log and the next one, which a
//     write may open: each is filled up to MemTableSize plus one batch
//     (Badger's maxBatchSize, 15 % of MemTableSize), since Badger checks
//     whether a memtable is full before a write, not after;
//   - a table for each memtable waiting to be flushed and the current one
//     (Close flushes it): NumMemtables+1 tables of at most MemTableSize;
//   - a level-0 compaction, which rewrites every level-0 table (at most
//     NumLevelZeroTablesStall: Badger stops flushing there) and the base
//     level it merges them into (Badger keeps it near BaseLevelSize) before
//     it deletes any of them;
//   - one deeper compaction running beside it: a table one level below the
//     base (twice BaseTableSize) and the LevelSizeMultiplier tables it
//     overlaps;
//   - diskSlack.
//
// The deeper compaction's term holds for stores up to about ten times
// BaseLevelSize times LevelSizeMultiplier (1 GiB with Badger's defaults);
// larger ones compact larger tables and need a larger Floor.
func hardFloor(o badger.Options) int64 {
	m := o.MemTableSize
	batch := m * 15 / 100
	wal := 2 * (m + batch)
	flush := int64(o.NumMemtables+1) * m
	level0 := int64(o.NumLevelZeroTablesStall)*m + 2*o.BaseLevelSize
	deeper := int64(1+o.LevelSizeMultiplier) * 2 * o.BaseTableSize
	return wal + flush + level0 + deeper + diskSlack
}

// reserveSize is the reserve file's size: flushing every memtable, as Close
// does.
func reserveSize(o badger.Options) int64 {
	return int64(o.NumMemtables+1)*o.MemTableSize + diskSlack
}

// writeKind says which floor a write must stay above.
type writeKind uint8

const (
	writeReceived writeKind = iota // a received message: Floor
	writeOwn                       // the user's own message, a record, a deletion: the hard floor
)

func (d *Disk) refuses(k writeKind) bool {
	return d.State == DiskFull || (k == writeReceived && d.State == DiskLow)
}

// refusal is the error for a write of kind k that d refuses.
func (d *Disk) refusal(k writeKind) error {
	what := "the message was not saved"
	if k == writeReceived {
		what = "received message refused"
	}
	return fmt.Errorf("%w: %s: %s", ErrDiskFull, what, d.Reason())
}

// diskGuard measures the free space and decides what the store writes.
type diskGuard struct {
	off         bool // in memory without a FreeSpace: no floors
	dir         string
	freeSpace   func(string) (int64, error)
	floor, hard int64
	hysteresis  int64 // a state ends only this far past its floor
	reserveSize int64 // 0: no reserve file
	interval    time.Duration
	clock       func() time.Time
	log         *slog.Logger
	onChange    func(Disk)

	cur     atomic.Pointer[Disk]
	refused atomic.Uint64

	mu         sync.Mutex // serialises measures; guards the fields below
	measuredAt time.Time
	spent      int64 // bytes written (estimated) since measuredAt
	budget     int64 // measure again before spent passes it
	readOnly   bool
	holding    bool // the reserve file exists
	released   bool // the reserve went to Badger; DiskFull until it is back
	failedOnce bool // a measure failed; logged once
	opening    bool // Open is measuring: it says the outcome itself, once
}

func newDiskGuard(dir string, cfg Config, o badger.Options) *diskGuard {
	hard := hardFloor(o)
	floor := cfg.Disk.Floor
	if floor == 0 {
		floor = hard + DefaultOwnRoom
	}
	floor = max(floor, hard+minOwnRoom)
	g := &diskGuard{
		off:        cfg.InMemory && cfg.Disk.FreeSpace == nil,
		dir:        dir,
		freeSpace:  cfg.Disk.FreeSpace,
		floor:      floor,
		hard:       hard,
		hysteresis: max(1<<20, floor/32),
		interval:   cfg.Disk.CheckInterval,
		clock:      cfg.Clock,
		log:        cfg.Logger,
		onChange:   cfg.OnDisk,
		budget:     math.MaxInt64,
	}
	if g.freeSpace == nil {
		g.freeSpace = statfsFree
	}
	if g.interval <= 0 {
		g.interval = DefaultCheckInterval
	}
	if !cfg.InMemory && !cfg.Disk.NoReserve {
		g.reserveSize = reserveSize(o)
	}
	if cfg.InMemory {
		g.dir = "(in memory)"
	}
	if cfg.Engine == EngineMemory {
		// No disk: no floors to report (Config.check refused any Disk
		// setting).
		g.off, g.floor, g.hard, g.hysteresis = true, 0, 0, 0
	}
	g.cur.Store(&Disk{Free: -1, Floor: g.floor, HardFloor: g.hard, Dir: g.dir})
	return g
}

// admit is the quick check at a write's entry: the last measure, no system
// call.
func (g *diskGuard) admit(k writeKind) error {
	if g.off {
		return nil
	}
	if d := g.cur.Load(); d.refuses(k) {
		g.refused.Add(1)
		return d.refusal(k)
	}
	return nil
}

// take accounts for a write of about n bytes of kind k, measuring first
// when the writes since the last measure, or the time, call for it, and
// refuses it when it would leave less than its floor free. A write refused
// for that alone moves the state past the floor it would cross.
func (g *diskGuard) take(k writeKind, n int64) error {
	if g.off {
		return nil
	}
	g.mu.Lock()
	d := g.cur.Load()
	var changed *Disk
	if g.spent+n > g.budget || g.clock().Sub(g.measuredAt) >= g.interval {
		d, changed = g.measureLocked()
	}
	refused := d.refuses(k)
	if !refused && d.Free >= 0 {
		floor, state := g.hard, DiskFull
		if k == writeReceived {
			floor, state = g.floor, DiskLow
		}
		if left := d.Free - g.spent; left-n < floor {
			refused = true
			next := *d
			next.Free, next.State = left, state
			// The writes so far are in Free now.
			g.spent, g.budget = 0, max(0, (left-g.hard)/2)
			g.cur.Store(&next)
			g.logChange(&next)
			d, changed = &next, &next
		}
	}
	if !refused {
		g.spent += n
	}
	g.mu.Unlock()
	g.notify(changed)
	if refused {
		g.refused.Add(1)
		return d.refusal(k)
	}
	return nil
}

// measure measures the free space now and updates the state.
func (g *diskGuard) measure() Disk {
	if g.off {
		return *g.cur.Load()
	}
	g.mu.Lock()
	d, changed := g.measureLocked()
	g.mu.Unlock()
	g.notify(changed)
	return *d
}

// measureLocked measures, releases or takes back the reserve, stores and
// returns the new state, and the state again when it changed (to pass to
// notify once g.mu is released).
func (g *diskGuard) measureLocked() (d, changed *Disk) {
	prev := g.cur.Load()
	free := g.free()
	if free >= 0 && !g.readOnly {
		switch {
		case free < g.hard && g.holding:
			// Badger may be about to flush or compact, and Close flushes:
			// give it the reserve.
			g.releaseReserve()
			g.released = true
			free = g.free()
		case g.released && free >= g.hard+g.reserveSize+g.hysteresis,
			!g.holding && !g.released && g.reserveSize > 0 && free >= g.floor+g.reserveSize+g.hysteresis:
			g.takeReserve()
			free = g.free()
		}
	}
	next := &Disk{
		Free: free, Floor: g.floor, HardFloor: g.hard, Dir: g.dir, At: g.clock(),
		ReadOnly: g.readOnly,
	}
	if free >= 0 {
		next.State = g.classify(free, prev.State)
	}
	if g.readOnly || g.released {
		next.State = DiskFull
	}
	if g.holding {
		next.Reserve = g.reserveSize
	}
	g.cur.Store(next)
	g.measuredAt, g.spent = next.At, 0
	g.budget = math.MaxInt64
	if free >= 0 {
		g.budget = max(0, (free-g.hard)/2)
	}
	if !g.opening && (next.State != prev.State || next.ReadOnly != prev.ReadOnly) {
		g.logChange(next)
		changed = next
	}
	return next, changed
}

// free measures, logging the first failure; -1 when it fails.
func (g *diskGuard) free() int64 {
	free, err := g.freeSpace(g.dir)
	if err != nil {
		if !g.failedOnce {
			g.failedOnce = true
			g.log.Warn("cannot measure the free disk space; the store's floors are off until it can", "dir", g.dir, "err", err)
		}
		return -1
	}
	return free
}

// classify maps free space to a state; leaving a state takes hysteresis
// beyond its floor, so that a disk hovering at a floor does not flap.
func (g *diskGuard) classify(free int64, prev DiskState) DiskState {
	switch {
	case free < g.hard, prev == DiskFull && free < g.hard+g.hysteresis:
		return DiskFull
	case free < g.floor, prev != DiskOK && free < g.floor+g.hysteresis:
		return DiskLow
	default:
		return DiskOK
	}
}

func (g *diskGuard) logChange(d *Disk) {
	switch {
	case d.State == DiskOK:
		g.log.Info("free disk space is back above the floor: the store saves everything again",
			"free", Bytes(d.Free), "floor", Bytes(d.Floor))
	case d.State == DiskLow:
		g.log.Warn("disk space is low: "+d.Reason(), "free", Bytes(d.Free), "floor", Bytes(d.Floor))
	default:
		g.log.Error("disk is full: "+d.Reason(), "free", Bytes(d.Free), "hard_floor", Bytes(d.HardFloor))
	}
}

func (g *diskGuard) notify(d *Disk) {
	if d != nil && g.onChange != nil {
		c := *d
		c.Refused = g.refused.Load()
		g.onChange(c)
	}
}

// setReadOnly records whether Badger is open read-only and measures again.
func (g *diskGuard) setReadOnly(ro bool) {
	g.mu.Lock()
	g.readOnly = ro
	g.mu.Unlock()
}
