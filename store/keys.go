package store

import (
	"encoding/binary"

	"starling/message"
)

// Key prefixes; doc.go describes the layout.
var (
	keySchema     = []byte("v")
	prefixMessage = []byte("m/")
	prefixIndex   = []byte("g/")
	prefixOutbox  = []byte("o/")
	prefixGroup   = []byte("j/")
	prefixPeer    = []byte("p/")
)

const (
	idLen          = len(message.ID{})
	groupLen       = len(message.GroupID{})
	prefixLen      = 2
	messageKeyLen  = prefixLen + idLen
	indexPrefixLen = prefixLen + groupLen
	indexKeyLen    = indexPrefixLen + 8 + idLen
	outboxKeyLen   = prefixLen + idLen
	groupKeyLen    = prefixLen + groupLen
)

func messageKey(id message.ID) []byte {
	return append(append(make([]byte, 0, messageKeyLen), prefixMessage...), id[:]...)
}

func indexPrefix(g message.GroupID) []byte {
	return append(append(make([]byte, 0, indexKeyLen), prefixIndex...), g[:]...)
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

// idFromKey returns the ID after a two-byte prefix (message and outbox keys).
func idFromKey(k []byte) (id message.ID, ok bool) {
	if len(k) != prefixLen+idLen {
		return id, false
	}
	copy(id[:], k[prefixLen:])
	return id, true
}

func outboxKey(id message.ID) []byte {
	return append(append(make([]byte, 0, outboxKeyLen), prefixOutbox...), id[:]...)
}

func groupKey(g message.GroupID) []byte {
	return append(append(make([]byte, 0, groupKeyLen), prefixGroup...), g[:]...)
}

func peerKey(id string) []byte {
	return append(append(make([]byte, 0, prefixLen+len(id)), prefixPeer...), id...)
}
