package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"google.golang.org/protobuf/proto"

	"starling/group"
	"starling/group/grouppb"
	"starling/identity"
	"starling/message"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpora in testdata")

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run in every plain
// `go test`. Files named seed-* are written by TestSeedCorpus -update from
// a fixed random stream; any other file there is an input a fuzzing run
// found and must keep passing.

// FuzzParseInvite: ParseInvite never panics, every error wraps
// ErrBadInvite, and what it accepts verifies and survives Link and
// ParseInvite again unchanged.
func FuzzParseInvite(f *testing.F) {
	f.Fuzz(func(t *testing.T, link string) {
		inv, err := group.ParseInvite(link)
		if err != nil {
			if !errors.Is(err, group.ErrBadInvite) {
				t.Fatalf("error %v does not wrap %v", err, group.ErrBadInvite)
			}
			return
		}
		if _, err := inv.Verify(); err != nil {
			t.Fatalf("ParseInvite accepted what Verify refuses: %v", err)
		}
		again, err := group.ParseInvite(inv.Link())
		if err != nil {
			t.Fatalf("the parsed link %s does not parse again: %v", inv.Link(), err)
		}
		if again.Link() != inv.Link() {
			t.Fatalf("Link is not stable:\n%s\n%s", inv.Link(), again.Link())
		}
	})
}

// FuzzDecodePayload: DecodePayload never panics, every error wraps
// ErrBadPayload, and what decodes has exactly one encoding. Kinds run
// from 0 to 12: every kind, the retired ones (4 and 5, ban and rekey) and
// unknown ones.
func FuzzDecodePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint32, payload []byte) {
		k := message.Kind(kind % 13)
		c, err := group.DecodePayload(k, payload)
		if err != nil {
			if !errors.Is(err, group.ErrBadPayload) {
				t.Fatalf("error %v does not wrap %v", err, group.ErrBadPayload)
			}
			return
		}
		if c.MessageKind() != k {
			t.Fatalf("kind %d decoded as %s", k, c.MessageKind())
		}
		again, err := group.EncodePayload(c)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("payload %x decodes to %+v, which encodes as %x, %v", payload, c, again, err)
		}
	})
}

// opTarget is the private group FuzzCheckOp judges Ops in: owner alice,
// admin bob, member carol, and a probe Op that must keep passing.
type opTarget struct {
	s       *group.State
	ctl     []byte
	heads   [][]byte
	signers []*identity.User
	probe   *message.Message
	now     time.Time
}

var (
	opTargetOnce sync.Once
	opTargetVal  *opTarget
)

func fuzzOpTarget(tb testing.TB) *opTarget {
	opTargetOnce.Do(func() {
		alice, history := create(tb, "alice", group.KindPrivate, time.Time{})
		bob := join(tb, alice, "bob", at(1), history...)
		carol := join(tb, alice, "carol", at(1), history...)
		alice.deliver(tb, at(1), bob.profile(tb, at(1)), carol.profile(tb, at(1)))
		alice.own(tb)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
		alice.own(tb)(alice.s.BanMember(alice.u, user(tb, "zed").PublicKey(), "", at(3)))
		o := &opTarget{s: alice.s, ctl: controlKey(tb, alice), signers: []*identity.User{alice.u, bob.u, carol.u, user(tb, "mallory")}, now: at(10)}
		for _, h := range alice.s.Heads() {
			o.heads = append(o.heads, bytes.Clone(h[:]))
		}
		o.probe = forge(tb, bob.u, alice.s.ID(), group.Op{Parents: alice.s.Heads(), Action: group.Settings{Name: "probe"}}, message.ID{}, 0, o.ctl, o.now)
		opTargetVal = o
	})
	if opTargetVal == nil {
		tb.Fatal("the fuzz target's group could not be built")
	}
	return opTargetVal
}

// FuzzCheckOp: an Op of any content, on the current heads of a private
// group, signed by the owner, an admin, a member or a stranger, never
// makes Check panic; its verdict comes with an error exactly when it is
// not Accept; and Check leaves the State as it was (a probe Op's verdict
// does not change). The payload's parents are replaced by the group's
// heads when it parses as an Op, so the fuzzer explores what the Op does.
func FuzzCheckOp(f *testing.F) {
	f.Fuzz(func(t *testing.T, signer uint8, payload []byte) {
		o := fuzzOpTarget(t)
		var pb grouppb.Op
		if proto.Unmarshal(payload, &pb) == nil {
			pb.Parents = o.heads
			if b, err := (proto.MarshalOptions{Deterministic: true}).Marshal(&pb); err == nil {
				payload = b
			}
		}
		u := o.signers[int(signer)%len(o.signers)]
		m := forgeRaw(t, u, o.s.ID(), message.KindOp, message.ID{}, 0, o.ctl, payload, o.now)
		c, v, err := o.s.Check(m, o.now)
		switch {
		case v == message.Accept && (err != nil || c == nil):
			t.Fatalf("accept with error %v, content %v", err, c)
		case v != message.Accept && err == nil:
			t.Fatalf("%s without an error", v)
		case v != message.Accept && v != message.Ignore && v != message.Reject:
			t.Fatalf("verdict %d", v)
		}
		if _, pv, perr := o.s.Check(o.probe, o.now); pv != message.Accept {
			t.Fatalf("after checking %x, the probe Op is %s: %v", payload, pv, perr)
		}
	})
}

type seedFile struct {
	fuzz, name string
	values     []any
}

// seedFiles builds the seeds from a fixed random stream, so they are the
// same on every run.
func seedFiles(t *testing.T) []seedFile {
	cryptotest.SetGlobalRandom(t, 1)
	var out []seedFile
	addLink := func(name, link string) {
		out = append(out, seedFile{"FuzzParseInvite", name, []any{link}})
	}
	for _, kind := range []group.Kind{group.KindOpen, group.KindAnnounce, group.KindPrivate} {
		p, _ := create(t, "alice", kind, at(3600))
		inv, err := p.s.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
		if err != nil {
			t.Fatal(err)
		}
		link := inv.Link()
		addLink(kind.String(), link)
		addLink(kind.String()+"-truncated", link[:len(link)/2])
		addLink(kind.String()+"-extra", link+"&x=1")
		flipped := []byte(link)
		flipped[len(link)/2] ^= 0x01
		addLink(kind.String()+"-flipped", string(flipped))
	}
	_, bob, _, _ := afterRemoval(t)
	inv, err := bob.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	addLink("private-epoch-2", inv.Link())
	addLink("private-epoch-2-no-key", strings.Split(inv.Link(), "&k=")[0])
	addLink("private-epoch-2-descriptor-key", inv.Link()+"&dk="+strings.Repeat("A", 43))
	carrier, err := bob.s.CarrierInvite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatal(err)
	}
	addLink("carrier", carrier.Link())
	addLink("carrier-with-secret", carrier.Link()+"&s="+strings.Split(strings.Split(inv.Link(), "&s=")[1], "&")[0])
	addLink("carrier-with-end", carrier.Link()+"&end=5")
	addLink("carrier-short-control", strings.Split(carrier.Link(), "&c=")[0]+"&c=AAAA")
	addLink("empty", "")
	// New with issue 18: a link with the genesis, as made before, and an
	// open channel's link.
	withD := inv
	_, withD.Descriptor, _ = bob.s.Descriptor()
	addLink("private-epoch-2-descriptor", withD.Link())
	lobby, err := group.NewChannel("lobby", group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	channel, err := lobby.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatal(err)
	}
	addLink("channel", channel.Link())

	for i, c := range validContents(t) {
		b, err := group.EncodePayload(c)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s-%d", c.MessageKind(), i)
		k := uint32(c.MessageKind())
		out = append(out,
			seedFile{"FuzzDecodePayload", name, []any{k, b}},
			seedFile{"FuzzDecodePayload", name + "-trailing-byte", []any{k, append(bytes.Clone(b), 0)}},
		)
		if len(b) > 0 {
			out = append(out, seedFile{"FuzzDecodePayload", name + "-truncated", []any{k, b[:len(b)-1]}})
		}
		if c.MessageKind() == message.KindOp {
			for signer := range uint8(4) {
				out = append(out, seedFile{"FuzzCheckOp", fmt.Sprintf("%s-%d-%d", c.(group.Op).Action.ActionName(), i, signer), []any{signer, b}})
			}
		}
	}
	return out
}

// corpusFile is the `go test fuzz v1` encoding of one input.
func corpusFile(values ...any) string {
	s := "go test fuzz v1\n"
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			s += fmt.Sprintf("[]byte(%q)\n", v)
		case string:
			s += fmt.Sprintf("string(%q)\n", v)
		case uint8:
			s += fmt.Sprintf("byte(%q)\n", v)
		default:
			s += fmt.Sprintf("%T(%v)\n", v, v)
		}
	}
	return s
}

// TestSeedCorpus keeps the seed files in testdata/fuzz in step with the
// code: a change of format fails here until -update rewrites them, and a
// seed-* file no longer generated is stale (-update removes it).
func TestSeedCorpus(t *testing.T) {
	seeds := seedFiles(t)
	want := map[string]string{}
	for _, s := range seeds {
		want[filepath.Join("testdata", "fuzz", s.fuzz, "seed-"+s.name)] = corpusFile(s.values...)
	}
	stale, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "seed-*"))
	if err != nil {
		t.Fatal(err)
	}
	stale = slices.DeleteFunc(stale, func(p string) bool { _, ok := want[p]; return ok })
	if *update {
		for _, p := range stale {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		for path, content := range want {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, p := range stale {
		t.Errorf("%s is no longer generated; run `go test ./group -run TestSeedCorpus -update`", p)
	}
	for path, content := range want {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run `go test ./group -run TestSeedCorpus -update`)", err)
			continue
		}
		if string(got) != content {
			t.Errorf("%s is stale; run `go test ./group -run TestSeedCorpus -update`", path)
		}
	}
}
