package pictures

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/group"
	"starling/identity"
	"starling/media"
	"starling/message"
	"starling/store"
)

// Node is what the picture service needs of the node it runs in. Every
// method must be safe for concurrent use.
type Node interface {
	// Group returns a joined group's State, nil when it is not joined.
	Group(g message.GroupID) *group.State
	// Resolve returns the State of the joined group ref names.
	Resolve(ref string) (*group.State, error)
	// TakeOwn charges one of this user's own messages to their rate in st.
	TakeOwn(st *group.State, m *message.Message) error
	// SendOwn stores one of this user's messages durably and publishes it
	// (or queues it in the outbox); it returns how many peers took it.
	SendOwn(ctx context.Context, m *message.Message) (*message.Message, int, error)
	// Admit runs a message the group's rules accepted from peer from
	// through admission's catch-up budgets.
	Admit(from peer.ID, st *group.State, m *message.Message) (message.Verdict, error)
	// Penalize lowers the score of a peer that served something the
	// message rules refuse.
	Penalize(p peer.ID, g message.GroupID, why string)
	// Delete deletes stored messages (a broken picture's chunks).
	Delete(ids ...message.ID) error
	// TopicPeers are the peers on the group's topic now.
	TopicPeers(g message.GroupID) []peer.ID
	// RelaysFirst returns at most limit of the group's peers, organiser
	// relays first.
	RelaysFirst(g message.GroupID, limit int) []peer.ID
	// Fetch asks p for the stored envelopes of ids in g (a nil entry for
	// each it lacks); an error wrapping catchup.ErrFetch is p's fault.
	Fetch(ctx context.Context, p peer.ID, g message.GroupID, ids []message.ID) ([][]byte, error)
}

// Store is what the service reads and writes of the node's store
// (*store.Store is one).
type Store interface {
	Get(id message.ID) (store.Stored, error)
	Has(id message.ID) (bool, error)
	Deleted(id message.ID) bool
	Put(ctx context.Context, m *message.Message, origin store.Origin) (bool, error)
	Groups() ([]store.Group, error)
	KindIDs(g message.GroupID, k message.Kind) (map[message.ID]bool, error)
}

// Config configures a Service.
type Config struct {
	Node  Node
	Store Store
	User  *identity.User
	// Policy says when pictures are fetched and how they are prepared.
	Policy Policy
	// Relay: this node is an organiser relay, which fetches every picture
	// under FetchSmall.
	Relay bool
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Go runs background work on a goroutine its owner joins before it
	// shuts down, passing a context that ends then. Required.
	Go func(func(ctx context.Context))
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Service sends, fetches, checks and assembles a node's pictures.
type Service struct {
	cfg Config
	log *slog.Logger

	prepare chan struct{} // one picture decoded at a time
	auto    chan struct{} // automatic fetches under way (maxAutoFetches)

	mu       sync.Mutex
	fetching map[message.ID]chan struct{} // closed when the fetch ends
	broken   map[message.ID]bool
}

// New builds a Service. The node calls Stored for each picture manifest
// another node's message brought.
func New(cfg Config) (*Service, error) {
	if cfg.Node == nil || cfg.Store == nil || cfg.User == nil || cfg.Go == nil {
		return nil, errors.New("pictures: Config needs Node, Store, User and Go")
	}
	if err := cfg.Policy.Fill(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		cfg: cfg, log: cfg.Logger,
		prepare: make(chan struct{}, 1), auto: make(chan struct{}, maxAutoFetches),
		fetching: map[message.ID]chan struct{}{}, broken: map[message.ID]bool{},
	}, nil
}

// Status is what a node knows of a picture.
type Status struct {
	Manifest media.Manifest
	Held     int // chunks stored here
	Broken   bool
	Fetching bool
}

// Send prepares the picture file (decoded within media's limits,
// stripped, resized, re-encoded), signs its chunks and manifest, stores
// them durably and publishes the manifest; the chunks wait in the store
// for peers to fetch them. It returns the manifest, the prepared image and
// how many peers took the manifest (0: queued).
func (svc *Service) Send(ctx context.Context, ref string, file []byte, caption string, reply message.ID) (*message.Message, *media.Image, int, error) {
	st, err := svc.cfg.Node.Resolve(ref)
	if err != nil {
		return nil, nil, 0, err
	}
	select {
	case svc.prepare <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, 0, ctx.Err()
	}
	im, err := media.Prepare(file, svc.cfg.Policy.Media)
	<-svc.prepare
	if err != nil {
		return nil, nil, 0, err
	}
	chunks, man, err := st.ComposeImage(svc.cfg.User, im, caption, reply, svc.cfg.Clock())
	if err != nil {
		return nil, nil, 0, err
	}
	for _, m := range append(slices.Clone(chunks), man) {
		if err := svc.cfg.Node.TakeOwn(st, m); err != nil {
			return nil, nil, 0, err
		}
	}
	for _, c := range chunks {
		// Not in the outbox: chunks are served, never published. PutOwn
		// of the manifest below syncs them with it.
		if _, err := svc.cfg.Store.Put(ctx, c, store.OriginOwn); err != nil {
			return nil, nil, 0, fmt.Errorf("store the picture: %w", err)
		}
	}
	m, peers, err := svc.cfg.Node.SendOwn(ctx, man)
	if err != nil {
		return nil, nil, 0, err
	}
	return m, im, peers, nil
}

// manifestOf reads and opens a stored manifest.
func (svc *Service) manifestOf(id message.ID) (*message.Message, *group.State, group.Image, error) {
	s, err := svc.cfg.Store.Get(id)
	if err != nil {
		return nil, nil, group.Image{}, err
	}
	if s.Msg.Body.Kind != message.KindImage {
		return nil, nil, group.Image{}, fmt.Errorf("%w: message %s is a %s", media.ErrNotPicture, id.Short(), s.Msg.Body.Kind)
	}
	st := svc.cfg.Node.Group(s.Msg.Body.Group)
	if st == nil {
		return nil, nil, group.Image{}, fmt.Errorf("%w: %s", group.ErrNotJoined, s.Msg.Body.Group.Short())
	}
	c, err := st.Open(s.Msg)
	if err != nil {
		return nil, nil, group.Image{}, err
	}
	im, ok := c.(group.Image)
	if !ok {
		return nil, nil, group.Image{}, fmt.Errorf("%w: message %s", media.ErrNotPicture, id.Short())
	}
	return s.Msg, st, im, nil
}

// Status reports what this node holds of the picture whose manifest
// is id.
func (svc *Service) Status(id message.ID) (Status, error) {
	_, _, im, err := svc.manifestOf(id)
	if err != nil {
		return Status{}, err
	}
	s := Status{Manifest: im.Manifest}
	for _, c := range im.Chunks {
		if ok, err := svc.cfg.Store.Has(c); err == nil && ok && !svc.cfg.Store.Deleted(c) {
			s.Held++
		}
	}
	svc.mu.Lock()
	s.Broken = svc.broken[id]
	_, s.Fetching = svc.fetching[id]
	svc.mu.Unlock()
	return s, nil
}

// Image returns the picture whose manifest is id, assembled from its
// chunks and checked (length, digest, canonical form), with its manifest.
// A picture that fails the check is marked broken and its chunks deleted.
func (svc *Service) Image(id message.ID) ([]byte, media.Manifest, error) {
	_, st, im, err := svc.manifestOf(id)
	if err != nil {
		return nil, media.Manifest{}, err
	}
	if svc.isBroken(id) {
		return nil, im.Manifest, media.ErrBroken
	}
	var parts [][]byte
	for i, cid := range im.Chunks {
		s, err := svc.cfg.Store.Get(cid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, im.Manifest, fmt.Errorf("%w: chunk %d of %d", media.ErrNotHeld, i+1, len(im.Chunks))
		}
		if err != nil {
			return nil, im.Manifest, err
		}
		c, err := st.Open(s.Msg)
		if err != nil {
			return nil, im.Manifest, err
		}
		ch, ok := c.(group.ImageChunk)
		if !ok {
			svc.markBroken(id, im)
			return nil, im.Manifest, fmt.Errorf("%w: chunk %d is a %s", media.ErrBroken, i+1, s.Msg.Body.Kind)
		}
		parts = append(parts, ch.Data)
	}
	data, err := media.Assemble(&im.Manifest, parts)
	if err != nil {
		svc.markBroken(id, im)
		return nil, im.Manifest, fmt.Errorf("%w: %w", media.ErrBroken, err)
	}
	return data, im.Manifest, nil
}

func (svc *Service) isBroken(id message.ID) bool {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return svc.broken[id]
}

// markBroken remembers a picture as broken and deletes its chunks: this
// node neither shows nor serves them. The author is to blame, not the
// forwarder: a chunk's ID is the hash of what its author signed.
func (svc *Service) markBroken(id message.ID, im group.Image) {
	svc.mu.Lock()
	if len(svc.broken) >= svc.cfg.Policy.MaxBroken {
		for k := range svc.broken {
			delete(svc.broken, k)
			break
		}
	}
	svc.broken[id] = true
	svc.mu.Unlock()
	svc.log.Warn("a picture's chunks do not give the picture its manifest names; dropped", "manifest", id.Short())
	if err := svc.cfg.Node.Delete(im.Chunks...); err != nil {
		svc.log.Warn("could not delete a broken picture's chunks", "manifest", id.Short(), "err", err)
	}
}

// Fetch fetches the chunks of the picture whose manifest is id that
// this node lacks, from the group's peers (organiser relays first), and
// returns once the picture is held, or every peer asked lacked some chunk,
// or ctx ends. A fetch already running for the picture is joined.
func (svc *Service) Fetch(ctx context.Context, id message.ID) (Status, error) {
	svc.mu.Lock()
	done, running := svc.fetching[id]
	if !running {
		done = make(chan struct{})
		svc.fetching[id] = done
	}
	svc.mu.Unlock()
	var err error
	if running {
		select {
		case <-done:
		case <-ctx.Done():
			return Status{}, ctx.Err()
		}
	} else {
		err = svc.fetchImage(ctx, id)
		svc.mu.Lock()
		delete(svc.fetching, id)
		svc.mu.Unlock()
		close(done)
	}
	s, serr := svc.Status(id)
	switch {
	case err != nil:
	case serr != nil:
		err = serr
	case s.Broken:
		err = media.ErrBroken
	case s.Held < len(s.Manifest.Chunks):
		err = fmt.Errorf("%w: %d of %d chunks", media.ErrNotHeld, s.Held, len(s.Manifest.Chunks))
	}
	return s, err
}

func (svc *Service) fetchImage(ctx context.Context, id message.ID) error {
	man, st, im, err := svc.manifestOf(id)
	if err != nil {
		return err
	}
	if svc.isBroken(id) {
		return media.ErrBroken
	}
	missing := svc.missingChunks(im)
	if len(missing) == 0 {
		return nil
	}
	for _, p := range svc.fetchPeers(man) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		envs, err := svc.cfg.Node.Fetch(ctx, p, man.Body.Group, missing)
		if err != nil {
			if errors.Is(err, catchup.ErrFetch) {
				svc.cfg.Node.Penalize(p, man.Body.Group, err.Error())
			}
			svc.log.Debug("picture fetch failed", "manifest", id.Short(), "peer", p.ShortString(), "err", err)
			continue
		}
		for _, raw := range envs {
			if raw == nil {
				continue
			}
			if err := svc.takeChunk(ctx, p, man, st, im, raw); err != nil {
				if errors.Is(err, media.ErrBroken) {
					return err
				}
				svc.log.Debug("picture chunk refused", "manifest", id.Short(), "peer", p.ShortString(), "err", err)
			}
		}
		if missing = svc.missingChunks(im); len(missing) == 0 {
			break
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d of %d chunks: no peer asked holds them", media.ErrNotHeld, len(missing), len(im.Chunks))
	}
	if _, _, err := svc.Image(id); err != nil {
		return err
	}
	return nil
}

func (svc *Service) missingChunks(im group.Image) []message.ID {
	var out []message.ID
	for _, c := range im.Chunks {
		if ok, err := svc.cfg.Store.Has(c); err != nil || !ok {
			out = append(out, c)
		}
	}
	return out
}

// fetchPeers: organiser relays first, then the group's other peers, at
// most MaxFetchPeers.
func (svc *Service) fetchPeers(man *message.Message) []peer.ID {
	return svc.cfg.Node.RelaysFirst(man.Body.Group, svc.cfg.Policy.MaxFetchPeers)
}

// takeChunk judges a fetched chunk against its manifest and stores it:
// the stateless rules (a failure is the sender's fault), then the
// manifest's (author, group, sent_at, epoch, expiry, length: a failure is
// the author's, and the picture is broken), the group's rules and
// admission's budgets.
func (svc *Service) takeChunk(ctx context.Context, from peer.ID, man *message.Message, st *group.State, im group.Image, raw []byte) error {
	m, err := message.VerifyTimeless(raw)
	if err != nil {
		svc.cfg.Node.Penalize(from, man.Body.Group, "a fetched chunk breaks the message rules: "+err.Error())
		return err
	}
	i := im.Index(m.ID)
	if i < 0 {
		return fmt.Errorf("chunk %s is not listed by manifest %s", m.ID.Short(), man.ID.Short())
	}
	if !group.ChunkOfManifest(man, m) {
		svc.markBroken(man.ID, im)
		return fmt.Errorf("%w: chunk %d is not its manifest's (kind, author, group, time, epoch or expiry)", media.ErrBroken, i+1)
	}
	c, v, err := st.Check(m, svc.cfg.Clock())
	if v != message.Accept {
		return fmt.Errorf("group rules: %s: %w", v, err)
	}
	ch, ok := c.(group.ImageChunk)
	if !ok {
		return fmt.Errorf("chunk %d has no content this node can read", i+1)
	}
	if err := im.CheckChunk(i, ch.Data); err != nil {
		svc.markBroken(man.ID, im)
		return fmt.Errorf("%w: %w", media.ErrBroken, err)
	}
	if v, err := svc.cfg.Node.Admit(from, st, m); v != message.Accept {
		return fmt.Errorf("admission: %w", err)
	}
	if _, err := svc.cfg.Store.Put(ctx, m, store.OriginCatchup); err != nil {
		return err
	}
	return nil
}

// autoFetchRetries are the waits before each automatic fetch of a
// picture: at once, then again while its chunks are still missing (the
// peers asked first, a relay among them, may be fetching them themselves).
var autoFetchRetries = []time.Duration{0, 2 * time.Second, 10 * time.Second, 30 * time.Second}

// maxAutoFetches bounds the automatic fetches under way; past it a picture
// waits for the user to open or save it.
const maxAutoFetches = 16

// Stored runs for each picture manifest another node's message
// brought: it fetches the chunks at once when the policy says so.
func (svc *Service) Stored(m *message.Message) {
	if !svc.autoFetch(m.Body.Group) {
		return
	}
	select {
	case svc.auto <- struct{}{}:
	default:
		svc.log.Debug("too many pictures being fetched; this one waits for the user", "manifest", m.ID.Short())
		return
	}
	id := m.ID
	svc.cfg.Go(func(ctx context.Context) {
		defer func() { <-svc.auto }()
		for _, wait := range autoFetchRetries {
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			_, err := svc.Fetch(ctx, id)
			if !errors.Is(err, media.ErrNotHeld) {
				if err != nil {
					svc.log.Debug("picture not fetched", "manifest", id.Short(), "err", err)
				}
				return
			}
		}
	})
}

func (svc *Service) autoFetch(g message.GroupID) bool {
	switch svc.cfg.Policy.Fetch {
	case FetchAlways:
		return true
	case FetchOnDemand:
		return false
	}
	return svc.cfg.Relay || len(svc.cfg.Node.TopicPeers(g)) <= svc.cfg.Policy.AutoFetchPeers
}

// Progress reports how many of the picture's chunks this node holds,
// how many it has, and whether it found the picture broken.
func (svc *Service) Progress(id message.ID) (held, chunks int, broken bool, err error) {
	s, err := svc.Status(id)
	return s.Held, len(s.Manifest.Chunks), s.Broken, err
}

// FetchNow is FetchImage for callers that only need to know whether
// the picture is held now.
func (svc *Service) FetchNow(ctx context.Context, id message.ID) error {
	_, err := svc.Fetch(ctx, id)
	return err
}

// minImagePrefix is the shortest ID prefix Resolve takes: 8 hex
// digits, as the chats and `log` show them.
const minImagePrefix = 8

// Resolve returns the picture whose manifest ID is ref, or starts
// with ref (at least 8 hex digits), among the pictures of joined groups.
func (svc *Service) Resolve(ref string) (message.ID, error) {
	if id, err := message.ParseID(ref); err == nil {
		return id, nil
	}
	ref = strings.ToLower(ref)
	if len(ref) < minImagePrefix || len(ref) > 2*len(message.ID{}) || strings.Trim(ref, "0123456789abcdef") != "" {
		return message.ID{}, fmt.Errorf("%w: %q: give the picture's message ID or its first %d hex digits or more", media.ErrNotPicture, ref, minImagePrefix)
	}
	groups, err := svc.cfg.Store.Groups()
	if err != nil {
		return message.ID{}, err
	}
	var found []message.ID
	for _, g := range groups {
		ids, err := svc.cfg.Store.KindIDs(g.ID, message.KindImage)
		if err != nil {
			return message.ID{}, err
		}
		for id := range ids {
			if strings.HasPrefix(id.String(), ref) {
				found = append(found, id)
			}
		}
	}
	switch len(found) {
	case 0:
		return message.ID{}, fmt.Errorf("%w: no picture here has an ID starting with %s", media.ErrNotPicture, ref)
	case 1:
		return found[0], nil
	}
	return message.ID{}, fmt.Errorf("%w: %s; give more of the ID", media.ErrAmbiguous, ref)
}
