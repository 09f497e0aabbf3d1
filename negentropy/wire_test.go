package negentropy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	nostrneg "github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

func TestVarintEncoding(t *testing.T) {
	tests := []struct {
		v    uint64
		want string
	}{
		{0, "00"},
		{1, "01"},
		{127, "7f"},
		{128, "8100"},
		{129, "8101"},
		{16383, "ff7f"},
		{16384, "818000"},
		{math.MaxUint32, "8fffffff7f"},
		{math.MaxUint64, "81ffffffffffffffff7f"},
	}
	for _, tt := range tests {
		got := hex.EncodeToString(appendVarint(nil, tt.v))
		if got != tt.want {
			t.Errorf("appendVarint(%d) = %s, want %s", tt.v, got, tt.want)
		}
		r := reader{buf: appendVarint(nil, tt.v)}
		back, err := r.readVarint()
		if err != nil || back != tt.v || r.len() != 0 {
			t.Errorf("readVarint(%s) = %d, %v with %d bytes left; want %d", tt.want, back, err, r.len(), tt.v)
		}
	}
}

func TestVarintMatchesGoNostr(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		v := rng.Uint64() >> rng.UintN(64)
		v &= 1<<56 - 1 // go-nostr's EncodeVarInt has an 8-byte buffer: 8 digits, 56 bits
		if got, want := appendVarint(nil, v), nostrneg.EncodeVarInt(int(v)); !bytes.Equal(got, want) {
			t.Fatalf("varint %d: ours %x, go-nostr %x", v, got, want)
		}
	}
}

func TestVarintDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"continuation without end", "81", ErrTruncated},
		{"long continuation without end", "ffffffff", ErrTruncated},
		{"leading zero digit", "8001", ErrVarintNonMinimal},
		{"65 bits", "82808080808080808000", ErrVarintOverflow},
		{"11 digits", "8180808080808080808000", ErrVarintOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := hex.DecodeString(tt.in)
			r := reader{buf: in}
			if v, err := r.readVarint(); !errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("readVarint(%s) = %d, %v; want %v", tt.in, v, err, tt.want)
			}
		})
	}
}

func TestBoundEncoding(t *testing.T) {
	withPrefix := func(ts uint64, prefix ...byte) bound {
		b := bound{item: Item{Timestamp: ts}, idLen: len(prefix)}
		copy(b.item.ID[:], prefix)
		return b
	}
	full := Item{Timestamp: 1000}
	for i := range full.ID {
		full.ID[i] = byte(i + 1)
	}
	bounds := []bound{
		withPrefix(0),
		withPrefix(100),
		withPrefix(100, 0xab),
		withPrefix(300, 0x00, 0x01),
		itemBound(full),
		infinityBound,
	}
	// Timestamps are 1 + the delta from the previous bound; infinity is 0.
	want := "0100" + "6500" + "0101ab" + "8149020001" + "853d" + "20" + hex.EncodeToString(full.ID[:]) + "0000"

	w := writer{}
	for _, b := range bounds {
		w.bound(b)
	}
	if got := hex.EncodeToString(w.buf); got != want {
		t.Fatalf("encoded bounds\n got %s\nwant %s", got, want)
	}
	r := reader{buf: w.buf}
	for i, b := range bounds {
		got, err := r.readBound()
		if err != nil {
			t.Fatalf("bound %d: %v", i, err)
		}
		if got != b {
			t.Fatalf("bound %d: got %+v, want %+v", i, got, b)
		}
	}
	if r.len() != 0 {
		t.Fatalf("%d bytes left over", r.len())
	}
}

func TestBoundDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"no timestamp", "", ErrTruncated},
		{"no length", "05", ErrTruncated},
		{"prefix too long", "0521", ErrBadBound},
		{"prefix cut short", "0503aabb", ErrTruncated},
		{"timestamp overflows", "82808080808080808000" + "00", ErrVarintOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := hex.DecodeString(tt.in)
			r := reader{buf: in}
			if _, err := r.readBound(); !errors.Is(err, tt.want) {
				t.Fatalf("readBound(%s): %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestTimestampSaturates(t *testing.T) {
	// A delta that would carry past 2^64-1 means infinity, as in the
	// reference decoder.
	w := appendVarint(nil, math.MaxUint64-5+1) // MaxUint64-5
	w = appendVarint(w, 10+1)                  // +10 overflows
	w = appendVarint(w, 1)                     // +0 after infinity
	r := reader{buf: w}
	for i, want := range []uint64{math.MaxUint64 - 5, Infinity, Infinity} {
		got, err := r.readTimestamp()
		if err != nil || got != want {
			t.Fatalf("timestamp %d: %d, %v; want %d", i, got, err, want)
		}
	}
}

func TestMinimalBound(t *testing.T) {
	a := Item{Timestamp: 5}
	b := Item{Timestamp: 5}
	a.ID[0], b.ID[0] = 0x10, 0x10
	a.ID[1], b.ID[1] = 0x20, 0x21
	if got := minimalBound(a, b); got.idLen != 2 || got.item.ID[1] != 0x21 || got.item.Timestamp != 5 {
		t.Fatalf("same timestamp: %+v", got)
	}
	c := Item{Timestamp: 6, ID: b.ID}
	if got := minimalBound(b, c); got.idLen != 0 || got.item != (Item{Timestamp: 6}) {
		t.Fatalf("different timestamps: %+v", got)
	}
	// IDs sharing 31 bytes still get a bound that separates them.
	d, e := Item{Timestamp: 7}, Item{Timestamp: 7}
	for i := range d.ID {
		d.ID[i], e.ID[i] = 0xee, 0xee
	}
	e.ID[31] = 0xef
	got := minimalBound(d, e)
	if got.idLen != 32 || got.item.Compare(d) <= 0 || got.item.Compare(e) > 0 {
		t.Fatalf("31 shared bytes: %+v", got)
	}
}
