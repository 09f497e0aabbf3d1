package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/catchup"
	"starling/group"
	"starling/media"
	"starling/message"
	"starling/peering"
	"starling/store"
)

// Pictures (media/design.md): a picture is a manifest message, which
// travels like a text (gossip, catch-up, outbox), and chunk messages, which
// are never gossiped and never offered by catch-up: a node fetches them by
// ID (catchup.Fetcher) from the peers of the group once it holds the
// manifest that lists them, judges each against that manifest, and stores
// them under admission's budgets like any message. A chunk no manifest
// lists is never asked for, so never stored: a chunk flood from a
// throwaway key costs nothing but the bytes refused.

// The node's picture errors are media's, so that the API maps them
// without importing the node.
var (
	ErrNotImage     = media.ErrNotPicture
	ErrImageNotHeld = media.ErrNotHeld
	ErrImageBroken  = media.ErrBroken
)

// images is the node's picture state: a semaphore for preparing, the
// fetches in flight and the pictures found broken.
type images struct {
	prepare chan struct{} // one picture decoded at a time
	auto    chan struct{} // automatic fetches under way (maxAutoFetches)

	mu       sync.Mutex
	fetching map[message.ID]chan struct{} // closed when the fetch ends
	broken   map[message.ID]bool
	fetcher  *catchup.Fetcher
}

func newImages() *images {
	return &images{prepare: make(chan struct{}, 1), auto: make(chan struct{}, maxAutoFetches), fetching: map[message.ID]chan struct{}{}, broken: map[message.ID]bool{}}
}

// ImageStatus is what a node knows of a picture.
type ImageStatus struct {
	Manifest media.Manifest
	Held     int // chunks stored here
	Broken   bool
	Fetching bool
}

// SendImage prepares the picture file (decoded within media's limits,
// stripped, resized, re-encoded), signs its chunks and manifest, stores
// them durably and publishes the manifest; the chunks wait in the store
// for peers to fetch them. It returns the manifest, the prepared image and
// how many peers took the manifest (0: queued).
func (n *Node) SendImage(ctx context.Context, ref string, file []byte, caption string, reply message.ID) (*message.Message, *media.Image, int, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, nil, 0, err
	}
	select {
	case n.images.prepare <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, 0, ctx.Err()
	}
	im, err := media.Prepare(file, n.cfg.Images.Media)
	<-n.images.prepare
	if err != nil {
		return nil, nil, 0, err
	}
	chunks, man, err := st.ComposeImage(n.cfg.User, im, caption, reply, n.cfg.Clock())
	if err != nil {
		return nil, nil, 0, err
	}
	for _, m := range append(slices.Clone(chunks), man) {
		if err := n.own.take(st, m, n.cfg.User.PublicKey()); err != nil {
			return nil, nil, 0, err
		}
	}
	for _, c := range chunks {
		// Not in the outbox: chunks are served, never published. PutOwn
		// of the manifest below syncs them with it.
		if _, err := n.store.Put(ctx, c, store.OriginOwn); err != nil {
			return nil, nil, 0, fmt.Errorf("store the picture: %w", err)
		}
	}
	m, peers, err := n.sendOwn(ctx, man)
	if err != nil {
		return nil, nil, 0, err
	}
	return m, im, peers, nil
}

// manifestOf reads and opens a stored manifest.
func (n *Node) manifestOf(id message.ID) (*message.Message, *group.State, group.Image, error) {
	s, err := n.store.Get(id)
	if err != nil {
		return nil, nil, group.Image{}, err
	}
	if s.Msg.Body.Kind != message.KindImage {
		return nil, nil, group.Image{}, fmt.Errorf("%w: message %s is a %s", ErrNotImage, id.Short(), s.Msg.Body.Kind)
	}
	st := n.groups.get(s.Msg.Body.Group)
	if st == nil {
		return nil, nil, group.Image{}, fmt.Errorf("%w: %s", group.ErrNotJoined, s.Msg.Body.Group.Short())
	}
	c, err := st.Open(s.Msg)
	if err != nil {
		return nil, nil, group.Image{}, err
	}
	im, ok := c.(group.Image)
	if !ok {
		return nil, nil, group.Image{}, fmt.Errorf("%w: message %s", ErrNotImage, id.Short())
	}
	return s.Msg, st, im, nil
}

// ImageStatus reports what this node holds of the picture whose manifest
// is id.
func (n *Node) ImageStatus(id message.ID) (ImageStatus, error) {
	_, _, im, err := n.manifestOf(id)
	if err != nil {
		return ImageStatus{}, err
	}
	s := ImageStatus{Manifest: im.Manifest}
	for _, c := range im.Chunks {
		if ok, err := n.store.Has(c); err == nil && ok && !n.store.Deleted(c) {
			s.Held++
		}
	}
	n.images.mu.Lock()
	s.Broken = n.images.broken[id]
	_, s.Fetching = n.images.fetching[id]
	n.images.mu.Unlock()
	return s, nil
}

// Image returns the picture whose manifest is id, assembled from its
// chunks and checked (length, digest, canonical form), with its manifest.
// A picture that fails the check is marked broken and its chunks deleted.
func (n *Node) Image(id message.ID) ([]byte, media.Manifest, error) {
	_, st, im, err := n.manifestOf(id)
	if err != nil {
		return nil, media.Manifest{}, err
	}
	if n.isBroken(id) {
		return nil, im.Manifest, ErrImageBroken
	}
	var parts [][]byte
	for i, cid := range im.Chunks {
		s, err := n.store.Get(cid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, im.Manifest, fmt.Errorf("%w: chunk %d of %d", ErrImageNotHeld, i+1, len(im.Chunks))
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
			n.markBroken(id, im)
			return nil, im.Manifest, fmt.Errorf("%w: chunk %d is a %s", ErrImageBroken, i+1, s.Msg.Body.Kind)
		}
		parts = append(parts, ch.Data)
	}
	data, err := media.Assemble(&im.Manifest, parts)
	if err != nil {
		n.markBroken(id, im)
		return nil, im.Manifest, fmt.Errorf("%w: %w", ErrImageBroken, err)
	}
	return data, im.Manifest, nil
}

func (n *Node) isBroken(id message.ID) bool {
	n.images.mu.Lock()
	defer n.images.mu.Unlock()
	return n.images.broken[id]
}

// markBroken remembers a picture as broken and deletes its chunks: this
// node neither shows nor serves them. The author is to blame, not the
// forwarder: a chunk's ID is the hash of what its author signed.
func (n *Node) markBroken(id message.ID, im group.Image) {
	n.images.mu.Lock()
	if len(n.images.broken) >= n.cfg.Images.MaxBroken {
		for k := range n.images.broken {
			delete(n.images.broken, k)
			break
		}
	}
	n.images.broken[id] = true
	n.images.mu.Unlock()
	n.log.Warn("a picture's chunks do not give the picture its manifest names; dropped", "manifest", id.Short())
	if err := n.store.Delete(n.ctx, im.Chunks...); err != nil {
		n.log.Warn("could not delete a broken picture's chunks", "manifest", id.Short(), "err", err)
	}
}

// FetchImage fetches the chunks of the picture whose manifest is id that
// this node lacks, from the group's peers (organiser relays first), and
// returns once the picture is held, or every peer asked lacked some chunk,
// or ctx ends. A fetch already running for the picture is joined.
func (n *Node) FetchImage(ctx context.Context, id message.ID) (ImageStatus, error) {
	n.images.mu.Lock()
	done, running := n.images.fetching[id]
	if !running {
		done = make(chan struct{})
		n.images.fetching[id] = done
	}
	n.images.mu.Unlock()
	var err error
	if running {
		select {
		case <-done:
		case <-ctx.Done():
			return ImageStatus{}, ctx.Err()
		}
	} else {
		err = n.fetchImage(ctx, id)
		n.images.mu.Lock()
		delete(n.images.fetching, id)
		n.images.mu.Unlock()
		close(done)
	}
	s, serr := n.ImageStatus(id)
	switch {
	case err != nil:
	case serr != nil:
		err = serr
	case s.Broken:
		err = ErrImageBroken
	case s.Held < len(s.Manifest.Chunks):
		err = fmt.Errorf("%w: %d of %d chunks", ErrImageNotHeld, s.Held, len(s.Manifest.Chunks))
	}
	return s, err
}

func (n *Node) fetchImage(ctx context.Context, id message.ID) error {
	man, st, im, err := n.manifestOf(id)
	if err != nil {
		return err
	}
	if n.isBroken(id) {
		return ErrImageBroken
	}
	missing := n.missingChunks(im)
	if len(missing) == 0 {
		return nil
	}
	for _, p := range n.fetchPeers(man) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		envs, err := n.images.fetcher.Fetch(ctx, p, man.Body.Group, missing)
		if err != nil {
			if errors.Is(err, catchup.ErrFetch) {
				n.penalize(p, man.Body.Group, err.Error())
			}
			n.log.Debug("picture fetch failed", "manifest", id.Short(), "peer", peering.Short(p), "err", err)
			continue
		}
		for _, raw := range envs {
			if raw == nil {
				continue
			}
			if err := n.takeChunk(ctx, p, man, st, im, raw); err != nil {
				if errors.Is(err, ErrImageBroken) {
					return err
				}
				n.log.Debug("picture chunk refused", "manifest", id.Short(), "peer", peering.Short(p), "err", err)
			}
		}
		if missing = n.missingChunks(im); len(missing) == 0 {
			break
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %d of %d chunks: no peer asked holds them", ErrImageNotHeld, len(missing), len(im.Chunks))
	}
	if _, _, err := n.Image(id); err != nil {
		return err
	}
	return nil
}

func (n *Node) missingChunks(im group.Image) []message.ID {
	var out []message.ID
	for _, c := range im.Chunks {
		if ok, err := n.store.Has(c); err != nil || !ok {
			out = append(out, c)
		}
	}
	return out
}

// fetchPeers: organiser relays first, then the group's other peers, at
// most MaxFetchPeers.
func (n *Node) fetchPeers(man *message.Message) []peer.ID {
	return n.relaysFirst(man.Body.Group, n.cfg.Images.MaxFetchPeers)
}

// relaysFirst returns at most limit of the group's peers: organiser relays
// first, then the others in random order.
func (n *Node) relaysFirst(g message.GroupID, limit int) []peer.ID {
	ps := slices.Clone(n.gossip.Peers(g))
	n.rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	slices.SortStableFunc(ps, func(a, b peer.ID) int {
		ra, rb := n.peers.IsRelay(a), n.peers.IsRelay(b)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	return ps[:min(len(ps), limit)]
}

// takeChunk judges a fetched chunk against its manifest and stores it:
// the stateless rules (a failure is the sender's fault), then the
// manifest's (author, group, sent_at, epoch, expiry, length: a failure is
// the author's, and the picture is broken), the group's rules and
// admission's budgets.
func (n *Node) takeChunk(ctx context.Context, from peer.ID, man *message.Message, st *group.State, im group.Image, raw []byte) error {
	m, err := message.Decode(raw)
	if err == nil {
		err = m.CheckBody()
	}
	if err == nil {
		err = m.VerifySignature()
	}
	if err != nil {
		n.penalize(from, man.Body.Group, "a fetched chunk breaks the message rules: "+err.Error())
		return err
	}
	i := im.Index(m.ID)
	if i < 0 {
		return fmt.Errorf("chunk %s is not listed by manifest %s", m.ID.Short(), man.ID.Short())
	}
	b, mb := &m.Body, &man.Body
	if b.Kind != message.KindImageChunk || b.Group != mb.Group || !bytes.Equal(b.Author, mb.Author) ||
		b.SentAtMS != mb.SentAtMS || b.Epoch != mb.Epoch || b.ExpiresMS != mb.ExpiresMS {
		n.markBroken(man.ID, im)
		return fmt.Errorf("%w: chunk %d is not its manifest's (kind, author, group, time, epoch or expiry)", ErrImageBroken, i+1)
	}
	c, v, err := st.Check(m, n.cfg.Clock())
	if v != message.Accept {
		return fmt.Errorf("group rules: %s: %w", v, err)
	}
	ch, ok := c.(group.ImageChunk)
	if !ok {
		return fmt.Errorf("chunk %d has no content this node can read", i+1)
	}
	if err := im.CheckChunk(i, ch.Data); err != nil {
		n.markBroken(man.ID, im)
		return fmt.Errorf("%w: %w", ErrImageBroken, err)
	}
	if v, err := n.admit.Admit(n.source(from, admission.Catchup), st, m); v != message.Accept {
		return fmt.Errorf("admission: %w", err)
	}
	if _, err := n.store.Put(ctx, m, store.OriginCatchup); err != nil {
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

// manifestStored runs for each picture manifest another node's message
// brought: it fetches the chunks at once when the policy says so.
func (n *Node) manifestStored(m *message.Message) {
	if !n.autoFetch(m.Body.Group) {
		return
	}
	select {
	case n.images.auto <- struct{}{}:
	default:
		n.log.Debug("too many pictures being fetched; this one waits for the user", "manifest", m.ID.Short())
		return
	}
	id := m.ID
	n.goFunc(func(ctx context.Context) {
		defer func() { <-n.images.auto }()
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
			_, err := n.FetchImage(ctx, id)
			if !errors.Is(err, ErrImageNotHeld) {
				if err != nil {
					n.log.Debug("picture not fetched", "manifest", id.Short(), "err", err)
				}
				return
			}
		}
	})
}

func (n *Node) autoFetch(g message.GroupID) bool {
	switch n.cfg.Images.Fetch {
	case FetchAlways:
		return true
	case FetchOnDemand:
		return false
	}
	return n.cfg.RelayService != nil || len(n.gossip.Peers(g)) <= n.cfg.Images.AutoFetchPeers
}

// isChunk reports whether a stored message is a picture's chunk.
func isChunk(k message.Kind) bool { return k == message.KindImageChunk }

// serveChunk is the fetch server's rule: a chunk of group g that this node
// holds and has not found broken. (Only chunks a manifest listed were ever
// stored.)
func (n *Node) serveChunk(g message.GroupID, m *message.Message) bool {
	return m.Body.Group == g && isChunk(m.Body.Kind) && n.groups.get(g) != nil
}

// ImageProgress reports how many of the picture's chunks this node holds,
// how many it has, and whether it found the picture broken.
func (n *Node) ImageProgress(id message.ID) (held, chunks int, broken bool, err error) {
	s, err := n.ImageStatus(id)
	return s.Held, len(s.Manifest.Chunks), s.Broken, err
}

// FetchImageNow is FetchImage for callers that only need to know whether
// the picture is held now.
func (n *Node) FetchImageNow(ctx context.Context, id message.ID) error {
	_, err := n.FetchImage(ctx, id)
	return err
}

// chunksOf lists the chunks of m when it is a picture's manifest this node
// can open, so that deleting the picture deletes them too.
func (n *Node) chunksOf(m *message.Message) []message.ID {
	if m.Body.Kind != message.KindImage {
		return nil
	}
	st := n.groups.get(m.Body.Group)
	if st == nil {
		return nil
	}
	c, err := st.Open(m)
	if err != nil {
		return nil
	}
	if im, ok := c.(group.Image); ok {
		return slices.Clone(im.Chunks)
	}
	return nil
}

// minImagePrefix is the shortest ID prefix ResolveImage takes: 8 hex
// digits, as the chats and `log` show them.
const minImagePrefix = 8

// ErrAmbiguousImage: an ID prefix names several pictures.
var ErrAmbiguousImage = media.ErrAmbiguous

// ResolveImage returns the picture whose manifest ID is ref, or starts
// with ref (at least 8 hex digits), among the pictures of joined groups.
func (n *Node) ResolveImage(ref string) (message.ID, error) {
	if id, err := message.ParseID(ref); err == nil {
		return id, nil
	}
	ref = strings.ToLower(ref)
	if len(ref) < minImagePrefix || len(ref) > 2*len(message.ID{}) || strings.Trim(ref, "0123456789abcdef") != "" {
		return message.ID{}, fmt.Errorf("%w: %q: give the picture's message ID or its first %d hex digits or more", ErrNotImage, ref, minImagePrefix)
	}
	groups, err := n.store.Groups()
	if err != nil {
		return message.ID{}, err
	}
	var found []message.ID
	for _, g := range groups {
		ids, err := n.store.KindIDs(g.ID, message.KindImage)
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
		return message.ID{}, fmt.Errorf("%w: no picture here has an ID starting with %s", ErrNotImage, ref)
	case 1:
		return found[0], nil
	}
	return message.ID{}, fmt.Errorf("%w: %s; give more of the ID", ErrAmbiguousImage, ref)
}
