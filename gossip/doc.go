// Package gossip runs Starling's GossipSub on a libp2p host: one
// go-libp2p-pubsub instance per host, one topic per joined group, a
// validator on every topic, peer scoring tuned for bursty chat, and counters
// for everything pubsub drops.
//
// The application signs every envelope, so pubsub's own signing is off
// (StrictNoSign, no author fields). Every message that arrives runs through
// one validator, cheapest check first: size and format (message.Decode),
// group binding (the body's group must be the topic's), time (too far in the
// future or expired: Ignore), Config.Seen (already stored: Ignore), kind,
// payload and signature (message.Verify), then Config.Policy. Forgeries and
// broken encodings are Rejected, which costs the forwarding peer score;
// duplicates, messages from a newer version and not-yet-valid ones are
// Ignored, which costs nothing. Accepted messages from other peers go to
// Config.Deliver from the topic's reader goroutine.
//
// Pubsub's message ID is SHA-256 of the whole envelope bytes, not
// message.ID (SHA-256 of the body alone). With the body hash, a peer that
// flips one bit of a genuine message's signature and sends that copy first
// gets the genuine ID marked as seen and rejected: every honest copy that
// follows is then dropped as a duplicate of an invalid message and costs its
// forwarder score. Hashing the envelope gives the forgery its own ID. The
// store, catch-up and Config.Seen keep using message.ID.
//
// This package does not store anything and never touches the disk: Deliver
// hands messages to whoever does. It never waits for peers either: Publish
// reports ErrNoPeers and the caller keeps the message queued; catch-up
// brings it to peers that join later.
package gossip
