// Package catchup fetches the history a peer lacks: per group, two peers
// reconcile their sets of (sent_at_ms, message ID) with Negentropy v1 over a
// libp2p stream, then each side gets the messages only the other holds, in
// bounded batches, and validates every one exactly as gossip does before it
// stores it. GossipSub only gossips the last few heartbeats; catch-up covers
// absences, late joiners and healed partitions.
//
// # Protocol /starling/catchup/1.1.0
//
// One stream carries one session for one (peer, group). Every frame is a
// minimal unsigned varint length followed by a protobuf Frame (catchuppb)
// with exactly one field set. The initiator (client, Service.Sync) and the
// other side (server, the stream handler) speak in strict turns:
//
//	client                              server
//	Hello{group, negentropy}     ->     checks the group is joined, builds a
//	                             <-     Reconcile{negentropy} | Error{"not in group"}
//	Reconcile{negentropy}        ->     ... until the client's Negentropy is done
//	Want{ids}                    ->     (the IDs only the server holds,
//	                                    less those the client deleted)
//	                             <-     Messages{envelopes, gone}: a prefix
//	                                    of the IDs, in order, each delivered
//	                                    or declared gone
//	Messages{envelopes}          ->     (the messages only the client holds)
//	                             <-     Ack{stored}
//	Done                         ->
//	                             <-     Done
//
// Either side may end the session with Error{reason} at any point; a server
// over its session limits answers the stream with Error{"busy"}, and a
// peer banned from the group gets Error{"banned"}.
//
// # Fairness
//
// Inbound sessions share Config.MaxSessions slots, at most
// MaxSessionsPerPeer per peer and MaxSessionsPerAddr per address (IPv4
// address, IPv6 /64), so fresh peer IDs on one machine gain nothing. When
// no slot is free, a new session takes the slot of a stalled session (its
// peer silent for StallTime, or no message moved for IdleTime), taken
// from the address with the most sessions and never from an address that
// holds fewer than the newcomer's would: sessions that make no progress
// end first, and a server that hostile peers fill keeps serving honest
// ones. A session costs its address in proportion to its work (frame bytes
// and reconciliation rounds, Config.WorkBurst and WorkRate); an address
// that has used up its account gets "busy". Every session of a group
// reconciles over one shared snapshot of the group's index, so held
// sessions cost a few kilobytes each, not a copy of the index.
//
// # Protocol /starling/catchup/2.0.0
//
// Version 2.0.0 reconciles with Rateless IBLTs (package riblt) first: their
// cost follows the size of the difference alone, about 19 bytes per missing
// message in one round trip, where Negentropy pays hundreds for scattered
// losses (measured in negentropy.TestHybridTable and
// BenchmarkSyncProtocols). Its frames are 1.1.0's and three more:
//
//	client                              server
//	Hello{group, sketch}         ->     sizes its first answer from the
//	                             <-     Sketch{symbols | fallback}
//	Sketch{more}                 ->     ... until the client decodes
//	WantKeys{keys}               ->     (8-byte riblt keys of the messages
//	                             <-     Messages{envelopes, gone} only the server holds)
//	Messages{envelopes}, Done    ->     as in 1.1.0
//
// When the server declines (the set sizes show a difference beyond
// MaxSymbols), the symbols would need more than MaxSymbols to decode, or
// they contradict the client's own set, the client sends Reconcile with its
// first Negentropy message and the session goes on as 1.1.0 from there.
// Symbols that contradict the client's set are not blamed: a checksum
// collision between honest peers causes it too, once in billions of
// sessions. Every Sketch answer counts as a round against Config.MaxRounds.
// WantKeys holds 1 to MaxBatchSize keys, each one this session's symbols
// carried (an honest client asks for no other), and is answered exactly as
// a Want of their IDs. Since the client learns keys, not IDs, it cannot
// leave out what it deleted before asking; a deleted message a peer still
// delivers is dropped unchecked and remembered, and the next sessions add
// it to this side's set so that the peer's copy cancels out.
//
// Negotiation: a Service serves both protocols, and Sync offers 2.0.0 then
// 1.1.0, so libp2p's multistream-select picks 2.0.0 between new peers and
// 1.1.0 with a peer that speaks only that (Result.Protocol says which).
// 1.1.0 is unchanged: its strict decoder rejects the new fields, which
// only travel on 2.0.0 streams, and the reference-compatible Negentropy
// messages are the same bytes in both.
//
// # Limits
//
// Every frame is at most MaxFrameSize bytes on the wire, a Want holds 1 to
// MaxBatchSize IDs of exactly 32 bytes, a Messages frame 1 to MaxBatchSize
// envelopes of at most message.MaxEnvelopeSize bytes (and, answering a Want,
// gone IDs of 32 bytes). A server answers a Want with the wanted messages in
// order and may stop early only to keep its frame within its size limit,
// never before the first one, so every Want makes progress. Negentropy
// messages are built within Config.FrameSizeLimit; reconciliation takes at most Config.MaxRounds round trips, and a client
// that reaches that limit (or learns of more than MaxPending missing
// messages) stops reconciling, transfers what it found and reports an
// incomplete Result: the next session continues where it stopped. Every
// read and write has a deadline, and a session as a whole has
// Config.SessionTimeout. An outbound session whose peer keeps it waiting
// (Config.SlowWait) while moving little (MinRate) ends with ErrSlow, so
// slow peers cannot hold a node's outbound sessions.
//
// # Refusals
//
// A message Check ignores is remembered (Config.MaxRefused, RefusedTTL)
// and neither fetched nor judged again while the group's view
// (Config.View) stays the same; Service.Refuse adds what the node refused
// some other way (live gossip's rate limit). A Check error that wraps
// ErrLimit says the peer is over a budget of its own: the session ends as
// "busy", without blame, and nothing is remembered.
//
// # Trust
//
// The peer is untrusted. Every received envelope must be one the receiver
// asked for (when fetching) and pass Config.Judge for the session's group
// (the node passes gossip's rules) before it is stored with
// store.OriginCatchup. A server serves only messages it holds of the
// session's group. A peer that sends undecodable or oversized frames, breaks
// the protocol, sends a message Check rejects or one it was not asked for,
// or claims a message in reconciliation that it then neither delivers nor
// declares gone, is cut off: the session fails with an error wrapping
// ErrMisbehaving, Config.Penalize is told, and the peer is refused sessions
// of that group in both directions for Config.BanTime (of every group if
// it broke the protocol before its Hello named one). Limits, timeouts and
// network errors end a session without blame.
//
// # Deleted messages
//
// A deleted message (the store keeps a tombstone) leaves the store's index,
// so neither side offers it in reconciliation or pushes it, and a client
// does not ask for what it deleted. A server that offered a message and
// deleted it (or saw its group expire) before the Want declares it gone
// instead of delivering it, and is not blamed; it declares gone only IDs of
// its session's snapshot, so nobody learns of deletions by asking. A
// malicious server can declare everything gone and so withhold without
// blame; withholding is not forgery, and gossip or another peer makes up
// for it.
//
// Fetcher (fetch.go) is the other protocol here, /starling/fetch/1.0.0: a
// request for 1 to MaxFetchIDs messages by ID, answered in order, each
// answer checked to be the message asked for. Pictures' chunks travel only
// this way (media/design.md); the server serves what its FetchConfig.Serve
// allows, within a byte budget per peer.
//
// This package does no gossip and holds no state beyond sessions, bans,
// work accounts and shared snapshots, each bounded: the store owns the
// messages, the node decides when to sync with whom.
package catchup
