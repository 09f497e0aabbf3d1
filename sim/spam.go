package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// spamFormat is how one stack's attackers make their messages: the topic
// of an attacked group and each spam message.
type spamFormat interface {
	topic(g planGroup) string
	// message returns an attacker's n-th message in the given mode:
	// ModeFlood a valid one (of its own identity), ModeInvalid the same with
	// a broken signature, ModeJunk random bytes.
	message(mode string, u *identity.User, g planGroup, n, size int, rng *rand.Rand) []byte
}

// starlingSpam makes Starling envelopes for an open channel.
type starlingSpam struct{}

func (starlingSpam) topic(g planGroup) string { return group.Topic(bareGroupID(g)) }

func (starlingSpam) message(mode string, u *identity.User, g planGroup, n, size int, rng *rand.Rand) []byte {
	if mode == ModeJunk {
		return junk(rng, size)
	}
	st, err := group.NewChannel(g.Name, group.Config{})
	if err != nil {
		return junk(rng, size)
	}
	m, err := st.Compose(u, group.Text{Text: spamText(n, size), Nick: u.Name}, time.Now())
	if err != nil {
		return junk(rng, size)
	}
	raw := m.Raw
	if mode == ModeInvalid {
		// The signature is the envelope's last field: flipping its last
		// byte keeps the encoding canonical and breaks the signature.
		raw[len(raw)-1] ^= 0xff
	}
	return raw
}

// bareSpam makes bare messages (see bareMessage) with indexes no planned
// message has.
type bareSpam struct{}

func (bareSpam) topic(g planGroup) string { return group.Topic(bareGroupID(g)) }

func (bareSpam) message(mode string, u *identity.User, g planGroup, n, size int, rng *rand.Rand) []byte {
	if mode == ModeJunk {
		return junk(rng, size)
	}
	data := bareMessage(u.PrivateKey(), 1<<40+uint64(n), size)
	if mode == ModeInvalid {
		data[95] ^= 0xff // the signature's last byte
	}
	return data
}

// spamText is unique per n, so that no two spam messages share an ID.
func spamText(n, size int) string {
	t := fmt.Sprintf("spam %d ", n)
	size = min(size, message.MaxTextSize)
	return t + strings.Repeat("!", max(size-len(t), 0))
}

func junk(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
