package negentropy

import (
	"errors"
	"testing"
)

// fuzzStorage is a fixed set with runs of equal timestamps, large enough
// that a range mismatch splits into fingerprinted buckets.
func fuzzStorage(tb testing.TB) *Vector {
	return sealedVector(tb, genSpec{n: 120, spread: 15, seed: 77}.generate().server)
}

// FuzzReconcile feeds arbitrary bytes to both sides. Neither may panic; a
// rejection must wrap ErrMalformed; an answer must respect the frame size
// limit and be a well-formed message that the other side accepts.
func FuzzReconcile(f *testing.F) {
	// Seeds: the messages of real sessions, plus the corpus in
	// testdata/fuzz/FuzzReconcile.
	d := genSpec{n: 120, clientOnly: 0.1, serverOnly: 0.1, spread: 15, seed: 77}.generate()
	for _, limit := range []int{0, 4096} {
		ses, err := run(newOurClient(f, sealedVector(f, d.client), limit), newOurServer(f, sealedVector(f, d.server), limit))
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range ses.transcript {
			f.Add(m)
		}
	}
	store := fuzzStorage(f)

	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, limit := range []int{0, MinFrameSizeLimit} {
			server, err := New(store, Config{FrameSizeLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			out, err := server.Reconcile(msg)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("server: error %v does not wrap ErrMalformed", err)
				}
			} else {
				if len(out) == 0 || out[0] != ProtocolVersion || (limit != 0 && len(out) > limit) {
					t.Fatalf("server answer of %d bytes (limit %d) starts %x", len(out), limit, out[:min(len(out), 1)])
				}
				checkWellFormed(t, store, out)
			}

			client, err := New(store, Config{FrameSizeLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.Initiate(); err != nil {
				t.Fatal(err)
			}
			next, have, _, err := client.ReconcileClient(msg)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("client: error %v does not wrap ErrMalformed", err)
				}
				continue
			}
			if next != nil {
				if next[0] != ProtocolVersion || (limit != 0 && len(next) > limit) {
					t.Fatalf("client message of %d bytes (limit %d)", len(next), limit)
				}
				checkWellFormed(t, store, next)
			}
			for _, id := range have {
				if !contains(store, id) {
					t.Fatalf("client reports having %x, which it does not", id)
				}
			}
		}
	})
}

// checkWellFormed fails unless a server over s accepts msg.
func checkWellFormed(t *testing.T, s Storage, msg []byte) {
	t.Helper()
	n, err := New(s, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Reconcile(msg); err != nil {
		t.Fatalf("our own message %x is rejected: %v", msg, err)
	}
}

func contains(s Storage, id [IDSize]byte) bool {
	for i := range s.Size() {
		if s.Get(i).ID == id {
			return true
		}
	}
	return false
}
