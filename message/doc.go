// Package message is Starling's signed envelope: encoding, strict decoding,
// signing, verification, message IDs and the stateless validation rules
// (size cap, version, clock skew, expiry, signature).
//
// An Envelope carries the exact body bytes and the author's Ed25519 signature
// over a domain prefix and those bytes. The message ID is SHA-256 of the body
// bytes, so it is the same on every node: the GossipSub message ID, the store
// key and the negentropy item ID. The decoder accepts exactly one encoding per
// message (no unknown fields, no non-minimal or out-of-order encodings), so a
// relay cannot re-encode a message into a second ID.
//
// Rules that need state (membership, roles, bans, rate limits, duplicates)
// live where that state is, never here. This package does no I/O.
package message
