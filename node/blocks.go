package node

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"sync"

	"starling/identity"
	"starling/store"
)

// Local moderation: this user's own choices, never sent to anyone.
const (
	// ModeBlock drops an author's messages: neither stored nor forwarded.
	ModeBlock = "block"
	// ModeMute keeps an author's messages (and forwards them) but leaves
	// them out of history and the event stream.
	ModeMute = "mute"
)

// blockList is the in-memory copy of the store's block and mute list, read
// by the gossip validator on every message.
type blockList struct {
	mu    sync.RWMutex
	modes map[string]string // hex author key -> mode
	gen   uint64            // counts changes, for catch-up's view
}

func newBlockList() *blockList { return &blockList{modes: map[string]string{}} }

func (b *blockList) load(s *store.Store) error {
	list, err := s.Blocks()
	if err != nil {
		return fmt.Errorf("read the block list: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range list {
		b.modes[hex.EncodeToString(e.Author)] = e.Mode
	}
	return nil
}

func (b *blockList) mode(author ed25519.PublicKey) string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.modes[hex.EncodeToString(author)]
}

func (b *blockList) blocked(author ed25519.PublicKey) bool { return b.mode(author) == ModeBlock }

// BlockMode says whether this user blocked (ModeBlock) or muted (ModeMute)
// an author; "" for neither.
func (n *Node) BlockMode(author ed25519.PublicKey) string { return n.blocks.mode(author) }

// SetBlock blocks or mutes an author (mode ModeBlock or ModeMute), or lifts
// either (mode ""). The author is named by fingerprint and must be known
// from a profile or a message in a joined group.
func (n *Node) SetBlock(fp identity.Fingerprint, mode string) (ed25519.PublicKey, error) {
	author, _, err := n.conversation.Whois(fp)
	if err != nil {
		return nil, err
	}
	switch mode {
	case "":
		err = n.store.RemoveBlock(author)
	case ModeBlock, ModeMute:
		err = n.store.PutBlock(author, mode)
	default:
		return nil, fmt.Errorf("unknown block mode %q", mode)
	}
	if err != nil {
		return nil, err
	}
	n.blocks.mu.Lock()
	defer n.blocks.mu.Unlock()
	n.blocks.gen++
	if mode == "" {
		delete(n.blocks.modes, hex.EncodeToString(author))
	} else {
		n.blocks.modes[hex.EncodeToString(author)] = mode
	}
	return author, nil
}
