// Package store keeps everything a Starling node holds in an embedded Badger
// database and offers it as domain verbs: messages and their per-group time
// index, the outbox of own messages not yet handed to a peer, joined groups and
// known peers.
//
// One writer goroutine owns every message write. It groups queued messages
// into Badger transactions (a synced commit costs about a millisecond here; a
// batch of hundreds costs little more), skips messages already stored and
// tells the caller whether a message was new. A user's own message (PutOwn) is
// synced to disk before PutOwn returns; received messages ride unsynced
// batches, since peers hold copies.
//
// Badger writes its files through memory maps of sparse files, and a write
// that finds the disk full kills the process with SIGBUS (disk.go). So the
// store measures its filesystem's free space and keeps two floors (Disk):
// below Floor it refuses received messages with ErrDiskFull, below the hard
// floor (what Badger may still write on its own) it refuses every write; a
// store opened below the hard floor opens read-only. Reads always work, and
// the store recovers by itself when space comes back.
//
// The store reaches its database through a small key-value seam (kv.go):
// transactions, Get, ordered iteration forward and back, entries with an
// expiry. Badger is behind it for nodes; the simulator's thousands of nodes
// use the memory engine (Config.Engine, memkv.go), a copy-on-write B-tree
// that holds what is stored and little more. The same behaviour tests run
// on both (suite_test.go); what only Badger has (compaction, value-log
// collection, the disk floors, read-only reopening) stays Badger's, and
// the memory engine, having no disk, refuses Disk settings.
//
// Values hold the raw signed envelope exactly as received. Reads decode it
// again with message.Decode and treat a value that does not decode, or that
// disagrees with its key, as damaged (ErrCorrupt): the disk is never trusted
// blindly. Get answers ErrCorrupt for that message; the reads that list
// records (History, Kinds, Outbox, Groups...) skip it, count it (Skipped)
// and warn. Check finds every damaged or inconsistent key with a full scan
// (with CheckOptions.Signatures, every signature too); Repair moves what is
// damaged into quarantine, writes missing index entries again and keeps
// everything else. Signatures are not verified again on read; gossip and
// catch-up verify before they store.
//
// Key layout (schema version 2):
//
//	"v"                                             -> schema version, one byte
//	"m/" id(32)                                     -> received_at (unix ns, 8 BE) | origin (1) | raw envelope
//	"g/" group(32) sent_at_ms(8 BE) id(32)          -> empty; the per-group time index
//	"k/" group(32) kind(4 BE) sent_at_ms(8 BE) id(32) -> empty; the kind index, for every kind but text
//	"o/" id(32)                                     -> outbox sequence (8 BE); the outbox is ordered by it
//	"t/" id(32)                                     -> empty, or the group (32); a deleted message's tombstone
//	"j/" group(32)                                  -> joined or left group (JSON)
//	"s/" group(32)                                  -> the group's state (opaque bytes the node keeps)
//	"x/" group(32)                                  -> expiry: at (unix ns, 8 BE) | swept (1)
//	"b/" author key(32)                             -> blocked or muted author (JSON)
//	"p/" peer ID (libp2p peer ID string)            -> known peer (JSON)
//	"q/" original key                               -> quarantined: at (unix ns, 8 BE) | reason length (2 BE) |
//	                                                   reason | original value
//
// Every message has exactly one index entry (and one kind index entry unless
// it is a text), written in the same transaction with the same TTL; Check
// verifies that and the rest of the layout with a full scan. Quarantined
// keys are out of every read and never deleted by the store.
//
// This package must not import libp2p (peer IDs and addresses are plain
// strings here), must not validate messages beyond decoding them (that is
// message's and gossip's job) and must not block its callers on the network.
// One process owns a store directory; a second Open fails with ErrLocked.
package store
