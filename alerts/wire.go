package alerts

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/message"
)

// The alert protocol's exchanges, one per stream; the first byte says
// which. Numbers are uvarints, byte strings a uvarint length and the bytes.
//
//	push  (1): ack                       -> status byte
//	offer (2): group ID, alert ID        -> 0 have / 1 want; on want: alert -> status byte
//	pull  (3): alert ID, cursor          -> devices seen, count, acks..., next cursor
const (
	alertPush  = 1
	alertOffer = 2
	alertPull  = 3

	alertHave = 0
	alertWant = 1
	alertOK   = 2
	alertNo   = 3

	// alertMaxAckBytes and alertMaxAlertBytes bound what one frame reads.
	alertMaxAckBytes   = 512
	alertMaxAlertBytes = 4 << 10
)

var errAlertFrame = errors.New("bad alert frame")

func writeBytes(w *bufio.Writer, b []byte) {
	var buf [binary.MaxVarintLen64]byte
	w.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
	w.Write(b)
}

func writeUvarint(w *bufio.Writer, v uint64) {
	var buf [binary.MaxVarintLen64]byte
	w.Write(buf[:binary.PutUvarint(buf[:], v)])
}

func readBytes(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errAlertFrame, n, limit)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

func read32(r *bufio.Reader) ([32]byte, error) {
	var b [32]byte
	_, err := io.ReadFull(r, b[:])
	return b, err
}

// serveAlert answers one exchange.
// Serve answers one stream of Protocol.
func (a *Service) Serve(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(a.cfg.Clock().Add(alertStreamTimeout))
	from := s.Conn().RemotePeer()
	r := bufio.NewReaderSize(s, 1024)
	w := bufio.NewWriter(s)
	kind, err := r.ReadByte()
	if err != nil {
		_ = s.Reset()
		return
	}
	switch kind {
	case alertPush:
		raw, err := readBytes(r, alertMaxAckBytes)
		if err != nil {
			_ = s.Reset()
			return
		}
		status := byte(alertNo)
		if a.takeAck(from, raw, true) {
			status = alertOK
		}
		_ = w.WriteByte(status)
	case alertOffer:
		g, err1 := read32(r)
		id, err2 := read32(r)
		if err1 != nil || err2 != nil {
			_ = s.Reset()
			return
		}
		if ok, err := a.cfg.Node.Has(id); err == nil && ok {
			a.markHave(id, from)
			_ = w.WriteByte(alertHave)
			break
		}
		_ = w.WriteByte(alertWant)
		if w.Flush() != nil {
			return
		}
		raw, err := readBytes(r, alertMaxAlertBytes)
		if err != nil {
			_ = s.Reset()
			return
		}
		status := byte(alertNo)
		if a.takeOffered(from, g, id, raw) {
			status = alertOK
		}
		_ = w.WriteByte(status)
	case alertPull:
		id, err1 := read32(r)
		cursor, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil {
			_ = s.Reset()
			return
		}
		a.pullsServed.Add(1)
		devices, acks, next := a.pullAnswer(id, cursor)
		writeUvarint(w, uint64(devices))
		writeUvarint(w, uint64(len(acks)))
		for _, a := range acks {
			writeBytes(w, a)
		}
		writeUvarint(w, next)
	default:
		_ = s.Reset()
		return
	}
	_ = w.Flush()
}

// takeAck judges an ack that peer from pushed (direct) or served in a pull,
// and counts it. A peer pushes at most alertPushesPerPeer acks per alert.
func (a *Service) takeAck(from peer.ID, raw []byte, direct bool) bool {
	now := a.cfg.Clock()
	refuse := func() bool { a.acksRejected.Add(1); return false }
	m, err := message.Verify(raw, now)
	if err != nil || m.Body.Kind != message.KindAlertAck {
		return refuse()
	}
	st := a.cfg.Node.Group(m.Body.Group)
	if st == nil || a.cfg.Node.Blocked(m.Body.Author) {
		return refuse()
	}
	if v, _ := st.CheckAck(m, now); v != message.Accept {
		return refuse()
	}
	b := &a.book
	b.mu.Lock()
	h := b.alerts[m.Body.Ref]
	if h == nil || h.group != m.Body.Group {
		b.mu.Unlock()
		return refuse()
	}
	if direct {
		if h.pushes[from] >= alertPushesPerPeer {
			b.mu.Unlock()
			return refuse()
		}
		h.pushes[from]++
		h.have[from] = true // it displayed the alert, or forwards for one that did
	}
	b.mu.Unlock()
	a.holdAck(h, m, now, direct || a.cfg.Node.IsRelay(from))
	return true
}

// takeOffered judges an alert a peer offered exactly as a catch-up push,
// and stores it.
func (a *Service) takeOffered(from peer.ID, g, id [32]byte, raw []byte) bool {
	m, v, err := a.cfg.Node.Judge(from, g, raw)
	if v != message.Accept || m.ID != id || m.Body.Kind != message.KindAlert {
		a.log.Debug("an offered alert was refused", "from", from, "err", err)
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), alertStreamTimeout)
	defer cancel()
	if err := a.cfg.Node.Put(ctx, m); err != nil {
		a.log.Debug("could not store an offered alert", "msg", m, "err", err)
		return false
	}
	a.markHave(id, from)
	return true
}

func (b *book) markHave(id message.ID, p peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.alerts[id]; h != nil {
		h.have[p] = true
	}
}

// pullAnswer: the devices this node saw in the alert's group, and the acks
// it holds from cursor on.
func (a *Service) pullAnswer(id message.ID, cursor uint64) (int, [][]byte, uint64) {
	b := &a.book
	b.mu.Lock()
	h := b.alerts[id]
	if h == nil {
		b.mu.Unlock()
		return 0, nil, cursor
	}
	end := min(uint64(len(h.raws)), cursor+alertPullBatch)
	var acks [][]byte
	if cursor < end {
		acks = h.raws[cursor:end:end]
	}
	st := a.cfg.Node.Group(h.group)
	b.mu.Unlock()
	devices := 0
	if st != nil {
		if r, err := a.Reach(h.group, id); err == nil {
			devices = r.Devices
		}
	}
	return devices, acks, max(end, cursor)
}

// openAlertStream opens an exchange with p.
func (a *Service) openAlertStream(ctx context.Context, p peer.ID) (network.Stream, *bufio.Reader, *bufio.Writer, error) {
	ctx, cancel := context.WithTimeout(ctx, alertStreamTimeout)
	defer cancel()
	s, err := a.cfg.Node.NewStream(network.WithAllowLimitedConn(ctx, "alert"), p, Protocol)
	if err != nil {
		return nil, nil, nil, err
	}
	_ = s.SetDeadline(a.cfg.Clock().Add(alertStreamTimeout))
	return s, bufio.NewReader(s), bufio.NewWriter(s), nil
}

// pushAck hands this device's ack to p.
func (a *Service) pushAck(ctx context.Context, p peer.ID, ack *message.Message) {
	s, r, w, err := a.openAlertStream(ctx, p)
	if err != nil {
		return
	}
	defer s.Close()
	_ = w.WriteByte(alertPush)
	writeBytes(w, ack.Raw)
	if w.Flush() != nil {
		_ = s.Reset()
		return
	}
	if st, err := r.ReadByte(); err == nil && st == alertOK {
		a.markHave(ack.Body.Ref, p)
	}
}

// offer offers the alert m to p; it reports whether p holds it now.
func (a *Service) offer(ctx context.Context, p peer.ID, m *message.Message) bool {
	s, r, w, err := a.openAlertStream(ctx, p)
	if err != nil {
		a.log.Debug("could not offer an alert", "msg", m, "peer", p, "err", err)
		return false
	}
	defer s.Close()
	a.offersSent.Add(1)
	_ = w.WriteByte(alertOffer)
	w.Write(m.Body.Group[:])
	w.Write(m.ID[:])
	if w.Flush() != nil {
		_ = s.Reset()
		return false
	}
	answer, err := r.ReadByte()
	if err != nil {
		a.log.Debug("no answer to an alert's offer", "msg", m, "peer", p, "err", err)
		return false
	}
	if answer == alertHave {
		return true
	}
	writeBytes(w, m.Raw)
	if w.Flush() != nil {
		_ = s.Reset()
		return false
	}
	st, err := r.ReadByte()
	if err == nil && st == alertOK {
		a.taken.Add(1)
		return true
	}
	a.log.Debug("an offered alert was not taken", "msg", m, "peer", p, "status", st, "err", err)
	return false
}

// pull asks p for the acks of alert id it holds from cursor on, takes
// them, and returns the next cursor and the devices p saw.
func (a *Service) pull(ctx context.Context, p peer.ID, id message.ID, cursor uint64) (uint64, int, error) {
	s, r, w, err := a.openAlertStream(ctx, p)
	if err != nil {
		return cursor, 0, err
	}
	defer s.Close()
	_ = w.WriteByte(alertPull)
	w.Write(id[:])
	writeUvarint(w, cursor)
	if err := w.Flush(); err != nil {
		_ = s.Reset()
		return cursor, 0, err
	}
	devices, err := binary.ReadUvarint(r)
	if err != nil {
		return cursor, 0, err
	}
	count, err := binary.ReadUvarint(r)
	if err != nil || count > alertPullBatch {
		return cursor, 0, fmt.Errorf("%w: %d acks", errAlertFrame, count)
	}
	for range count {
		raw, err := readBytes(r, alertMaxAckBytes)
		if err != nil {
			return cursor, 0, err
		}
		a.takeAck(p, raw, false)
	}
	next, err := binary.ReadUvarint(r)
	if err != nil || next < cursor || next > cursor+count {
		return cursor, 0, fmt.Errorf("%w: cursor %d after %d", errAlertFrame, next, cursor)
	}
	return next, int(min(devices, alertMaxAcks)), nil
}

// Run re-offers live alerts and pulls their acks on an organiser's node,
// once a second while one is live (and at once when one is stored). With
// none live it returns, and Stored starts it again (Config.Go) when one is
// stored: an idle node does no work for alerts and keeps no goroutine for
// them. Run and the runs Stored starts never overlap.
func (a *Service) Run(ctx context.Context) {
	if a.runs.Claim() {
		a.rounds(ctx)
	}
}

// rounds is Run once claimed.
func (a *Service) rounds(ctx context.Context) {
	for {
		if !a.alertRound(ctx, a.cfg.Clock()) {
			if a.runs.Idle() {
				return
			}
			continue // an alert was stored since the round looked: at once
		}
		if !sleepOrKick(ctx, time.Second, a.runs.Kicks()) {
			return
		}
	}
}

// PeerJoined notes p, just seen on g's topic, as a device seen in g.
func (a *Service) PeerJoined(g message.GroupID, p peer.ID) {
	if st := a.cfg.Node.Group(g); st == nil || st.IsChannel() {
		return
	}
	a.mu.Lock()
	a.seenLocked(g).notePeer(p, a.cfg.Clock())
	a.mu.Unlock()
}

// noteTopicPeers notes g's topic peers now as seen: with the joins noted
// as they came (PeerJoined), the devices on the topic in the last hour.
// It asks gossip without the book's lock: the store's writer takes it
// (Stored), and gossip may wait on that writer.
func (a *Service) noteTopicPeers(st *group.State, now time.Time) {
	if st.IsChannel() {
		return // no alerts there
	}
	g := st.ID()
	peers := a.cfg.Node.TopicPeers(g)
	a.mu.Lock()
	s := a.seenLocked(g)
	for _, p := range peers {
		s.notePeer(p, now)
	}
	a.mu.Unlock()
}

// alertRound starts the offers and pulls that are due; it reports whether
// an alert is live.
func (a *Service) alertRound(ctx context.Context, now time.Time) bool {
	b := &a.book
	type job struct {
		p    peer.ID
		h    *heldAlert
		pull bool
	}
	type due struct {
		h           *heldAlert
		offer, pull bool
	}
	var dues []due
	live := false
	b.mu.Lock()
	for _, h := range b.alerts {
		if now.Sub(h.got) >= alertLive {
			continue
		}
		live = true
		d := due{h: h}
		d.offer = h.round < len(alertOfferRounds) && now.Sub(h.got) >= alertOfferRounds[h.round]
		d.pull = now.Sub(h.pulled) >= alertPullEvery
		if d.offer || d.pull {
			dues = append(dues, d)
		}
	}
	b.mu.Unlock()
	// The group's state and gossip are asked without the book's lock: the
	// store's writer takes it (alertsStored), and gossip may wait on that
	// writer.
	self := a.cfg.User.PublicKey()
	var jobs []job
	for _, d := range dues {
		st := a.cfg.Node.Group(d.h.group)
		if st == nil {
			continue
		}
		d.pull = d.pull && st.IsAdmin(self)
		if !d.offer && !d.pull {
			continue
		}
		peers := a.cfg.Node.TopicPeers(d.h.group)
		h := d.h
		b.mu.Lock()
		if d.offer {
			a.log.Debug("offering an alert", "alert", h.id.Short(), "round", h.round, "peers", len(peers), "held by", len(h.have))
			h.round++
			for _, p := range peers {
				if !h.have[p] && !h.busy[p] {
					h.offers[p]++
					h.busy[p] = true
					jobs = append(jobs, job{p: p, h: h})
				}
			}
		}
		if d.pull {
			h.pulled = now
			for _, p := range peers {
				if !h.busy[p] {
					h.busy[p] = true
					jobs = append(jobs, job{p: p, h: h, pull: true})
				}
			}
		}
		b.mu.Unlock()
	}
	for _, j := range jobs {
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return live
		}
		a.cfg.Go(func(ctx context.Context) {
			defer func() { <-b.sem }()
			defer func() {
				b.mu.Lock()
				delete(j.h.busy, j.p)
				b.mu.Unlock()
			}()
			if j.pull {
				a.pullAll(ctx, j.p, j.h)
				return
			}
			s, err := a.cfg.Node.Get(j.h.id)
			if err != nil {
				return
			}
			if a.offer(ctx, j.p, s.Msg) {
				b.markHave(j.h.id, j.p)
			}
		})
	}
	return live
}

// sleepOrKick waits d or until kick; false when ctx ended.
func sleepOrKick(ctx context.Context, d time.Duration, kick <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-kick:
	case <-t.C:
	}
	return true
}

// alertPullRounds bounds the batches one pull round takes from one peer:
// while a batch comes back full, the next is asked at once.
const alertPullRounds = 16

// pullAll pulls h's acks from p, batch after batch while they come full.
func (a *Service) pullAll(ctx context.Context, p peer.ID, h *heldAlert) {
	b := &a.book
	for range alertPullRounds {
		b.mu.Lock()
		cursor := h.cursor[p]
		b.mu.Unlock()
		next, devices, err := a.pull(ctx, p, h.id, cursor)
		if err != nil {
			return
		}
		b.mu.Lock()
		h.cursor[p] = next
		if a.cfg.Node.IsRelay(p) {
			// Only an organiser relay's count of devices is taken: anyone
			// else could claim any number.
			h.reports[p] = devices
		}
		b.mu.Unlock()
		if next-cursor < alertPullBatch {
			return
		}
	}
}
