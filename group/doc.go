// Package group is the pure logic of Starling's groups: names and topics,
// descriptors, roles, moderation, sealing, key delivery and invites. It does
// no I/O and knows nothing of libp2p or the store; node feeds it messages
// and acts on what it answers.
//
// Three kinds of group exist besides the name-derived open channel (whose ID
// derives from its name, so everyone who types the same name meets there):
// open groups, private groups and announcement channels. A created group's
// ID commits to its owner and a random salt; its signed, versioned
// descriptor says who the admins and posters are, who was removed and when
// the group ends. A private group's topic name derives from its secret, and
// every payload but a Rekey's is sealed with XChaCha20-Poly1305 under an
// epoch key; new epoch keys reach members through HPKE to the X25519 keys in
// their signed profiles.
//
// State holds one group as a node knows it. Check judges an incoming message
// (Accept, Ignore or Reject, as GossipSub's validator needs them), Apply
// records a stored one and says what the node must do, and Compose,
// UpdateDescriptor and RemoveMember write new ones. Limiter adds rate limits
// and slow mode for live gossip. A carrier (Carry, from a CarrierInvite
// link) stores and forwards a private group's ciphertext without any key.
package group
