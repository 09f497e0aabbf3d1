package catchup

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/bucket"
	"starling/message"
	"starling/store"
)

// FetchProtocolID is the protocol of a fetch by ID: one stream, one
// request. Pictures' chunks travel only this way (media/design.md): they
// are kept out of the group's reconciliation set and never gossiped.
//
//	client: group (32) | n (1 byte, 1..MaxFetchIDs) | n IDs (32 each), then closes its side
//	server: n answers in the order asked: uvarint length | envelope, length 0 for missing
const FetchProtocolID = "/starling/fetch/1.0.0"

// MaxFetchIDs caps the IDs of one fetch request.
const MaxFetchIDs = 8

// Fetch defaults.
const (
	DefaultFetchBurst   = 4 << 20
	DefaultFetchRate    = 2 << 20
	DefaultFetchTimeout = 30 * time.Second
	// maxFetchTracked bounds the peers with a serving budget.
	maxFetchTracked = 1 << 14
)

// ErrFetch: a peer's answer to a fetch broke the protocol (an envelope
// that is not the one asked for, or too long). The peer is to blame.
var ErrFetch = errors.New("bad fetch answer")

// FetchStore is what the fetch server reads; *store.Store satisfies it.
type FetchStore interface {
	Get(id message.ID) (store.Stored, error)
}

// FetchConfig configures a Fetcher. Zero fields take the defaults.
type FetchConfig struct {
	Store FetchStore
	// Serve decides whether a stored message may be served to a fetch of
	// group g (default: a chunk of a picture of group g).
	Serve func(g message.GroupID, m *message.Message) bool
	// Burst and Rate (bytes, bytes per second) bound what one peer pulls.
	// Defaults DefaultFetchBurst and DefaultFetchRate.
	Burst, Rate float64
	// Timeout bounds one request, either side. Default DefaultFetchTimeout.
	Timeout time.Duration
	Logger  *slog.Logger
	Clock   func() time.Time
}

// Fetcher serves and makes fetches by ID.
type Fetcher struct {
	h      host.Host
	cfg    FetchConfig
	budget *bucket.Set

	mu              sync.Mutex
	closed          bool
	wg              sync.WaitGroup
	served, refused uint64
}

// NewFetcher registers the fetch protocol's handler on h.
func NewFetcher(h host.Host, cfg FetchConfig) (*Fetcher, error) {
	if h == nil || cfg.Store == nil {
		return nil, errors.New("new fetcher: host and store are required")
	}
	if cfg.Serve == nil {
		cfg.Serve = func(g message.GroupID, m *message.Message) bool {
			return m.Body.Group == g && m.Body.Kind == message.KindImageChunk
		}
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultFetchBurst
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultFetchRate
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultFetchTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	f := &Fetcher{h: h, cfg: cfg, budget: bucket.NewSet(cfg.Burst, cfg.Rate, maxFetchTracked, cfg.Clock)}
	h.SetStreamHandler(FetchProtocolID, f.handle)
	return f, nil
}

// Close removes the handler and waits for the requests being served.
func (f *Fetcher) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	f.h.RemoveStreamHandler(FetchProtocolID)
	f.wg.Wait()
	return nil
}

// Served reports the envelopes served and the requests refused for want of
// budget.
func (f *Fetcher) Served() (served, refused uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served, f.refused
}

func (f *Fetcher) handle(st network.Stream) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		_ = st.Reset()
		return
	}
	f.wg.Add(1)
	f.mu.Unlock()
	defer f.wg.Done()
	_ = st.SetDeadline(time.Now().Add(f.cfg.Timeout))
	g, ids, err := readFetchRequest(bufio.NewReader(io.LimitReader(st, 33+MaxFetchIDs*32)))
	if err != nil {
		f.cfg.Logger.Debug("bad fetch request", "peer", st.Conn().RemotePeer(), "err", err)
		_ = st.Reset()
		return
	}
	p := string(st.Conn().RemotePeer())
	w := bufio.NewWriter(st)
	for _, id := range ids {
		var raw []byte
		if s, err := f.cfg.Store.Get(id); err == nil && f.cfg.Serve(g, s.Msg) {
			raw = s.Msg.Raw
		}
		if raw != nil && !f.budget.Has(p, float64(len(raw))) {
			f.mu.Lock()
			f.refused++
			f.mu.Unlock()
			raw = nil // over its budget: missing here, the peer may ask another
		}
		if raw != nil {
			f.budget.Take(p, float64(len(raw)))
			f.mu.Lock()
			f.served++
			f.mu.Unlock()
		}
		if _, err := w.Write(binary.AppendUvarint(nil, uint64(len(raw)))); err != nil {
			_ = st.Reset()
			return
		}
		if _, err := w.Write(raw); err != nil {
			_ = st.Reset()
			return
		}
	}
	if err := w.Flush(); err != nil {
		_ = st.Reset()
		return
	}
	_ = st.Close()
}

func readFetchRequest(r *bufio.Reader) (message.GroupID, []message.ID, error) {
	var g message.GroupID
	if _, err := io.ReadFull(r, g[:]); err != nil {
		return g, nil, fmt.Errorf("group: %w", err)
	}
	n, err := r.ReadByte()
	if err != nil {
		return g, nil, fmt.Errorf("count: %w", err)
	}
	if n < 1 || int(n) > MaxFetchIDs {
		return g, nil, fmt.Errorf("%d IDs, want 1 to %d", n, MaxFetchIDs)
	}
	ids := make([]message.ID, n)
	for i := range ids {
		if _, err := io.ReadFull(r, ids[i][:]); err != nil {
			return g, nil, fmt.Errorf("ID %d: %w", i, err)
		}
	}
	return g, ids, nil
}

// Fetch asks p for the messages ids of group g and returns the envelopes,
// in the order asked, nil where p does not hold one (or would not serve
// it). Each envelope returned decodes to the ID asked for; an answer that
// does not is an error wrapping ErrFetch.
func (f *Fetcher) Fetch(ctx context.Context, p peer.ID, g message.GroupID, ids []message.ID) ([][]byte, error) {
	if len(ids) < 1 || len(ids) > MaxFetchIDs {
		return nil, fmt.Errorf("fetch: %d IDs, want 1 to %d", len(ids), MaxFetchIDs)
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	st, err := f.h.NewStream(network.WithAllowLimitedConn(ctx, "fetch"), p, FetchProtocolID)
	if err != nil {
		return nil, fmt.Errorf("fetch from %s: %w", p.ShortString(), err)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(d)
	}
	req := append(g[:0:0], g[:]...)
	req = append(req, byte(len(ids)))
	for _, id := range ids {
		req = append(req, id[:]...)
	}
	if _, err := st.Write(req); err != nil {
		_ = st.Reset()
		return nil, fmt.Errorf("fetch from %s: %w", p.ShortString(), err)
	}
	_ = st.CloseWrite()
	r := bufio.NewReader(st)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			_ = st.Reset()
			return nil, fmt.Errorf("fetch from %s: answer %d: %w", p.ShortString(), i, err)
		}
		if n == 0 {
			continue
		}
		if n > message.MaxEnvelopeSize {
			_ = st.Reset()
			return nil, fmt.Errorf("%w: %s sent an envelope of %d bytes", ErrFetch, p.ShortString(), n)
		}
		raw := make([]byte, n)
		if _, err := io.ReadFull(r, raw); err != nil {
			_ = st.Reset()
			return nil, fmt.Errorf("fetch from %s: answer %d: %w", p.ShortString(), i, err)
		}
		m, err := message.Decode(raw)
		if err != nil || m.ID != id {
			_ = st.Reset()
			return nil, fmt.Errorf("%w: %s answered %s with another message", ErrFetch, p.ShortString(), id.Short())
		}
		out[i] = raw
	}
	_ = st.Close()
	return out, nil
}
