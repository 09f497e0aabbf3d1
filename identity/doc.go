// Package identity holds a person's keys: the long-term Ed25519 user key that
// signs every message (its fingerprint is what people compare face to face)
// and the separate libp2p transport key, which mDNS and identify show to the
// whole Wi-Fi and which may therefore rotate. Key files are 0600 and a key
// file readable by others is refused. The transport key's libp2p form is
// package transportkey's, so that identity links no libp2p.
package identity
