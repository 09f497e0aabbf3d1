// Package engine is the phone page's engine: everything that judges or
// builds messages in the browser, compiled to WebAssembly by
// cmd/starling-phone-wasm. It runs the daemon's own rules (packages message
// and group, negentropy and catch-up's wire types), so a phone signs,
// verifies, seals, opens and applies group rules exactly as a node does;
// JavaScript moves bytes (GossipSub, libp2p streams), stores the records
// the engine hands out in IndexedDB and draws the interface. It does no
// I/O and links neither Badger nor libp2p (deps_test.go).
//
// An Engine holds one identity, the groups it joined (group.State each)
// and the messages it accepted (their envelopes, for catch-up and views).
// Every change it makes is returned as records (IdentityRecord,
// GroupRecord, MessageRecord) for the page to store; Restore takes them
// back on reload. Errors are *Error with a Code the page can test.
//
// Catch-up: Session is the client side of /starling/catchup/1.1.0 as a
// state machine fed with the bytes the stream delivers (any chunking); it
// answers with the bytes to write. It checks the peer as package catchup's
// client does (answers must cover a prefix of what was asked, in order;
// every envelope must pass the same judge as gossip).
//
// phone/API.md documents the JavaScript API on top of this package.
package engine
