// Package negentropy implements range-based set reconciliation, version 1 of
// the Negentropy protocol (github.com/hoytech/negentropy,
// docs/negentropy-protocol-v1.md), byte for byte as the reference C++
// implementation encodes it.
//
// Two peers each hold a set of items, a (timestamp, 32-byte ID) pair each; in
// Starling the timestamp is a message's sent_at in milliseconds and the ID is
// its message ID. The initiator (client) calls Initiate and sends the result;
// the other side (server) answers every message with Reconcile; the client
// feeds each answer to ReconcileClient, which reports the IDs only the client
// has (have) and the IDs only the server has (need), until it returns a nil
// next message.
//
// Interoperability: every message this package builds is byte-identical to
// the reference C++ implementation's and to go-nostr v0.38.2's
// nip77/negentropy for the same sets and frame size limits (the tests check
// the latter). go-nostr departs from the specification in two places that
// random IDs practically never reach, and this package follows the
// specification there: its fingerprint adder drops a carry when a 32-bit
// word of the running sum and of the added ID are both 0xffffffff, and its
// bound between two items with one timestamp compares only 16 bytes of ID,
// so items sharing a longer prefix never reconcile between two go-nostr
// peers. See deviations_test.go.
//
// The package is pure: no I/O, no goroutines, no clock, and it imports nothing
// from Starling. Fetching the missing items is the caller's job (see catchup).
//
// Every message from a peer is untrusted. Decoding never panics, rejects
// malformed input with one of the sentinel errors in errors.go (all of which
// wrap ErrMalformed), and the work and memory spent on one message are linear
// in its length plus the size of the local set.
package negentropy
