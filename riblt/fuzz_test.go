package riblt

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// fuzzMaxSymbols keeps fuzzed sessions small and fast.
const fuzzMaxSymbols = 2048

// fuzzSets returns the client's and server's sets of a fuzzed session and
// a transcript of the real session between them, to seed the fuzzers.
func fuzzSets(tb testing.TB) (client, server IDs, transcript [][]byte) {
	rng := rand.New(rand.NewPCG(21, 22))
	client, server, _, _ = idSets(rng, 300, 40, 25)
	c, s := newSides(tb, secretFrom(rand.New(rand.NewPCG(23, 24))), client, server, Config{MaxSymbols: fuzzMaxSymbols, MaxMessageSize: 200})
	for msg := c.Request(); msg != nil; {
		answer, err := s.Answer(msg)
		if err != nil {
			tb.Fatal(err)
		}
		transcript = append(transcript, msg, answer)
		if msg, err = c.Receive(answer); err != nil {
			tb.Fatal(err)
		}
	}
	return client, server, transcript
}

// splitMessages cuts fuzz input into messages: each a one-byte length and
// that many bytes, the last one taking what is left.
func splitMessages(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 64 {
		n := int(b[0])
		b = b[1:]
		if n >= len(b) {
			return append(out, b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinMessages(msgs ...[]byte) []byte {
	var out []byte
	for i, m := range msgs {
		if i < len(msgs)-1 && len(m) > 255 {
			m = m[:255]
		}
		out = append(out, byte(min(len(m), 255)))
		out = append(out, m...)
	}
	return out
}

// FuzzClient feeds a client a series of arbitrary answers. It must not
// panic; every rejection wraps ErrMalformed or ErrInconsistent; every
// message it sends is a request for more symbols that an honest server
// accepts; and when it says it decoded, the server set it implies (its own
// set without Have, with Need) encodes to exactly the symbols it received.
func FuzzClient(f *testing.F) {
	client, _, transcript := fuzzSets(f)
	var answers [][]byte
	for i := 1; i < len(transcript); i += 2 {
		answers = append(answers, transcript[i])
	}
	f.Add(joinMessages(answers...))
	for _, a := range answers {
		f.Add(joinMessages(a))
	}
	secret := secretFrom(rand.New(rand.NewPCG(23, 24)))

	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := NewClient(secret, client, Config{MaxSymbols: fuzzMaxSymbols})
		if err != nil {
			t.Fatal(err)
		}
		var received [][]byte
		for _, answer := range splitMessages(in) {
			more, err := c.Receive(answer)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInconsistent) {
					t.Fatalf("error %v wraps neither ErrMalformed nor ErrInconsistent", err)
				}
				return
			}
			received = append(received, answer)
			if more == nil {
				break
			}
			n, rest, err := readUvarint(more)
			if err != nil || len(rest) > 0 || n == 0 || n > fuzzMaxSymbols-uint64(c.Symbols()) {
				t.Fatalf("request for more %x after %d symbols", more, c.Symbols())
			}
		}
		if c.Decoded() {
			checkImplied(t, c, client, received)
		}
	})
}

// checkImplied re-encodes the server set a decoded client implies and
// compares it with the symbols received.
func checkImplied(t *testing.T, c *Client, client IDs, answers [][]byte) {
	t.Helper()
	gone := make(map[int]bool)
	for _, pos := range c.Have() {
		if pos < 0 || pos >= len(client) || gone[pos] {
			t.Fatalf("Have position %d out of range or repeated", pos)
		}
		gone[pos] = true
	}
	var implied []uint64
	for i, id := range client {
		if !gone[i] {
			implied = append(implied, c.Hasher().Key(id))
		}
	}
	implied = append(implied, c.Need()...)
	want := NewEncoder(implied).Next(c.Symbols())
	var got []Symbol
	for _, a := range answers {
		size, rest, _ := readUvarint(a[1:])
		start, rest, _ := readUvarint(rest)
		_, rest, _ = readUvarint(rest)
		syms, err := parseSymbols(rest, int(start), size, fuzzMaxSymbols)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, syms...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("decoded a set whose %d symbols differ from those received", len(want))
	}
}

// FuzzServer feeds a server an arbitrary request and requests for more. It
// must not panic; every rejection wraps ErrMalformed; and every answer is
// well formed: its symbols start where the last ones ended and stay within
// the message size and the symbol cap.
func FuzzServer(f *testing.F) {
	_, server, transcript := fuzzSets(f)
	var requests [][]byte
	for i := 0; i < len(transcript); i += 2 {
		requests = append(requests, transcript[i])
	}
	f.Add(joinMessages(requests...))
	f.Add(joinMessages(requests[0], binary.AppendUvarint(nil, fuzzMaxSymbols)))

	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 200
		s, err := NewServer(server, Config{MaxSymbols: fuzzMaxSymbols, MaxMessageSize: limit})
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, msg := range splitMessages(in) {
			answer, err := s.Answer(msg)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if len(answer) > limit || len(answer) == 0 {
				t.Fatalf("answer of %d bytes, limit %d", len(answer), limit)
			}
			size, rest, err := readUvarint(answer[1:])
			if err != nil || size != uint64(len(server)) {
				t.Fatalf("answer states set size %d (%v)", size, err)
			}
			if answer[0] == answerFallback {
				if len(rest) > 0 {
					t.Fatal("fallback answer with more bytes")
				}
				return
			}
			start, rest, err := readUvarint(rest)
			if err != nil || start != uint64(sent) {
				t.Fatalf("symbols from %d, %d sent before (%v)", start, sent, err)
			}
			if _, rest, err = readUvarint(rest); err != nil {
				t.Fatal(err)
			}
			syms, err := parseSymbols(rest, sent, size, fuzzMaxSymbols)
			if err != nil || len(syms) == 0 {
				t.Fatalf("answer's symbols: %d, %v", len(syms), err)
			}
			if sent += len(syms); sent > fuzzMaxSymbols {
				t.Fatalf("%d symbols sent, cap %d", sent, fuzzMaxSymbols)
			}
		}
	})
}

// FuzzDecoder feeds a decoder arbitrary symbols, 13 bytes each, in batches.
// Besides never panicking and failing only with ErrInconsistent or
// ErrTooManySymbols, a decoder that says it decoded must be right: its own
// keys without Local, with Remote, encode to exactly the symbols given.
func FuzzDecoder(f *testing.F) {
	rng := rand.New(rand.NewPCG(25, 26))
	local, remote, _, _ := diffSets(rng, 50, 6, 4)
	seed := func(syms []Symbol) []byte {
		var out []byte
		for _, s := range syms {
			out = binary.LittleEndian.AppendUint64(out, s.Sum)
			out = binary.LittleEndian.AppendUint32(out, s.Check)
			out = append(out, byte(s.Count))
		}
		return out
	}
	f.Add(seed(NewEncoder(remote).Next(40)))
	f.Add(seed(NewEncoder(local).Next(5)))

	f.Fuzz(func(t *testing.T, in []byte) {
		dec := NewDecoder(local, 256)
		var all []Symbol
		for len(in) >= 13 {
			batch := min(len(in)/13, 1+int(in[12]&7))
			syms := make([]Symbol, batch)
			for i := range syms {
				syms[i] = Symbol{Sum: binary.LittleEndian.Uint64(in), Check: binary.LittleEndian.Uint32(in[8:]), Count: int64(int8(in[12]))}
				in = in[13:]
			}
			if err := dec.Add(syms); err != nil {
				if !errors.Is(err, ErrInconsistent) && !errors.Is(err, ErrTooManySymbols) {
					t.Fatalf("error %v", err)
				}
				return
			}
			all = append(all, syms...)
		}
		if !dec.Decoded() {
			return
		}
		gone := make(map[int]bool)
		for _, pos := range dec.Local() {
			gone[pos] = true
		}
		var implied []uint64
		for i, k := range local {
			if !gone[i] {
				implied = append(implied, k)
			}
		}
		implied = append(implied, dec.Remote()...)
		if !slices.Equal(NewEncoder(implied).Next(len(all)), all) {
			t.Fatal("decoded a set whose symbols differ from those given")
		}
	})
}
