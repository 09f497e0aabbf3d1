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
	"starling/media"
	"starling/message"
)

// Field limits of group payloads.
const (
	// MaxDisplayNameLen caps a created group's name and a profile's nick in
	// bytes.
	MaxDisplayNameLen = 64
	// MaxReasonLen caps the reason of a deletion or ban in bytes.
	MaxReasonLen = 256
	// MaxSlowModeSeconds caps a group's slow mode (one day).
	MaxSlowModeSeconds = 24 * 60 * 60
	// KeySize is the size of a private group's secret and epoch keys.
	KeySize = 32
	// MaxParents caps the parents an Op names.
	MaxParents = 32
	// MaxParts caps an Op's parts: 64 parts of key entries reach about
	// 28,000 members.
	MaxParts = 64
	// MaxCut caps the messages a revocation keeps valid (its cut). A node
	// that revokes someone with more messages keeps the newest ones.
	MaxCut = 4096
)

// HPKE sizes for DHKEM(X25519) with ChaCha20-Poly1305 and a 32-byte key.
const (
	hpkeEncSize    = 32
	hpkeSealedSize = KeySize + 16
)

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Content is a decoded (and, in a private group, opened) payload: one of
// Text, Descriptor, Delete, Profile, Op, OpPart, Image, ImageChunk, Reaction and Alert.
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

// Descriptor is a created group's genesis: what it is and who owns it. The
// group ID commits to Owner and Salt (IDFor); Kind never changes. Later
// changes are Ops; State.Descriptor returns a Descriptor that describes the
// resolved state, with the lists filled in.
type Descriptor struct {
	Kind    Kind
	Name    string
	Owner   ed25519.PublicKey
	Salt    []byte
	Version uint64
	// Admins, Posters, Removed and Banned are empty in a genesis; in the view
	// State.Descriptor returns they are the resolved roles, sorted.
	Admins  []ed25519.PublicKey
	Posters []ed25519.PublicKey
	Removed []ed25519.PublicKey
	Banned  []ed25519.PublicKey
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

// Profile is an author's nickname and X25519 public key (32 bytes), to
// which admins deliver new epoch keys.
type Profile struct {
	Nick   string
	X25519 []byte
}

// MessageKind implements Content.
func (Text) MessageKind() message.Kind { return message.KindText }

// MessageKind implements Content.
func (Descriptor) MessageKind() message.Kind { return message.KindDescriptor }

// MessageKind implements Content.
func (Delete) MessageKind() message.Kind { return message.KindDelete }

// MessageKind implements Content.
func (Profile) MessageKind() message.Kind { return message.KindProfile }

// EncodePayload returns the canonical payload of c (before sealing), or an
// error wrapping ErrBadPayload when c breaks a field rule. Text.Ref,
// Delete.Target and OpPart.Op travel in the envelope's ref, not here.
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
		if err := c.checkGenesis(); err != nil {
			return nil, err
		}
		pb = &grouppb.Descriptor{
			Kind: c.Kind.pb(), Name: c.Name, Owner: c.Owner, Salt: c.Salt, Version: c.Version,
			EndsAtMs: c.EndsAtMS, SlowModeSeconds: c.SlowModeSeconds,
		}
	case Delete:
		if err := checkReason(c.Reason); err != nil {
			return nil, err
		}
		pb = &grouppb.Delete{Reason: c.Reason}
	case Profile:
		if err := c.check(); err != nil {
			return nil, err
		}
		pb = &grouppb.Profile{Nick: c.Nick, X25519: c.X25519}
	case Op:
		op, err := c.pb()
		if err != nil {
			return nil, err
		}
		pb = op
	case OpPart:
		if err := c.check(); err != nil {
			return nil, err
		}
		pb = c.pb()
	case Image:
		b, err := media.EncodeManifest(c.Manifest)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		return b, nil
	case ImageChunk:
		b, err := media.EncodeChunk(c.Data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		return b, nil
	case Reaction:
		return encodeReaction(c)
	case Alert:
		return encodeAlert(c)
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
// ErrBadPayload. Text.Ref, Delete.Target and OpPart.Op are left zero.
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
			EndsAtMS: pb.EndsAtMs, SlowModeSeconds: pb.SlowModeSeconds,
		}
		if err := d.checkGenesis(); err != nil {
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
	case message.KindOp:
		var pb grouppb.Op
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		return opFromPB(&pb)
	case message.KindOpPart:
		var pb grouppb.OpPart
		if err := decode(payload, &pb); err != nil {
			return nil, err
		}
		return partFromPB(&pb)
	case message.KindImage:
		m, err := media.DecodeManifest(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		return Image{Manifest: m}, nil
	case message.KindImageChunk:
		data, err := media.DecodeChunk(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
		}
		return ImageChunk{Data: data}, nil
	case message.KindReaction:
		return decodeReaction(payload)
	case message.KindAlert:
		return decodeAlert(payload)
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

// checkGenesis: a genesis names its kind, owner, salt and name, is version
// 1 and lists nobody.
func (d *Descriptor) checkGenesis() error {
	switch {
	case !d.Kind.valid():
		return fmt.Errorf("%w: descriptor kind %d", ErrBadPayload, d.Kind)
	case len(d.Owner) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: descriptor owner has %d bytes", ErrBadPayload, len(d.Owner))
	case len(d.Salt) != SaltSize:
		return fmt.Errorf("%w: descriptor salt has %d bytes, want %d", ErrBadPayload, len(d.Salt), SaltSize)
	case d.Version != 1:
		return fmt.Errorf("%w: descriptor version %d: later versions are operations now", ErrBadPayload, d.Version)
	case len(d.Admins)+len(d.Posters)+len(d.Removed)+len(d.Banned) > 0:
		return fmt.Errorf("%w: a genesis lists no admins, posters, removed or banned members", ErrBadPayload)
	}
	if err := checkSettings(d.Name, d.SlowModeSeconds); err != nil {
		return err
	}
	return nil
}

func checkSettings(name string, slowMode uint32) error {
	if slowMode > MaxSlowModeSeconds {
		return fmt.Errorf("%w: slow mode of %d s, limit %d", ErrBadPayload, slowMode, MaxSlowModeSeconds)
	}
	return checkDisplayName("group name", name)
}

func (p *Profile) check() error {
	if err := checkDisplayName("nick", p.Nick); err != nil {
		return err
	}
	return checkX25519(p.X25519)
}

// checkX25519 refuses keys that are not X25519 public keys, and low-order
// points, which would make every HPKE seal to them fail (or be readable by
// anyone); ECDH refuses exactly those.
func checkX25519(key []byte) error {
	pub, err := ecdh.X25519().NewPublicKey(key)
	if err != nil {
		return fmt.Errorf("%w: profile x25519 key has %d bytes", ErrBadPayload, len(key))
	}
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

func checkMember(what string, k []byte) error {
	if len(k) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %s key has %d bytes", ErrBadPayload, what, len(k))
	}
	return nil
}

func containsKey(keys []ed25519.PublicKey, k []byte) bool {
	_, found := slices.BinarySearchFunc(keys, k, func(a ed25519.PublicKey, b []byte) int { return bytes.Compare(a, b) })
	return found
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
	d.Admins, d.Posters, d.Removed, d.Banned = cl(d.Admins), cl(d.Posters), cl(d.Removed), cl(d.Banned)
	return d
}
