package gossip

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/message"
	"starling/message/messagepb"
	"starling/sim/memnet/memtest"
)

// A peer without a validator sends bad input of each kind to an honest
// node. Nothing bad is delivered, the right counter moves, a Reject costs the
// sender score, and a valid message still gets through afterwards.
func TestBadInputFromPeer(t *testing.T) {
	a, b := groupID(t, "alpha"), groupID(t, "bravo")
	key := newKey(t)
	type input struct {
		bad  []byte           // sent first
		good *message.Message // sent once bad is counted; nil: a fresh valid message
	}
	cases := []struct {
		name   string
		input  func(t *testing.T) input
		stat   func(Stats) uint64
		reject bool
	}{{
		name:   "malformed",
		input:  func(t *testing.T) input { return input{bad: []byte("this is not an envelope")} },
		stat:   func(s Stats) uint64 { return s.RejectedMalformed },
		reject: true,
	}, {
		name: "non-canonical",
		input: func(t *testing.T) input {
			m := textMsg(t, key, a, "reordered")
			// The same body and signature with the fields swapped.
			return input{bad: rawEnvelope(rawField{2, m.Signature}, rawField{1, m.BodyBytes}), good: m}
		},
		stat:   func(s Stats) uint64 { return s.RejectedNonCanonical },
		reject: true,
	}, {
		name: "too large",
		input: func(t *testing.T) input {
			return input{bad: rawEnvelope(rawField{1, make([]byte, message.MaxEnvelopeSize)}, rawField{2, make([]byte, ed25519.SignatureSize)})}
		},
		stat:   func(s Stats) uint64 { return s.RejectedTooLarge },
		reject: true,
	}, {
		name: "forged signature",
		input: func(t *testing.T) input {
			m := textMsg(t, key, a, "genuine")
			forged := bytes.Clone(m.Raw)
			forged[len(forged)-1] ^= 1 // the signature is the last field
			// The genuine message still gets through after its forgery.
			return input{bad: forged, good: m}
		},
		stat:   func(s Stats) uint64 { return s.RejectedBadSignature },
		reject: true,
	}, {
		name:   "other group",
		input:  func(t *testing.T) input { return input{bad: textMsg(t, key, b, "for bravo").Raw} },
		stat:   func(s Stats) uint64 { return s.RejectedWrongGroup },
		reject: true,
	}, {
		name: "bad payload",
		input: func(t *testing.T) input {
			return input{bad: signedRaw(t, key, &messagepb.Body{
				Version: message.Version, GroupId: a[:], Author: key.Public().(ed25519.PublicKey),
				SentAtMs: message.TimeMS(time.Now()), Kind: messagepb.Kind_KIND_TEXT, Payload: []byte{0xff},
			})}
		},
		stat:   func(s Stats) uint64 { return s.RejectedBadPayload },
		reject: true,
	}, {
		name: "an hour ahead",
		input: func(t *testing.T) input {
			return input{bad: textMsg(t, key, a, "from the future", func(b *message.Body) {
				b.SentAtMS += uint64(time.Hour.Milliseconds())
			}).Raw}
		},
		stat: func(s Stats) uint64 { return s.IgnoredFutureSkew },
	}, {
		name: "expired",
		input: func(t *testing.T) input {
			return input{bad: textMsg(t, key, a, "stale", func(b *message.Body) { b.ExpiresMS = b.SentAtMS - 1 }).Raw}
		},
		stat: func(s Stats) uint64 { return s.IgnoredExpired },
	}, {
		name: "unknown kind",
		input: func(t *testing.T) input {
			return input{bad: signedRaw(t, key, &messagepb.Body{
				Version: message.Version, GroupId: a[:], Author: key.Public().(ed25519.PublicKey),
				SentAtMs: message.TimeMS(time.Now()), Kind: messagepb.Kind(99), Payload: []byte("from a newer version"),
			})}
		},
		stat: func(s Stats) uint64 { return s.IgnoredUnknownKind },
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			memtest.Run(t, func(t *testing.T) {
				honest := newNode(t, Config{}, funcs{})
				honest.join(t, a)
				evil := newAttacker(t)
				connect(t, evil.h, honest.h)
				evil.join(t, a, honest.h.ID())
				honest.waitPeer(t, a, evil.h.ID())

				in := c.input(t)
				evil.send(t, a, in.bad)
				testwait.Until(t, waitTimeout, "the bad input to be counted", func() bool { return c.stat(honest.g.Stats()) == 1 })
				if c.reject {
					testwait.Until(t, waitTimeout, "the sender's score to drop below zero", func() bool {
						return honest.g.Scores()[evil.h.ID()] < 0
					})
				}

				good := in.good
				if good == nil {
					good = textMsg(t, key, a, "still fine")
				}
				evil.send(t, a, good.Raw)
				testwait.Until(t, waitTimeout, "the valid message after the bad one", func() bool { return honest.in.count(good.ID) == 1 })
				s := honest.g.Stats()
				if got := honest.in.total(); got != 1 {
					t.Errorf("delivered %d messages, want only the valid one", got)
				}
				if s.Accepted != 1 || s.Rejected()+s.Ignored() != 1 {
					t.Errorf("stats = %+v, want one accepted and one rejected or ignored", s)
				}
			})
		})
	}
}
