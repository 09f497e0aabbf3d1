package group_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"

	"starling/group"
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
// ErrBadPayload, and what decodes has exactly one encoding.
func FuzzDecodePayload(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint32, payload []byte) {
		c, err := group.DecodePayload(message.Kind(kind%8), payload)
		if err != nil {
			if !errors.Is(err, group.ErrBadPayload) {
				t.Fatalf("error %v does not wrap %v", err, group.ErrBadPayload)
			}
			return
		}
		if c.MessageKind() != message.Kind(kind%8) {
			t.Fatalf("kind %d decoded as %s", kind%8, c.MessageKind())
		}
		again, err := group.EncodePayload(c)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("payload %x decodes to %+v, which encodes as %x, %v", payload, c, again, err)
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
		i := strings.Index(link, "&d=") + 20
		flipped[i] ^= 0x01
		addLink(kind.String()+"-flipped", string(flipped))
	}
	_, bob, _ := afterRemoval(t)
	inv, err := bob.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	addLink("private-epoch-2", inv.Link())
	addLink("private-epoch-2-no-key", strings.Split(inv.Link(), "&k=")[0])
	carrier, err := bob.s.CarrierInvite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatal(err)
	}
	addLink("carrier", carrier.Link())
	addLink("carrier-with-secret", carrier.Link()+"&s="+strings.Split(strings.Split(inv.Link(), "&s=")[1], "&")[0])
	addLink("carrier-bad-end", strings.Replace(carrier.Link(), "&end=", "&end=0", 1))
	addLink("empty", "")

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
		default:
			s += fmt.Sprintf("%T(%v)\n", v, v)
		}
	}
	return s
}

// TestSeedCorpus keeps the seed files in testdata/fuzz in step with the
// code: a change of format fails here until -update rewrites them.
func TestSeedCorpus(t *testing.T) {
	for _, s := range seedFiles(t) {
		path := filepath.Join("testdata", "fuzz", s.fuzz, "seed-"+s.name)
		want := corpusFile(s.values...)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run `go test ./group -run TestSeedCorpus -update`)", err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s is stale; run `go test ./group -run TestSeedCorpus -update`", path)
		}
	}
}
