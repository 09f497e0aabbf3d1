package store

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Badger settings that differ from its defaults, chosen for a small footprint:
// a laptop daemon and a thousand in-memory stores in one simulator process.
const (
	// valueThreshold keeps chat-sized values in the LSM tree, next to their
	// keys; only large envelopes (key deliveries) go to the value log.
	valueThreshold = 1 << 10
	// valueLogFileSize bounds each value-log file (Badger's default of 1 GiB
	// shows as 2 GiB of sparse files on a fresh store).
	valueLogFileSize = 64 << 20
	numMemtables     = 2
	// level0Stall is where Badger stops flushing until level 0 is
	// compacted (its default is 15). It bounds the largest level-0
	// compaction, and with it the hard floor (disk.go), at the cost of
	// stalling writes sooner in a flood.
	level0Stall = 10
)

func badgerOptions(dir string, cfg Config) badger.Options {
	o := badger.DefaultOptions(dir).WithValueThreshold(valueThreshold)
	if cfg.InMemory {
		// In memory there is no value log and Badger refuses values above
		// the threshold, so it must pass the largest record; Badger caps it
		// at the transaction size (15 % of the memtable).
		o = badger.DefaultOptions("").WithInMemory(true).
			WithValueThreshold(min(1<<20, cfg.MemTableSize*15/100))
	}
	// Badger's compactors never run: the store compacts on demand
	// (compact.go), or not at all with NoCompaction.
	o = o.WithNumCompactors(0)
	if cfg.NoCompaction {
		o = o.WithNumLevelZeroTablesStall(math.MaxInt32)
	} else {
		o = o.WithNumLevelZeroTablesStall(level0Stall)
	}
	return o.
		WithLogger(badgerLogger{cfg.Logger.With("lib", "badger")}).
		WithMemTableSize(cfg.MemTableSize).
		WithNumMemtables(numMemtables).
		WithNumGoroutines(2).
		WithNumVersionsToKeep(1).
		WithValueLogFileSize(valueLogFileSize).
		// Tables are memory-mapped; without compression or encryption
		// Badger reads blocks straight from the mapping, so it needs no
		// block cache. Index cache 0 keeps table indexes in memory, which is
		// small for stores of this size.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		// Badger's metrics are process-global expvars; with many stores in
		// one process they mean nothing.
		WithMetricsEnabled(false).
		// Each key has one writer (the writer goroutine for messages,
		// blind replaces and deletes for the rest), so conflict tracking
		// would cost memory for nothing.
		WithDetectConflicts(false).
		// Own messages are made durable with an explicit db.Sync.
		WithSyncWrites(false)
}

// badgerLogger routes Badger's logger into slog. Badger is chatty at Info
// (table and compaction reports), so Info goes to Debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.log(slog.LevelError, f, a) }
func (b badgerLogger) Warningf(f string, a ...any) { b.log(slog.LevelWarn, f, a) }
func (b badgerLogger) Infof(f string, a ...any)    { b.log(slog.LevelDebug, f, a) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.log(slog.LevelDebug, f, a) }

func (b badgerLogger) log(level slog.Level, f string, a []any) {
	ctx := context.Background()
	if !b.l.Enabled(ctx, level) {
		return
	}
	b.l.Log(ctx, level, strings.TrimSpace(fmt.Sprintf(f, a...)))
}
