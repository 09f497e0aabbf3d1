package engine

import (
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"sync"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// RecordVersion is the version every record carries (V).
const RecordVersion = 1

// IdentityRecord is the user's key as the page stores it. Seed is the
// private key: it never leaves the device.
type IdentityRecord struct {
	V    int    `json:"v"`
	Name string `json:"name"`
	Seed []byte `json:"seed"`
}

// Me describes the loaded identity.
type Me struct {
	Name              string `json:"name"`
	PublicKey         string `json:"publicKey"`
	Fingerprint       string `json:"fingerprint"`
	FingerprintPretty string `json:"fingerprintPretty"`
	FingerprintShort  string `json:"fingerprintShort"`
	SafetyCode        string `json:"safetyCode"`
}

// held is a message the engine accepted: what catch-up offers and pushes,
// what views and deletions by author need.
type held struct {
	group  message.GroupID
	author ed25519.PublicKey
	sentAt uint64
	kind   message.Kind
	raw    []byte
}

// Engine is one phone's engine. Its methods are safe for concurrent use
// (the browser calls them one at a time; native tests may not).
type Engine struct {
	clock func() time.Time

	mu       sync.Mutex
	me       *identity.User
	groups   map[message.GroupID]*joined
	sessions map[int]*Session
	nextSess int
	fetches  map[int]*pictureSession
	pics     map[message.ID]*picture
	picSeq   int
	broken   map[message.ID]bool

	// heldMu guards held apart from mu: group.Config's callbacks read it
	// while the engine holds mu.
	heldMu sync.RWMutex
	held   map[message.ID]held
}

// New returns an empty engine; clock nil means time.Now.
func New(clock func() time.Time) *Engine {
	if clock == nil {
		clock = time.Now
	}
	return &Engine{clock: clock, groups: map[message.GroupID]*joined{}, sessions: map[int]*Session{}, held: map[message.ID]held{},
		fetches: map[int]*pictureSession{}, pics: map[message.ID]*picture{}, broken: map[message.ID]bool{}}
}

func (e *Engine) groupConfig() group.Config {
	return group.Config{
		AuthorOf: func(id message.ID) (ed25519.PublicKey, bool) {
			e.heldMu.RLock()
			defer e.heldMu.RUnlock()
			h, ok := e.held[id]
			return h.author, ok
		},
		MessagesBy: func(g message.GroupID, author ed25519.PublicKey, max int) []message.ID {
			return e.messagesBy(g, author, max)
		},
	}
}

// messagesBy returns up to max IDs of author's held messages in g, newest
// first.
func (e *Engine) messagesBy(g message.GroupID, author ed25519.PublicKey, max int) []message.ID {
	e.heldMu.RLock()
	type idAt struct {
		id message.ID
		at uint64
	}
	var found []idAt
	for id, h := range e.held {
		if h.group == g && h.author.Equal(author) {
			found = append(found, idAt{id, h.sentAt})
		}
	}
	e.heldMu.RUnlock()
	slices.SortFunc(found, func(a, b idAt) int {
		if a.at != b.at {
			if a.at > b.at {
				return -1
			}
			return 1
		}
		return slices.Compare(a.id[:], b.id[:])
	})
	out := make([]message.ID, 0, min(len(found), max))
	for _, f := range found[:min(len(found), max)] {
		out = append(out, f.id)
	}
	return out
}

// CreateIdentity makes a new user key called name (the nickname, as
// `starling init --name`) and loads it, replacing any identity and forgetting
// every group and message (they were the other identity's).
func (e *Engine) CreateIdentity(name string) (IdentityRecord, Me, error) {
	u, err := identity.NewUser(name)
	if err != nil {
		return IdentityRecord{}, Me{}, errorf(CodeBadArgument, "%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setIdentityLocked(u)
	return recordOf(u), meOf(u), nil
}

// LoadIdentity loads a stored identity, as CreateIdentity does.
func (e *Engine) LoadIdentity(r IdentityRecord) (Me, error) {
	u, err := userOf(r)
	if err != nil {
		return Me{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setIdentityLocked(u)
	return meOf(u), nil
}

func userOf(r IdentityRecord) (*identity.User, error) {
	if r.V != RecordVersion {
		return nil, errorf(CodeBadArgument, "identity record version %d, want %d", r.V, RecordVersion)
	}
	if len(r.Seed) != ed25519.SeedSize {
		return nil, errorf(CodeBadArgument, "identity record: a seed of %d bytes, want %d", len(r.Seed), ed25519.SeedSize)
	}
	u, err := identity.UserFromKey(r.Name, ed25519.NewKeyFromSeed(r.Seed))
	if err != nil {
		return nil, errorf(CodeBadArgument, "identity record: %v", err)
	}
	return u, nil
}

func (e *Engine) setIdentityLocked(u *identity.User) {
	if e.me != nil && e.me.PublicKey().Equal(u.PublicKey()) && e.me.Name == u.Name {
		return
	}
	e.me = u
	e.groups = map[message.GroupID]*joined{}
	e.sessions = map[int]*Session{}
	e.fetches = map[int]*pictureSession{}
	e.pics = map[message.ID]*picture{}
	e.broken = map[message.ID]bool{}
	e.heldMu.Lock()
	e.held = map[message.ID]held{}
	e.heldMu.Unlock()
}

func recordOf(u *identity.User) IdentityRecord {
	return IdentityRecord{V: RecordVersion, Name: u.Name, Seed: slices.Clone(u.PrivateKey().Seed())}
}

func meOf(u *identity.User) Me {
	fp := u.Fingerprint()
	return Me{
		Name: u.Name, PublicKey: hex.EncodeToString(u.PublicKey()),
		Fingerprint: string(fp), FingerprintPretty: fp.Pretty(), FingerprintShort: fp.Short(),
		SafetyCode: u.SafetyCode(),
	}
}

// Whoami describes the loaded identity.
func (e *Engine) Whoami() (Me, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.me == nil {
		return Me{}, errNoIdentity()
	}
	return meOf(e.me), nil
}

func errNoIdentity() *Error {
	return errorf(CodeNoIdentity, "no identity: create one or load the stored one first")
}

// SafetyNumber is the 60-digit number the user shares with the holder of
// the public key (64 hex digits), as `starling id --safety` prints it.
func (e *Engine) SafetyNumber(publicKeyHex string) (string, error) {
	pub, err := hex.DecodeString(publicKeyHex)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return "", errorf(CodeBadArgument, "a public key is 64 hex digits")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.me == nil {
		return "", errNoIdentity()
	}
	return identity.SafetyNumber(e.me.PublicKey(), pub), nil
}

// Has reports whether the engine holds message id.
func (e *Engine) Has(id message.ID) bool {
	e.heldMu.RLock()
	defer e.heldMu.RUnlock()
	_, ok := e.held[id]
	return ok
}
