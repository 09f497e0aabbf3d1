package store

import (
	"crypto/ed25519"
	"encoding/binary"

	"starling/message"
)

// Key prefixes; doc.go describes the layout.
var (
	keySchema     = []byte("v")
	prefixMessage = []byte("m/")
	prefixIndex   = []byte("g/")
	prefixKind    = []byte("k/")
	prefixOutbox  = []byte("o/")
	prefixTomb    = []byte("t/")
	prefixGroup   = []byte("j/")
	prefixState   = []byte("s/")
	prefixExpiry  = []byte("x/")
	prefixBlock   = []byte("b/")
	prefixPeer    = []byte("p/")
	// prefixQuarantine holds what Repair took out, under the original key.
	prefixQuarantine = []byte("q/")
)

const (
	idLen          = len(message.ID{})
	groupLen       = len(message.GroupID{})
	prefixLen      = 2
	messageKeyLen  = prefixLen + idLen
	indexPrefixLen = prefixLen + groupLen
	indexKeyLen    = indexPrefixLen + 8 + idLen
	kindKeyLen     = indexPrefixLen + 4 + 8 + idLen
	outboxKeyLen   = prefixLen + idLen
	groupKeyLen    = prefixLen + groupLen
	blockKeyLen    = prefixLen + ed25519.PublicKeySize
)

// withPrefix returns prefix followed by b, in a slice with room for extra
// more bytes.
func withPrefix(prefix, b []byte, extra int) []byte {
	return append(append(make([]byte, 0, len(prefix)+len(b)+extra), prefix...), b...)
}

func messageKey(id message.ID) []byte { return withPrefix(prefixMessage, id[:], 0) }

func indexPrefix(g message.GroupID) []byte {
	return withPrefix(prefixIndex, g[:], indexKeyLen-indexPrefixLen)
}

func indexKey(g message.GroupID, sentAtMS uint64, id message.ID) []byte {
	k := binary.BigEndian.AppendUint64(indexPrefix(g), sentAtMS)
	return append(k, id[:]...)
}

// indexEnd is the largest possible index key of group g: where a reverse
// iteration over the group starts.
func indexEnd(g message.GroupID) []byte {
	k := indexPrefix(g)
	for len(k) < indexKeyLen {
		k = append(k, 0xff)
	}
	return k
}

// parseIndexKey splits an index key; ok is false when k has the wrong length.
func parseIndexKey(k []byte) (g message.GroupID, sentAtMS uint64, id message.ID, ok bool) {
	if len(k) != indexKeyLen {
		return g, 0, id, false
	}
	copy(g[:], k[prefixLen:])
	sentAtMS = binary.BigEndian.Uint64(k[indexPrefixLen:])
	copy(id[:], k[indexPrefixLen+8:])
	return g, sentAtMS, id, true
}

// indexed reports whether a message of kind k has a kind index entry: every
// kind but text, so that a group's control messages can be read without
// its texts.
func indexed(k message.Kind) bool { return k != message.KindText }

func kindPrefix(g message.GroupID) []byte {
	return withPrefix(prefixKind, g[:], kindKeyLen-indexPrefixLen)
}

func kindPrefixOf(g message.GroupID, k message.Kind) []byte {
	return binary.BigEndian.AppendUint32(kindPrefix(g), uint32(k))
}

func kindKey(g message.GroupID, k message.Kind, sentAtMS uint64, id message.ID) []byte {
	key := binary.BigEndian.AppendUint64(kindPrefixOf(g, k), sentAtMS)
	return append(key, id[:]...)
}

// kindKeyOf is the kind index key of m, nil when its kind is not indexed.
func kindKeyOf(m *message.Message) []byte {
	if !indexed(m.Body.Kind) {
		return nil
	}
	return kindKey(m.Body.Group, m.Body.Kind, m.Body.SentAtMS, m.ID)
}

// parseKindKey splits a kind index key; ok is false when k has the wrong
// length.
func parseKindKey(k []byte) (g message.GroupID, kind message.Kind, sentAtMS uint64, id message.ID, ok bool) {
	if len(k) != kindKeyLen {
		return g, 0, 0, id, false
	}
	copy(g[:], k[prefixLen:])
	kind = message.Kind(binary.BigEndian.Uint32(k[indexPrefixLen:]))
	sentAtMS = binary.BigEndian.Uint64(k[indexPrefixLen+4:])
	copy(id[:], k[indexPrefixLen+12:])
	return g, kind, sentAtMS, id, true
}

// idFromKey returns the ID after a two-byte prefix (message, outbox and
// tombstone keys).
func idFromKey(k []byte) (id message.ID, ok bool) {
	if len(k) != prefixLen+idLen {
		return id, false
	}
	copy(id[:], k[prefixLen:])
	return id, true
}

// groupFromKey returns the group after a two-byte prefix (group, state and
// expiry keys).
func groupFromKey(k []byte) (g message.GroupID, ok bool) {
	if len(k) != groupKeyLen {
		return g, false
	}
	copy(g[:], k[prefixLen:])
	return g, true
}

func outboxKey(id message.ID) []byte    { return withPrefix(prefixOutbox, id[:], 0) }
func tombstoneKey(id message.ID) []byte { return withPrefix(prefixTomb, id[:], 0) }

func groupKey(g message.GroupID) []byte  { return withPrefix(prefixGroup, g[:], 0) }
func stateKey(g message.GroupID) []byte  { return withPrefix(prefixState, g[:], 0) }
func expiryKey(g message.GroupID) []byte { return withPrefix(prefixExpiry, g[:], 0) }

func blockKey(author ed25519.PublicKey) []byte { return withPrefix(prefixBlock, author, 0) }

func peerKey(id string) []byte { return withPrefix(prefixPeer, []byte(id), 0) }

func quarantineKey(original []byte) []byte { return withPrefix(prefixQuarantine, original, 0) }
