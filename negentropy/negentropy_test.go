package negentropy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestNewValidatesConfig(t *testing.T) {
	sealed := sealedVector(t, nil)
	for _, limit := range []int{-1, 1, 200, 4095} {
		if _, err := New(sealed, Config{FrameSizeLimit: limit}); !errors.Is(err, ErrFrameSizeLimit) {
			t.Errorf("frame size limit %d: %v, want ErrFrameSizeLimit", limit, err)
		}
	}
	for _, limit := range []int{0, 4096, 1 << 20} {
		if _, err := New(sealed, Config{FrameSizeLimit: limit}); err != nil {
			t.Errorf("frame size limit %d: %v", limit, err)
		}
	}
	if _, err := New(sealed, Config{MaxMessageSize: -1}); err == nil {
		t.Error("negative max message size accepted")
	}
	if _, err := New(NewVector(), Config{}); !errors.Is(err, ErrNotSealed) {
		t.Errorf("unsealed vector: %v, want ErrNotSealed", err)
	}
}

func TestVectorErrors(t *testing.T) {
	v := NewVector()
	if err := v.Insert(Infinity, [IDSize]byte{1}); !errors.Is(err, ErrReservedTimestamp) {
		t.Errorf("insert at infinity: %v", err)
	}
	if err := v.Insert(5, [IDSize]byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := v.Insert(5, [IDSize]byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := v.Seal(); !errors.Is(err, ErrDuplicateItem) {
		t.Errorf("seal with a duplicate: %v", err)
	}

	v = NewVector()
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := v.Insert(1, [IDSize]byte{}); !errors.Is(err, ErrSealed) {
		t.Errorf("insert after seal: %v", err)
	}
	if err := v.Seal(); !errors.Is(err, ErrSealed) {
		t.Errorf("second seal: %v", err)
	}
}

func TestVectorSortsAndSearches(t *testing.T) {
	v := NewVector()
	items := []Item{{3, [IDSize]byte{9}}, {1, [IDSize]byte{5}}, {3, [IDSize]byte{2}}, {2, [IDSize]byte{7}}}
	for _, it := range items {
		if err := v.Insert(it.Timestamp, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	want := []Item{{1, [IDSize]byte{5}}, {2, [IDSize]byte{7}}, {3, [IDSize]byte{2}}, {3, [IDSize]byte{9}}}
	for i, w := range want {
		if got := v.Get(i); got != w {
			t.Fatalf("item %d: %v, want %v", i, got, w)
		}
	}
	tests := []struct {
		key        Item
		begin, end int
		want       int
	}{
		{Item{}, 0, 4, 0},
		{Item{Timestamp: 3}, 0, 4, 2},
		{Item{3, [IDSize]byte{2}}, 0, 4, 2},
		{Item{3, [IDSize]byte{3}}, 0, 4, 3},
		{Item{Timestamp: Infinity}, 0, 4, 4},
		{Item{Timestamp: 3}, 3, 4, 3}, // never below begin
		{Item{Timestamp: 3}, 0, 1, 1}, // never above end
	}
	for _, tt := range tests {
		if got := v.FindLowerBound(tt.begin, tt.end, tt.key); got != tt.want {
			t.Errorf("FindLowerBound(%d, %d, %v) = %d, want %d", tt.begin, tt.end, tt.key, got, tt.want)
		}
	}
}

func TestRoles(t *testing.T) {
	s := sealedVector(t, nil)
	client, _ := New(s, Config{})
	if _, err := client.Initiate(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Initiate(); !errors.Is(err, ErrRole) {
		t.Errorf("second Initiate: %v", err)
	}
	if _, err := client.Reconcile([]byte{ProtocolVersion}); !errors.Is(err, ErrRole) {
		t.Errorf("Reconcile on the initiator: %v", err)
	}
	server, _ := New(s, Config{})
	if _, _, _, err := server.ReconcileClient([]byte{ProtocolVersion}); !errors.Is(err, ErrRole) {
		t.Errorf("ReconcileClient without Initiate: %v", err)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reference repository's protoversion.pl, for protocol version 1: a
// server asked in another version answers with its own version byte alone,
// and then still answers version 1.
func TestProtocolVersionNegotiation(t *testing.T) {
	id := bytes.Repeat([]byte{0xee}, IDSize)
	v := NewVector()
	if err := v.Insert(12345, [IDSize]byte(id)); err != nil {
		t.Fatal(err)
	}
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	server, err := New(v, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"62aabbccddeeff", "60", "6f00000200"} {
		got, err := server.Reconcile(mustHex(t, msg))
		if err != nil || !bytes.Equal(got, []byte{ProtocolVersion}) {
			t.Errorf("server given %s: %x, %v; want 61", msg, got, err)
		}
	}
	// Full range (infinity bound), empty IdList: the server lists its item.
	got, err := server.Reconcile(mustHex(t, "61 00 00 02 00"))
	if want := mustHex(t, "61 00 00 02 01"+hex.EncodeToString(id)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("v1 full-range query: %x, %v; want %x", got, err, want)
	}

	client, _ := New(v, Config{})
	if _, err := client.Initiate(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := client.ReconcileClient([]byte{0x62}); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("client given version 2: %v, want ErrUnsupportedVersion", err)
	}
	next, have, need, err := client.ReconcileClient([]byte{ProtocolVersion})
	if next != nil || have != nil || need != nil || err != nil {
		t.Errorf("client given an empty v1 message: %x %v %v %v; want done", next, have, need, err)
	}
}

func TestMalformedMessages(t *testing.T) {
	v := sealedVector(t, genSpec{n: 100, spread: 10, seed: 1}.generate().server)
	tests := []struct {
		name string
		msg  string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"version below range", "5f", ErrBadVersion},
		{"version above range", "70", ErrBadVersion},
		{"bound cut short", "61 05", ErrTruncated},
		{"bound prefix too long", "61 05 21", ErrBadBound},
		{"mode missing", "61 05 00", ErrTruncated},
		{"unknown mode", "61 05 00 03", ErrBadMode},
		{"huge mode", "61 05 00 8f ff ff ff ff ff ff ff ff 7f", ErrVarintOverflow},
		{"timestamp overflows 64 bits", "61 82 80 80 80 80 80 80 80 80 00 00 00", ErrVarintOverflow},
		{"non-minimal varint", "61 80 05 00 00", ErrVarintNonMinimal},
		{"fingerprint cut short", "61 00 00 01 aabbcc", ErrTruncated},
		{"id list longer than the message", "61 00 00 02 02" + strings.Repeat("ab", 40), ErrTruncated},
		{"id list count overflows", "61 00 00 02 ff ff ff ff ff ff ff ff ff 7f", ErrVarintOverflow},
		{"id list count near 2^64", "61 00 00 02 81 ff ff ff ff ff ff ff ff 7f", ErrTruncated},
		// Same timestamp, then a shorter ID prefix that sorts lower.
		{"bounds out of order", "61 05 01 80 00 01 01 10 00", ErrBoundOrder},
		{"bound below previous at infinity", "61 00 01 ff 00 00 01 10 00", ErrBoundOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := mustHex(t, tt.msg)
			server, _ := New(v, Config{})
			if out, err := server.Reconcile(msg); !errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed) {
				t.Errorf("server: %x, %v; want %v", out, err, tt.want)
			}
			if tt.want == ErrBadVersion || tt.name == "empty" {
				return
			}
			client, _ := New(v, Config{})
			if _, err := client.Initiate(); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := client.ReconcileClient(msg); !errors.Is(err, tt.want) {
				t.Errorf("client: %v; want %v", err, tt.want)
			}
		})
	}
}

func TestMaxMessageSize(t *testing.T) {
	server, err := New(sealedVector(t, nil), Config{MaxMessageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	ok := mustHex(t, "61 00 00 00 01 00 00") // 7 bytes: skip, then skip to infinity
	if _, err := server.Reconcile(ok); err != nil {
		t.Fatalf("message under the cap: %v", err)
	}
	if _, err := server.Reconcile(make([]byte, 11)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("message over the cap: %v, want ErrFrameTooLarge", err)
	}
}

// Equal consecutive bounds are legal: the reference ends a frame-limited
// answer whose last IdList reaches infinity with an empty range from
// infinity to infinity.
func TestEqualBoundsAccepted(t *testing.T) {
	v := sealedVector(t, genSpec{n: 10, spread: 10, seed: 2}.generate().server)
	server, _ := New(v, Config{})
	empty := v.Fingerprint(v.Size(), v.Size())
	msg := mustHex(t, "61 00 00 02 00 00 00 01"+hex.EncodeToString(empty[:]))
	out, err := server.Reconcile(msg)
	if err != nil {
		t.Fatal(err)
	}
	// The IdList gets all ten items; the empty range matches and is skipped.
	if want := 1 + 3 + 1 + 10*IDSize; len(out) != want {
		t.Fatalf("answer has %d bytes, want %d", len(out), want)
	}
}

func TestOursAgainstOurs(t *testing.T) {
	// A quick loop over shapes the cross-implementation test runs at scale;
	// this one also checks that each ID is reported once when frame limits
	// make the protocol revisit settled ranges.
	for _, limits := range [][2]int{{0, 0}, {4096, 0}, {0, 4096}, {4096, 4096}} {
		for seed := range uint64(20) {
			d := genSpec{n: 3000, clientOnly: 0.25, serverOnly: 0.25, spread: []int{1, 50, 3000}[seed%3], seed: seed}.generate()
			ses, err := run(newOurClient(t, sealedVector(t, d.client), limits[0]), newOurServer(t, sealedVector(t, d.server), limits[1]))
			if err != nil {
				t.Fatalf("limits %v seed %d: %v", limits, seed, err)
			}
			checkDiff(t, "have", ses.have, d.clientOnly)
			checkDiff(t, "need", ses.need, d.serverOnly)
			checkFrames(t, ses, limits[0], limits[1])
		}
	}
}
