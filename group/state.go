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

// maxWhiteouts bounds the void Ops (see authority.go) a node keeps per
// author: a revoked admin who keeps signing Ops on old states gets no more
// room than that.
const maxWhiteouts = 64

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
	// MessagesBy returns the IDs of up to max messages by author that the
	// node stores in group, the newest first: what a ban or removal this
	// node signs keeps valid (its cut). Same rules as AuthorOf. Nil: a
	// revocation keeps nothing.
	MessagesBy func(group message.GroupID, author ed25519.PublicKey, max int) []message.ID
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

// State is one group as this node knows it: its authority (genesis and
// Ops, see authority.go), epoch keys, profiles and tombstones. Check and the
// read methods may run concurrently with each other and with Apply.
//
// Apply is order-independent: the authority is a function of the set of Ops
// held, every key of an epoch is kept, tombstones are a set whose validity
// follows the authority, and an author's latest profile by sent_at wins
// (ties: lowest ID). Only the secret and the epoch keys learnt from
// invites, which no message carries in the clear, need MarshalSecrets.
type State struct {
	cfg     Config
	id      message.GroupID
	kind    Kind
	channel string            // name of a name-derived open channel
	self    ed25519.PublicKey // the local user; nil for a carrier
	me      *ecdh.PrivateKey  // opens key entries; nil for channels and carriers
	secret  []byte            // private groups
	ctlKey  []byte            // private groups and carriers: seals the genesis and Ops
	carrier *carrierInfo      // set when this node carries the group unread
	// linkOwner is the owner fingerprint of the invite this node joined
	// with: a link carries no genesis, and the one catch-up brings must be
	// this owner's (checkGenesis). Empty for creators and older joins.
	linkOwner identity.Fingerprint
	// linkErr says why a genesis that commits to the group contradicts the
	// link (LinkError).
	linkMu  sync.Mutex
	linkErr error
	// linkEpoch is the epoch of the invite this node joined with: until
	// it knows the Op that started it, it has not learnt the group's state
	// and must not seal (the key it would pick may be one a removed member
	// holds).
	linkEpoch uint64

	// targets remembers the authors of tombstoned messages, learnt when a
	// target passes Check or Apply, even if the node then drops it: whether
	// a tombstone is its author's own deletion must not depend on whether
	// the target arrived before it.
	tmu     sync.Mutex
	targets map[message.ID]key32

	mu       sync.RWMutex
	gen      uint64     // counts what Apply recorded (Generation)
	auth     *authority // nil for channels
	tombs    map[message.ID]tombstone
	byTarget map[message.ID][]message.ID // tombstones per target
	// profiles holds each author's latest profiles (maxProfiles, newest
	// first). Which of them count follows the authority (profileIn): a
	// profile signed after its author's removal counts for nothing, even on
	// a node that took it before it heard of the removal.
	profiles map[key32][]profileEntry
	epochs   map[uint64]*epochKeys
	// reactions indexes stored reactions (reaction.go).
	reactions reactionIndex
}

type key32 = [32]byte

// maxProfiles bounds the profiles kept per author.
const maxProfiles = 8

type profileEntry struct {
	p      Profile
	sentAt uint64
	id     message.ID
	// key is the key it was sealed under, in a private group: holding a
	// key whose Op came after a removal proves an invite made after it
	// (see memberIn).
	key keyRef
}

// tombstone is a stored deletion.
type tombstone struct {
	author key32
	target message.ID
	sentAt uint64
}

// epochKeys holds every key of one epoch this node knows.
type epochKeys struct {
	keys map[KeyID][]byte
}

func newState(id message.GroupID, kind Kind, cfg Config) *State {
	return &State{
		cfg: cfg, id: id, kind: kind,
		tombs:    map[message.ID]tombstone{},
		byTarget: map[message.ID][]message.ID{},
		targets:  map[message.ID]key32{},
		profiles: map[key32][]profileEntry{},
		epochs:   map[uint64]*epochKeys{},
	}
}

// newCreated returns the state of a created group of the given owner (nil
// while not known) for the local user u (nil for a carrier).
func newCreated(id message.GroupID, kind Kind, owner ed25519.PublicKey, u *identity.User, cfg Config) (*State, error) {
	s := newState(id, kind, cfg)
	if u != nil {
		me, err := userX25519(u)
		if err != nil {
			return nil, err
		}
		s.me, s.self = me, u.PublicKey()
	}
	s.auth = newAuthority(kind, owner, nil)
	return s, nil
}

// setSecret installs a private group's secret and the keys derived from it.
func (s *State) setSecret(secret []byte) error {
	if len(secret) != KeySize {
		return fmt.Errorf("secret has %d bytes, want %d", len(secret), KeySize)
	}
	k1, err := FirstEpochKey(secret, s.id)
	if err != nil {
		return err
	}
	ctl, err := ControlKey(secret, s.id)
	if err != nil {
		return err
	}
	s.secret, s.ctlKey = slices.Clone(secret), ctl
	s.addKeyLocked(1, k1)
	id := KeyIDOf(k1)
	s.auth.k1 = &id
	s.auth.dirty = true
	return nil
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
// messages the node must store and publish: the signed genesis descriptor
// and the owner's profile (sealed under the epoch-1 key in a private
// group). Both are already applied. endsAt zero means the group never ends.
func Create(owner *identity.User, kind Kind, name string, endsAt, now time.Time, cfg Config) (*State, []*message.Message, error) {
	if !kind.valid() {
		return nil, nil, fmt.Errorf("create group: unknown kind %d", kind)
	}
	if owner == nil {
		return nil, nil, fmt.Errorf("create group: %w", errNoUser)
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
	s, err := newCreated(IDFor(d.Owner, d.Salt), kind, d.Owner, owner, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("create group: %w", err)
	}
	if kind == KindPrivate {
		secret := make([]byte, KeySize)
		if _, err := rand.Read(secret); err != nil {
			return nil, nil, fmt.Errorf("create group: %w", err)
		}
		if err := s.setSecret(secret); err != nil {
			return nil, nil, fmt.Errorf("create group: %w", err)
		}
	}
	dm, err := s.composeControl(owner, d, message.ID{}, now)
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

// viewLocked returns the resolved authority; nil for channels. The caller
// holds the write lock, or the read lock when the authority is not dirty.
func (s *State) viewLocked() *view {
	if s.auth == nil {
		return nil
	}
	return s.auth.view()
}

// readView runs f with the resolved authority under the read lock,
// resolving first (under the write lock) if Ops arrived since.
func (s *State) readView(f func(v *view)) {
	s.mu.RLock()
	if s.auth == nil || !s.auth.dirty {
		defer s.mu.RUnlock()
		f(s.viewLocked())
		return
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.viewLocked())
}

// Name returns the channel's name or the group's current name ("" while no
// genesis is known).
func (s *State) Name() string {
	if s.channel != "" {
		return s.channel
	}
	var name string
	s.readView(func(v *view) { name = v.settings.Name })
	return name
}

// Descriptor returns the group as its authority stands: the genesis's
// kind, owner and salt, the current settings, the admins, posters, removed
// and banned members (sorted), and as Version the number of valid Ops plus
// one. The message is the genesis (shared: do not modify it). False for
// channels and while no genesis is known.
func (s *State) Descriptor() (Descriptor, *message.Message, bool) {
	var (
		d  Descriptor
		m  *message.Message
		ok bool
	)
	s.readView(func(v *view) {
		if v == nil || v.genesis == nil {
			return
		}
		g := v.genesis.genesis
		d = Descriptor{
			Kind: g.Kind, Name: v.settings.Name, Owner: slices.Clone(g.Owner), Salt: slices.Clone(g.Salt),
			Version: uint64(v.ops) + 1, EndsAtMS: v.settings.EndsAtMS, SlowModeSeconds: v.settings.SlowModeSeconds,
			Admins: sortedKeys(v.admins), Posters: sortedKeys(v.posters),
			Removed: sortedKeysOf(v.removed), Banned: sortedKeysOf(v.banned),
		}
		m, ok = v.genesis.m, true
	})
	return d, m, ok
}

func sortedKeys(set map[key32]bool) []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for k, in := range set {
		if in {
			out = append(out, ed25519.PublicKey(slices.Clone(k[:])))
		}
	}
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	return out
}

func sortedKeysOf(set map[key32]*anode) []ed25519.PublicKey {
	m := make(map[key32]bool, len(set))
	for k := range set {
		m[k] = true
	}
	return sortedKeys(m)
}

// EndsAt returns the group's end time, zero if it never ends or while its
// genesis is not known.
func (s *State) EndsAt() time.Time {
	var ms uint64
	s.readView(func(v *view) {
		if v != nil {
			ms = v.settings.EndsAtMS
		}
	})
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

// Expired reports whether now is past the end time plus the grace period:
// the group accepts nothing more and the node deletes its content and keys.
func (s *State) Expired(now time.Time) bool {
	end := s.EndsAt()
	return !end.IsZero() && now.After(end.Add(s.cfg.grace()))
}

// SlowMode returns the group's slow mode, zero when off.
func (s *State) SlowMode() time.Duration {
	var secs uint32
	s.readView(func(v *view) {
		if v != nil {
			secs = v.settings.SlowModeSeconds
		}
	})
	return time.Duration(secs) * time.Second
}

// IsAdmin reports whether pub is the owner or an admin.
func (s *State) IsAdmin(pub ed25519.PublicKey) bool {
	var ok bool
	s.readView(func(v *view) { ok = s.isAdminIn(v, pub) })
	return ok
}

func (s *State) isAdminIn(v *view, pub []byte) bool {
	if v == nil || len(pub) != 32 {
		return false
	}
	k := key32(pub)
	return k == s.auth.owner && v.genesis != nil || v.admins[k]
}

// Deleted reports whether a valid tombstone names id: the node hides it,
// stops serving it and drops it when it arrives.
func (s *State) Deleted(id message.ID) bool {
	var ok bool
	s.readView(func(v *view) { ok = s.deletedIn(v, id) })
	return ok
}

func (s *State) deletedIn(v *view, id message.ID) bool {
	for _, tid := range s.byTarget[id] {
		if s.tombValidIn(v, tid, s.tombs[tid]) {
			return true
		}
	}
	return false
}

// noteTarget remembers the author of a message a tombstone names; the
// caller holds s.mu (read or write).
func (s *State) noteTargetLocked(id message.ID, author []byte) {
	if len(s.byTarget[id]) == 0 || len(author) != 32 {
		return
	}
	s.tmu.Lock()
	s.targets[id] = key32(author)
	s.tmu.Unlock()
}

// targetAuthor returns the author of a tombstoned message, if known.
func (s *State) targetAuthor(id message.ID) (key32, bool) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	k, ok := s.targets[id]
	return k, ok
}

// Members returns the authors with a known profile who are members (see
// member), sorted bytewise.
func (s *State) Members() []ed25519.PublicKey {
	var out []ed25519.PublicKey
	s.readView(func(v *view) {
		for k := range s.profiles {
			if _, ok := s.profileIn(v, k); ok && s.memberIn(v, k) {
				out = append(out, ed25519.PublicKey(slices.Clone(k[:])))
			}
		}
	})
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	return out
}

// Profile returns author's latest profile that counts.
func (s *State) Profile(author ed25519.PublicKey) (Profile, bool) {
	if len(author) != 32 {
		return Profile{}, false
	}
	var (
		e  profileEntry
		ok bool
	)
	s.readView(func(v *view) { e, ok = s.profileIn(v, key32(author)) })
	if !ok {
		return Profile{}, false
	}
	return Profile{Nick: e.p.Nick, X25519: slices.Clone(e.p.X25519)}, true
}

// profileIn returns k's newest profile that the authority allows.
func (s *State) profileIn(v *view, k key32) (profileEntry, bool) {
	for _, e := range s.profiles[k] {
		if s.profileCountsIn(v, k, e) {
			return e, true
		}
	}
	return profileEntry{}, false
}

// profileCountsIn reports whether a stored profile is valid under v.
func (s *State) profileCountsIn(v *view, k key32, e profileEntry) bool {
	if s.deletedIn(v, e.id) {
		return false
	}
	verdict, _ := s.allowedIn(v, k, e.id, e.sentAt, message.KindProfile)
	return verdict == message.Accept
}

// Epoch returns the epoch this node seals with (0 for groups that are not
// private, and while it holds no current key).
func (s *State) Epoch() uint64 {
	var e uint64
	s.readView(func(v *view) { e, _, _ = s.sendKeyIn(v) })
	return e
}

// addKeyLocked records key under epoch and reports whether it is new.
func (s *State) addKeyLocked(epoch uint64, key []byte) bool {
	ek := s.epochs[epoch]
	if ek == nil {
		ek = &epochKeys{keys: map[KeyID][]byte{}}
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

// sendKeyIn picks the sealing key: the clean key of the resolved authority
// (see authority.go) if this node holds it.
func (s *State) sendKeyIn(v *view) (uint64, []byte, bool) {
	if v == nil || s.kind != KindPrivate || v.current == nil {
		return 0, nil, false
	}
	ref, ok := v.originRef(v.current)
	if !ok {
		return 0, nil, false
	}
	k, ok := s.keyLocked(ref.epoch, ref.id)
	if !ok {
		return 0, nil, false
	}
	return ref.epoch, k, true
}

// originRef returns the key an origin node brought.
func (v *view) originRef(n *anode) (keyRef, bool) {
	for ref, o := range v.origins {
		if o == n {
			return ref, true
		}
	}
	return keyRef{}, false
}

// Generation counts the Ops, parts, profiles and tombstones this State has
// recorded: it rises whenever something that decides what the group
// accepts may have changed, so that a refusal remembered at an older
// generation can be judged again.
func (s *State) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// LinkError says why the group's genesis, which came by catch-up,
// contradicts the invite link this node joined with (another owner than
// the link's o): the link was altered, and the node learns nothing of the
// group through it. Nil otherwise.
func (s *State) LinkError() error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	return s.linkErr
}

// Person finds someone the group's state names (a profile, an Op's author
// or target) by fingerprint, whatever their standing.
func (s *State) Person(fp identity.Fingerprint) (ed25519.PublicKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []key32
	add := func(k key32) {
		if identity.FingerprintOf(k[:]) == fp && !slices.Contains(found, k) {
			found = append(found, k)
		}
	}
	for k := range s.profiles {
		add(k)
	}
	if s.auth != nil {
		for _, n := range s.auth.nodes {
			add(n.author)
			if n.genesis == nil {
				if t := target(n.op.Action); t != nil {
					add(key32(t))
				}
			}
		}
	}
	if len(found) != 1 {
		return nil, false
	}
	return ed25519.PublicKey(slices.Clone(found[0][:])), true
}

// LogValue keeps names, keys and secrets out of logs.
func (s *State) LogValue() slog.Value {
	return slog.GroupValue(slog.String("group", s.id.Short()), slog.String("kind", s.kind.String()), slog.Uint64("epoch", s.Epoch()))
}
