package group

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"starling/group/grouppb"
	"starling/message"
)

// Kind is what sort of group a descriptor describes.
type Kind uint8

// The kinds of group. A name-derived open channel (NewChannel) is KindOpen
// without a descriptor.
const (
	// KindOpen: anyone may read and post.
	KindOpen Kind = 1
	// KindPrivate: members only; payloads are sealed under epoch keys.
	KindPrivate Kind = 2
	// KindAnnounce: anyone may read; only the owner, admins and posters post.
	KindAnnounce Kind = 3
)

func (k Kind) String() string {
	switch k {
	case KindOpen:
		return "open"
	case KindPrivate:
		return "private"
	case KindAnnounce:
		return "announce"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind accepts the names String returns.
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{KindOpen, KindPrivate, KindAnnounce} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("group kind %q: want open, private or announce", s)
}

func (k Kind) valid() bool { return k >= KindOpen && k <= KindAnnounce }

func (k Kind) pb() grouppb.GroupKind { return grouppb.GroupKind(k) }

func kindFromPB(k grouppb.GroupKind) Kind {
	if k < 0 || k > 255 {
		return 0
	}
	return Kind(k)
}

// SaltSize is the size of a created group's random salt.
const SaltSize = 16

const groupIDPrefix = "starling/group/v1\x00"

// IDFor returns the ID of the group created by owner with salt:
// SHA-256("starling/group/v1\x00" || owner || salt). A descriptor carries
// owner and salt, so anyone can check that it belongs to a group ID.
func IDFor(owner ed25519.PublicKey, salt []byte) message.GroupID {
	h := sha256.New()
	h.Write([]byte(groupIDPrefix))
	h.Write(owner)
	h.Write(salt)
	return message.GroupID(h.Sum(nil))
}
