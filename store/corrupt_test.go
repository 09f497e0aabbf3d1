package store

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"starling/message"
)

// rawSet writes key/value pairs past the store's verbs, as a damaged disk or
// a buggy older version might have.
func rawSet(t *testing.T, s *Store, kv ...[]byte) {
	t.Helper()
	err := s.db.Update(func(txn kvTxn) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := txn.Set(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rawDelete(t *testing.T, s *Store, key []byte) {
	t.Helper()
	if err := s.db.Update(func(txn kvTxn) error { return txn.Delete(key) }); err != nil {
		t.Fatal(err)
	}
}

func rawGet(t *testing.T, s *Store, key []byte) []byte {
	t.Helper()
	var v []byte
	err := s.db.View(func(txn kvTxn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCorruptMessage shows that a message record that does not decode is
// ErrCorrupt for Get and Check, and skipped and counted by History, which
// returns every other message; never a panic.
func TestCorruptMessage(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, "", Config{})
			g := groupID("damaged")
			ms := genMessages(t, 5, g, func(i int) uint64 { return uint64(100 + i) })
			mustPut(t, s, ms, OriginGossip)
			victim := ms[2]
			rawSet(t, s, messageKey(victim.ID), []byte("\x00\x00\x00\x00\x00\x00\x00\x01\x02garbage, not an envelope"))

			if _, err := s.Get(victim.ID); !errors.Is(err, ErrCorrupt) {
				t.Errorf("get: %v, want ErrCorrupt", err)
			}
			if _, err := s.Get(ms[1].ID); err != nil {
				t.Errorf("get of an intact message: %v", err)
			}
			p, err := s.History(Query{Group: g})
			if err != nil || p.Skipped != 1 || len(p.Messages) != 4 || slices.Contains(storedIDs(p.Messages), victim.ID) {
				t.Errorf("history: %d messages, %d skipped, %v; want the 4 intact ones and 1 skipped", len(p.Messages), p.Skipped, err)
			}
			// Paging past the damage, in both directions.
			for _, newest := range []bool{false, true} {
				got, skipped := readAll(t, s, Query{Group: g, Limit: 2, Newest: newest})
				if len(got) != 4 || skipped != 1 {
					t.Errorf("pages (newest %v): %d messages, %d skipped", newest, len(got), skipped)
				}
			}
			if n := s.Skipped(); n < 3 {
				t.Errorf("Skipped() = %d after three reads past the damage", n)
			}
			err = s.Check()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), victim.ID.Short()) {
				t.Errorf("check: %v, want ErrCorrupt naming %s", err, victim.ID.Short())
			}
		})
	}
}

// readAll pages through a group's history from q and returns the IDs read
// and the entries skipped.
func readAll(t *testing.T, s *Store, q Query) (got []message.ID, skipped int) {
	t.Helper()
	for {
		p, err := s.History(q)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		got, skipped = append(got, storedIDs(p.Messages)...), skipped+p.Skipped
		if q.Cursor = p.Next; q.Cursor == "" {
			return got, skipped
		}
	}
}

// damage is one way to damage a healthy store of damageMessages.
type damage struct {
	name   string
	damage func(t *testing.T, s *Store)
	want   string // what Check says
	fix    Fix    // what Repair does about it
}

// damageMessages are the healthy store's messages: four texts and a
// descriptor of one group.
func damageMessages(t *testing.T) (g message.GroupID, ms []*message.Message) {
	g = groupID("checked")
	ms = genMessages(t, 4, g, func(i int) uint64 { return uint64(1000 + i) })
	return g, append(ms, signKind(t, g, 1005, message.KindDescriptor, "a descriptor"))
}

// damages lists the ways TestCheckFindsDamage and TestRepair damage a store.
func damages(t *testing.T) []damage {
	g, all := damageMessages(t)
	ms, ctl := all[:4], all[4]
	stray := sign(t, testKey, g, 77, "never stored properly")
	author := keyFrom("blocked").Public().(ed25519.PublicKey)
	return []damage{
		{"short record", func(t *testing.T, s *Store) {
			rawSet(t, s, messageKey(ms[0].ID), []byte{1, 2, 3})
		}, "less than its header", FixQuarantine},
		{"record under another id", func(t *testing.T, s *Store) {
			rawSet(t, s, messageKey(ms[0].ID), rawGet(t, s, messageKey(ms[1].ID)))
		}, "envelope has id", FixQuarantine},
		{"message without index entry", func(t *testing.T, s *Store) {
			rawDelete(t, s, indexKey(g, ms[1].Body.SentAtMS, ms[1].ID))
		}, "has no index entry", FixIndex},
		{"index entry without message", func(t *testing.T, s *Store) {
			rawSet(t, s, indexKey(g, stray.Body.SentAtMS, stray.ID), nil)
		}, "has no message", FixQuarantine},
		{"index entry with the wrong time", func(t *testing.T, s *Store) {
			rawSet(t, s, indexKey(g, 5, ms[2].ID), nil)
		}, "sent at 5", FixQuarantine},
		{"index entry in the wrong group", func(t *testing.T, s *Store) {
			rawSet(t, s, indexKey(groupID("other"), ms[2].Body.SentAtMS, ms[2].ID), nil)
		}, "the message says group", FixQuarantine},
		{"index key of the wrong length", func(t *testing.T, s *Store) {
			rawSet(t, s, append(indexPrefix(g), 1, 2), nil)
		}, "index key of", FixQuarantine},
		{"outbox entry without message", func(t *testing.T, s *Store) {
			rawSet(t, s, outboxKey(stray.ID), make([]byte, 8))
		}, "outbox entry for message", FixQuarantine},
		{"outbox entry of the wrong size", func(t *testing.T, s *Store) {
			rawSet(t, s, outboxKey(ms[3].ID), []byte{1})
		}, "has 1 bytes", FixQuarantine},
		{"group record", func(t *testing.T, s *Store) {
			rawSet(t, s, groupKey(g), []byte("{not json"))
		}, "group", FixQuarantine},
		{"peer record", func(t *testing.T, s *Store) {
			rawSet(t, s, peerKey("12D3KooWbad"), []byte("[]"))
		}, "peer", FixQuarantine},
		{"message without kind index entry", func(t *testing.T, s *Store) {
			rawDelete(t, s, kindKeyOf(ctl))
		}, "has no kind index entry", FixIndex},
		{"kind index entry without message", func(t *testing.T, s *Store) {
			rawSet(t, s, kindKey(g, message.KindOpPart, 5, stray.ID), nil)
		}, "kind index entry for message " + stray.ID.Short() + " has no message", FixQuarantine},
		{"kind index entry of the wrong kind", func(t *testing.T, s *Store) {
			rawSet(t, s, kindKey(g, message.KindOp, ctl.Body.SentAtMS, ctl.ID), nil)
		}, "kind op", FixQuarantine},
		{"kind index entry for a text", func(t *testing.T, s *Store) {
			rawSet(t, s, kindKey(g, message.KindText, ms[0].Body.SentAtMS, ms[0].ID), nil)
		}, "not indexed", FixQuarantine},
		{"kind index key of the wrong length", func(t *testing.T, s *Store) {
			rawSet(t, s, append(kindPrefix(g), 1), nil)
		}, "kind index key of", FixQuarantine},
		{"message both stored and deleted", func(t *testing.T, s *Store) {
			rawSet(t, s, tombstoneKey(ms[0].ID), nil)
		}, "both stored and deleted", FixQuarantine},
		{"tombstone of the wrong size", func(t *testing.T, s *Store) {
			rawSet(t, s, tombstoneKey(stray.ID), []byte{1, 2})
		}, "has 2 bytes", FixQuarantine},
		{"expiry record", func(t *testing.T, s *Store) {
			rawSet(t, s, expiryKey(g), []byte{1})
		}, "expiry record", FixQuarantine},
		{"block record", func(t *testing.T, s *Store) {
			rawSet(t, s, blockKey(author), []byte(`{"mode":"ban"}`))
		}, "block record", FixQuarantine},
		{"block key", func(t *testing.T, s *Store) {
			rawSet(t, s, blockKey(author[:3]), []byte(`{"mode":"mute"}`))
		}, "block key", FixQuarantine},
		{"group state key", func(t *testing.T, s *Store) {
			rawSet(t, s, append(stateKey(g), 0), nil)
		}, "group state key", FixQuarantine},
		{"keys of a message with different TTLs", func(t *testing.T, s *Store) {
			err := s.db.Update(func(txn kvTxn) error {
				k := indexKey(g, ms[1].Body.SentAtMS, ms[1].ID)
				return txn.SetEntry(k, nil, uint64(time.Now().Add(time.Hour).Unix()))
			})
			if err != nil {
				t.Fatal(err)
			}
		}, "expire at different times", FixNone},
		{"unknown key", func(t *testing.T, s *Store) {
			rawSet(t, s, []byte("zz/what"), []byte("?"))
		}, "unknown key", FixQuarantine},
		{"no schema version", func(t *testing.T, s *Store) {
			rawDelete(t, s, keySchema)
		}, "no schema version", FixNone},
	}
}

// damagedStore opens a healthy store of damageMessages and damages it.
func damagedStore(t *testing.T, d damage) (*Store, []*message.Message) {
	t.Helper()
	s, _ := backends[1].open(t, "", Config{})
	_, ms := damageMessages(t)
	mustPut(t, s, ms, OriginGossip)
	checkHealthy(t, s)
	d.damage(t, s)
	return s, ms
}

// TestCheckFindsDamage damages a healthy store in one way at a time and
// expects Check to name it.
func TestCheckFindsDamage(t *testing.T) {
	for _, d := range damages(t) {
		t.Run(d.name, func(t *testing.T) {
			s, _ := damagedStore(t, d)
			err := s.Check()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), d.want) {
				t.Errorf("check: %v\nwant ErrCorrupt mentioning %q", err, d.want)
			}
		})
	}
}

// TestCorruptRecordsNeverPanic feeds random and mutated records to every
// read path.
func TestCorruptRecordsNeverPanic(t *testing.T) {
	s, _ := backends[1].open(t, "", Config{})
	g := groupID("noise")
	m := sign(t, testKey, g, 42, "the original")
	mustPut(t, s, []*message.Message{m}, OriginGossip)
	good := rawGet(t, s, messageKey(m.ID))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		rec := bytes.Clone(good)
		switch i % 3 {
		case 0: // flip bytes
			for range 1 + rng.IntN(4) {
				rec[rng.IntN(len(rec))] ^= byte(1 + rng.IntN(255))
			}
		case 1: // truncate
			rec = rec[:rng.IntN(len(rec))]
		default: // noise
			rec = make([]byte, rng.IntN(600))
			for j := range rec {
				rec[j] = byte(rng.Uint32())
			}
		}
		rawSet(t, s, messageKey(m.ID), rec)
		st, err := s.Get(m.ID)
		if err == nil {
			// The header or the signature changed (reads do not verify
			// signatures): the body must still be the message's own.
			if st.Msg.ID != m.ID || !bytes.Equal(st.Msg.BodyBytes, m.BodyBytes) {
				t.Fatalf("record %d: a damaged envelope decoded as %s", i, st.Msg.ID.Short())
			}
			continue
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("record %d: get: %v, want ErrCorrupt", i, err)
		}
		if p, err := s.History(Query{Group: g}); err != nil || p.Skipped != 1 {
			t.Fatalf("record %d: history: %d skipped, %v; want the damaged message skipped", i, p.Skipped, err)
		}
		if err := s.Check(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("record %d: check: %v, want ErrCorrupt", i, err)
		}
	}
}
