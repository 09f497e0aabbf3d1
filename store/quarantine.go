package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// The quarantine keeps what Repair takes out of the store: each damaged key
// with its value, under "q/" followed by the original key, with no TTL. No
// read sees it, the store never deletes it, and Quarantine lists it. A
// quarantine record is: when (Unix ns, 8 bytes big-endian), the reason's
// length (2 bytes big-endian), the reason (UTF-8) and the original value.

// Quarantined is one record in quarantine.
type Quarantined struct {
	// Key is the original key; KeyName shows it for people.
	Key     []byte
	KeyName string
	At      time.Time
	Reason  string
	Value   []byte
}

// maxReasonLen bounds a quarantine record's reason.
const maxReasonLen = 1 << 10

func encodeQuarantine(at time.Time, reason string, value []byte) []byte {
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 10+len(reason)+len(value)), uint64(timeNS(at)))
	v = binary.BigEndian.AppendUint16(v, uint16(len(reason)))
	return append(append(v, reason...), value...)
}

func decodeQuarantine(key, v []byte) (Quarantined, error) {
	q := Quarantined{Key: key[len(prefixQuarantine):]}
	q.KeyName = keyName(q.Key)
	if len(v) < 10 {
		return Quarantined{}, fmt.Errorf("%w: quarantine record of %d bytes", ErrCorrupt, len(v))
	}
	n := int(binary.BigEndian.Uint16(v[8:]))
	if len(v) < 10+n {
		return Quarantined{}, fmt.Errorf("%w: quarantine record of %d bytes with a reason of %d", ErrCorrupt, len(v), n)
	}
	q.At = timeFromNS(int64(binary.BigEndian.Uint64(v)))
	q.Reason, q.Value = string(v[10:10+n]), v[10+n:]
	return q, nil
}

// Quarantine lists what Repair has taken out of the store, in key order.
func (s *Store) Quarantine() ([]Quarantined, error) {
	var out []Quarantined
	err := s.view(func(txn kvTxn) error {
		return eachKey(txn, prefixQuarantine, func(item kvItem) error {
			v, err := item.ValueCopy(nil)
			if err == nil {
				var q Quarantined
				if q, err = decodeQuarantine(item.KeyCopy(nil), v); err == nil {
					out = append(out, q)
				}
			}
			return s.skipCorrupt(item.KeyCopy(nil), err)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list the quarantine: %w", err)
	}
	return out, nil
}

// RepairReport says what Repair did.
type RepairReport struct {
	// Found is the first scan's report: what was wrong.
	Found Report
	// Quarantined counts the keys moved into quarantine, Reindexed the
	// messages whose missing index entries were written again.
	Quarantined, Reindexed int
	// Left is the last scan's report: what Repair could not fix (its
	// Total is 0 when the store is sound now).
	Left Report
}

// maxRepairRounds bounds Repair's scans. Quarantining a damaged message
// leaves its index entries without a message, which the next scan finds, so
// two rounds usually do; more cover stores with more than maxProblems
// problems.
const maxRepairRounds = 6

// Repair scans the store (Inspect with opts on the first scan) and fixes
// what it finds: damaged keys go into quarantine with their values, missing
// index entries of sound messages are written again; it scans again until
// nothing more can be fixed. Everything else stays as it was. It runs on the
// writer, so it may run beside reads, though the node is meant to be
// stopped; it needs room on the disk like any write (ErrDiskFull).
func (s *Store) Repair(ctx context.Context, opts CheckOptions) (RepairReport, error) {
	var rr RepairReport
	for round := range maxRepairRounds {
		r, err := s.Inspect(opts)
		if err != nil {
			return rr, err
		}
		opts.Signatures = false // a message cannot break between rounds
		if round == 0 {
			rr.Found = r
		}
		rr.Left = r
		var fixes []Problem
		for _, p := range r.Problems {
			if p.Fix != FixNone {
				fixes = append(fixes, p)
			}
		}
		if len(fixes) == 0 {
			break
		}
		var q, ix int
		err = s.do(ctx, func() error {
			var err error
			q, ix, err = s.applyFixes(fixes)
			return err
		})
		if err != nil {
			return rr, fmt.Errorf("repair store %s: %w", s.where, err)
		}
		rr.Quarantined += q
		rr.Reindexed += ix
		if q+ix == 0 {
			break // what is left moved meanwhile, or cannot be fixed
		}
	}
	if rr.Quarantined+rr.Reindexed > 0 {
		s.log.Warn("store repaired", "quarantined", rr.Quarantined, "reindexed", rr.Reindexed, "left", rr.Left.Total)
	}
	return rr, nil
}

// applyFixes runs on the writer goroutine: it reads what each problem names
// in one snapshot and writes the fixes in bounded transactions, each fix
// whole, then syncs.
func (s *Store) applyFixes(ps []Problem) (quarantined, reindexed int, err error) {
	now := s.cfg.Clock()
	var units []unit
	moved := map[string]bool{}
	err = s.db.View(func(txn kvTxn) error {
		for _, p := range ps {
			item, err := txn.Get(p.Key)
			if errors.Is(err, errKeyNotFound) {
				continue // gone meanwhile
			}
			if err != nil {
				return err
			}
			switch p.Fix {
			case FixQuarantine:
				if moved[string(p.Key)] {
					continue
				}
				moved[string(p.Key)] = true
				v, verr := item.ValueCopy(nil)
				reason := p.What
				if verr != nil {
					reason += fmt.Sprintf(" (its value could not be read: %v)", verr)
				}
				units = append(units, unit{
					{key: quarantineKey(p.Key), value: encodeQuarantine(now, reason, v)},
					{key: p.Key, del: true},
				})
				quarantined++
			case FixIndex:
				u, ok := reindex(item)
				if ok {
					units = append(units, u)
					reindexed++
				}
			}
		}
		return nil
	})
	if err == nil {
		err = s.applyUnits(units)
	}
	if err == nil {
		err = s.db.Sync()
	}
	return quarantined, reindexed, err
}

// reindex is the unit that writes a sound message's index entries again,
// with its TTL; ok is false when the message does not decode after all.
func reindex(item kvItem) (unit, bool) {
	id, ok := idFromKey(item.Key())
	if !ok {
		return nil, false
	}
	rec, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false
	}
	st, err := parseRecord(id, rec)
	if err != nil {
		return nil, false
	}
	b, ttl := st.Msg.Body, item.ExpiresAt()
	u := unit{{key: indexKey(b.Group, b.SentAtMS, id), expiresAt: ttl}}
	if k := kindKeyOf(st.Msg); k != nil {
		u = append(u, write{key: k, expiresAt: ttl})
	}
	return u, true
}
