package negentropy

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	nostrneg "github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"
)

// go-nostr v0.38.2's nip77/negentropy speaks hex strings, keeps timestamps as
// int64 and reports the initiator's findings on channels that must be drained
// while it runs. These wrappers adapt it to the client and server roles.

func nostrVector(tb testing.TB, items []Item) *vector.Vector {
	tb.Helper()
	v := vector.New()
	for _, it := range items {
		if it.Timestamp > 1<<62 {
			tb.Fatalf("go-nostr keeps timestamps as int64; %d does not fit", it.Timestamp)
		}
		v.Insert(nostr.Timestamp(it.Timestamp), hex.EncodeToString(it.ID[:]))
	}
	v.Seal()
	return v
}

type nostrClient struct {
	neg        *nostrneg.Negentropy
	stop       chan struct{} // ends the drains of a session left unfinished
	wg         sync.WaitGroup
	done       bool // go-nostr closed its channels
	have, need [][IDSize]byte
	errs       [2]error // one per draining goroutine
}

// newNostrClient starts a go-nostr session over v, which sessions may share
// one after another but not at the same time (its Fingerprint writes to the
// vector).
func newNostrClient(v *vector.Vector, limit int) *nostrClient {
	return &nostrClient{neg: nostrneg.New(v, limit), stop: make(chan struct{})}
}

// close ends a session the test leaves unfinished: go-nostr closes its
// channels only when a session completes.
func (c *nostrClient) close() {
	close(c.stop)
	c.wg.Wait()
}

func (c *nostrClient) initiate() ([]byte, error) {
	// The channels close when the session completes; result waits for that.
	drain := func(ch chan string, dst *[][IDSize]byte, errp *error) {
		defer c.wg.Done()
		for {
			var s string
			select {
			case <-c.stop:
				return
			case got, ok := <-ch:
				if !ok {
					return
				}
				s = got
			}
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != IDSize {
				*errp = fmt.Errorf("go-nostr reported id %q", s)
				continue
			}
			*dst = append(*dst, [IDSize]byte(b))
		}
	}
	c.wg.Add(2)
	go drain(c.neg.Haves, &c.have, &c.errs[0])
	go drain(c.neg.HaveNots, &c.need, &c.errs[1])
	return hex.DecodeString(c.neg.Start())
}

func (c *nostrClient) reconcile(msg []byte) ([]byte, error) {
	out, err := c.neg.Reconcile(hex.EncodeToString(msg))
	if err != nil {
		return nil, err
	}
	if out == "" {
		c.done = true
		return nil, nil
	}
	return hex.DecodeString(out)
}

// result must be called only once reconcile returned nil, nil: go-nostr
// closes its channels then, which ends the draining goroutines. Like the
// reference, go-nostr reports an ID again when a frame size limit reopened
// a settled range, so result drops repeats; ours must not need that.
func (c *nostrClient) result() (have, need [][IDSize]byte, err error) {
	c.wg.Wait()
	if err := errors.Join(c.errs[:]...); err != nil {
		return nil, nil, err
	}
	return uniqueIDs(c.have), uniqueIDs(c.need), nil
}

func uniqueIDs(ids [][IDSize]byte) [][IDSize]byte {
	ids = slices.Clone(ids)
	sortIDs(ids)
	return slices.Compact(ids)
}

// abort closes the channels go-nostr would have closed at the end; after a
// failed call it writes to them no more.
func (c *nostrClient) abort() {
	if !c.done {
		c.done = true
		close(c.neg.Haves)
		close(c.neg.HaveNots)
	}
	c.wg.Wait()
}

type nostrServer struct{ neg *nostrneg.Negentropy }

func newNostrServer(v *vector.Vector, limit int) nostrServer {
	return nostrServer{neg: nostrneg.New(v, limit)}
}

func (s nostrServer) reconcile(msg []byte) ([]byte, error) {
	out, err := s.neg.Reconcile(hex.EncodeToString(msg))
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(out)
}
