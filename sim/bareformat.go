package sim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// A bare message is the sender's public key, an Ed25519 signature, the
// planned message's index and padding; the signature covers index and
// padding. Its whole size is that of the Starling envelope it stands for.
const bareHeader = ed25519.PublicKeySize + ed25519.SignatureSize + 8

func bareMessage(key ed25519.PrivateKey, idx uint64, size int) []byte {
	data := make([]byte, max(size, bareHeader))
	copy(data, key.Public().(ed25519.PublicKey))
	binary.BigEndian.PutUint64(data[96:], idx)
	for i := bareHeader; i < len(data); i++ {
		data[i] = 'x'
	}
	copy(data[32:96], ed25519.Sign(key, data[96:]))
	return data
}

// verifyBare checks a bare message's signature, the validator's one
// expensive step, as Starling's checks one per message.
func verifyBare(data []byte) (uint64, bool) {
	if len(data) < bareHeader || !ed25519.Verify(data[:32], data[96:], data[32:96]) {
		return 0, false
	}
	return binary.BigEndian.Uint64(data[96:104]), true
}

// bareIndex reads the index of a message the validator accepted.
func bareIndex(data []byte) (uint64, bool) {
	if len(data) < bareHeader {
		return 0, false
	}
	return binary.BigEndian.Uint64(data[96:104]), true
}

// bareGroupID names a group's topic in the bare run: an open channel's ID,
// or a hash of a private group's name.
func bareGroupID(g planGroup) message.GroupID {
	if g.Kind == GroupOpen {
		if id, _, err := group.OpenChannelID(g.Name); err == nil {
			return id
		}
	}
	return message.GroupID(sha256.Sum256([]byte("starling-sim/bare/" + g.Name)))
}

// envelopeSizes gives each planned message the size of the Starling
// envelope of an open channel's text of its length.
func envelopeSizes(p *plan) ([]int, error) {
	seed := sha256.Sum256([]byte("starling-sim/sizing"))
	u, err := identity.UserFromKey("sizing", ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		return nil, err
	}
	st, err := group.NewChannel("sizing", group.Config{})
	if err != nil {
		return nil, err
	}
	bySize := map[int]int{}
	out := make([]int, len(p.msgs))
	for i, m := range p.msgs {
		if _, ok := bySize[m.Size]; !ok {
			msg, err := st.Compose(u, group.Text{Text: text(m), Nick: p.nodes[m.Sender].Name}, time.Unix(1_700_000_000, 0))
			if err != nil {
				return nil, err
			}
			bySize[m.Size] = len(msg.Raw)
		}
		out[i] = bySize[m.Size]
	}
	return out, nil
}

// bareTracer counts what the bare run's pubsub drops, as gossip.Stats
// does for Starling: duplicates, and messages lost to full queues. Pubsub
// calls it from its loops, so it only adds.
type bareTracer struct {
	duplicates, drops atomic.Int64
}

var _ pubsub.RawTracer = (*bareTracer)(nil)

func (t *bareTracer) RejectMessage(_ *pubsub.Message, reason string) {
	if reason == pubsub.RejectValidationQueueFull || reason == pubsub.RejectValidationThrottled {
		t.drops.Add(1)
	}
}
func (t *bareTracer) DuplicateMessage(*pubsub.Message)     { t.duplicates.Add(1) }
func (t *bareTracer) DropRPC(*pubsub.RPC, peer.ID)         { t.drops.Add(1) }
func (t *bareTracer) UndeliverableMessage(*pubsub.Message) { t.drops.Add(1) }
func (t *bareTracer) ThrottlePeer(peer.ID)                 { t.drops.Add(1) }

func (t *bareTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (t *bareTracer) OnClosedOutboundStream(peer.ID)                       {}
func (t *bareTracer) Join(string)                                          {}
func (t *bareTracer) Leave(string)                                         {}
func (t *bareTracer) Graft(peer.ID, string)                                {}
func (t *bareTracer) Prune(peer.ID, string)                                {}
func (t *bareTracer) ValidateMessage(*pubsub.Message)                      {}
func (t *bareTracer) DeliverMessage(*pubsub.Message)                       {}
func (t *bareTracer) RecvRPC(*pubsub.RPC)                                  {}
func (t *bareTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (t *bareTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
