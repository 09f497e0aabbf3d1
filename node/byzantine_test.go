package node_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/proto"

	"starling/catchup"
	"starling/catchup/catchuppb"
	"starling/group"
	"starling/message"
	"starling/negentropy"
)

// byzantinePeer is a libp2p host on a group's topic that answers catch-up
// with whatever bad envelope the test gives it: it claims to hold it during
// reconciliation and hands it over when asked.
func byzantinePeer(t *testing.T, gid message.GroupID, ts uint64, id message.ID, envelope []byte) host.Host {
	t.Helper()
	h := newRawPeer(t, group.Topic(gid)).h
	h.SetStreamHandler(catchup.ProtocolID, func(s network.Stream) {
		defer s.Close()
		s.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(s)
		vec := negentropy.NewVector()
		if err := vec.Insert(ts, id); err != nil {
			return
		}
		if err := vec.Seal(); err != nil {
			return
		}
		neg, err := negentropy.New(vec, negentropy.Config{})
		if err != nil {
			return
		}
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			var out *catchuppb.Frame
			switch k := f.GetKind().(type) {
			case *catchuppb.Frame_Hello:
				next, err := neg.Reconcile(k.Hello.GetNegentropy())
				if err != nil {
					return
				}
				out = &catchuppb.Frame{Kind: &catchuppb.Frame_Reconcile{Reconcile: &catchuppb.Reconcile{Negentropy: next}}}
			case *catchuppb.Frame_Reconcile:
				next, err := neg.Reconcile(k.Reconcile.GetNegentropy())
				if err != nil {
					return
				}
				out = &catchuppb.Frame{Kind: &catchuppb.Frame_Reconcile{Reconcile: &catchuppb.Reconcile{Negentropy: next}}}
			case *catchuppb.Frame_Want:
				out = &catchuppb.Frame{Kind: &catchuppb.Frame_Messages{Messages: &catchuppb.Messages{Envelopes: [][]byte{envelope}}}}
			default:
				return
			}
			if err := writeFrame(s, out); err != nil {
				return
			}
		}
	})
	return h
}

func readFrame(r *bufio.Reader) (*catchuppb.Frame, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > catchup.MaxFrameSize {
		return nil, errors.New("frame too large")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	var f catchuppb.Frame
	return &f, proto.Unmarshal(b, &f)
}

func writeFrame(w io.Writer, f *catchuppb.Frame) error {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(f)
	if err != nil {
		return err
	}
	_, err = w.Write(append(binary.AppendUvarint(nil, uint64(len(b))), b...))
	return err
}

// byzantineCase is a bad envelope a byzantine peer serves in catch-up, and
// the ID it claims for it.
type byzantineCase struct {
	name     string
	envelope []byte
	id       message.ID
}

// byzantineCases makes a forged, a malformed, a wrong-group and an
// oversized envelope, dated now: a test on virtual time makes them inside
// its bubble, whose clock is not the machine's.
func byzantineCases(t testing.TB) []byzantineCase {
	t.Helper()
	lobby, talks := groupID(t, "lobby"), groupID(t, "talks")
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(gid message.GroupID, text string) *message.Message {
		payload, err := message.EncodeText(message.Text{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.Sign(key, message.Body{Group: gid, SentAtMS: message.TimeMS(time.Now()), Kind: message.KindText, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	genuine := sign(lobby, "genuine")
	forged := slices.Clone(genuine.Raw)
	forged[len(forged)-1] ^= 1 // the last signature byte
	wrongGroup := sign(talks, "meant for another group")
	oversized := make([]byte, message.MaxEnvelopeSize+1)
	return []byzantineCase{
		{"forged signature", forged, genuine.ID},
		{"malformed", []byte("not an envelope at all"), sha256.Sum256([]byte("x"))},
		{"wrong group", wrongGroup.Raw, wrongGroup.ID},
		{"oversized", oversized, sha256.Sum256(oversized)},
	}
}

// A peer answering catch-up with a forged, malformed, wrong-group or
// oversized envelope leaves the catching-up node up with nothing bad stored:
// the session fails, the peer is banned from the group's catch-up and its
// gossip score drops, and the node goes on exchanging messages with an
// honest peer.
func TestByzantineCatchUpPeer(t *testing.T) {
	t.Parallel()
	for i, c := range byzantineCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			virtual(t, func(t *testing.T) {
				c, lobby := byzantineCases(t)[i], groupID(t, "lobby")
				alice := startNode(t, "alice", withSyncInterval(time.Hour))
				carol := startNode(t, "carol", withSyncInterval(time.Hour))
				alice.join(t, "lobby")
				carol.join(t, "lobby")
				connect(t, carol, alice)
				waitTopicPeers(t, "lobby", alice, carol)
				sent := []*message.Message{carol.send(t, "lobby", "before")}
				requireConverged(t, []*testNode{alice, carol}, map[string][]*message.Message{"lobby": sent})

				evil := byzantinePeer(t, lobby, message.TimeMS(time.Now()), c.id, c.envelope)
				if err := evil.Connect(context.Background(), alice.info()); err != nil {
					t.Fatal(err)
				}
				waitUntil(t, "alice to see the byzantine peer on the topic", func() bool {
					return slices.Contains(alice.GroupPeers(lobby), evil.ID())
				})
				results, err := alice.Sync(context.Background(), "lobby")
				if err != nil {
					t.Fatal(err)
				}
				var bad *catchup.Result
				for i := range results {
					if results[i].Peer == evil.ID() {
						bad = &results[i]
					}
				}
				if bad == nil || !errors.Is(bad.Err, catchup.ErrMisbehaving) {
					t.Fatalf("sync with the byzantine peer = %+v; want an error wrapping ErrMisbehaving", bad)
				}
				waitUntil(t, "the byzantine peer's gossip score to drop below zero", func() bool {
					score, ok := alice.PeerScores()[evil.ID()]
					return ok && score < 0
				}, func() string { return fmt.Sprint(alice.PeerScores()) })

				sent = append(sent, carol.send(t, "lobby", "after"))
				requireConverged(t, []*testNode{alice, carol}, map[string][]*message.Message{"lobby": sent})
			})
		})
	}
}
