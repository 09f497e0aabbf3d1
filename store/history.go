package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"starling/message"
)

// Query asks for one page of a group's history.
type Query struct {
	Group message.GroupID
	// Limit is the page size. Zero or negative: DefaultQueryLimit; capped
	// at MaxQueryLimit.
	Limit int
	// Newest pages from the newest message backwards.
	Newest bool
	// Cursor continues after the previous page (its Next); "" starts at the
	// oldest message, or the newest with Newest.
	Cursor Cursor
}

// Cursor is an opaque position in a group's history, valid for the group and
// direction of the query that returned it.
type Cursor string

// Page is one page of history, ordered by (sent_at, id), or the reverse with
// Newest.
type Page struct {
	Messages []Stored
	// Next continues after this page; "" when there is no more.
	Next Cursor
	// Skipped counts the index entries of this page's stretch of history
	// whose message is damaged or missing: they are left out (and counted
	// in Store.Skipped) instead of failing the page.
	Skipped int
}

// History returns a page of a group's messages in (sent_at, id) order.
func (s *Store) History(q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	limit = min(limit, MaxQueryLimit)
	var after []byte // the index key the cursor names; skipped
	if q.Cursor != "" {
		var err error
		if after, err = parseCursor(q.Cursor, q.Group, q.Newest); err != nil {
			return Page{}, fmt.Errorf("history of group %s: %w", q.Group.Short(), err)
		}
	}
	var page Page
	err := s.view(func(txn kvTxn) error {
		var err error
		page, err = s.historyPage(txn, q.Group, q.Newest, after, limit)
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("history of group %s: %w", q.Group.Short(), err)
	}
	return page, nil
}

// historyPage reads up to limit messages after the index key after. An
// entry whose message is damaged, missing or disagrees with it is skipped
// and counted; only Badger's own errors fail the page.
func (s *Store) historyPage(txn kvTxn, group message.GroupID, newest bool, after []byte, limit int) (Page, error) {
	prefix := indexPrefix(group)
	it := txn.NewIterator(iterOptions{Prefix: prefix, Reverse: newest})
	defer it.Close()
	start := after
	switch {
	case start != nil:
	case newest:
		start = indexEnd(group)
	default:
		start = prefix
	}
	var page Page
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		k := item.Key()
		if after != nil && bytes.Equal(k, after) {
			continue
		}
		if len(page.Messages) == limit {
			last := page.Messages[limit-1].Msg
			page.Next = makeCursor(group, newest, last.Body.SentAtMS, last.ID)
			break
		}
		st, err := indexEntry(txn, item)
		if errors.Is(err, ErrNotFound) {
			continue // its group expired a moment ago
		}
		if err != nil {
			if err := s.skipCorrupt(item.KeyCopy(nil), err); err != nil {
				return Page{}, err
			}
			page.Skipped++
			continue
		}
		page.Messages = append(page.Messages, st)
	}
	return page, nil
}

// indexEntry reads the message of an index entry and checks that they
// agree. It returns ErrNotFound when the message expired a moment ago,
// ErrCorrupt when the entry is malformed or its message damaged, missing or
// not the one it names.
func indexEntry(txn kvTxn, item kvItem) (Stored, error) {
	k := item.Key()
	g, sentAtMS, id, ok := parseIndexKey(k)
	if !ok {
		return Stored{}, fmt.Errorf("%w: index key of %d bytes", ErrCorrupt, len(k))
	}
	st, err := getMessage(txn, id)
	switch {
	case errors.Is(err, ErrNotFound) && expiring(item):
		return Stored{}, ErrNotFound
	case errors.Is(err, ErrNotFound):
		return Stored{}, fmt.Errorf("%w: index entry for message %s has no message", ErrCorrupt, id.Short())
	case err != nil:
		return Stored{}, fmt.Errorf("index entry for message %s: %w", id.Short(), err)
	}
	if b := st.Msg.Body; b.Group != g || b.SentAtMS != sentAtMS {
		return Stored{}, fmt.Errorf("%w: index entry for message %s disagrees with the message", ErrCorrupt, id.Short())
	}
	return st, nil
}

// A cursor is base64url of: format (1), direction (1), the group's first 8
// bytes, sent_at (8, big-endian) and the ID (32).
const (
	cursorFormat   = 1
	cursorGroupLen = 8
	cursorLen      = 2 + cursorGroupLen + 8 + idLen
)

func makeCursor(g message.GroupID, newest bool, sentAtMS uint64, id message.ID) Cursor {
	b := make([]byte, 0, cursorLen)
	b = append(b, cursorFormat, direction(newest))
	b = append(b, g[:cursorGroupLen]...)
	b = binary.BigEndian.AppendUint64(b, sentAtMS)
	b = append(b, id[:]...)
	return Cursor(base64.RawURLEncoding.EncodeToString(b))
}

// parseCursor checks that c was made for this group and direction and
// returns the index key it names.
func parseCursor(c Cursor, g message.GroupID, newest bool) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(string(c))
	switch {
	case err != nil || len(b) != cursorLen || b[0] != cursorFormat:
		return nil, fmt.Errorf("%w: not a cursor this store made; start again with an empty cursor", ErrBadCursor)
	case b[1] != direction(newest):
		return nil, fmt.Errorf("%w: the cursor is for the other direction; keep Newest as it was for the first page", ErrBadCursor)
	case !bytes.Equal(b[2:2+cursorGroupLen], g[:cursorGroupLen]):
		return nil, fmt.Errorf("%w: the cursor is for another group", ErrBadCursor)
	}
	var id message.ID
	copy(id[:], b[2+cursorGroupLen+8:])
	return indexKey(g, binary.BigEndian.Uint64(b[2+cursorGroupLen:]), id), nil
}

func direction(newest bool) byte {
	if newest {
		return 1
	}
	return 0
}
