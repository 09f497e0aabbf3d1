// Package node wires a Starling peer together and owns its lifetime. The
// parts each live in their own package; node holds the state they share
// (the store, the joined groups) and the paths between them:
//
//	            peering (host, mDNS, static peers, relays, tickets, hole punching)
//	                 │ connections
//	     ┌───────────┴────────────┐
//	  gossip                   catchup            (per-group topics; sessions)
//	     │ gossip.Inbound         │ catchup.Judge
//	     └──────────► inbound ◄───┘               (inbound.go: rules, admission)
//	                    │ store.Put
//	                  store ─► stored ─► group State (apply) ─► effects ─► subscribers
//	                    ▲                                         │ rekey, deletions,
//	                    │ sign, seal, mark in the outbox          │ heal, recheck
//	Send ─► own rate ───┴──► gossip.Publish ◄─────────────────────┘ (the node's own Ops)
//
// What other nodes send takes one path whichever way it came: the group's
// rules (Judge), then admission's budgets, then the store. What the rules
// ignore only for want of something (an Op's parent, a key) waits in the
// pending pool; private messages not yet readable wait in held. Once the
// store's writer commits a batch, the groups apply it and the effects queue
// does what applying asked for, off the writer's goroutine.
//
// The node's own messages take the reverse path: Send signs (and in a
// private group seals) a message, stores it, and publishes it; what gossip
// could not publish yet waits in the outbox.
//
// The application lives in services of its own, each behind a Node
// interface it declares and that core (services.go) implements from the
// node's parts: moderation (invites, members, bans, settings), conversation
// (replies, reactions, people), pictures and alerts. The node builds them
// once its store is open, hands them what they watch (stored batches,
// picture manifests, the alert protocol's streams) and runs their
// background work on its own goroutines (goFunc), so that Close waits for
// it. Node's own methods are the core: groups, sending, history, the
// network and its figures.
//
// Pictures take both paths with one difference: a picture's
// manifest travels like a text, but its chunks are never published nor
// offered by catch-up (Judge rejects them there); the node fetches them by
// ID from the group's peers once it holds the manifest that lists them,
// judges each against that manifest, and admits and stores them like any
// message.
//
// New acquires everything (the store's lock, listening sockets) so that its
// errors come back at once; Run runs the node until its context ends and
// then releases everything, after every goroutine it started has ended.
// Close releases a node whose Run was never called. Nothing but cmd, sim
// and tests imports this package; apiserver declares the Backend it needs
// and *Node satisfies it.
package node
