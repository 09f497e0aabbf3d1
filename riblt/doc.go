// Package riblt implements set reconciliation with Rateless Invertible Bloom
// Lookup Tables (Yang, Gilad and Alizadeh, "Practical Rateless Set
// Reconciliation", SIGCOMM 2024), over Starling's 32-byte message IDs.
//
// The server (responder) turns its set into an endless stream of coded
// symbols; the client (initiator) subtracts its own set's symbols from each
// one received and peels, and once it has received about 1.35 symbols per
// difference (1.5 to 1.8 for differences under a hundred; see symbolsFor)
// it knows every ID only the server holds and every ID only it holds. The
// cost depends on the size of the difference alone, not on where in the
// history the differences lie: scattered losses cost what a contiguous gap
// of the same size costs. Range-based reconciliation (package negentropy)
// pays hundreds of bytes per scattered difference and about 33 per
// contiguous one; this package about 18 to 22 for either.
//
// # Keys
//
// A symbol sums 64-bit keys, not IDs: the key of an ID is SipHash-2-4 of it
// under a 16-byte secret the client draws for each session, and the server
// finds the IDs behind the keys the client asks for (Server.Lookup). A
// symbol costs 13 or 14 bytes on the wire instead of 45, and the client
// asks for 8 bytes per missing message instead of 32. The secret keeps
// authors, who choose their messages' IDs, from making keys collide or
// crowd the same symbols; two IDs of one session share a key with
// probability 2^-64 per pair, and then that difference is missed until the
// next session, which draws another secret.
//
// # Symbols
//
// Symbol i holds every key that maps to it: the XOR of the keys, the XOR of
// their 32-bit checksums (a nonlinear hash of the key) and their count.
// Every key maps to symbol 0 and to symbol i with probability 1/(1+i/2),
// the paper's mapping, drawn by a generator seeded with the key (see
// mapping.go for the exact sampling and why it is the same on every
// machine). On the wire a symbol is its key sum (8 bytes, little-endian),
// its checksum sum (4 bytes) and its count minus 2n/(i+2) (n the server's
// set size), zigzag-varint encoded.
//
// # Messages
//
// All varints are minimal unsigned LEB128.
//
//	request  (client, first)  secret[16] | varint client set size | varint symbol cap | client's symbol 0: sum[8] check[4]
//	answer   (server)         kind[1] | varint server set size | kind 0: varint first index | varint held back | symbols...
//	more     (client)         varint symbols wanted
//
// Answer kind 0 carries symbols, the next in the stream; kind 1 says the
// difference is too large for coded symbols and nothing follows. From the
// request the server knows both set sizes and symbol 0 of the difference:
// empty means identical sets and a lone key a difference of one, and then
// it sends symbol 0 alone; otherwise it sends enough symbols for a
// difference of |size difference|, which is exact when one side only lacks
// messages, the usual case (at least 24, since a difference with both sides
// lacking keys can hide behind equal sizes). "Held back" counts symbols cut
// from the answer to keep it within Config.MaxMessageSize; the client asks
// for them next. When the symbols do not decode, the client estimates the
// difference from their counts (Decoder.Estimate), asks for enough for the
// estimate plus two standard errors, and gives up (Client.Fallback) when
// that would pass Config.MaxSymbols. Both sides keep to the smaller of their
// caps: the request states the client's.
//
// Measured (negentropy.TestHybridTable, BenchmarkHybrid): sets of 10,000
// and 100,000 IDs, 1 % and 10 % missing on one side, scattered or
// contiguous, reconcile in one round trip (rarely two) with 18 to 22 bytes
// per missing ID, 0.02 to 0.1 times go-nostr's Negentropy for scattered
// losses and 0.5 to 0.56 times for contiguous ones; identical sets cost 51
// to 53 bytes (0.15 times). When both sides lack IDs, two or three round
// trips and about 2 to 4 symbols per difference (32 to 36 bytes).
//
// # Trust
//
// The peer is untrusted. A decoder holds at most Config.MaxSymbols symbols,
// spends at most 64 key visits per symbol (an honest stream needs under
// 26), and fails for good, with ErrInconsistent, at the first symbol that
// contradicts its own set: a key claimed by the peer that it holds, a key
// of its own that it does not hold, a key found twice or in a symbol it
// does not map to. A decoder that says it decoded is right about the
// symbols it was given: the set it implies for the peer encodes to exactly
// them (FuzzDecoder checks it). Malformed messages fail with errors
// wrapping ErrMalformed, the peer's fault; ErrInconsistent may also come,
// once in billions of sessions, from two honest peers whose checksums
// collide, so it is not blamed: the caller reconciles another way. The
// server spends one pass over its set per answer, so the caller bounds the
// round trips.
//
// The package is pure: no I/O, no goroutines, no clock, no randomness (the
// caller draws the secret), and nothing from the rest of Starling. Package
// catchup runs it over libp2p streams, with Negentropy as the fallback.
package riblt
