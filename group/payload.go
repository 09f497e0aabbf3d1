package group

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"starling/group/grouppb"
	"starling/message"
)

// Field limits of group payloads.
const (
	// MaxDisplayNameLen caps a created group's name and a profile's nick in
	// bytes.
	MaxDisplayNameLen = 64
	// MaxReasonLen caps the reason of a deletion or ban in bytes.
	MaxReasonLen = 256
	// MaxSlowModeSeconds caps a descriptor's slow mode (one day).
	MaxSlowModeSeconds = 24 * 60 * 60
	// KeySize is the size of a private group's secret and epoch keys.
	KeySize = 32
)

// HPKE sizes for DHKEM(X25519) with ChaCha20-Poly1305 and a 32-byte key.
const (
	hpkeEncSize    = 32
	hpkeSealedSize = KeySize + 16
)

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Content is a decoded (and, in a private group, opened) payload: one of
// Text, Descriptor, Delete, Ban, Profile and Rekey.
type Content interface {
	// MessageKind is the message kind that carries this content.
	MessageKind() message.Kind
}

// Text is a chat message. Ref (the envelope's ref) names the message it
// replies to, or is zero.
type Text struct {
	Text string
	Nick string
	Ref  message.ID
}

// Descriptor says what a created group is and who may do what. The group
// ID commits to Owner and Salt (IDFor); Kind never changes. Key lists hold
// 32-byte Ed25519 public keys, sorted bytewise, without duplicates.
type Descriptor struct {
	Kind    Kind
	Name    string
	Owner   ed25519.PublicKey
	Salt    []byte
	Version uint64
	// Admins may update the descriptor, delete, ban and rekey. The owner is
	// implicitly one and is not listed.
	Admins []ed25519.PublicKey
	// Posters may post in an announcement channel besides owner and admins.
	// Empty in other kinds.
	Posters []ed25519.PublicKey
	// Removed members of a private group; empty in other kinds.
	Removed []ed25519.PublicKey
	// EndsAtMS is the group's end (Unix milliseconds); 0: never.
	EndsAtMS        uint64
	SlowModeSeconds uint32
}

// Delete is a tombstone: Target (the envelope's ref) is hidden and no
// longer served.
type Delete struct {
	Target message.ID
	Reason string
}

// Ban drops Author's messages sent after the ban.
type Ban struct {
	Author ed25519.PublicKey
	Reason string
}

// Profile is an author's nickname and X25519 public key (32 bytes), to
// which admins deliver new epoch keys.
type Profile struct {
	Nick   string
	X25519 []byte
}

// Rekey delivers a new epoch key (the envelope's epoch) to each member.
type Rekey struct {
	// Entries are sorted by Recipient, one per member.
	Entries []RekeyEntry
}

// RekeyEntry is the epoch key sealed with HPKE to one member's X25519 key.
type RekeyEntry struct {
	Recipient []byte
	Enc       []byte
	SealedKey []byte
}

// MessageKind implements Content.
func (Text) MessageKind() message.Kind { return message.KindText }

// MessageKind implements Content.
func (Descriptor) MessageKind() message.Kind { return message.KindDescriptor }

// MessageKind implements Content.
func (Delete) MessageKind() message.Kind { return message.KindDelete }

// MessageKind implements Content.
func (Ban) MessageKind() message.Kind { return message.KindBan }

// MessageKind implements Content.
func (Profile) MessageKind() message.Kind { return message.KindProfile }

// MessageKind implements Content.
func (Rekey) MessageKind() message.Kind { return message.KindRekey }

// EncodePayload returns the canonical payload of c (before sealing), or an
// error wrapping ErrBadPayload when c breaks a field rule. Text.Ref and
// Delete.Target travel in the envelope's ref, not here.
func EncodePayload(c Content) ([]byte, error) {
	var pb proto.Message
	switch c := c.(type) {
	case Text:
		b, err := message.EncodeText(message.Text{Text: c.Text, Nick: c.Nick})
		if err != nil {
			// Both sentinels: callers that only know texts test for
			// message.ErrBadPayload.
			return nil, fmt.Errorf("%w: %w", ErrBadPayload, err)
		}
		return b, nil
	case Descriptor:
		if err := c.check(); err != nil {
			return nil, err
		}
		pb = &grouppb.Descriptor{
			Kind: c.Kind.pb(), Name: c.Name, Owner: c.Owner, Salt: c.Salt, Version: c.Version,
			Admins: keysToPB(c.Admins), Posters: keysToPB(c.Posters), Removed: keysToPB(c.Removed),
			EndsAtMs: c.EndsAtMS, SlowModeSeconds: c.SlowModeSeconds,
		}
	case Delete:
		if err := checkReason(c.Reason); err != nil {
			return nil, err
		}
		pb = &grouppb.Delete{Reason: c.Reason}
	case Ban:
		if err := c.check(); err != nil {
			return nil, err
		}
		pb = &grouppb.Ban{Author: c.Author, Reason: c.Reason}
	case Profile:
		if err := c.check(); err != nil {
			return nil, err
		}
		pb = &grouppb.Profile{Nick: c.Nick, X25519: c.X25519}
	case Rekey:
		if err := c.check(); err != nil {
			return nil, err
		}
		r := &grouppb.Rekey{}
		for _, e := range c.Entries {
			r.Entries = append(r.Entries, &grouppb.RekeyEntry{Recipient: e.Recipient, Enc: e.Enc, SealedKey: e.SealedKey})
		}
		pb = r
	default:
		return nil, fmt.Errorf("%w: unknown content %T", ErrBadPayload, c)
	}
	b, err := marshalOpts.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

// DecodePayload parses an (opened) payload of the given kind strictly: it
// must be the canonical encoding and pass every field rule. Errors wrap
// ErrBadPayload. Text.Ref and Delete.Target are left zero.
func DecodePayload(kind message.Kind, payload []byte) (Content, error) {
	switch kind {
	case message.KindText:
		t, err := message.DecodeText(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		return Text{Text: t.Text, Nick: t.Nick}, nil
	case message.KindDescriptor:
		var pb grouppb.Descriptor
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		d := Descriptor{
			Kind: kindFromPB(pb.Kind), Name: pb.Name, Owner: pb.Owner, Salt: pb.Salt, Version: pb.Version,
			Admins: keysFromPB(pb.Admins), Posters: keysFromPB(pb.Posters), Removed: keysFromPB(pb.Removed),
			EndsAtMS: pb.EndsAtMs, SlowModeSeconds: pb.SlowModeSeconds,
		}
		if err := d.check(); err != nil {
			return nil, err
		}
		return d, nil
	case message.KindDelete:
		var pb grouppb.Delete
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		if err := checkReason(pb.Reason); err != nil {
			return nil, err
		}
		return Delete{Reason: pb.Reason}, nil
	case message.KindBan:
		var pb grouppb.Ban
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		b := Ban{Author: pb.Author, Reason: pb.Reason}
		if err := b.check(); err != nil {
			return nil, err
		}
		return b, nil
	case message.KindProfile:
		var pb grouppb.Profile
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		p := Profile{Nick: pb.Nick, X25519: pb.X25519}
		if err := p.check(); err != nil {
			return nil, err
		}
		return p, nil
	case message.KindRekey:
		var pb grouppb.Rekey
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		r := Rekey{Entries: make([]RekeyEntry, 0, len(pb.Entries))}
		for _, e := range pb.Entries {
			r.Entries = append(r.Entries, RekeyEntry{Recipient: e.Recipient, Enc: e.Enc, SealedKey: e.SealedKey})
		}
		if err := r.check(); err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, fmt.Errorf("%w: unknown kind %s", ErrBadPayload, kind)
}

func decode(b []byte, m proto.Message) error {
	if err := message.DecodeCanonical(b, m); err != nil {
		// %v: the message sentinel describes the bytes; this error wraps
		// only ErrBadPayload.
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return nil
}

func (d *Descriptor) check() error {
	switch {
	case !d.Kind.valid():
		return fmt.Errorf("%w: descriptor kind %d", ErrBadPayload, d.Kind)
	case len(d.Owner) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: descriptor owner has %d bytes", ErrBadPayload, len(d.Owner))
	case len(d.Salt) != SaltSize:
		return fmt.Errorf("%w: descriptor salt has %d bytes, want %d", ErrBadPayload, len(d.Salt), SaltSize)
	case d.Version == 0:
		return fmt.Errorf("%w: descriptor version 0", ErrBadPayload)
	case d.SlowModeSeconds > MaxSlowModeSeconds:
		return fmt.Errorf("%w: slow mode of %d s, limit %d", ErrBadPayload, d.SlowModeSeconds, MaxSlowModeSeconds)
	case d.Kind != KindAnnounce && len(d.Posters) > 0:
		return fmt.Errorf("%w: only announcement channels have posters", ErrBadPayload)
	case d.Kind != KindPrivate && len(d.Removed) > 0:
		return fmt.Errorf("%w: only private groups remove members", ErrBadPayload)
	}
	if err := checkDisplayName("group name", d.Name); err != nil {
		return err
	}
	for _, l := range []struct {
		what string
		keys []ed25519.PublicKey
	}{{"admins", d.Admins}, {"posters", d.Posters}, {"removed", d.Removed}} {
		if err := checkKeyList(l.what, l.keys, d.Owner); err != nil {
			return err
		}
	}
	for _, r := range d.Removed {
		if containsKey(d.Admins, r) {
			return fmt.Errorf("%w: an admin is also removed", ErrBadPayload)
		}
	}
	return nil
}

func (b *Ban) check() error {
	if len(b.Author) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: banned author has %d bytes", ErrBadPayload, len(b.Author))
	}
	return checkReason(b.Reason)
}

func (p *Profile) check() error {
	if err := checkDisplayName("nick", p.Nick); err != nil {
		return err
	}
	pub, err := ecdh.X25519().NewPublicKey(p.X25519)
	if err != nil {
		return fmt.Errorf("%w: profile x25519 key has %d bytes", ErrBadPayload, len(p.X25519))
	}
	// A low-order point would make every HPKE seal to it fail (or be
	// readable by anyone); ECDH refuses exactly those.
	if _, err := probeKey().ECDH(pub); err != nil {
		return fmt.Errorf("%w: profile x25519 key is a low-order point", ErrBadPayload)
	}
	return nil
}

// probeKey is a fixed X25519 key for telling low-order points apart.
var probeKey = sync.OnceValue(func() *ecdh.PrivateKey {
	seed := sha256.Sum256([]byte("starling/x25519-probe/v1"))
	k, _ := ecdh.X25519().NewPrivateKey(seed[:]) // any 32 bytes are valid
	return k
})

func (r *Rekey) check() error {
	if len(r.Entries) == 0 {
		return fmt.Errorf("%w: rekey without entries", ErrBadPayload)
	}
	for i, e := range r.Entries {
		switch {
		case len(e.Recipient) != 32:
			return fmt.Errorf("%w: rekey recipient has %d bytes", ErrBadPayload, len(e.Recipient))
		case len(e.Enc) != hpkeEncSize:
			return fmt.Errorf("%w: rekey enc has %d bytes, want %d", ErrBadPayload, len(e.Enc), hpkeEncSize)
		case len(e.SealedKey) != hpkeSealedSize:
			return fmt.Errorf("%w: rekey sealed key has %d bytes, want %d", ErrBadPayload, len(e.SealedKey), hpkeSealedSize)
		case i > 0 && bytes.Compare(r.Entries[i-1].Recipient, e.Recipient) >= 0:
			return fmt.Errorf("%w: rekey entries are not sorted by recipient or repeat one", ErrBadPayload)
		}
	}
	return nil
}

// checkDisplayName: UTF-8, 1 to 64 bytes, not only white space, no control
// characters (a newline or an escape would reach terminals).
func checkDisplayName(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: %s is empty", ErrBadPayload, what)
	case len(s) > MaxDisplayNameLen:
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrBadPayload, what, len(s), MaxDisplayNameLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8", ErrBadPayload, what)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s has control characters", ErrBadPayload, what)
	}
	return nil
}

func checkReason(s string) error {
	switch {
	case len(s) > MaxReasonLen:
		return fmt.Errorf("%w: reason is %d bytes, limit %d", ErrBadPayload, len(s), MaxReasonLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: reason is not UTF-8", ErrBadPayload)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: reason has control characters", ErrBadPayload)
	}
	return nil
}

func checkKeyList(what string, keys []ed25519.PublicKey, owner ed25519.PublicKey) error {
	for i, k := range keys {
		switch {
		case len(k) != ed25519.PublicKeySize:
			return fmt.Errorf("%w: %s: a key has %d bytes", ErrBadPayload, what, len(k))
		case i > 0 && bytes.Compare(keys[i-1], k) >= 0:
			return fmt.Errorf("%w: %s are not sorted or repeat a key", ErrBadPayload, what)
		case bytes.Equal(k, owner):
			return fmt.Errorf("%w: %s list the owner", ErrBadPayload, what)
		}
	}
	return nil
}

// normalizeKeys sorts keys and drops duplicates and the owner, so an edit
// never has to care about the list rules.
func normalizeKeys(keys []ed25519.PublicKey, owner ed25519.PublicKey) []ed25519.PublicKey {
	out := slices.Clone(keys)
	out = slices.DeleteFunc(out, func(k ed25519.PublicKey) bool { return bytes.Equal(k, owner) })
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	out = slices.CompactFunc(out, func(a, b ed25519.PublicKey) bool { return bytes.Equal(a, b) })
	if len(out) == 0 {
		return nil
	}
	return out
}

func containsKey(keys []ed25519.PublicKey, k []byte) bool {
	_, found := slices.BinarySearchFunc(keys, k, func(a ed25519.PublicKey, b []byte) int { return bytes.Compare(a, b) })
	return found
}

func keysToPB(keys []ed25519.PublicKey) [][]byte {
	if len(keys) == 0 {
		return nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

func keysFromPB(keys [][]byte) []ed25519.PublicKey {
	if len(keys) == 0 {
		return nil
	}
	out := make([]ed25519.PublicKey, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// clone returns a deep copy, so callers cannot change a State's descriptor
// through the slices.
func (d Descriptor) clone() Descriptor {
	d.Owner = slices.Clone(d.Owner)
	d.Salt = slices.Clone(d.Salt)
	cl := func(keys []ed25519.PublicKey) []ed25519.PublicKey {
		if keys == nil {
			return nil
		}
		out := make([]ed25519.PublicKey, len(keys))
		for i, k := range keys {
			out[i] = slices.Clone(k)
		}
		return out
	}
	d.Admins, d.Posters, d.Removed = cl(d.Admins), cl(d.Posters), cl(d.Removed)
	return d
}
