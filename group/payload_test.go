package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"

	"starling/group"
	"starling/message"
)

// keys returns n distinct public keys in ascending order.
func keys(t testing.TB, n int) []ed25519.PublicKey {
	t.Helper()
	var out []ed25519.PublicKey
	for i := range n {
		out = append(out, user(t, "k"+string(rune('a'+i))).PublicKey())
	}
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	return out
}

func validDescriptor(t testing.TB) group.Descriptor {
	ks := keys(t, 4)
	return group.Descriptor{
		Kind: group.KindPrivate, Name: "Crew \u2764\ufe0f", Owner: user(t, "owner").PublicKey(),
		Salt: bytes.Repeat([]byte{7}, group.SaltSize), Version: 3,
		Admins: ks[:2], Removed: ks[2:], EndsAtMS: 1e12, SlowModeSeconds: 30,
	}
}

func validContents(t testing.TB) []group.Content {
	t.Helper()
	u := user(t, "ada")
	announce := validDescriptor(t)
	announce.Kind, announce.Posters, announce.Removed = group.KindAnnounce, announce.Removed, nil
	return []group.Content{
		group.Text{Text: "hi \u200b there", Nick: "ada"},
		validDescriptor(t),
		announce,
		group.Delete{Reason: "spam"},
		group.Delete{},
		group.Ban{Author: u.PublicKey(), Reason: "flood"},
		group.Profile{Nick: "Zoë", X25519: x25519Of(t, u)},
		rekeyOf(t, 3),
	}
}

func rekeyOf(t testing.TB, n int) group.Rekey {
	var r group.Rekey
	for i := range n {
		r.Entries = append(r.Entries, group.RekeyEntry{
			Recipient: bytes.Repeat([]byte{byte(i + 1)}, 32), Enc: bytes.Repeat([]byte{9}, 32), SealedKey: bytes.Repeat([]byte{8}, 48),
		})
	}
	return r
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, c := range validContents(t) {
		b, err := group.EncodePayload(c)
		if err != nil {
			t.Fatalf("EncodePayload(%T): %v", c, err)
		}
		back, err := group.DecodePayload(c.MessageKind(), b)
		if err != nil {
			t.Fatalf("DecodePayload(%T): %v", c, err)
		}
		if !cmp.Equal(back, c, cmp.AllowUnexported(group.Rekey{})) {
			t.Errorf("%T round trip: %s", c, cmp.Diff(c, back, cmp.AllowUnexported(group.Rekey{})))
		}
		// One encoding only: an unknown field, a repeated field or a
		// trailing byte is refused.
		for name, bad := range map[string][]byte{
			"unknown field": protowire.AppendVarint(protowire.AppendTag(slices.Clone(b), 15, protowire.VarintType), 1),
			"trailing byte": append(slices.Clone(b), 0),
			"doubled":       append(slices.Clone(b), b...),
		} {
			if len(b) == 0 && name == "doubled" {
				continue // an empty payload doubled is itself
			}
			if _, err := group.DecodePayload(c.MessageKind(), bad); !errors.Is(err, group.ErrBadPayload) {
				t.Errorf("%T with %s: %v, want %v", c, name, err, group.ErrBadPayload)
			}
		}
	}
}

func TestPayloadRefuses(t *testing.T) {
	ks := keys(t, 3)
	d := func(edit func(*group.Descriptor)) group.Descriptor {
		x := validDescriptor(t)
		edit(&x)
		return x
	}
	owner := validDescriptor(t).Owner
	for name, c := range map[string]group.Content{
		"text empty":            group.Text{},
		"descriptor kind 0":     d(func(x *group.Descriptor) { x.Kind = 0 }),
		"descriptor kind 4":     d(func(x *group.Descriptor) { x.Kind = 4 }),
		"name empty":            d(func(x *group.Descriptor) { x.Name = "" }),
		"name blank":            d(func(x *group.Descriptor) { x.Name = " \t" }),
		"name too long":         d(func(x *group.Descriptor) { x.Name = strings.Repeat("n", 65) }),
		"name newline":          d(func(x *group.Descriptor) { x.Name = "a\nb" }),
		"name escape":           d(func(x *group.Descriptor) { x.Name = "a\x1b[2Jb" }),
		"name not UTF-8":        d(func(x *group.Descriptor) { x.Name = "a\xffb" }),
		"short owner":           d(func(x *group.Descriptor) { x.Owner = x.Owner[:31] }),
		"short salt":            d(func(x *group.Descriptor) { x.Salt = x.Salt[:15] }),
		"version 0":             d(func(x *group.Descriptor) { x.Version = 0 }),
		"slow mode too long":    d(func(x *group.Descriptor) { x.SlowModeSeconds = group.MaxSlowModeSeconds + 1 }),
		"admins unsorted":       d(func(x *group.Descriptor) { x.Admins = []ed25519.PublicKey{ks[1], ks[0]} }),
		"admins repeated":       d(func(x *group.Descriptor) { x.Admins = []ed25519.PublicKey{ks[0], ks[0]} }),
		"admin short":           d(func(x *group.Descriptor) { x.Admins = []ed25519.PublicKey{ks[0][:31]} }),
		"owner listed as admin": d(func(x *group.Descriptor) { x.Admins = []ed25519.PublicKey{owner} }),
		"admin also removed":    d(func(x *group.Descriptor) { x.Admins, x.Removed = ks[:1], ks[:1] }),
		"posters in private":    d(func(x *group.Descriptor) { x.Posters = ks[:1] }),
		"removed in open":       d(func(x *group.Descriptor) { x.Kind, x.Admins = group.KindOpen, nil }),
		"reason too long":       group.Delete{Reason: strings.Repeat("r", group.MaxReasonLen+1)},
		"reason control":        group.Delete{Reason: "a\x07"},
		"ban short author":      group.Ban{Author: ks[0][:5]},
		"profile no nick":       group.Profile{X25519: bytes.Repeat([]byte{9}, 32)},
		"profile short x25519":  group.Profile{Nick: "n", X25519: bytes.Repeat([]byte{9}, 31)},
		"profile zero x25519":   group.Profile{Nick: "n", X25519: make([]byte, 32)},
		"profile order-1 point": group.Profile{Nick: "n", X25519: append([]byte{1}, make([]byte, 31)...)},
		"rekey empty":           group.Rekey{},
		"rekey unsorted":        reversed(rekeyOf(t, 2)),
		"rekey repeated":        group.Rekey{Entries: append(rekeyOf(t, 1).Entries, rekeyOf(t, 1).Entries...)},
		"rekey short enc":       group.Rekey{Entries: []group.RekeyEntry{{Recipient: make([]byte, 32), Enc: make([]byte, 31), SealedKey: make([]byte, 48)}}},
		"rekey short key":       group.Rekey{Entries: []group.RekeyEntry{{Recipient: make([]byte, 32), Enc: make([]byte, 32), SealedKey: make([]byte, 32)}}},
	} {
		t.Run(name, func(t *testing.T) {
			if b, err := group.EncodePayload(c); !errors.Is(err, group.ErrBadPayload) {
				t.Errorf("EncodePayload = %x, %v; want %v", b, err, group.ErrBadPayload)
			}
		})
	}
	if _, err := group.DecodePayload(message.Kind(99), nil); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("unknown kind: %v", err)
	}
}

func reversed(r group.Rekey) group.Rekey {
	slices.Reverse(r.Entries)
	return r
}
