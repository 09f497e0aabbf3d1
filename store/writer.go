package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"starling/message"
)

// writeReq is one message, or one task, on its way to the writer goroutine.
// The writer sets added and err, then closes done (nil for Enqueue: nobody
// waits).
type writeReq struct {
	st      Stored
	durable bool // PutOwn: outbox entry and db.Sync before the answer
	done    chan struct{}
	added   bool
	err     error
	first   *writeReq // an earlier request for the same ID in the same batch

	// task, when set, makes the request a task rather than a message: the
	// writer runs it alone, after everything queued before it, and sets
	// err. Tasks are the writes that must not interleave with message
	// writes (deletions, expiry, outbox removal), and the store's own
	// reopening (which writes nothing itself, and is not charged).
	task     func() error
	internal bool
}

// taskCost is what a task is charged against the disk's floors: deletions
// and expiry rewrite keys, not content, and a few MiB covers all but the
// largest groups.
const taskCost = 4 << 20

// kind is the floor a request must stay above.
func (r *writeReq) kind() writeKind {
	if r.durable || r.task != nil {
		return writeOwn
	}
	return writeReceived
}

// cost estimates the bytes a message write takes on disk at once.
func (r *writeReq) cost() int64 { return int64(len(r.st.Msg.Raw)) + writeOverhead }

// PutOwn stores the user's own message and puts it in the outbox, in one
// transaction synced to disk before it returns. A message already stored is
// not an error: added is false and nothing changes (no outbox entry either).
// The same holds for a message that was deleted (it has a tombstone) and
// for one of a group past its expiry: the store refuses them quietly.
// If ctx ends while the message is queued, PutOwn returns ctx's error but the
// message may still be written.
func (s *Store) PutOwn(ctx context.Context, m *message.Message) (added bool, err error) {
	added, err = s.put(ctx, m, OriginOwn, true)
	if err != nil {
		return false, fmt.Errorf("store own message: %w", err)
	}
	return added, nil
}

// Put stores a received message through the writer and returns once its
// batch has committed (not synced). Duplicates, deleted messages and
// messages of expired groups give added=false and no error.
// If ctx ends while the message is queued, Put returns ctx's error but the
// message may still be written.
func (s *Store) Put(ctx context.Context, m *message.Message, origin Origin) (added bool, err error) {
	added, err = s.put(ctx, m, origin, false)
	if err != nil {
		return false, fmt.Errorf("store message: %w", err)
	}
	return added, nil
}

// Enqueue hands a received message to the writer and returns at once; it
// waits only while the queue is full, until ctx is done. Write errors are
// logged, and OnStored reports the messages that were new.
//
// Unlike Put, Enqueue keeps m itself: m must be what message.Decode
// returned for m.Raw, and neither may change afterwards. It checks only
// that m.Raw is an envelope whose ID is m.ID (message.IDOf, one hash),
// not m's other fields against m.Raw: gossip, its one caller, hands it
// each message its validator has just decoded, and decoding every
// message a second time here was about 1 % of the CPU of the simulator's
// random scenario.
func (s *Store) Enqueue(ctx context.Context, m *message.Message, origin Origin) error {
	r, err := s.takeReq(m, origin)
	if err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	if err := s.begin(); err != nil {
		return fmt.Errorf("queue message: %w", err)
	}
	defer s.end()
	if err := s.disk.admit(r.kind()); err != nil {
		return fmt.Errorf("queue message %s: %w", r.st.Msg.ID.Short(), err)
	}
	if err := s.send(ctx, r); err != nil {
		return fmt.Errorf("queue message %s: %w", r.st.Msg.ID.Short(), err)
	}
	return nil
}

func (s *Store) put(ctx context.Context, m *message.Message, origin Origin, durable bool) (bool, error) {
	r, err := s.newReq(m, origin, durable)
	if err != nil {
		return false, err
	}
	if err := s.begin(); err != nil {
		return false, err
	}
	defer s.end()
	if err := s.disk.admit(r.kind()); err != nil {
		return false, fmt.Errorf("message %s: %w", r.st.Msg.ID.Short(), err)
	}
	if err := s.send(ctx, r); err != nil {
		return false, fmt.Errorf("message %s: %w", r.st.Msg.ID.Short(), err)
	}
	// The writer answers every request it has taken, even while closing.
	select {
	case <-r.done:
		return r.added, r.err
	case <-ctx.Done():
		return false, fmt.Errorf("message %s: queued but not confirmed: %w", r.st.Msg.ID.Short(), ctx.Err())
	}
}

// newReq checks m and decodes its envelope again, so that what is indexed is
// exactly what later reads decode. It runs on the caller's goroutine, which
// keeps decoding off the single writer.
func (s *Store) newReq(m *message.Message, origin Origin, durable bool) (*writeReq, error) {
	if m == nil {
		return nil, errors.New("message is nil")
	}
	if !origin.valid() {
		return nil, fmt.Errorf("message %s: %s is not a valid origin", m.ID.Short(), origin)
	}
	d, err := message.Decode(bytes.Clone(m.Raw))
	if err != nil {
		return nil, fmt.Errorf("message %s: raw envelope does not decode: %w", m.ID.Short(), err)
	}
	if !m.ID.IsZero() && d.ID != m.ID {
		return nil, fmt.Errorf("message %s: its raw envelope has id %s", m.ID.Short(), d.ID.Short())
	}
	return &writeReq{
		st:      Stored{Msg: d, Origin: origin, ReceivedAt: s.cfg.Clock()},
		durable: durable,
		done:    make(chan struct{}),
	}, nil
}

// takeReq is Enqueue's request: m as it is, which the caller gives up.
func (s *Store) takeReq(m *message.Message, origin Origin) (*writeReq, error) {
	if m == nil {
		return nil, errors.New("message is nil")
	}
	if !origin.valid() {
		return nil, fmt.Errorf("message %s: %s is not a valid origin", m.ID.Short(), origin)
	}
	id, err := message.IDOf(m.Raw)
	if err != nil {
		return nil, fmt.Errorf("message %s: raw envelope does not decode: %w", m.ID.Short(), err)
	}
	if id != m.ID {
		return nil, fmt.Errorf("message %s: its raw envelope has id %s", m.ID.Short(), id.Short())
	}
	return &writeReq{st: Stored{Msg: m, Origin: origin, ReceivedAt: s.cfg.Clock()}}, nil
}

// send queues r. The queue is bounded; a full queue makes the caller wait
// until there is room, ctx is done or the store closes.
func (s *Store) send(ctx context.Context, r *writeReq) error {
	return s.queue.push(ctx, s.closing, r)
}

// do runs task on the writer goroutine, after every write queued before it,
// and returns its error. If ctx ends first, do returns ctx's error but the
// task may still run.
func (s *Store) do(ctx context.Context, task func() error) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	r := &writeReq{task: task, done: make(chan struct{})}
	if err := s.send(ctx, r); err != nil {
		return err
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("queued but not confirmed: %w", ctx.Err())
	}
}

// runWriter is the writer goroutine: it takes the first queued request, adds
// whatever else is queued up to MaxBatch without waiting, and commits the
// messages together; a task ends a run of messages and runs on its own. It
// runs until Close closes the queue, so requests already queued are written.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	var batch []*writeReq
	for {
		var ok bool
		if batch, ok = s.queue.take(batch[:0], s.cfg.MaxBatch); !ok {
			return
		}
		s.process(batch)
		clear(batch) // let the messages go
	}
}

// process commits each run of messages in batch and runs each task, in
// queue order.
func (s *Store) process(batch []*writeReq) {
	for len(batch) > 0 && s.db == nil && !batch[0].internal {
		// A failed reopen left no database (readonly.go).
		batch[0].err = s.dbErr
		if batch[0].done != nil {
			close(batch[0].done)
		}
		batch = batch[1:]
	}
	for len(batch) > 0 {
		if r := batch[0]; r.task != nil {
			if r.internal {
				r.err = r.task()
				s.kickCompaction()
			} else if r.err = s.disk.take(writeOwn, taskCost); r.err == nil {
				r.err = r.task()
				s.kickCompaction()
			}
			if r.done != nil {
				close(r.done)
			}
			batch = batch[1:]
			continue
		}
		n := 1
		for n < len(batch) && batch[n].task == nil {
			n++
		}
		s.commitBatch(batch[:n])
		batch = batch[n:]
	}
}

// commitBatch writes a batch, syncs if a request needs it, answers the
// waiters and reports the new messages to OnStored.
func (s *Store) commitBatch(batch []*writeReq) {
	unique := make([]*writeReq, 0, len(batch))
	byID := make(map[message.ID]*writeReq, len(batch))
	durable := false
	for _, r := range batch {
		durable = durable || r.durable
		if f := byID[r.st.Msg.ID]; f != nil {
			r.first = f
			continue
		}
		byID[r.st.Msg.ID] = r
		unique = append(unique, r)
	}
	for rest := unique; len(rest) > 0; {
		rest = rest[s.writeTxn(rest):]
	}
	durable = durable && slices.ContainsFunc(unique, func(r *writeReq) bool { return r.durable && r.err == nil })
	if durable {
		if err := s.db.Sync(); err != nil {
			for _, r := range unique {
				if r.durable && r.err == nil {
					r.err = fmt.Errorf("message %s is stored but not synced to disk: %w", r.st.Msg.ID.Short(), err)
				}
			}
		}
	}
	// OnStored hears of the batch before any Put returns, so that a caller
	// whose Put said "added" knows the store's listeners have it too.
	var stored []Stored
	for _, r := range batch {
		if r.first != nil {
			r.added, r.err = false, r.first.err
		}
		if r.added {
			stored = append(stored, r.st)
		}
	}
	if len(stored) > 0 && s.cfg.OnStored != nil {
		s.cfg.OnStored(stored)
	}
	for _, r := range batch {
		if r.done != nil {
			close(r.done)
		} else if errors.Is(r.err, ErrDiskFull) {
			s.log.Debug("queued message refused", "msg", r.st.Msg, "err", r.err) // the guard logs the state
		} else if r.err != nil {
			s.log.Warn("queued message not stored", "msg", r.st.Msg, "err", r.err)
		}
	}
	s.kickCompaction()
}

// writeTxn writes a prefix of reqs in one transaction, sets their results
// and returns how many it consumed. When Badger finds the transaction too
// big, the messages so far are committed on their own and the rest wait for
// the next call; a message is never split across transactions.
func (s *Store) writeTxn(reqs []*writeReq) int {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var written []*writeReq
	for i, r := range reqs {
		r.added, r.err = false, nil // a retry after a split starts afresh
		if err := s.disk.take(r.kind(), r.cost()); err != nil {
			r.err = err
			continue
		}
		expiresAt, refused := s.expiresAt(r.st.Msg.Body.Group)
		if refused {
			continue // its group has expired: added stays false
		}
		skip, err := s.known(txn, r.st.Msg, expiresAt)
		if err != nil {
			r.err = fmt.Errorf("look up message %s: %w", r.st.Msg.ID.Short(), err)
			continue
		}
		if skip {
			continue // already stored or deleted: added stays false
		}
		if err := s.setMessage(txn, r, expiresAt); err != nil {
			// txn may hold part of r: write the ones before it afresh.
			txn.Discard()
			if i > 0 {
				s.writeTxn(reqs[:i])
			}
			if i > 0 && errors.Is(err, errTxnTooBig) {
				return i
			}
			r.err = fmt.Errorf("write message %s (%d bytes): %w", r.st.Msg.ID.Short(), len(r.st.Msg.Raw), err)
			return i + 1
		}
		written = append(written, r)
	}
	err := txn.Commit()
	for _, r := range written {
		if err != nil {
			r.err = fmt.Errorf("commit message %s: %w", r.st.Msg.ID.Short(), err)
		} else {
			r.added = true
		}
	}
	return len(reqs)
}

// known reports whether m is stored or deleted. A tombstone that does not
// know its group yet learns it from m (its ID is the hash of a body that
// names the group), so that DeleteGroup and expiry find it.
func (s *Store) known(txn kvTxn, m *message.Message, expiresAt uint64) (bool, error) {
	if found, err := exists(txn, messageKey(m.ID)); found || err != nil {
		return found, err
	}
	item, err := txn.Get(tombstoneKey(m.ID))
	if errors.Is(err, errKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if item.ValueSize() == 0 {
		// Best effort: if the transaction is full, a later copy tries again.
		g := m.Body.Group
		_ = txn.SetEntry(tombstoneKey(m.ID), g[:], expiresAt)
	}
	return true, nil
}

// setMessage writes every key of a new message, all with the same expiry so
// that they vanish together.
func (s *Store) setMessage(txn kvTxn, r *writeReq, expiresAt uint64) error {
	m := r.st.Msg
	u := unit{
		// The envelope is the same bytes in every store that holds the
		// message: shared, for an engine that keeps such bytes once.
		{key: messageKey(m.ID), value: recordHeader(r.st, 0), shared: m.Raw, expiresAt: expiresAt},
		{key: indexKey(m.Body.Group, m.Body.SentAtMS, m.ID), expiresAt: expiresAt},
	}
	if k := kindKeyOf(m); k != nil {
		u = append(u, write{key: k, expiresAt: expiresAt})
	}
	if r.durable {
		s.outboxSeq++
		u = append(u, write{key: outboxKey(m.ID), value: binary.BigEndian.AppendUint64(nil, s.outboxSeq), expiresAt: expiresAt})
	}
	return u.apply(txn)
}
