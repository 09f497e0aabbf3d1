package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

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
// what it found.
func (s *Store) Check() error {
	var c checker
	err := s.view(func(txn *badger.Txn) error {
		if err := c.scan(txn); err != nil {
			return err
		}
		if c.indexed != c.messagesIndexed || c.kinded != c.messagesKinded {
			// Some index entry points at a message but not with the
			// message's own group and time (or kind); find which,
			// decoding again.
			return c.findStrayEntries(txn)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check store %s: %w", s.where, err)
	}
	return c.err(s.where)
}

// maxReported bounds the problems Check spells out.
const maxReported = 10

type checker struct {
	problems        []string
	total           int
	messagesIndexed int // messages that decode and whose index entry exists
	indexed         int // index entries whose message exists
	messagesKinded  int // the same for the kind index
	kinded          int
	sawSchema       bool
}

func (c *checker) report(format string, args ...any) {
	c.total++
	if len(c.problems) < maxReported {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

func (c *checker) err(where string) error {
	if !c.sawSchema {
		c.report("no schema version")
	}
	if c.total == 0 {
		return nil
	}
	more := ""
	if c.total > len(c.problems) {
		more = fmt.Sprintf("; and %d more", c.total-len(c.problems))
	}
	return fmt.Errorf("%w: %s: %d problems: %s%s; peers can send the messages again: "+
		"move the directory aside and start afresh (unsent own messages are in its outbox)",
		ErrCorrupt, where, c.total, strings.Join(c.problems, "; "), more)
}

// scan walks every key once, in key order.
func (c *checker) scan(txn *badger.Txn) error {
	it := txn.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		var err error
		switch {
		case bytes.Equal(k, keySchema):
			c.sawSchema = true
		case bytes.HasPrefix(k, prefixMessage):
			err = c.checkMessage(txn, item)
		case bytes.HasPrefix(k, prefixIndex):
			err = c.checkIndexEntry(txn, item)
		case bytes.HasPrefix(k, prefixKind):
			err = c.checkKindEntry(txn, item)
		case bytes.HasPrefix(k, prefixOutbox):
			err = c.checkOutboxEntry(txn, item)
		case bytes.HasPrefix(k, prefixTomb):
			err = c.checkTombstone(txn, item)
		default:
			c.checkRecord(item)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRecord checks the keys that stand alone: records that must decode.
func (c *checker) checkRecord(item *badger.Item) {
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
		c.report("%s", strings.TrimPrefix(err.Error(), ErrCorrupt.Error()+": "))
	}
}

func (c *checker) checkMessage(txn *badger.Txn, item *badger.Item) error {
	id, ok := idFromKey(item.Key())
	if !ok {
		c.report("message key of %d bytes", len(item.Key()))
		return nil
	}
	rec, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	st, err := parseRecord(id, rec)
	if err != nil {
		c.report("message %s: %v", id.Short(), err)
		return nil
	}
	b := st.Msg.Body
	found, err := c.require(txn, item, indexKey(b.Group, b.SentAtMS, id), "message %s has no index entry", id.Short())
	if err != nil {
		return err
	}
	if found {
		c.messagesIndexed++
	}
	if k := kindKeyOf(st.Msg); k != nil {
		found, err := c.require(txn, item, k, "message %s of kind %s has no kind index entry", id.Short(), b.Kind)
		if found {
			c.messagesKinded++
		}
		return err
	}
	return nil
}

func (c *checker) checkIndexEntry(txn *badger.Txn, item *badger.Item) error {
	k := item.Key()
	_, _, id, ok := parseIndexKey(k)
	if !ok {
		c.report("index key of %d bytes", len(k))
		return nil
	}
	found, err := c.require(txn, item, messageKey(id), "index entry for message %s has no message", id.Short())
	if found {
		c.indexed++
	}
	return err
}

func (c *checker) checkKindEntry(txn *badger.Txn, item *badger.Item) error {
	k := item.Key()
	_, kind, _, id, ok := parseKindKey(k)
	switch {
	case !ok:
		c.report("kind index key of %d bytes", len(k))
		return nil
	case !indexed(kind):
		c.report("kind index entry for message %s of kind %s, which is not indexed", id.Short(), kind)
		return nil
	}
	found, err := c.require(txn, item, messageKey(id), "kind index entry for message %s has no message", id.Short())
	if found {
		c.kinded++
	}
	return err
}

func (c *checker) checkOutboxEntry(txn *badger.Txn, item *badger.Item) error {
	e, err := parseOutboxEntry(item)
	if err != nil {
		c.report("%v", err)
		return nil
	}
	_, err = c.require(txn, item, messageKey(e.id), "outbox entry for message %s has no message", e.id.Short())
	return err
}

func (c *checker) checkTombstone(txn *badger.Txn, item *badger.Item) error {
	id, ok := idFromKey(item.Key())
	if !ok {
		c.report("tombstone key of %d bytes", len(item.Key()))
		return nil
	}
	if n := item.ValueSize(); n != 0 && n != int64(groupLen) {
		c.report("tombstone of message %s has %d bytes", id.Short(), n)
	}
	stored, err := exists(txn, messageKey(id))
	if stored {
		c.report("message %s is both stored and deleted", id.Short())
	}
	return err
}

// require reports the problem when key is missing, unless owner's TTL has
// just passed (key, written with the same TTL, may have vanished first),
// and reports a key whose TTL differs from owner's. The error is Badger's,
// not a finding.
func (c *checker) require(txn *badger.Txn, owner *badger.Item, key []byte, problem string, args ...any) (bool, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		if !expiring(owner) {
			c.report(problem, args...)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if item.ExpiresAt() != owner.ExpiresAt() {
		// Every key that requires another ends with its message's ID.
		id := message.ID(owner.Key()[len(owner.Key())-idLen:])
		c.report("keys of message %s expire at different times (%d, %d)", id.Short(), owner.ExpiresAt(), item.ExpiresAt())
	}
	return true, nil
}

// findStrayEntries decodes the message of every index and kind index entry
// and reports the entries that disagree with it. Entries whose message is
// missing or does not decode were reported by scan.
func (c *checker) findStrayEntries(txn *badger.Txn) error {
	err := eachKey(txn, prefixIndex, func(item *badger.Item) error {
		g, sentAtMS, id, ok := parseIndexKey(item.Key())
		if !ok {
			return nil
		}
		st, err := getMessage(txn, id)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			return nil
		}
		if err != nil {
			return err
		}
		if b := st.Msg.Body; b.Group != g || b.SentAtMS != sentAtMS {
			c.report("index entry for message %s says group %s, sent at %d; the message says group %s, sent at %d",
				id.Short(), g.Short(), sentAtMS, b.Group.Short(), b.SentAtMS)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return eachKey(txn, prefixKind, func(item *badger.Item) error {
		g, kind, sentAtMS, id, ok := parseKindKey(item.Key())
		if !ok {
			return nil
		}
		st, err := getMessage(txn, id)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			return nil
		}
		if err != nil {
			return err
		}
		if b := st.Msg.Body; b.Group != g || b.Kind != kind || b.SentAtMS != sentAtMS {
			c.report("kind index entry for message %s says group %s, kind %s, sent at %d; the message says group %s, kind %s, sent at %d",
				id.Short(), g.Short(), kind, sentAtMS, b.Group.Short(), b.Kind, b.SentAtMS)
		}
		return nil
	})
}
