package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepair damages a healthy store in each way Check knows and repairs
// it: what is damaged goes into quarantine with its value, missing index
// entries come back, every message not damaged is still read, and Check
// passes afterwards (but for the damage Repair only reports). It runs on
// Badger in memory and on the memory engine: damage is keys and values,
// whatever holds them.
func TestRepair(t *testing.T) {
	for _, b := range backends[1:] {
		t.Run(b.name, func(t *testing.T) { testRepair(t, b) })
	}
}

func testRepair(t *testing.T, b backend) {
	for _, d := range damages(t) {
		t.Run(d.name, func(t *testing.T) {
			s, _ := b.open(t, "", Config{})
			_, ms := damageMessages(t)
			mustPut(t, s, ms, OriginGossip)
			healthy := dump(t, s)
			d.damage(t, s)
			// What the damage wrote, to find it in quarantine with its value.
			var before []Quarantined
			for k, v := range dump(t, s) {
				if hv, ok := healthy[k]; d.fix == FixQuarantine && d.name != "message both stored and deleted" && (!ok || !bytes.Equal(hv, v)) {
					before = append(before, Quarantined{Key: []byte(k), Value: v})
				}
			}
			rr, err := s.Repair(context.Background(), CheckOptions{Signatures: true})
			if err != nil {
				t.Fatal(err)
			}
			if rr.Found.Total == 0 || !strings.Contains(rr.Found.Err().Error(), d.want) {
				t.Errorf("repair found %v, want %q", rr.Found.Err(), d.want)
			}
			switch d.fix {
			case FixNone:
				if rr.Left.Total == 0 || rr.Quarantined+rr.Reindexed != 0 {
					t.Errorf("repair of what it cannot fix: %+v", rr)
				}
				return
			case FixIndex:
				if rr.Reindexed == 0 || rr.Quarantined != 0 {
					t.Errorf("repair reindexed %d and quarantined %d", rr.Reindexed, rr.Quarantined)
				}
			case FixQuarantine:
				if rr.Quarantined == 0 {
					t.Errorf("repair quarantined nothing")
				}
			}
			if rr.Left.Total != 0 {
				t.Errorf("left after repair: %v", rr.Left.Err())
			}
			checkHealthy(t, s)
			q, err := s.Quarantine()
			if err != nil {
				t.Fatal(err)
			}
			if len(q) != rr.Quarantined {
				t.Errorf("quarantine holds %d, repair said %d", len(q), rr.Quarantined)
			}
			for _, b := range before {
				if !quarantined(q, b) {
					t.Errorf("quarantine lacks key %s with its value %q", keyName(b.Key), b.Value)
				}
			}
			// Every message is either read as it was or in quarantine.
			for _, m := range ms {
				st, err := s.Get(m.ID)
				switch {
				case err == nil && !bytes.Equal(st.Msg.Raw, m.Raw):
					t.Errorf("message %s changed", m.ID.Short())
				case err != nil && !quarantined(q, Quarantined{Key: messageKey(m.ID)}):
					t.Errorf("message %s lost: %v", m.ID.Short(), err)
				}
			}
		})
	}
}

// dump returns every key of s with its value.
func dump(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := s.db.View(func(txn kvTxn) error {
		return eachKey(txn, nil, func(item kvItem) error {
			v, err := item.ValueCopy(nil)
			m[string(item.Key())] = v
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func quarantined(q []Quarantined, want Quarantined) bool {
	for _, e := range q {
		if bytes.Equal(e.Key, want.Key) && (want.Value == nil || bytes.Equal(e.Value, want.Value)) && e.Reason != "" && !e.At.IsZero() {
			return true
		}
	}
	return false
}

// TestCorruptValueOnDisk damages a message's bytes in Badger's files on
// disk, as a failing disk would: reads skip it and count it, `log` style
// paging reads every other message, Repair quarantines it, and a good copy
// sent again by a peer is stored like new. The message is chat-sized, so it
// sits in a table (values over 1 KiB go to the value log, whose last file
// Badger cuts at the first damaged entry when it opens, dropping the rest
// of the file: Badger's crash recovery, which no reader can undo).
func TestCorruptValueOnDisk(t *testing.T) {
	dir := freshDir(t)
	g := groupID("on disk")
	ms := genMessages(t, 50, g, func(i int) uint64 { return uint64(5000 + i) })
	victim := ms[17]
	s, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, ms, OriginGossip)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	flipIn(t, dir, victim.BodyBytes)

	s, err = Open(dir, Config{})
	if err != nil {
		t.Fatalf("open a store with a damaged value: %v", err)
	}
	defer s.Close()
	if _, err := s.Get(victim.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("get of the damaged message: %v, want ErrCorrupt", err)
	}
	got, skipped := readAll(t, s, Query{Group: g, Limit: 7, Newest: true})
	if len(got) != len(ms)-1 || skipped != 1 {
		t.Errorf("history past the damage: %d messages, %d skipped; want %d and 1", len(got), skipped, len(ms)-1)
	}
	if s.Skipped() == 0 {
		t.Error("Skipped() is 0 after reads past the damage")
	}
	if err := s.Check(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), victim.ID.Short()) {
		t.Errorf("check: %v, want it to name %s", err, victim.ID.Short())
	}

	rr, err := s.Repair(context.Background(), CheckOptions{Signatures: true})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Quarantined != 2 || rr.Left.Total != 0 {
		t.Errorf("repair: quarantined %d (want the record and its index entry), left %v", rr.Quarantined, rr.Left.Err())
	}
	checkHealthy(t, s)
	q, err := s.Quarantine()
	if err != nil || !quarantined(q, Quarantined{Key: messageKey(victim.ID)}) {
		t.Errorf("quarantine: %v, %v; want the damaged record", q, err)
	}
	if p, err := s.History(Query{Group: g, Limit: MaxQueryLimit}); err != nil || len(p.Messages) != len(ms)-1 || p.Skipped != 0 {
		t.Errorf("history after repair: %d messages, %d skipped, %v", len(p.Messages), p.Skipped, err)
	}
	if added, err := s.Put(context.Background(), victim, OriginCatchup); err != nil || !added {
		t.Errorf("a good copy from a peer: added %v, %v", added, err)
	}
	if p, err := s.History(Query{Group: g, Limit: MaxQueryLimit}); err != nil || len(p.Messages) != len(ms) {
		t.Errorf("history with the good copy: %d messages, %v", len(p.Messages), err)
	}
	checkHealthy(t, s)
}

// flipIn finds b in one of Badger's files in dir and flips a byte of it.
func flipIn(t *testing.T, dir string, b []byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if i := bytes.Index(data, b); i >= 0 {
			data[i+len(b)/2] ^= 0x55
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("the message's bytes are in no table of the store")
}

// TestRepairBadSignature: a stored message whose signature was damaged
// still decodes, so reads serve it and a plain Check passes; the check with
// signatures finds it and Repair quarantines it, since peers would reject
// it and cut this node off.
func TestRepairBadSignature(t *testing.T) {
	s, _ := backends[1].open(t, "", Config{})
	g, ms := damageMessages(t)
	mustPut(t, s, ms, OriginGossip)
	victim := ms[1]
	rec := rawGet(t, s, messageKey(victim.ID))
	rec[len(rec)-1] ^= 1 // the envelope ends with the signature
	rawSet(t, s, messageKey(victim.ID), rec)
	if _, err := s.Get(victim.ID); err != nil {
		t.Fatalf("get: %v; a damaged signature still decodes", err)
	}
	checkHealthy(t, s)
	r, err := s.Inspect(CheckOptions{Signatures: true})
	if err != nil || r.Total != 1 || !strings.Contains(r.Err().Error(), victim.ID.Short()+": its signature does not verify") {
		t.Fatalf("inspect with signatures: %v, %v", r.Err(), err)
	}
	rr, err := s.Repair(context.Background(), CheckOptions{Signatures: true})
	if err != nil || rr.Quarantined != 2 || rr.Left.Total != 0 {
		t.Fatalf("repair: %+v, %v; want the message and its index entry quarantined", rr, err)
	}
	if got, _ := readAll(t, s, Query{Group: g}); len(got) != len(ms)-1 {
		t.Errorf("history after repair: %d messages, want %d", len(got), len(ms)-1)
	}
}
