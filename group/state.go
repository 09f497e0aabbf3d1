package group

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"starling/identity"
	"starling/message"
)

// DefaultGrace is how long after its end time a group still accepts
// messages when Config.Grace is zero.
const DefaultGrace = time.Hour

// Config is what a State needs from its node.
type Config struct {
	// Grace is how long after its end time a group still accepts messages.
	// Zero means DefaultGrace; a negative value means none.
	Grace time.Duration
	// AuthorOf returns the author of message id if the node stores it in
	// this group. Check uses it to let authors delete their own messages.
	// It must be safe for concurrent use and must not call the State; it
	// is never called with the State's lock held. Nil: only the owner and
	// admins may delete.
	AuthorOf func(id message.ID) (ed25519.PublicKey, bool)
}

func (c Config) grace() time.Duration {
	switch {
	case c.Grace == 0:
		return DefaultGrace
	case c.Grace < 0:
		return 0
	}
	return c.Grace
}

// State is one group as this node knows it: its descriptor, roles, epoch
// keys, profiles, bans and tombstones. Check and the read methods may run
// concurrently with each other and with Apply.
//
// The control messages (descriptors, rekeys, bans, deletions, profiles) are
// ordinary stored messages, and Apply is order-independent: the highest
// descriptor version wins (ties: lowest message ID), every key of an epoch is
// kept, bans and tombstones are sets, and an author's latest profile by
// sent_at wins (ties: lowest ID). Only the secret and epoch keys, which no
// message carries in the clear, need MarshalSecrets.
type State struct {
	cfg     Config
	id      message.GroupID
	kind    Kind
	channel string           // name of a name-derived open channel
	me      *ecdh.PrivateKey // opens Rekey entries; nil for channels
	secret  []byte           // private groups
	carrier *carrierInfo     // set when this node carries the group unread

	mu         sync.RWMutex
	descs      map[message.ID]*descEntry
	cur        *descEntry
	everAdmins map[key32]struct{}
	removedAt  map[key32]uint64 // earliest sent_at of a descriptor removing the key
	bans       map[key32]uint64 // earliest sent_at of a ban of the key
	deleted    map[message.ID]struct{}
	profiles   map[key32]profileEntry
	epochs     map[uint64]*epochKeys
}

type key32 = [32]byte

type descEntry struct {
	d Descriptor
	m *message.Message
}

type profileEntry struct {
	p      Profile
	sentAt uint64
	id     message.ID
}

// epochKeys holds every key of one epoch this node knows.
type epochKeys struct {
	keys map[KeyID][]byte
	// byRekey maps the Rekey messages this node opened to the key each
	// delivered; the lowest message ID gives the sending key.
	byRekey map[message.ID]KeyID
}

func newState(id message.GroupID, kind Kind, cfg Config) *State {
	return &State{
		cfg: cfg, id: id, kind: kind,
		descs:      map[message.ID]*descEntry{},
		everAdmins: map[key32]struct{}{},
		removedAt:  map[key32]uint64{},
		bans:       map[key32]uint64{},
		deleted:    map[message.ID]struct{}{},
		profiles:   map[key32]profileEntry{},
		epochs:     map[uint64]*epochKeys{},
	}
}

// NewChannel returns the state of the name-derived open channel name: no
// descriptor, no owner, no moderation; anyone may post, and authors may
// delete their own messages.
func NewChannel(name string, cfg Config) (*State, error) {
	id, n, err := OpenChannelID(name)
	if err != nil {
		return nil, err
	}
	s := newState(id, KindOpen, cfg)
	s.channel = n
	return s, nil
}

// Create makes a new group owned by owner and returns its state and the
// messages the node must store and publish: the signed version-1 descriptor
// and the owner's profile (sealed under the epoch-1 key in a private group).
// Both are already applied. endsAt zero means the group never ends.
func Create(owner *identity.User, kind Kind, name string, endsAt, now time.Time, cfg Config) (*State, []*message.Message, error) {
	if !kind.valid() {
		return nil, nil, fmt.Errorf("create group: unknown kind %d", kind)
	}
	me, err := userX25519(owner)
	if err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	d := Descriptor{Kind: kind, Name: name, Owner: owner.PublicKey(), Salt: make([]byte, SaltSize), Version: 1}
	if !endsAt.IsZero() {
		if !endsAt.After(now) {
			return nil, nil, fmt.Errorf("create group: the end time %s is not in the future", endsAt.UTC().Format(time.RFC3339))
		}
		d.EndsAtMS = message.TimeMS(endsAt)
	}
	if err := checkDisplayName("group name", name); err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	if _, err := rand.Read(d.Salt); err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	s := newState(IDFor(d.Owner, d.Salt), kind, cfg)
	s.me = me
	if kind == KindPrivate {
		s.secret = make([]byte, KeySize)
		if _, err := rand.Read(s.secret); err != nil {
			return nil, nil, fmt.Errorf("create group: %w", err)
		}
		k1, err := FirstEpochKey(s.secret, s.id)
		if err != nil {
			return nil, nil, fmt.Errorf("create group: %w", err)
		}
		s.addKeyLocked(1, k1)
	}
	dm, err := s.compose(owner, d, message.ID{}, now)
	if err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	s.Apply(dm, d)
	p, err := NewProfile(owner)
	if err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	pm, err := s.Compose(owner, p, now)
	if err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	s.Apply(pm, p)
	return s, []*message.Message{dm, pm}, nil
}

// NewProfile returns u's profile: its name as nick and its X25519 key.
func NewProfile(u *identity.User) (Profile, error) {
	priv, err := userX25519(u)
	if err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	p := Profile{Nick: u.Name, X25519: priv.PublicKey().Bytes()}
	if err := p.check(); err != nil {
		return Profile{}, fmt.Errorf("profile: %w", err)
	}
	return p, nil
}

// errNoUser means a function that needs the local user got none.
var errNoUser = errors.New("no user given")

// userX25519 returns u's X25519 key; u may be nil.
func userX25519(u *identity.User) (*ecdh.PrivateKey, error) {
	if u == nil {
		return nil, errNoUser
	}
	return u.X25519()
}

// ID returns the group ID.
func (s *State) ID() message.GroupID { return s.id }

// Kind returns the group's kind (KindOpen for a name-derived channel).
func (s *State) Kind() Kind { return s.kind }

// IsChannel reports whether the group is a name-derived open channel.
func (s *State) IsChannel() bool { return s.channel != "" }

// Topic returns the group's GossipSub topic (TopicFor).
func (s *State) Topic() string {
	if s.carrier != nil {
		return s.carrier.topic
	}
	return TopicFor(s.id, s.secret)
}

// Name returns the channel's name or the current descriptor's name ("" while
// no descriptor is known).
func (s *State) Name() string {
	if s.channel != "" {
		return s.channel
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur == nil {
		return ""
	}
	return s.cur.d.Name
}

// Descriptor returns a copy of the current descriptor and the message that
// carries it (shared: do not modify it); false for channels and while none
// is known.
func (s *State) Descriptor() (Descriptor, *message.Message, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur == nil {
		return Descriptor{}, nil, false
	}
	return s.cur.d.clone(), s.cur.m, true
}

// EndsAt returns the group's end time, zero if it never ends. A carrier
// knows the one in its link.
func (s *State) EndsAt() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.endsAtLocked()
}

func (s *State) endsAtLocked() time.Time {
	var ms uint64
	switch {
	case s.carrier != nil:
		ms = s.carrier.endsAtMS
	case s.cur != nil:
		ms = s.cur.d.EndsAtMS
	}
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

// Expired reports whether now is past the end time plus the grace period:
// the group accepts nothing more and the node deletes its content and keys.
func (s *State) Expired(now time.Time) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.expiredLocked(now)
}

func (s *State) expiredLocked(now time.Time) bool {
	end := s.endsAtLocked()
	return !end.IsZero() && now.After(end.Add(s.cfg.grace()))
}

// SlowMode returns the descriptor's slow mode, zero when off.
func (s *State) SlowMode() time.Duration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cur == nil {
		return 0
	}
	return time.Duration(s.cur.d.SlowModeSeconds) * time.Second
}

// IsAdmin reports whether pub is the owner or an admin in the current
// descriptor.
func (s *State) IsAdmin(pub ed25519.PublicKey) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.isAdminLocked(pub)
}

func (s *State) isAdminLocked(pub []byte) bool {
	if s.cur == nil {
		return false
	}
	return bytes.Equal(pub, s.cur.d.Owner) || containsKey(s.cur.d.Admins, pub)
}

func (s *State) wasAdminLocked(pub []byte) bool {
	if len(pub) != 32 {
		return false
	}
	_, ok := s.everAdmins[key32(pub)]
	return ok
}

// Deleted reports whether a tombstone names id: the node hides it, stops
// serving it and drops it when it arrives.
func (s *State) Deleted(id message.ID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.deleted[id]
	return ok
}

// Banned reports whether a message by author sent at sentAtMS falls under a
// ban (sent after the earliest ban of that author).
func (s *State) Banned(author ed25519.PublicKey, sentAtMS uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bannedLocked(author, sentAtMS)
}

func (s *State) bannedLocked(author []byte, sentAtMS uint64) bool {
	if len(author) != 32 {
		return false
	}
	at, ok := s.bans[key32(author)]
	return ok && sentAtMS > at
}

// removedLocked: author is removed in the current descriptor and sent the
// message at or after the first descriptor that removed it.
func (s *State) removedLocked(author []byte, sentAtMS uint64) bool {
	if s.cur == nil || len(author) != 32 || !containsKey(s.cur.d.Removed, author) {
		return false
	}
	at, ok := s.removedAt[key32(author)]
	return ok && sentAtMS >= at
}

// Members returns the authors with a known profile, minus removed members,
// sorted bytewise.
func (s *State) Members() []ed25519.PublicKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.membersLocked()
}

func (s *State) membersLocked() []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for k := range s.profiles {
		if s.cur != nil && containsKey(s.cur.d.Removed, k[:]) {
			continue
		}
		out = append(out, ed25519.PublicKey(slices.Clone(k[:])))
	}
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	return out
}

// Profile returns author's latest profile.
func (s *State) Profile(author ed25519.PublicKey) (Profile, bool) {
	if len(author) != 32 {
		return Profile{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.profiles[key32(author)]
	if !ok {
		return Profile{}, false
	}
	return Profile{Nick: e.p.Nick, X25519: slices.Clone(e.p.X25519)}, true
}

// Epoch returns the epoch this node seals with: the highest one it holds a
// key for (0 for groups that are not private).
func (s *State) Epoch() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, _, _ := s.sendKeyLocked()
	return e
}

// addKeyLocked records key under epoch and reports whether it is new.
func (s *State) addKeyLocked(epoch uint64, key []byte) bool {
	ek := s.epochs[epoch]
	if ek == nil {
		ek = &epochKeys{keys: map[KeyID][]byte{}, byRekey: map[message.ID]KeyID{}}
		s.epochs[epoch] = ek
	}
	id := KeyIDOf(key)
	if _, ok := ek.keys[id]; ok {
		return false
	}
	ek.keys[id] = slices.Clone(key)
	return true
}

func (s *State) keyLocked(epoch uint64, id KeyID) ([]byte, bool) {
	ek := s.epochs[epoch]
	if ek == nil {
		return nil, false
	}
	k, ok := ek.keys[id]
	return k, ok
}

func (s *State) maxEpochLocked() uint64 {
	var max uint64
	for e := range s.epochs {
		max = maxU64(max, e)
	}
	return max
}

// sendKeyLocked picks the sealing key: the highest epoch held; in it, the
// key of the lowest-ID Rekey this node opened, else the lowest key ID.
func (s *State) sendKeyLocked() (uint64, []byte, bool) {
	epoch := s.maxEpochLocked()
	ek := s.epochs[epoch]
	if ek == nil {
		return 0, nil, false
	}
	var best message.ID
	var bestKey KeyID
	found := false
	for id, kid := range ek.byRekey {
		if !found || bytes.Compare(id[:], best[:]) < 0 {
			best, bestKey, found = id, kid, true
		}
	}
	if found {
		return epoch, ek.keys[bestKey], true
	}
	for kid := range ek.keys {
		if !found || bytes.Compare(kid[:], bestKey[:]) < 0 {
			bestKey, found = kid, true
		}
	}
	return epoch, ek.keys[bestKey], found
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// LogValue keeps names, keys and secrets out of logs.
func (s *State) LogValue() slog.Value {
	return slog.GroupValue(slog.String("group", s.id.Short()), slog.String("kind", s.kind.String()), slog.Uint64("epoch", s.Epoch()))
}
