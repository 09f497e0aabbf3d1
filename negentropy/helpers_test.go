package negentropy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// dataset is two sets drawn from one pool, with the true differences.
type dataset struct {
	client, server         []Item
	clientOnly, serverOnly [][IDSize]byte // sorted
}

// genSpec describes a dataset: n items in all, each only on the client with
// probability clientOnly, only on the server with serverOnly, else on both.
// Timestamps (milliseconds) are drawn from spread distinct values.
type genSpec struct {
	n                      int
	clientOnly, serverOnly float64
	spread                 int
	seed                   uint64
}

func (g genSpec) generate() dataset {
	rng := rand.New(rand.NewPCG(g.seed, uint64(g.n)))
	var d dataset
	for range g.n {
		it := Item{Timestamp: 1_700_000_000_000 + uint64(rng.IntN(max(g.spread, 1)))}
		for i := 0; i < IDSize; i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				it.ID[i+j] = byte(v >> (8 * j))
			}
		}
		switch r := rng.Float64(); {
		case r < g.clientOnly:
			d.add(it, onClient)
		case r < g.clientOnly+g.serverOnly:
			d.add(it, onServer)
		default:
			d.add(it, onBoth)
		}
	}
	d.sortDiffs()
	return d
}

type side int

const (
	onBoth side = iota
	onClient
	onServer
)

func (d *dataset) add(it Item, s side) {
	if s != onServer {
		d.client = append(d.client, it)
	}
	if s != onClient {
		d.server = append(d.server, it)
	}
	switch s {
	case onClient:
		d.clientOnly = append(d.clientOnly, it.ID)
	case onServer:
		d.serverOnly = append(d.serverOnly, it.ID)
	}
}

// sortDiffs sorts the differences once every item is added.
func (d *dataset) sortDiffs() {
	sortIDs(d.clientOnly)
	sortIDs(d.serverOnly)
}

func sortIDs(ids [][IDSize]byte) {
	slices.SortFunc(ids, func(a, b [IDSize]byte) int { return bytes.Compare(a[:], b[:]) })
}

func sealedVector(tb testing.TB, items []Item) *Vector {
	tb.Helper()
	v := NewVector()
	for _, it := range items {
		if err := v.Insert(it.Timestamp, it.ID); err != nil {
			tb.Fatal(err)
		}
	}
	if err := v.Seal(); err != nil {
		tb.Fatal(err)
	}
	return v
}

// client and server are the two roles, whichever implementation plays them.
type client interface {
	initiate() ([]byte, error)
	// reconcile returns the next message, nil when done.
	reconcile(msg []byte) ([]byte, error)
	// result returns every have and need reported, once the session is done.
	result() (have, need [][IDSize]byte, err error)
	// abort ends a session that failed half-way.
	abort()
}

type server interface {
	reconcile(msg []byte) ([]byte, error)
}

type ourClient struct {
	n          *Negentropy
	have, need [][IDSize]byte
}

func newOurClient(tb testing.TB, s Storage, limit int) *ourClient {
	tb.Helper()
	n, err := New(s, Config{FrameSizeLimit: limit})
	if err != nil {
		tb.Fatal(err)
	}
	return &ourClient{n: n}
}

func (c *ourClient) initiate() ([]byte, error) { return c.n.Initiate() }

func (c *ourClient) reconcile(msg []byte) ([]byte, error) {
	next, have, need, err := c.n.ReconcileClient(msg)
	c.have = append(c.have, have...)
	c.need = append(c.need, need...)
	return next, err
}

func (c *ourClient) result() (have, need [][IDSize]byte, err error) { return c.have, c.need, nil }

func (c *ourClient) abort() {}

type ourServer struct{ n *Negentropy }

func newOurServer(tb testing.TB, s Storage, limit int) ourServer {
	tb.Helper()
	n, err := New(s, Config{FrameSizeLimit: limit})
	if err != nil {
		tb.Fatal(err)
	}
	return ourServer{n: n}
}

func (s ourServer) reconcile(msg []byte) ([]byte, error) { return s.n.Reconcile(msg) }

// session is what one reconciliation put on the wire.
type session struct {
	transcript [][]byte // client and server messages, alternating
	up, down   int      // bytes client to server and back
	rounds     int      // client messages sent
	have, need [][IDSize]byte
}

// maxRounds bounds every test session; the largest legitimate one here
// needs a few thousand.
const maxRounds = 20000

func run(c client, s server) (session, error) { return runRounds(c, s, maxRounds) }

// runRounds runs a session of at most maxRounds client messages.
func runRounds(c client, s server, maxRounds int) (ses session, err error) {
	defer func() {
		if err != nil {
			c.abort()
		}
	}()
	msg, err := c.initiate()
	if err != nil {
		return ses, fmt.Errorf("initiate: %w", err)
	}
	for msg != nil {
		if ses.rounds == maxRounds {
			return ses, fmt.Errorf("no convergence after %d rounds", maxRounds)
		}
		ses.rounds++
		ses.up += len(msg)
		ses.transcript = append(ses.transcript, msg)
		answer, err := s.reconcile(msg)
		if err != nil {
			return ses, fmt.Errorf("round %d: server: %w", ses.rounds, err)
		}
		ses.down += len(answer)
		ses.transcript = append(ses.transcript, answer)
		if msg, err = c.reconcile(answer); err != nil {
			return ses, fmt.Errorf("round %d: client: %w", ses.rounds, err)
		}
	}
	ses.have, ses.need, err = c.result()
	return ses, err
}

// checkDiff fails unless got holds exactly the IDs of want, each once.
func checkDiff(t *testing.T, what string, got, want [][IDSize]byte) {
	t.Helper()
	got = slices.Clone(got)
	sortIDs(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("%s: %x reported twice", what, got[i])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d ids, want %d (first difference at %d)", what, len(got), len(want), firstDifference(got, want))
	}
}

func firstDifference(a, b [][IDSize]byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// checkFrames fails if a message exceeds its sender's frame size limit.
func checkFrames(t *testing.T, ses session, clientLimit, serverLimit int) {
	t.Helper()
	for i, m := range ses.transcript {
		limit, who := clientLimit, "client"
		if i%2 == 1 {
			limit, who = serverLimit, "server"
		}
		if limit != 0 && len(m) > limit {
			t.Fatalf("message %d from the %s has %d bytes, over its limit %d", i, who, len(m), limit)
		}
	}
}

// compareTranscripts fails at the first message where b differs from a.
func compareTranscripts(t *testing.T, what string, a, b [][]byte) {
	t.Helper()
	for i := range min(len(a), len(b)) {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("%s: message %d differs (%d vs %d bytes, first differing byte at %d)",
				what, i, len(a[i]), len(b[i]), firstByteDifference(a[i], b[i]))
		}
	}
	if len(a) != len(b) {
		t.Fatalf("%s: %d messages vs %d", what, len(a), len(b))
	}
}

func firstByteDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
