package riblt

import (
	"math/rand/v2"
	"slices"
)

// diffSets returns this side's keys and the peer's: common keys in both,
// then remoteOnly keys only the peer holds and localOnly only this side,
// all distinct, drawn from rng.
func diffSets(rng *rand.Rand, common, remoteOnly, localOnly int) (local, remote, wantRemote, wantLocal []uint64) {
	seen := make(map[uint64]bool)
	draw := func(n int) []uint64 {
		out := make([]uint64, 0, n)
		for len(out) < n {
			k := rng.Uint64()
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
		return out
	}
	both := draw(common)
	wantRemote, wantLocal = draw(remoteOnly), draw(localOnly)
	local = append(slices.Clone(both), wantLocal...)
	remote = append(slices.Clone(both), wantRemote...)
	rng.Shuffle(len(local), func(i, j int) { local[i], local[j] = local[j], local[i] })
	rng.Shuffle(len(remote), func(i, j int) { remote[i], remote[j] = remote[j], remote[i] })
	return local, remote, wantRemote, wantLocal
}

// decodeAll streams the peer's symbols to a decoder of local in batches of
// step until it decodes or max symbols went, and returns the decoder.
func decodeAll(local, remote []uint64, step, max int) (*Decoder, error) {
	enc := NewEncoder(remote)
	dec := NewDecoder(local, max)
	for !dec.Decoded() && dec.Received() < max {
		if err := dec.Add(enc.Next(min(step, max-dec.Received()))); err != nil {
			return dec, err
		}
	}
	return dec, nil
}

func sorted(ks []uint64) []uint64 {
	ks = slices.Clone(ks)
	slices.Sort(ks)
	return ks
}
