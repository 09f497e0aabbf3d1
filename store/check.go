package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Check scans the whole store in one snapshot: every message decodes under
// its own ID and has exactly its index entry, every index entry has its
// message and agrees with it (group, sent_at), every outbox entry has its
// message, group and peer records decode, and no key is unknown. It returns
// nil or an error wrapping ErrCorrupt that lists what it found.
func (s *Store) Check() error {
	var c checker
	err := s.view(func(txn *badger.Txn) error {
		if err := c.scan(txn); err != nil {
			return err
		}
		if c.indexed != c.messagesIndexed {
			// Some index entry points at a message but not with the
			// message's own group and time; find which, decoding again.
			return c.findStrayIndexEntries(txn)
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
			err = c.checkIndexEntry(txn, k)
		case bytes.HasPrefix(k, prefixOutbox):
			err = c.checkOutboxEntry(txn, item)
		case bytes.HasPrefix(k, prefixGroup):
			if _, derr := decodeGroup(item); derr != nil {
				c.report("%v", derr)
			}
		case bytes.HasPrefix(k, prefixPeer):
			if _, derr := decodePeer(item); derr != nil {
				c.report("%v", derr)
			}
		default:
			c.report("unknown key %q", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
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
	found, err := c.require(txn, indexKey(b.Group, b.SentAtMS, id), "message %s has no index entry", id.Short())
	if found {
		c.messagesIndexed++
	}
	return err
}

func (c *checker) checkIndexEntry(txn *badger.Txn, k []byte) error {
	_, _, id, ok := parseIndexKey(k)
	if !ok {
		c.report("index key of %d bytes", len(k))
		return nil
	}
	found, err := c.require(txn, messageKey(id), "index entry for message %s has no message", id.Short())
	if found {
		c.indexed++
	}
	return err
}

func (c *checker) checkOutboxEntry(txn *badger.Txn, item *badger.Item) error {
	e, err := parseOutboxEntry(item)
	if err != nil {
		c.report("%v", err)
		return nil
	}
	_, err = c.require(txn, messageKey(e.id), "outbox entry for message %s has no message", e.id.Short())
	return err
}

// require reports the problem when key is missing. The error is Badger's,
// not a finding.
func (c *checker) require(txn *badger.Txn, key []byte, problem string, args ...any) (bool, error) {
	found, err := exists(txn, key)
	if err != nil {
		return false, err
	}
	if !found {
		c.report(problem, args...)
	}
	return found, nil
}

// findStrayIndexEntries decodes the message of every index entry and reports
// the entries that disagree with it. Entries whose message is missing or does
// not decode were reported by scan.
func (c *checker) findStrayIndexEntries(txn *badger.Txn) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixIndex})
	defer it.Close()
	for it.Seek(prefixIndex); it.ValidForPrefix(prefixIndex); it.Next() {
		g, sentAtMS, id, ok := parseIndexKey(it.Item().Key())
		if !ok {
			continue
		}
		st, err := getMessage(txn, id)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			continue
		}
		if err != nil {
			return err
		}
		if b := st.Msg.Body; b.Group != g || b.SentAtMS != sentAtMS {
			c.report("index entry for message %s says group %s, sent at %d; the message says group %s, sent at %d",
				id.Short(), g.Short(), sentAtMS, b.Group.Short(), b.SentAtMS)
		}
	}
	return nil
}
