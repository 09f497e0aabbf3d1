package riblt

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// idSets returns two sets of IDs with common IDs in both, serverOnly only on
// the server and clientOnly only on the client, and those differences.
func idSets(rng *rand.Rand, common, serverOnly, clientOnly int) (client, server IDs, wantNeed, wantHave IDs) {
	draw := func(n int) IDs {
		out := make(IDs, n)
		for i := range out {
			for j := 0; j < IDSize; j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					out[i][j+k] = byte(v >> (8 * k))
				}
			}
		}
		return out
	}
	both := draw(common)
	wantNeed, wantHave = draw(serverOnly), draw(clientOnly)
	client = append(slices.Clone(both), wantHave...)
	server = append(slices.Clone(both), wantNeed...)
	rng.Shuffle(len(client), func(i, j int) { client[i], client[j] = client[j], client[i] })
	rng.Shuffle(len(server), func(i, j int) { server[i], server[j] = server[j], server[i] })
	return client, server, wantNeed, wantHave
}

// exchange is what one session put on the wire.
type exchange struct {
	rounds   int // client messages
	up, down int // bytes each way
	symbols  int
}

// newSides returns the two sides of a session over the two sets.
func newSides(t testing.TB, secret [SecretSize]byte, client, server Set, cfg Config) (*Client, *Server) {
	t.Helper()
	c, err := NewClient(secret, client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(server, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// runSession runs a session between a client and a server over the two
// sets and returns it with the two sides.
func runSession(t testing.TB, secret [SecretSize]byte, client, server Set, cfg Config) (*Client, *Server, exchange, error) {
	t.Helper()
	c, s := newSides(t, secret, client, server, cfg)
	var ex exchange
	msg := c.Request()
	for msg != nil {
		if ex.rounds > 10000 {
			t.Fatalf("no end after %d rounds", ex.rounds)
		}
		ex.rounds++
		ex.up += len(msg)
		answer, err := s.Answer(msg)
		if err != nil {
			return c, s, ex, err
		}
		ex.down += len(answer)
		if msg, err = c.Receive(answer); err != nil {
			return c, s, ex, err
		}
	}
	ex.symbols = c.Symbols()
	return c, s, ex, nil
}

// checkResult fails unless the client found exactly the differences, the
// needed ones by keys the server resolves.
func checkResult(t *testing.T, c *Client, s *Server, client, server, wantNeed, wantHave IDs) {
	t.Helper()
	if !c.Decoded() {
		t.Fatalf("not decoded (fallback %v)", c.Fallback())
	}
	var need IDs
	for _, k := range c.Need() {
		pos, ok := s.Lookup(k)
		if !ok {
			t.Fatalf("server does not know needed key %016x", k)
		}
		need = append(need, server[pos])
	}
	var have IDs
	for _, pos := range c.Have() {
		have = append(have, client[pos])
	}
	sameIDs(t, "need", need, wantNeed)
	sameIDs(t, "have", have, wantHave)
}

func sameIDs(t *testing.T, what string, got, want IDs) {
	t.Helper()
	cmp := func(a, b [IDSize]byte) int { return slices.Compare(a[:], b[:]) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d IDs, want %d", what, len(got), len(want))
	}
}

func secretFrom(rng *rand.Rand) (s [SecretSize]byte) {
	for i := range s {
		s[i] = byte(rng.Uint32())
	}
	return s
}

// TestSessionRecoversDifference runs sessions over random sets with random
// differences on either side and checks that the client learns exactly
// them.
func TestSessionRecoversDifference(t *testing.T) {
	cases := []struct {
		name                           string
		common, serverOnly, clientOnly int
	}{
		{"identical", 500, 0, 0},
		{"both empty", 0, 0, 0},
		{"client empty", 0, 300, 0},
		{"server empty", 0, 0, 300},
		{"one missing", 1000, 1, 0},
		{"one extra", 1000, 0, 1},
		{"one each", 1000, 1, 1},
		{"client lacks some", 2000, 40, 0},
		{"server lacks some", 2000, 0, 40},
		{"both lack", 2000, 30, 30},
		{"lopsided", 2000, 5, 200},
		{"large", 5000, 1500, 700},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(8) {
				rng := rand.New(rand.NewPCG(seed, uint64(tc.serverOnly)<<20|uint64(tc.clientOnly)))
				client, server, need, have := idSets(rng, tc.common, tc.serverOnly, tc.clientOnly)
				c, s, ex, err := runSession(t, secretFrom(rng), client, server, Config{})
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				checkResult(t, c, s, client, server, need, have)
				if d := tc.serverOnly + tc.clientOnly; d <= 1 && ex.symbols != 1 {
					t.Errorf("seed %d: difference of %d took %d symbols, want 1", seed, d, ex.symbols)
				}
			}
		})
	}
}

// TestSessionSmallMessages cuts every answer to the smallest size allowed:
// the client asks for the rest and still decodes.
func TestSessionSmallMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	client, server, need, have := idSets(rng, 3000, 200, 20)
	c, s, ex, err := runSession(t, secretFrom(rng), client, server, Config{MaxMessageSize: MinMessageSize})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, c, s, client, server, need, have)
	if ex.rounds < ex.symbols/5 {
		t.Fatalf("%d rounds for %d symbols in messages of at most %d bytes", ex.rounds, ex.symbols, MinMessageSize)
	}
}

// TestSessionFallsBack: a difference beyond MaxSymbols is not attempted,
// whether the sizes show it (the server declines) or only the symbols do
// (the client gives up).
func TestSessionFallsBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	t.Run("sizes", func(t *testing.T) {
		client, server, _, _ := idSets(rng, 100, 500, 0)
		c, _, ex, err := runSession(t, secretFrom(rng), client, server, Config{MaxSymbols: 256})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Fallback() || c.Decoded() || ex.rounds != 1 || ex.symbols != 0 {
			t.Fatalf("fallback %v, decoded %v after %d rounds and %d symbols; want fallback at once", c.Fallback(), c.Decoded(), ex.rounds, ex.symbols)
		}
	})
	t.Run("symbols", func(t *testing.T) {
		client, server, _, _ := idSets(rng, 100, 300, 300) // equal sizes: the server cannot tell
		c, _, ex, err := runSession(t, secretFrom(rng), client, server, Config{MaxSymbols: 256})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Fallback() || c.Decoded() || ex.symbols > 256 {
			t.Fatalf("fallback %v, decoded %v after %d symbols; want fallback within 256", c.Fallback(), c.Decoded(), ex.symbols)
		}
	})
}

// TestSessionRejectsMalformed feeds each side broken messages.
func TestSessionRejectsMalformed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	client, server, _, _ := idSets(rng, 100, 10, 0)
	secret := secretFrom(rng)
	newPair := func() (*Client, *Server) { return newSides(t, secret, client, server, Config{}) }
	c, s := newPair()
	req := c.Request()
	for name, msg := range map[string][]byte{
		"empty":       nil,
		"short":       req[:len(req)-1],
		"long":        append(slices.Clone(req), 0),
		"huge set":    append(append(slices.Clone(req[:SecretSize]), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1), req[len(req)-symbolWireSize:]...),
		"non-minimal": append(append(slices.Clone(req[:SecretSize]), 0xe4, 0x80, 0x00, 1), req[len(req)-symbolWireSize:]...),
		"zero cap":    append(append(slices.Clone(req[:SecretSize]), 110, 0), req[len(req)-symbolWireSize:]...),
	} {
		if _, err := s.Answer(msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("server, request %s: error %v, want ErrMalformed", name, err)
		}
	}
	answer, err := s.Answer(req)
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string][]byte{
		"zero more":     {0},
		"too many more": {0xff, 0xff, 0x7f},
		"trailing":      {1, 0},
	} {
		if _, err := s.Answer(msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("server, more %s: error %v, want ErrMalformed", name, err)
		}
	}
	for name, msg := range map[string][]byte{
		"empty":         nil,
		"bad kind":      append([]byte{7}, answer[1:]...),
		"wrong start":   {0, answer[1], 5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0},
		"truncated":     answer[:len(answer)-3],
		"no symbols":    {0, answer[1], 0, 0},
		"fallback junk": {1, answer[1], 0},
	} {
		c, _ := newPair()
		if _, err := c.Receive(msg); !errors.Is(err, ErrMalformed) {
			t.Errorf("client, answer %s: error %v, want ErrMalformed", name, err)
		}
	}
	c, _ = newPair()
	if _, err := c.Receive(answer); err != nil {
		t.Fatal(err)
	}
	if !c.Decoded() {
		t.Skip("first answer did not decode; the out-of-turn check needs it to")
	}
	if _, err := c.Receive(answer); !errors.Is(err, ErrOutOfTurn) {
		t.Errorf("answer after the end: error %v, want ErrOutOfTurn", err)
	}
}

// TestSessionRounds: small differences reconcile within three round trips
// (on these seeds, every time): one when one side only lacks messages, as
// with scattered loss, since the server sizes its first answer by the
// difference of the set sizes; two or three when both sides lack some and
// the client must estimate the difference from the first symbols.
func TestSessionRounds(t *testing.T) {
	for _, tc := range []struct{ serverOnly, clientOnly, rounds int }{
		{1, 0, 1}, {3, 0, 1}, {30, 0, 2}, {300, 0, 2}, {1000, 0, 2},
		{0, 40, 2},
		{1, 1, 2}, {5, 5, 3}, {50, 50, 3}, {300, 300, 3}, {100, 30, 3},
	} {
		worst := 0
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 29))
			client, server, need, have := idSets(rng, 2000, tc.serverOnly, tc.clientOnly)
			c, s, ex, err := runSession(t, secretFrom(rng), client, server, Config{})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, c, s, client, server, need, have)
			worst = max(worst, ex.rounds)
		}
		if worst > tc.rounds {
			t.Errorf("%d only on the server, %d only on the client: up to %d rounds, want at most %d",
				tc.serverOnly, tc.clientOnly, worst, tc.rounds)
		}
	}
}

// TestClientRefusesExtraSymbols: a server that sends more symbols than the
// client asked for is cut off before they cost anything.
func TestClientRefusesExtraSymbols(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	client, server, _, _ := idSets(rng, 500, 25, 25) // equal sizes: the first batch is too small
	secret := secretFrom(rng)
	c, first := newSides(t, secret, client, server, Config{})
	answer, err := first.Answer(c.Request())
	if err != nil {
		t.Fatal(err)
	}
	more, err := c.Receive(answer)
	if err != nil || more == nil {
		t.Fatalf("first answer: more %x, %v; want a request for more", more, err)
	}
	n, _, _ := readUvarint(more)
	// An honest server's answer to a request for n+1 symbols.
	_, other := newSides(t, secret, client, server, Config{})
	if _, err := other.Answer(c.Request()); err != nil {
		t.Fatal(err)
	}
	extra, err := other.Answer(binary.AppendUvarint(nil, n+1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Receive(extra); !errors.Is(err, ErrTooManySymbols) {
		t.Fatalf("error %v, want ErrTooManySymbols", err)
	}
}

// TestSessionSmallerCap: a client with a smaller symbol cap than the server
// gets no more symbols than it accepts; the server keeps to the client's
// cap and declines a difference that would need more.
func TestSessionSmallerCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 33))
	client, server, _, _ := idSets(rng, 500, 300, 0)
	c, err := NewClient(secretFrom(rng), client, Config{MaxSymbols: 100})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(server, Config{})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := s.Answer(c.Request())
	if err != nil {
		t.Fatal(err)
	}
	if more, err := c.Receive(answer); err != nil || more != nil || !c.Fallback() {
		t.Fatalf("more %x, err %v, fallback %v; want the server to decline", more, err, c.Fallback())
	}
}
