package store

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"starling/message"
)

// Check scans the whole store in one snapshot: every message decodes under
// its own ID and has exactly its index entry (and its kind index entry when
// its kind is not text), every index entry has its message and agrees with
// it, every outbox entry has its message, no message is both stored and
// deleted, the records of groups, group states, expiries, blocks and peers
// decode, and no key is unknown. Keys that belong together carry the same
// TTL; a partner that vanished because its TTL passed during the scan is
// not damage. Check returns nil or an error wrapping ErrCorrupt that lists
// what it found. Inspect returns the findings themselves; Repair fixes them.
func (s *Store) Check() error {
	r, err := s.Inspect(CheckOptions{})
	if err != nil {
		return err
	}
	return r.Err()
}

// CheckOptions tunes Inspect.
type CheckOptions struct {
	// Signatures also verifies every message's signature, which costs a
	// signature check per message (spread over every CPU). A message
	// whose signature fails was damaged here: peers would reject it.
	Signatures bool
}

// Fix is what Repair does about a Problem.
type Fix uint8

// Fixes.
const (
	// FixNone: reported only; Repair leaves it.
	FixNone Fix = iota
	// FixQuarantine: the key and its value move under the quarantine
	// prefix (see Quarantine), out of every read.
	FixQuarantine
	// FixIndex: the message is sound but an index entry is missing;
	// Repair writes it again.
	FixIndex
)

func (f Fix) String() string {
	switch f {
	case FixQuarantine:
		return "quarantine"
	case FixIndex:
		return "reindex"
	default:
		return "none"
	}
}

// Problem is one thing Inspect found.
type Problem struct {
	// Key is the key at fault (for FixIndex, the message's).
	Key []byte
	// What says what is wrong, for people.
	What string
	Fix  Fix
}

// Report is what Inspect found.
type Report struct {
	Keys        int // keys scanned, quarantined ones included
	Messages    int // message records among them
	Quarantined int // keys already in quarantine
	// Problems lists what is wrong, at most maxProblems of them; Total
	// counts them all.
	Problems []Problem
	Total    int
	where    string
}

// maxProblems bounds the problems one Inspect holds; Repair runs again for
// the rest.
const maxProblems = 100_000

// maxReported bounds the problems Err spells out.
const maxReported = 10

// Err is nil for a sound store, else an error wrapping ErrCorrupt that
// lists the first problems.
func (r Report) Err() error {
	if r.Total == 0 {
		return nil
	}
	var whats []string
	for _, p := range r.Problems[:min(len(r.Problems), maxReported)] {
		whats = append(whats, p.What)
	}
	more := ""
	if r.Total > len(whats) {
		more = fmt.Sprintf("; and %d more", r.Total-len(whats))
	}
	return fmt.Errorf("%w: %s: %d problems: %s%s", ErrCorrupt, r.where, r.Total, strings.Join(whats, "; "), more)
}

// Inspect scans the whole store in one snapshot, as Check does, and returns
// what it found. It reads every key once, in key order, and holds what it
// needs of each message and index entry (about 100 bytes) to match them up
// in memory afterwards.
func (s *Store) Inspect(opts CheckOptions) (Report, error) {
	c := checker{opts: opts, msgs: map[message.ID]*msgInfo{}}
	if opts.Signatures {
		c.startVerifiers()
	}
	err := s.view(c.scan)
	if opts.Signatures {
		c.stopVerifiers()
	}
	if err != nil {
		return Report{}, fmt.Errorf("check store %s: %w", s.where, err)
	}
	c.match()
	if !c.sawSchema {
		c.report(keySchema, FixNone, "no schema version")
	}
	c.r.where = s.where
	return c.r, nil
}

// msgInfo is what the checker keeps of a message record.
type msgInfo struct {
	damaged          bool // reported already; its partners are not
	group            message.GroupID
	sentAtMS         uint64
	kind             message.Kind
	ttl              uint64
	indexed, kindded bool // its index entries were found
}

// entry is an index, kind index, outbox or tombstone key, kept until the
// messages are all read.
type entry struct {
	key      []byte
	group    message.GroupID
	kind     message.Kind
	sentAtMS uint64
	id       message.ID
	ttl      uint64
}

type checker struct {
	opts      CheckOptions
	r         Report
	sawSchema bool
	msgs      map[message.ID]*msgInfo
	index     []entry
	kinds     []entry
	outbox    []entry
	tombs     []entry

	// With opts.Signatures: messages go to verifiers as they are read.
	verify chan *message.Message
	badMu  sync.Mutex
	bad    []message.ID
	vwg    sync.WaitGroup
}

func (c *checker) report(key []byte, fix Fix, format string, args ...any) {
	c.r.Total++
	if len(c.r.Problems) < maxProblems {
		c.r.Problems = append(c.r.Problems, Problem{Key: bytes.Clone(key), What: fmt.Sprintf(format, args...), Fix: fix})
	}
}

// scan walks every key once, in key order.
func (c *checker) scan(txn kvTxn) error {
	it := txn.NewIterator(iterOptions{PrefetchValues: false})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		c.r.Keys++
		switch {
		case bytes.Equal(k, keySchema):
			c.sawSchema = true
		case bytes.HasPrefix(k, prefixQuarantine):
			c.r.Quarantined++
		case bytes.HasPrefix(k, prefixMessage):
			c.r.Messages++
			c.readMessage(item)
		case bytes.HasPrefix(k, prefixIndex):
			c.readIndexEntry(item)
		case bytes.HasPrefix(k, prefixKind):
			c.readKindEntry(item)
		case bytes.HasPrefix(k, prefixOutbox):
			c.readOutboxEntry(item)
		case bytes.HasPrefix(k, prefixTomb):
			c.readTombstone(item)
		default:
			c.checkRecord(item)
		}
	}
	return nil
}

// checkRecord checks the keys that stand alone: records that must decode.
func (c *checker) checkRecord(item kvItem) {
	k := item.Key()
	var err error
	switch {
	case bytes.HasPrefix(k, prefixGroup):
		_, err = decodeGroup(item)
	case bytes.HasPrefix(k, prefixState):
		if _, ok := groupFromKey(k); !ok {
			err = fmt.Errorf("group state key of %d bytes", len(k))
		}
	case bytes.HasPrefix(k, prefixExpiry):
		_, _, err = decodeExpiry(item)
	case bytes.HasPrefix(k, prefixBlock):
		_, err = decodeBlock(item)
	case bytes.HasPrefix(k, prefixPeer):
		_, err = decodePeer(item)
	default:
		err = fmt.Errorf("unknown key %q", k)
	}
	if err != nil {
		c.report(k, FixQuarantine, "%s", strings.TrimPrefix(err.Error(), ErrCorrupt.Error()+": "))
	}
}

func (c *checker) readMessage(item kvItem) {
	k := item.Key()
	id, ok := idFromKey(k)
	if !ok {
		c.report(k, FixQuarantine, "message key of %d bytes", len(k))
		return
	}
	info := &msgInfo{damaged: true, ttl: item.ExpiresAt()}
	c.msgs[id] = info
	rec, err := item.ValueCopy(nil)
	if err != nil {
		c.report(k, FixQuarantine, "message %s: its value cannot be read: %v", id.Short(), err)
		return
	}
	st, err := parseRecord(id, rec)
	if err != nil {
		c.report(k, FixQuarantine, "message %s: %v", id.Short(), err)
		return
	}
	b := st.Msg.Body
	info.damaged, info.group, info.sentAtMS, info.kind = false, b.Group, b.SentAtMS, b.Kind
	if c.verify != nil {
		c.verify <- st.Msg
	}
}

func (c *checker) readIndexEntry(item kvItem) {
	k := item.Key()
	g, sentAtMS, id, ok := parseIndexKey(k)
	if !ok {
		c.report(k, FixQuarantine, "index key of %d bytes", len(k))
		return
	}
	c.index = append(c.index, entry{key: item.KeyCopy(nil), group: g, sentAtMS: sentAtMS, id: id, ttl: item.ExpiresAt()})
}

func (c *checker) readKindEntry(item kvItem) {
	k := item.Key()
	g, kind, sentAtMS, id, ok := parseKindKey(k)
	switch {
	case !ok:
		c.report(k, FixQuarantine, "kind index key of %d bytes", len(k))
	case !indexed(kind):
		c.report(k, FixQuarantine, "kind index entry for message %s of kind %s, which is not indexed", id.Short(), kind)
	default:
		c.kinds = append(c.kinds, entry{key: item.KeyCopy(nil), group: g, kind: kind, sentAtMS: sentAtMS, id: id, ttl: item.ExpiresAt()})
	}
}

func (c *checker) readOutboxEntry(item kvItem) {
	e, err := parseOutboxEntry(item)
	if err != nil {
		c.report(item.Key(), FixQuarantine, "%s", strings.TrimPrefix(err.Error(), ErrCorrupt.Error()+": "))
		return
	}
	c.outbox = append(c.outbox, entry{key: item.KeyCopy(nil), id: e.id, ttl: e.ttl})
}

func (c *checker) readTombstone(item kvItem) {
	k := item.Key()
	id, ok := idFromKey(k)
	if !ok {
		c.report(k, FixQuarantine, "tombstone key of %d bytes", len(k))
		return
	}
	if n := item.ValueSize(); n != 0 && n != int64(groupLen) {
		c.report(k, FixQuarantine, "tombstone of message %s has %d bytes", id.Short(), n)
	}
	c.tombs = append(c.tombs, entry{key: item.KeyCopy(nil), id: id})
}

// match pairs the index entries, outbox entries and tombstones with the
// messages and reports what does not pair. A key whose partner is missing
// is not damage when its own TTL has passed: the partner, with the same
// TTL, may have vanished first.
func (c *checker) match() {
	for _, e := range c.index {
		m := c.msgs[e.id]
		switch {
		case m == nil:
			if !expired(e.ttl) {
				c.report(e.key, FixQuarantine, "index entry for message %s has no message", e.id.Short())
			}
		case m.damaged:
		case m.group != e.group || m.sentAtMS != e.sentAtMS:
			c.report(e.key, FixQuarantine, "index entry for message %s says group %s, sent at %d; the message says group %s, sent at %d",
				e.id.Short(), e.group.Short(), e.sentAtMS, m.group.Short(), m.sentAtMS)
		default:
			m.indexed = true
			c.sameTTL(e, m)
		}
	}
	for _, e := range c.kinds {
		m := c.msgs[e.id]
		switch {
		case m == nil:
			if !expired(e.ttl) {
				c.report(e.key, FixQuarantine, "kind index entry for message %s has no message", e.id.Short())
			}
		case m.damaged:
		case m.group != e.group || m.kind != e.kind || m.sentAtMS != e.sentAtMS:
			c.report(e.key, FixQuarantine, "kind index entry for message %s says group %s, kind %s, sent at %d; the message says group %s, kind %s, sent at %d",
				e.id.Short(), e.group.Short(), e.kind, e.sentAtMS, m.group.Short(), m.kind, m.sentAtMS)
		default:
			m.kindded = true
			c.sameTTL(e, m)
		}
	}
	for _, e := range c.outbox {
		if c.msgs[e.id] == nil && !expired(e.ttl) {
			c.report(e.key, FixQuarantine, "outbox entry for message %s has no message", e.id.Short())
		}
	}
	for _, e := range c.tombs {
		if c.msgs[e.id] != nil {
			// The deletion was meant: the content goes, into quarantine.
			c.report(messageKey(e.id), FixQuarantine, "message %s is both stored and deleted", e.id.Short())
		}
	}
	for id, m := range c.msgs {
		switch {
		case m.damaged || expired(m.ttl):
		case !m.indexed:
			c.report(messageKey(id), FixIndex, "message %s has no index entry", id.Short())
		case indexed(m.kind) && !m.kindded:
			c.report(messageKey(id), FixIndex, "message %s of kind %s has no kind index entry", id.Short(), m.kind)
		}
	}
	for _, id := range c.bad {
		c.report(messageKey(id), FixQuarantine, "message %s: its signature does not verify", id.Short())
	}
}

// sameTTL reports an entry whose TTL is not its message's.
func (c *checker) sameTTL(e entry, m *msgInfo) {
	if e.ttl != m.ttl {
		c.report(e.key, FixNone, "keys of message %s expire at different times (%d, %d)", e.id.Short(), m.ttl, e.ttl)
	}
}

// startVerifiers starts a signature check on every CPU, fed by readMessage.
func (c *checker) startVerifiers() {
	c.verify = make(chan *message.Message, 256)
	for range runtime.GOMAXPROCS(0) {
		c.vwg.Go(func() {
			for m := range c.verify {
				if m.VerifySignature() != nil {
					c.badMu.Lock()
					c.bad = append(c.bad, m.ID)
					c.badMu.Unlock()
				}
			}
		})
	}
}

func (c *checker) stopVerifiers() {
	close(c.verify)
	c.vwg.Wait()
	c.verify = nil
}
